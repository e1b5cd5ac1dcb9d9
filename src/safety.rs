//! The last safety net: a panic while handling one request becomes that request's 500
//! problem+json (logged with the request's span, so its request id), instead of a dropped
//! connection for it and every other request in flight on the same worker.
use std::panic::AssertUnwindSafe;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use futures_util::FutureExt;

use crate::error::{ApiError, DomainError};

pub async fn catch_panics(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // The request cannot be kept for the answer (actix needs it unshared while routing), so
    // the answer is an error, which actix turns into the 500 problem document.
    match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(res) => res,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            // The panic message is about our code, but it may quote a value: keep it short.
            let what: String = what.chars().take(200).collect();
            tracing::error!(panic = %what, "request handler panicked");
            Err(ApiError::from(DomainError::Internal(anyhow::anyhow!(
                "request handler panicked"
            )))
            .into())
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test, web};

    use super::catch_panics;

    async fn boom() -> HttpResponse {
        panic!("boom")
    }

    #[actix_web::test]
    async fn a_panicking_handler_is_a_500_problem_and_the_app_goes_on() {
        let app = test::init_service(
            App::new()
                .wrap(from_fn(catch_panics))
                .route("/boom", web::get().to(boom))
                .route(
                    "/fine",
                    web::get().to(|| async { HttpResponse::Ok().body("fine") }),
                ),
        )
        .await;
        let Err(err) =
            test::try_call_service(&app, test::TestRequest::get().uri("/boom").to_request()).await
        else {
            panic!("a panic must become an error answer");
        };
        let res = actix_web::ResponseError::error_response(err.as_response_error());
        assert_eq!(res.status(), 500);
        assert_eq!(
            res.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json")
        );
        let body = actix_web::body::to_bytes(res.into_body())
            .await
            .unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&body).contains("boom"),
            "no detail leaks"
        );
        let res =
            test::call_service(&app, test::TestRequest::get().uri("/fine").to_request()).await;
        assert_eq!(res.status(), 200);
    }
}
