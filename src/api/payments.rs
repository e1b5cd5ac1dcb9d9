//! `POST /api/v1/webhooks/stripe`.
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, DomainError};
use crate::payments::webhook::{self, Receipt};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Acknowledged {
    pub received: bool,
    /// True when this event id was handled before; nothing was done again.
    pub duplicate: bool,
}

/// Stripe events. The raw body is checked against `Stripe-Signature`; anything not signed by
/// Stripe with a configured secret within 300 s is a 400 and changes nothing.
#[utoipa::path(
    operation_id = "receiveStripeWebhook",
    tag = "payments",
    request_body(content = String, content_type = "application/json", description = "a Stripe event, exactly as Stripe sent it"),
    params(("Stripe-Signature" = String, Header)),
    responses(
        (status = 200, body = Acknowledged),
        (status = 400, description = "missing, malformed or wrong signature, stale timestamp, or not an event"),
    )
)]
#[post("/webhooks/stripe")]
pub async fn stripe_webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Some(gateway) = state.payments.as_deref() else {
        return Err(DomainError::InvalidWebhook(
            "card payments are not configured on this server".into(),
        )
        .into());
    };
    let payload = std::str::from_utf8(&body)
        .map_err(|_| DomainError::InvalidWebhook("the body is not UTF-8".into()))?;
    let signature = req
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let event = webhook::verify(payload, signature, gateway.webhook_secrets())?;
    let duplicate = match webhook::handle(&state.db, &state.mail, &event).await? {
        Receipt::Handled(outcome) => {
            tracing::info!(
                event_id = %event.id.as_str(),
                kind = %event.type_.as_str(),
                order_id = outcome.order_id.as_deref().unwrap_or("-"),
                outcome = %outcome.note,
                "stripe event handled"
            );
            if outcome.catalog_changed {
                state.catalog_cache.invalidate();
                // A payment was recorded: read its card fee now rather than at the next
                // retry round.
                let (db, gateway) = (state.db.clone(), gateway.clone());
                let base = state.config.fee_retry_base;
                tokio::spawn(async move {
                    if let Err(err) = crate::ledger::fees::run_due(&db, &gateway, base).await {
                        tracing::warn!(error = %err, "card fee lookup failed; will retry");
                    }
                });
            }
            false
        }
        Receipt::Duplicate => true,
    };
    Ok(HttpResponse::Ok().json(Acknowledged {
        received: true,
        duplicate,
    }))
}
