//! `bench-ceiling ADDR BODY_FILE`: serves BODY_FILE as JSON at every GET path, with the same
//! worker count as Hunar, so a load test of it shows what actix-web alone can do here.
use actix_web::{App, HttpResponse, HttpServer, web};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:18081".into());
    let path = args.next().unwrap_or_else(|| "body.json".into());
    let body = web::Bytes::from(std::fs::read(&path)?);
    HttpServer::new(move || {
        let body = body.clone();
        App::new().default_service(web::to(move || {
            let body = body.clone();
            async move {
                HttpResponse::Ok()
                    .content_type("application/json")
                    .body(body)
            }
        }))
    })
    .bind(addr)?
    .run()
    .await
}
