//! Payment attempts: one row per Checkout Session, with what Stripe said about it.
use chrono::{DateTime, Utc};
use entity::{order, payment};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Value};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db;
use crate::money::stored_amount;

/// Where a payment attempt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    /// The order exists; Stripe has not yet answered.
    Creating,
    /// The buyer can pay at the checkout url.
    Open,
    /// Paid by a method that confirms later (bank debits).
    Processing,
    Paid,
    /// Session creation or an asynchronous payment failed.
    Failed,
    Expired,
    RefundPending,
    Refunded,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Creating => "creating",
            Self::Open => "open",
            Self::Processing => "processing",
            Self::Paid => "paid",
            Self::Failed => "failed",
            Self::Expired => "expired",
            Self::RefundPending => "refund_pending",
            Self::Refunded => "refunded",
        }
    }
}

/// A payment attempt for `o` that is about to ask Stripe for a session; written with the
/// order itself.
pub fn new_attempt(o: &order::Model) -> payment::Model {
    let now = Utc::now();
    payment::Model {
        id: db::new_id(),
        order_id: o.id.clone(),
        provider: "stripe".into(),
        session_id: None,
        payment_intent_id: None,
        checkout_url: None,
        amount_minor: o.amount_minor,
        currency: o.currency.clone(),
        status: PaymentStatus::Creating.as_str().into(),
        refund_id: None,
        amount_refunded_minor: 0,
        event_ids: "[]".into(),
        flag: None,
        created_at: now,
        updated_at: now,
    }
}

/// Changes to one attempt, with the Stripe event that caused them (if any) appended to its
/// list of event ids.
pub struct Update {
    set: Vec<(payment::Column, Value)>,
    event_id: Option<String>,
}

impl Update {
    pub fn new() -> Self {
        Self {
            set: Vec::new(),
            event_id: None,
        }
    }

    pub fn status(self, status: PaymentStatus) -> Self {
        self.set(payment::Column::Status, status.as_str())
    }

    pub fn flag(self, why: impl Into<String>) -> Self {
        self.set(payment::Column::Flag, why.into())
    }

    pub fn event(mut self, event_id: &str) -> Self {
        self.event_id = Some(event_id.to_string());
        self
    }

    pub fn set(mut self, column: payment::Column, value: impl Into<Value>) -> Self {
        self.set.push((column, value.into()));
        self
    }

    pub async fn apply(self, conn: &impl ConnectionTrait, p: &payment::Model) -> Result<(), DbErr> {
        let mut update = payment::Entity::update_many()
            .col_expr(payment::Column::UpdatedAt, Expr::value(Utc::now()));
        for (column, value) in self.set {
            update = update.col_expr(column, Expr::value(value));
        }
        if let Some(event_id) = self.event_id {
            let mut ids: Vec<String> = serde_json::from_str(&p.event_ids).unwrap_or_default();
            ids.push(event_id);
            let ids = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into());
            update = update.col_expr(payment::Column::EventIds, Expr::value(ids));
        }
        update
            .filter(payment::Column::Id.eq(p.id.as_str()))
            .exec(conn)
            .await?;
        Ok(())
    }
}

impl Default for Update {
    fn default() -> Self {
        Self::new()
    }
}

pub async fn by_session(
    conn: &impl ConnectionTrait,
    session_id: &str,
) -> Result<Option<payment::Model>, DbErr> {
    payment::Entity::find()
        .filter(payment::Column::SessionId.eq(session_id))
        .one(conn)
        .await
}

pub async fn by_payment_intent(
    conn: &impl ConnectionTrait,
    payment_intent: &str,
) -> Result<Option<payment::Model>, DbErr> {
    payment::Entity::find()
        .filter(payment::Column::PaymentIntentId.eq(payment_intent))
        .one(conn)
        .await
}

/// The Stripe page where the buyer can still pay, if a session is open.
pub async fn open_checkout_url(
    conn: &impl ConnectionTrait,
    order_id: &str,
) -> Result<Option<String>, DbErr> {
    Ok(payment::Entity::find()
        .filter(payment::Column::OrderId.eq(order_id))
        .filter(payment::Column::Status.eq(PaymentStatus::Open.as_str()))
        .order_by_desc(payment::Column::CreatedAt)
        .one(conn)
        .await?
        .and_then(|p| p.checkout_url))
}

/// The attempt that took the order's money, if any.
pub async fn captured(
    conn: &impl ConnectionTrait,
    order_id: &str,
) -> Result<Option<payment::Model>, DbErr> {
    payment::Entity::find()
        .filter(payment::Column::OrderId.eq(order_id))
        .filter(payment::Column::PaymentIntentId.is_not_null())
        .filter(payment::Column::Status.is_in([
            PaymentStatus::Paid.as_str(),
            PaymentStatus::RefundPending.as_str(),
        ]))
        .order_by_desc(payment::Column::CreatedAt)
        .one(conn)
        .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    pub id: String,
    pub provider: String,
    pub status: String,
    pub session_id: Option<String>,
    pub payment_intent_id: Option<String>,
    #[schema(value_type = String, pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "50.00")]
    pub amount: rust_decimal::Decimal,
    #[schema(pattern = "^[A-Z]{3}$", example = "USD")]
    pub currency: String,
    pub refund_id: Option<String>,
    #[schema(value_type = String, pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "0.00")]
    pub amount_refunded: rust_decimal::Decimal,
    /// Stripe events that touched this attempt, oldest first.
    pub event_ids: Vec<String>,
    /// Why an admin should look at this payment (amount mismatch, paid after the painting
    /// went to someone else …).
    pub flag: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn for_order(
    conn: &impl ConnectionTrait,
    order_id: &str,
) -> Result<Vec<PaymentView>, DbErr> {
    Ok(payment::Entity::find()
        .filter(payment::Column::OrderId.eq(order_id))
        .order_by_asc(payment::Column::CreatedAt)
        .order_by_asc(payment::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|p| PaymentView {
            amount: stored_amount(p.amount_minor, &p.currency),
            amount_refunded: stored_amount(p.amount_refunded_minor, &p.currency),
            event_ids: serde_json::from_str(&p.event_ids).unwrap_or_default(),
            id: p.id,
            provider: p.provider,
            status: p.status,
            session_id: p.session_id,
            payment_intent_id: p.payment_intent_id,
            currency: p.currency,
            refund_id: p.refund_id,
            flag: p.flag,
            created_at: p.created_at,
            updated_at: p.updated_at,
        })
        .collect())
}
