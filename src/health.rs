//! Liveness and readiness for load balancers and orchestrators.
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(value_type = String, pattern = "^ready$")]
    pub status: &'static str,
    #[schema(value_type = String, pattern = "^ok$")]
    pub database: &'static str,
    #[schema(value_type = String, pattern = "^(configured|not configured)$")]
    pub card_payments: &'static str,
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

/// The process can serve requests: its database answers.
#[utoipa::path(operation_id = "checkReadiness", tag = "operations", responses((status = 200, body = Health), (status = 503)))]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .db
        .ping()
        .await
        .map_err(|_| ApiError::Unavailable("the database does not answer".into()))?;
    let card_payments = if state.config.stripe.is_some() {
        "configured"
    } else {
        "not configured"
    };
    Ok(HttpResponse::Ok().json(Health {
        status: "ready",
        database: "ok",
        card_payments,
    }))
}
