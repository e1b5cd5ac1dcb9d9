//! Public order endpoints: place an order, follow it with its access token.
use actix_web::http::StatusCode;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use crate::api::orders::submit::submit;
use crate::client::{Caller, Client};
use crate::error::{ApiError, DomainError};
use crate::extract::{ValidJson, ValidQuery};
use crate::orders::buyer_view::{self, BuyerOrderView};
use crate::orders::holds::{self, Confirmed};
use crate::orders::idempotency;
use crate::orders::place::{OrderRequest, PlacedOrder};
use crate::state::AppState;

/// An order attempt this client may make: counted before the body is even read, so a script
/// sending broken bodies is limited like any other.
pub struct Attempt(Client);

impl FromRequest for Attempt {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let client = match Caller::from_request(req, payload).into_inner() {
            Ok(Caller(client)) => client,
            Err(e) => return ready(Err(DomainError::BadRequest(e.to_string()).into())),
        };
        let allowed = match req.app_data::<web::Data<AppState>>() {
            Some(state) => state.core.order_attempts.check(client),
            None => Ok(()),
        };
        ready(
            allowed
                .map(|()| Attempt(client))
                .map_err(|retry_after_secs| {
                    ApiError::from(DomainError::Limited {
                        code: "too_many_order_attempts",
                        detail: "too many order attempts from this connection; wait a little and \
                             try again"
                            .into(),
                        retry_after_secs,
                    })
                }),
        )
    }
}

fn raw(status: u16, content_type: &str, body: String) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .content_type(content_type)
        .body(body)
}

/// Order a painting. Requires an `Idempotency-Key` header: a retry with the same key and
/// body returns the first answer again; the same key with another body is a 409.
#[utoipa::path(
    operation_id = "placeOrder",
    tag = "orders",
    request_body = OrderRequest,
    params(("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,255}$", description = "unique per order attempt: 1 to 255 visible ASCII characters")),
    responses(
        (status = 201, body = PlacedOrder),
        (status = 404, description = "no such artwork"),
        (status = 409, description = "painting taken, or key reused with another body"),
        (status = 422, description = "invalid fields"),
        (status = 429, description = "this client made too many order attempts (`too_many_order_attempts`), or it or the buyer's address already holds as many unpaid paintings as allowed (`too_many_open_holds`); see Retry-After. Nothing was kept: the same key may be retried"),
        (status = 502, description = "Stripe could not start the card payment; nothing was kept, retry"),
    )
)]
#[post("/orders")]
pub async fn place(
    state: web::Data<AppState>,
    req: HttpRequest,
    Attempt(client): Attempt,
    body: ValidJson<OrderRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency::parse_key(
        req.headers()
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok()),
    )?;
    let answer = submit(&state, client, &key, &body.into_inner()).await?;
    Ok(raw(answer.status, answer.content_type(), answer.body))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    /// The access_token returned when the order was placed.
    pub token: Option<String>,
}

/// The buyer's view of their order. A wrong or missing token is a 404, like a missing order.
#[utoipa::path(
    operation_id = "getOrder",
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
    let view = buyer_view::for_buyer(&state.db, &state.config, &id, &token).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The buyer says they paid a manual order: the coordinator is told, and the painting stays
/// held while the money travels (at least 14 days from now). Saying it twice changes
/// nothing more. 409 for a card order or an order not waiting for payment.
#[utoipa::path(
    operation_id = "claimOrderPaid",
    tag = "orders",
    params(("id" = String, Path), TokenQuery),
    responses((status = 200, body = BuyerOrderView), (status = 404, description = "no such order, or a wrong token"), (status = 409))
)]
#[post("/orders/{id}/paid")]
pub async fn claim_paid(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: ValidQuery<TokenQuery>,
) -> Result<HttpResponse, ApiError> {
    let token = query.into_inner().token.unwrap_or_default();
    crate::orders::claims::claim_paid(&state.db, &state.config, &state.mail, &id, &token).await?;
    let view = buyer_view::for_buyer(&state.db, &state.config, &id, &token).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Confirm the buyer's email address with the token from the link in their first email (not
/// the access token). This order is then held for the full time, and its emails held back by
/// the daily cap for unconfirmed addresses go out. An order that waited for this
/// (`awaiting_confirmation`) takes its painting now; when another supporter bought it first,
/// the order ends (`expired`) and the answer is 409.
#[utoipa::path(
    operation_id = "confirmOrderEmail",
    tag = "orders",
    params(("id" = String, Path), ("token" = String, Query, description = "the token from the confirmation link")),
    responses(
        (status = 200, body = Confirmed),
        (status = 404, description = "no such order, or a wrong token"),
        (status = 409, description = "the painting was sold before the address was confirmed"),
        (status = 429, description = "this address already holds its share of paintings")
    )
)]
#[post("/orders/{id}/confirm-email")]
pub async fn confirm_email(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: ValidQuery<TokenQuery>,
) -> Result<HttpResponse, ApiError> {
    let token = query.into_inner().token.unwrap_or_default();
    let confirmed = holds::confirm(&state.db, &state.config, &state.mail, &id, &token).await;
    if matches!(
        confirmed,
        Ok(_) | Err(crate::orders::OrderError::ArtworkUnavailable(_))
    ) {
        // A waiting order may have taken its painting.
        state.catalog_cache.invalidate();
    }
    Ok(HttpResponse::Ok().json(confirmed?))
}
