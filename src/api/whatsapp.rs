//! `GET` and `POST /api/v1/webhooks/whatsapp`: Meta's subscription handshake, and the status
//! updates of the messages sent to artists (signed with the app's secret).
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use crate::error::{ApiError, DomainError};
use crate::notifications::whatsapp_status::{self, StatusUpdateError};
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Handshake {
    #[serde(rename = "hub.mode")]
    #[param(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    #[param(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    #[param(rename = "hub.challenge")]
    challenge: Option<String>,
}

fn refused() -> ApiError {
    DomainError::Forbidden {
        code: "verification_failed",
        detail: "the verify token does not match, or WhatsApp is not configured".into(),
    }
    .into()
}

/// Meta's check that this server owns the webhook: the challenge, as text, when the verify
/// token matches `WHATSAPP_VERIFY_TOKEN`.
#[utoipa::path(
    operation_id = "verifyWhatsAppWebhook",
    tag = "payments",
    params(Handshake),
    responses(
        (status = 200, content_type = "text/plain", body = String, description = "the challenge, as sent"),
        (status = 403, description = "wrong verify token, or WhatsApp is not configured"),
    )
)]
#[get("/webhooks/whatsapp")]
pub async fn verify(
    state: web::Data<AppState>,
    query: web::Query<Handshake>,
) -> Result<HttpResponse, ApiError> {
    let Some(config) = state.config.whatsapp.as_ref() else {
        return Err(refused());
    };
    let query = query.into_inner();
    let token_matches = query
        .verify_token
        .as_deref()
        .is_some_and(|given| crate::auth::token::same_secret(given, &config.verify_token));
    match (query.mode.as_deref(), query.challenge) {
        (Some("subscribe"), Some(challenge)) if token_matches && challenge.len() <= 200 => {
            Ok(HttpResponse::Ok()
                .content_type("text/plain; charset=utf-8")
                .body(challenge))
        }
        _ => Err(refused()),
    }
}

/// Status updates of WhatsApp messages (sent, delivered, read, failed). The raw body must
/// carry `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 under WHATSAPP_APP_SECRET>`.
#[utoipa::path(
    operation_id = "receiveWhatsAppWebhook",
    tag = "payments",
    request_body(content = String, content_type = "application/json", description = "a WhatsApp notification, exactly as Meta sent it"),
    params(("X-Hub-Signature-256" = String, Header)),
    responses(
        (status = 200, description = "received"),
        (status = 400, description = "signed, but not a WhatsApp notification"),
        (status = 401, description = "missing or wrong signature, or WhatsApp is not configured"),
    )
)]
#[post("/webhooks/whatsapp")]
pub async fn receive(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let signature = req
        .headers()
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    let Some(config) = state
        .config
        .whatsapp
        .as_ref()
        .filter(|c| whatsapp_status::signed(&c.app_secret, &body, signature))
    else {
        return Err(DomainError::UnsignedWebhook(
            "X-Hub-Signature-256 is missing or is not this app's signature of the body".into(),
        )
        .into());
    };
    match whatsapp_status::record(&state.db, &state.mail, &config.phone_number_id, &body).await {
        Ok(moved) => {
            tracing::info!(moved, "WhatsApp status update received");
            Ok(HttpResponse::Ok().json(serde_json::json!({"received": true})))
        }
        Err(StatusUpdateError::Unreadable(why)) => Err(DomainError::InvalidWebhook(why).into()),
        Err(StatusUpdateError::Db(err)) => Err(DomainError::from(err).into()),
    }
}
