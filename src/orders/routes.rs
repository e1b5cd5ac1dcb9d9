//! Public order endpoints: place an order, follow it with its access token.
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use super::OrderError;
use super::idempotency;
use super::place::{OrderRequest, PlacedOrder, Placement};
use super::views::{self, BuyerOrderView};
use crate::error::{ApiError, PROBLEM_JSON};
use crate::extract::{ValidJson, ValidQuery};
use crate::state::AppState;
use actix_web::ResponseError;
use actix_web::body::MessageBody;

fn raw(status: u16, content_type: &str, body: String) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .content_type(content_type)
        .body(body)
}

/// Order a painting. Requires an `Idempotency-Key` header: a retry with the same key and
/// body returns the first answer again; the same key with another body is a 409.
#[utoipa::path(
    tag = "orders",
    request_body = OrderRequest,
    params(("Idempotency-Key" = String, Header, description = "unique per order attempt, ≤ 255 characters")),
    responses(
        (status = 201, body = PlacedOrder),
        (status = 404, description = "no such artwork"),
        (status = 409, description = "painting taken, or key reused with another body"),
        (status = 422, description = "invalid fields"),
        (status = 502, description = "Stripe could not start the card payment; nothing was kept, retry"),
    )
)]
#[post("/orders")]
pub async fn place(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<OrderRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency::parse_key(
        req.headers()
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok()),
    )?;
    let body = body.into_inner();
    // Hash the parsed request, so whitespace or key order in the JSON do not matter.
    let canonical = serde_json::to_vec(&body).map_err(|e| ApiError::Internal(e.into()))?;
    let request_hash = idempotency::hash_request(&canonical);
    match super::place::place(
        &state.db,
        &state.turns,
        &state.config,
        &state.mail,
        state
            .payments
            .as_deref()
            .map(|gateway| crate::payments::checkout::Checkout {
                gateway,
                media: &state.media,
            }),
        &key,
        &request_hash,
        &body,
    )
    .await
    {
        Ok(Placement::Created { body }) => {
            state.catalog_cache.invalidate();
            Ok(raw(201, "application/json", body))
        }
        Ok(Placement::Replay { status, body }) => {
            let content_type = if status < 300 {
                "application/json"
            } else {
                PROBLEM_JSON
            };
            Ok(raw(status, content_type, body))
        }
        // Our failure or a key conflict: nothing to remember, a retry may succeed.
        Err(
            err @ (OrderError::Db(_)
            | OrderError::KeyReused
            | OrderError::KeyInProgress
            | OrderError::Payment(crate::payments::PaymentError::Provider(_))),
        ) => Err(ApiError::from(err)),
        Err(err) => {
            // A definite refusal (409, 404, 422) is the answer for this key from now on.
            let response = ApiError::from(err).error_response();
            let status = response.status().as_u16();
            let problem = match response.into_body().try_into_bytes() {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(_) => String::new(),
            };
            state
                .refusals
                .remember(&key, &request_hash, status, &problem)
                .await?;
            Ok(raw(status, PROBLEM_JSON, problem))
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    /// The access_token returned when the order was placed.
    pub token: Option<String>,
}

/// The buyer's view of their order. A wrong or missing token is a 404, like a missing order.
#[utoipa::path(
    tag = "orders",
    params(("id" = String, Path), TokenQuery),
    responses((status = 200, body = BuyerOrderView), (status = 404))
)]
#[get("/orders/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: ValidQuery<TokenQuery>,
) -> Result<HttpResponse, ApiError> {
    let token = query.into_inner().token.unwrap_or_default();
    let view = views::for_buyer(&state.db, &state.config, &id, &token).await?;
    Ok(HttpResponse::Ok().json(view))
}
