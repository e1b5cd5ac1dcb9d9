//! Starting a card payment for an order that has just reserved its painting. The order
//! commits first (so the painting is held while Stripe is asked); if Stripe fails, the order
//! is cancelled, the painting released and the Idempotency-Key freed, so nothing is left
//! holding the painting and a retry with the same key starts afresh.
use entity::{order, payment};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::records::{self, PaymentStatus, Update};
use super::stripe::{CheckoutRequest, Session};
use super::{PaymentError, StripeGateway, amount};
use crate::db;
use crate::ledger::entries::Ledger;
use crate::media::Media;
use crate::money::Currency;
use crate::notifications::{MailSettings, order_emails};
use crate::orders::reference::reference;
use crate::orders::state::{self, Actor, Change, OrderStatus};
use crate::orders::{OrderError, idempotency};

/// What starting a card payment needs.
#[derive(Clone, Copy)]
pub struct Checkout<'a> {
    pub gateway: &'a StripeGateway,
    pub media: &'a Media,
}

/// The painting's first photo for Stripe's page, when it is publicly reachable over https
/// (Stripe fetches it; a development url on 127.0.0.1 would be refused).
pub async fn cover_image(
    conn: &impl ConnectionTrait,
    media: &Media,
    artwork_id: &str,
) -> Result<Option<String>, sea_orm::DbErr> {
    let photos = crate::media::images::for_artworks(conn, media, vec![artwork_id.to_string()])
        .await?
        .remove(artwork_id)
        .unwrap_or_default();
    Ok(photos
        .into_iter()
        .next()
        .map(|p| p.variants.large)
        .filter(|url| url.starts_with("https://")))
}

/// The amount Stripe will charge, checked before the painting is reserved.
pub fn unit_amount(o: &order::Model) -> Result<i64, PaymentError> {
    let currency = Currency::parse(&o.currency).map_err(|e| PaymentError::Amount(e.to_string()))?;
    amount::to_stripe(o.amount_minor, currency)
}

pub async fn create_session(
    gateway: &StripeGateway,
    o: &order::Model,
    access_token: &str,
    image_url: Option<String>,
) -> Result<Session, PaymentError> {
    gateway
        .create_checkout(&CheckoutRequest {
            order_id: &o.id,
            reference: &reference(&o.id),
            access_token,
            title: &o.artwork_title,
            artist: &o.artist_name,
            image_url,
            unit_amount: unit_amount(o)?,
            currency: &o.currency,
            buyer_email: &crate::vault::open(&o.buyer_email)?,
            expires_at: o.expires_at,
        })
        .await
}

/// Records the open session on the attempt (inside the caller's transaction).
pub async fn opened(
    conn: &impl ConnectionTrait,
    attempt: &payment::Model,
    session: &Session,
) -> Result<(), sea_orm::DbErr> {
    Update::new()
        .status(PaymentStatus::Open)
        .set(entity::payment::Column::SessionId, session.id.clone())
        .set(entity::payment::Column::CheckoutUrl, session.url.clone())
        .apply(conn, attempt)
        .await
}

/// Stripe could not start the payment: undo the order without telling anyone (the buyer
/// gets the error at once), and free the key for a retry.
pub async fn abandon(
    db: &DatabaseConnection,
    mail: &MailSettings,
    o: &order::Model,
    attempt: &payment::Model,
    idempotency_key: &str,
) -> Result<(), OrderError> {
    let txn = db::begin_write(db).await?;
    let change = Change::new(OrderStatus::Cancelled, Actor::System)
        .reason(crate::orders::state::Reason::CardNotStarted)
        .quiet();
    let changed = state::transition(&txn, &Ledger, o, change).await?;
    order_emails::on_transition(&txn, mail, &changed).await?;
    Update::new()
        .status(PaymentStatus::Failed)
        .flag("Stripe did not create the checkout session")
        .apply(&txn, attempt)
        .await?;
    idempotency::release(&txn, idempotency_key).await?;
    txn.commit().await?;
    Ok(())
}

pub use records::new_attempt;
