//! The buyer's view of their order: what they see behind their link, with no address (it
//! stays in admin responses and emails).
use chrono::{DateTime, Utc};
use entity::{order, order_history};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;

use super::OrderError;
use super::reference::reference;
use super::state::{OrderStatus, status_of};
use super::views::{OrderSummary, manual_instructions, pay_by, payment_method_schema, summary};
use crate::auth::token;
use crate::config::Config;
use crate::organisation::{Contact, PaymentOption};
use crate::payments::records;

#[derive(Debug, Serialize, ToSchema)]
pub struct Tracking {
    pub carrier: String,
    pub tracking_number: String,
    /// The carrier's page for this parcel, for a carrier Hunar knows; none for another.
    pub url: Option<String>,
}

/// The buyer's view: no address (it stays in admin responses and emails).
#[derive(Debug, Serialize, ToSchema)]
pub struct BuyerOrderView {
    #[serde(flatten)]
    pub order: OrderSummary,
    pub reference: String,
    pub artwork_title: String,
    pub artist: String,
    #[schema(schema_with = payment_method_schema)]
    pub payment_method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, required = false)]
    pub instructions: Option<String>,
    /// While a manual order waits for payment: the ways to pay it, in its currency (the
    /// same as `instructions`, field by field, for a page to lay out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub payment_options: Vec<PaymentOption>,
    /// The language the buyer ordered in.
    pub language: String,
    /// The buyer's time zone, when known: times on their page are in it.
    pub time_zone: Option<String>,
    /// Who runs the shop and how to reach them.
    pub contact: Contact,
    /// When the buyer said they had paid (the coordinator still confirms the money).
    pub paid_claimed_at: Option<DateTime<Utc>>,
    /// While a manual order waits for payment: the one deadline its buyer is given (the full
    /// hold's end, also while the address is still to be confirmed).
    pub pay_by: Option<DateTime<Utc>>,
    /// While a card order waits for payment: Stripe's page, to finish paying.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, required = false)]
    pub checkout_url: Option<String>,
    pub tracking: Option<Tracking>,
    /// A manual order's hold is short until the buyer confirms their address with the link in
    /// the first email; then it runs until this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, format = DateTime, required = false)]
    pub hold_after_email_confirmation: Option<DateTime<Utc>>,
    /// An order that waited for its buyer's confirmation and ended without ever holding
    /// its painting: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub ended_before_holding: Option<EndedBeforeHolding>,
    pub paid_at: Option<DateTime<Utc>>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndedBeforeHolding {
    /// The email address was not confirmed in time.
    NotConfirmed,
    /// Another supporter bought the painting before the address was confirmed.
    SoldMeanwhile,
}

/// Why an ended order never held its painting, from the reason its history gives.
async fn ended_before_holding(
    db: &DatabaseConnection,
    o: &order::Model,
) -> Result<Option<EndedBeforeHolding>, OrderError> {
    use super::state::Reason;
    if status_of(o) != OrderStatus::Expired || o.hold_confirmed_at.is_some() {
        return Ok(None);
    }
    let last = order_history::Entity::find()
        .filter(order_history::Column::OrderId.eq(o.id.as_str()))
        .filter(order_history::Column::ToStatus.eq(OrderStatus::Expired.as_str()))
        .one(db)
        .await?;
    Ok(
        match last
            .and_then(|row| row.reason)
            .as_deref()
            .and_then(Reason::read)
        {
            Some((Reason::NotConfirmed, _)) => Some(EndedBeforeHolding::NotConfirmed),
            Some((Reason::SoldBeforeConfirmed, _)) => Some(EndedBeforeHolding::SoldMeanwhile),
            _ => None,
        },
    )
}

/// A wrong token looks exactly like a missing order.
pub async fn for_buyer(
    db: &DatabaseConnection,
    config: &Config,
    id: &str,
    access_token: &str,
) -> Result<BuyerOrderView, OrderError> {
    let o = order::Entity::find_by_id(id.to_string())
        .filter(order::Column::AccessTokenHash.eq(token::digest(access_token)))
        .one(db)
        .await?
        .ok_or(OrderError::NotFound("order"))?;
    let status = status_of(&o);
    let pending_manual = status == OrderStatus::PendingPayment && o.payment_method == "manual";
    let org = crate::organisation::load(db, &config.shop_name).await?;
    let checkout_url = if status == OrderStatus::PendingPayment {
        records::open_checkout_url(db, &o.id).await?
    } else {
        None
    };
    Ok(BuyerOrderView {
        checkout_url,
        order: summary(&o),
        reference: reference(&o.id),
        instructions: pending_manual.then(|| manual_instructions(config, &org, &o)),
        payment_options: if pending_manual {
            org.options_for(&o.currency).into_iter().cloned().collect()
        } else {
            Vec::new()
        },
        language: o.language.clone(),
        time_zone: o.time_zone.clone(),
        contact: org.contact.clone(),
        paid_claimed_at: o.paid_claimed_at,
        pay_by: pending_manual.then(|| pay_by(config, &o)),
        hold_after_email_confirmation: (pending_manual && o.hold_confirmed_at.is_none()).then(
            || o.created_at + chrono::Duration::days(i64::from(config.manual_reservation_days)),
        ),
        tracking: match (&o.carrier, &o.tracking_number) {
            (Some(carrier), Some(number)) => Some(Tracking {
                url: super::carriers::tracking_url(carrier, number),
                carrier: carrier.clone(),
                tracking_number: number.clone(),
            }),
            _ => None,
        },
        ended_before_holding: ended_before_holding(db, &o).await?,
        artwork_title: o.artwork_title,
        artist: o.artist_name,
        payment_method: o.payment_method,
        paid_at: o.paid_at,
        shipped_at: o.shipped_at,
        delivered_at: o.delivered_at,
    })
}
