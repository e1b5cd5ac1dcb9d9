//! Liveness and readiness for load balancers and orchestrators.
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, DomainError};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(value_type = String, pattern = "^ready$")]
    pub status: &'static str,
    #[schema(value_type = String, pattern = "^ok$")]
    pub database: &'static str,
    #[schema(value_type = String, pattern = "^(configured|not configured)$")]
    pub card_payments: &'static str,
    /// The free space of the disks the database and the photos are on (none for a database
    /// or a media store on another machine).
    pub disks: Vec<crate::storage::Disk>,
}

#[derive(Serialize, ToSchema)]
pub struct Liveness {
    #[schema(value_type = String, pattern = "^ok$")]
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(operation_id = "checkLiveness", tag = "operations", responses((status = 200, body = Liveness)))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Liveness { status: "ok" })
}

/// The process can serve requests: its database answers and takes a write (checked at most
/// every five seconds), and its disk has room. 503 otherwise, with the disks' free space.
#[utoipa::path(operation_id = "checkReadiness", tag = "operations", responses((status = 200, body = Health), (status = 503)))]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .db
        .ping()
        .await
        .map_err(|_| DomainError::Unavailable("the database does not answer".into()))?;
    let storage = state.storage.current().await;
    if !storage.writable {
        let mut body = crate::error::problem_response(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            "storage_full",
            "Service unavailable",
            "the database cannot take a write: its disk is full (or failing); nothing can be \
             saved until there is room",
            None,
        );
        body.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from_static("60"),
        );
        return Ok(with_disks(body, &storage.disks));
    }
    let card_payments = if state.config.stripe.is_some() {
        "configured"
    } else {
        "not configured"
    };
    Ok(HttpResponse::Ok().json(Health {
        status: "ready",
        database: "ok",
        card_payments,
        disks: storage.disks,
    }))
}

/// A problem document with the disks' free space beside its members, so an operator's
/// alert shows how full they are.
fn with_disks(res: HttpResponse, disks: &[crate::storage::Disk]) -> HttpResponse {
    use actix_web::body::MessageBody;
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().try_into_bytes().unwrap_or_default();
    let mut problem: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    if let Some(members) = problem.as_object_mut() {
        members.insert("disks".into(), serde_json::json!(disks));
    }
    let mut out = HttpResponse::build(status).json(problem);
    for (name, value) in headers.iter() {
        out.headers_mut().insert(name.clone(), value.clone());
    }
    out
}
