//! What can go wrong with an order, and how each answer reads over HTTP.
use sea_orm::DbErr;

use super::status::OrderStatus;
use crate::catalog::CatalogError;
use crate::error::{DomainError, FieldErrors};
use crate::payments::PaymentError;

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Invalid(#[from] FieldErrors),
    #[error("this painting is {0} and cannot be ordered")]
    ArtworkUnavailable(String),
    #[error("an order cannot go from {from} to {to}")]
    IllegalTransition { from: OrderStatus, to: OrderStatus },
    /// A payment recorded for an order whose hold ended while its painting was sold to
    /// someone else: kept on the order, for a refund or another painting.
    #[error(
        "the payment is recorded, but the painting was sold to someone else after this order's hold ended: refund the buyer or give them another painting"
    )]
    PaintingSoldMeanwhile,
    #[error("{0}")]
    NotAllowed(String),
    /// Its buyer is still needed: the painting is on its way, or money is to be paid back.
    #[error(
        "this order is still open (its buyer may still need to be reached): erase the buyer once it is delivered, cancelled or expired"
    )]
    StillOpen,
    #[error("this Idempotency-Key was already used with a different request body")]
    KeyReused,
    #[error("a request with this Idempotency-Key is still being processed; retry shortly")]
    KeyInProgress,
    /// This client, or this buyer address, already holds as many unpaid paintings as allowed.
    #[error("too many paintings are already held unpaid by this {by}")]
    TooManyHolds {
        by: &'static str,
        retry_after_secs: u64,
    },
    /// Several orders from one client raced for its last free hold; a retry decides.
    #[error("other orders from this client are being placed right now; retry in a moment")]
    Busy,
    #[error(transparent)]
    Payment(#[from] PaymentError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<CatalogError> for OrderError {
    fn from(err: CatalogError) -> Self {
        match err {
            CatalogError::NotFound(what) => Self::NotFound(what),
            CatalogError::Invalid(errors) => Self::Invalid(errors),
            CatalogError::Db(e) => Self::Db(e),
            other => Self::NotAllowed(other.to_string()),
        }
    }
}

impl From<OrderError> for DomainError {
    fn from(err: OrderError) -> Self {
        match err {
            OrderError::NotFound(what) => DomainError::NotFound(what),
            OrderError::Invalid(errors) => DomainError::Validation(errors),
            OrderError::ArtworkUnavailable(_) => {
                DomainError::conflict("artwork_unavailable", err.to_string())
            }
            OrderError::IllegalTransition { .. } => {
                DomainError::conflict("illegal_transition", err.to_string())
            }
            OrderError::NotAllowed(detail) => DomainError::conflict("not_allowed", detail),
            OrderError::StillOpen => DomainError::conflict("order_open", err.to_string()),
            OrderError::PaintingSoldMeanwhile => {
                DomainError::conflict("painting_sold_meanwhile", err.to_string())
            }
            OrderError::KeyReused => {
                DomainError::conflict("idempotency_key_reused", err.to_string())
            }
            OrderError::KeyInProgress => {
                DomainError::conflict("idempotency_key_in_progress", err.to_string())
            }
            OrderError::TooManyHolds {
                by,
                retry_after_secs,
            } => DomainError::Limited {
                code: "too_many_open_holds",
                detail: format!(
                    "this {} already holds as many unpaid paintings as allowed; pay for one, \
                     or wait until a hold ends",
                    if by == "email" {
                        "email address"
                    } else {
                        "connection"
                    }
                ),
                retry_after_secs,
            },
            OrderError::Busy => DomainError::Limited {
                code: "busy",
                detail: err.to_string(),
                retry_after_secs: 1,
            },
            OrderError::Payment(PaymentError::Amount(detail)) => {
                DomainError::Validation(FieldErrors::single("payment_method", detail))
            }
            OrderError::Payment(err @ PaymentError::Provider(_)) => {
                DomainError::BadGateway(err.to_string())
            }
            OrderError::Payment(PaymentError::Db(e)) | OrderError::Db(e) => e.into(),
        }
    }
}
