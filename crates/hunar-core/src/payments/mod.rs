//! Card payments through Stripe Checkout: card data never touches Hunar. `stripe` talks to
//! Stripe, `records` keeps one row per payment attempt, `checkout` starts a payment for a
//! placed order, `refunds` gives money back, `webhook` turns Stripe's signed events into
//! order changes.
pub mod amount;
pub mod checkout;
pub mod records;
pub mod refunds;
pub mod stripe;
pub mod webhook;

pub use self::stripe::StripeGateway;

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// Stripe refused the request or could not be reached; what Stripe said is logged.
    #[error("the card payment provider did not answer as expected; please try again")]
    Provider(String),
    #[error("{0}")]
    Amount(String),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}
