//! Placing an order as any client meets it (the JSON API, the shop's form): one answer per
//! Idempotency-Key. A new order's 201, or the answer stored for the key, comes back as the
//! status and body the API sends; a definite refusal (409, 404, 422) is remembered as the
//! key's answer; our own failures, limits and key conflicts are not, so a retry may succeed.
use actix_web::ResponseError;
use actix_web::body::MessageBody;

use crate::client::Client;
use crate::error::{ApiError, DomainError, FieldError, PROBLEM_JSON};
use crate::orders::place::{self, OrderRequest, PlacedOrder, Placement};
use crate::orders::{OrderError, idempotency};
use crate::payments::{PaymentError, checkout::Checkout};
use crate::state::AppState;

/// What the API answers to an order: its status and JSON (or problem+json) body, and for a
/// page what happened, typed.
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub outcome: Outcome,
}

pub enum Outcome {
    Placed(Box<PlacedOrder>),
    Refused(Refusal),
    /// The answer kept for an earlier request with this key (only its status and body).
    Replayed,
}

/// Why a definite refusal was given.
pub enum Refusal {
    /// The painting is sold or held by someone else.
    Taken,
    Invalid(Vec<FieldError>),
    NotFound,
    Other,
}

impl Refusal {
    fn of(err: &DomainError) -> Self {
        match err {
            DomainError::Conflict { code, .. } if *code == "artwork_unavailable" => Self::Taken,
            DomainError::Validation(errors) => Self::Invalid(errors.0.clone()),
            DomainError::NotFound(_) => Self::NotFound,
            _ => Self::Other,
        }
    }
}

impl Answer {
    pub fn content_type(&self) -> &'static str {
        if self.status < 300 {
            "application/json"
        } else {
            PROBLEM_JSON
        }
    }
}

pub async fn submit(
    state: &AppState,
    client: Client,
    key: &str,
    req: &OrderRequest,
) -> Result<Answer, ApiError> {
    // Hash the parsed request, so whitespace or key order in the JSON do not matter.
    let canonical = serde_json::to_vec(req).map_err(|e| DomainError::Internal(e.into()))?;
    let request_hash = idempotency::hash_request(&canonical);
    let cards = state.payments.as_deref().map(|gateway| Checkout {
        gateway,
        media: &state.media,
    });
    let shop = place::Shop {
        db: &state.db,
        turns: &state.core.turns,
        config: &state.config,
        mail: &state.mail,
        cards,
    };
    let order = place::PlaceOrder {
        client,
        idempotency_key: key,
        request_hash: &request_hash,
        request: req,
    };
    match place::place(shop, order).await {
        Ok(Placement::Created { placed, body }) => {
            state.catalog_cache.invalidate();
            Ok(Answer {
                status: 201,
                body,
                outcome: Outcome::Placed(placed),
            })
        }
        Ok(Placement::Replay { status, body }) => Ok(Answer {
            status,
            body,
            outcome: Outcome::Replayed,
        }),
        Err(
            err @ (OrderError::Db(_)
            | OrderError::KeyReused
            | OrderError::KeyInProgress
            | OrderError::TooManyHolds { .. }
            | OrderError::Busy
            | OrderError::Payment(PaymentError::Provider(_))),
        ) => Err(ApiError::from(err)),
        Err(err) => {
            // A definite refusal (409, 404, 422) is the answer for this key from now on.
            let err = DomainError::from(err);
            let refusal = Refusal::of(&err);
            let response = ApiError::from(err).error_response();
            let status = response.status().as_u16();
            let problem = match response.into_body().try_into_bytes() {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(_) => String::new(),
            };
            state
                .core
                .refusals
                .remember(key, &request_hash, status, &problem)
                .await?;
            Ok(Answer {
                status,
                body: problem,
                outcome: Outcome::Refused(refusal),
            })
        }
    }
}
