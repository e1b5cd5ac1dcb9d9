//! The order state machine: the one place where an order changes status. Each change is a
//! conditional update (so two processes cannot both make it), recorded in the order's
//! history, mirrored on the artwork, and announced as an event in the same transaction.
//! It knows nothing of emails: it returns what changed, and the caller that owns the
//! transaction asks `notifications::order_emails` for the letters that change calls for.
use std::fmt;

use chrono::Utc;
use entity::{artwork, event, order, order_history};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    Value,
};

use super::OrderError;
pub use super::status::OrderStatus;
use crate::catalog::ArtworkStatus;
use crate::db;

/// Who made a change, as recorded in the order history.
#[derive(Debug, Clone)]
pub enum Actor {
    Buyer,
    System,
    Admin(String),
    Stripe(String),
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Buyer => f.write_str("buyer"),
            Self::System => f.write_str("system"),
            Self::Admin(id) => write!(f, "admin:{id}"),
            Self::Stripe(event_id) => write!(f, "stripe:{event_id}"),
        }
    }
}

/// Why Hunar itself changed an order, as its history stores it: an English sentence (the
/// API's `reason`, read by people and logs), and `: ` and what the change was about (a
/// payment's reference) when there is one. A coordinator's own words, such as a
/// cancellation's reason, are stored as written and are none of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    ManualPaid,
    ManualPaidLate,
    LatePaymentReturned,
    LatePaymentKept,
    ExpiredUnpaid,
    CardNotStarted,
    CardPaid,
    CardPaidLate,
    CardFailed,
    CheckoutExpired,
    RefundConfirmed,
    EmailConfirmed,
    NotConfirmed,
    SoldBeforeConfirmed,
}

impl Reason {
    const ALL: [Self; 14] = [
        Self::ManualPaid,
        Self::ManualPaidLate,
        Self::LatePaymentReturned,
        Self::LatePaymentKept,
        Self::ExpiredUnpaid,
        Self::CardNotStarted,
        Self::CardPaid,
        Self::CardPaidLate,
        Self::CardFailed,
        Self::CheckoutExpired,
        Self::RefundConfirmed,
        Self::EmailConfirmed,
        Self::NotConfirmed,
        Self::SoldBeforeConfirmed,
    ];

    pub fn sentence(self) -> &'static str {
        match self {
            Self::ManualPaid => "manual payment confirmed",
            Self::ManualPaidLate => "manual payment arrived after the hold ended",
            Self::LatePaymentReturned => "late payment returned",
            Self::LatePaymentKept => "late payment kept for another painting",
            Self::ExpiredUnpaid => "reservation expired unpaid",
            Self::CardNotStarted => "the card payment could not be started at Stripe",
            Self::CardPaid => "card payment confirmed by Stripe",
            Self::CardPaidLate => {
                "paid just after the reservation expired; the painting was still free"
            }
            Self::CardFailed => "the card payment failed",
            Self::CheckoutExpired => "the Stripe checkout session expired unpaid",
            Self::RefundConfirmed => "refund confirmed by Stripe",
            Self::EmailConfirmed => "the buyer confirmed their email address; the painting is held",
            Self::NotConfirmed => {
                "the buyer did not confirm their email address in time; the painting was never held"
            }
            Self::SoldBeforeConfirmed => {
                "the painting was no longer for sale when the buyer confirmed their email address"
            }
        }
    }

    /// A name for translations: `manual-paid`, `card-failed` …
    pub fn code(self) -> &'static str {
        match self {
            Self::ManualPaid => "manual-paid",
            Self::ManualPaidLate => "manual-paid-late",
            Self::LatePaymentReturned => "late-payment-returned",
            Self::LatePaymentKept => "late-payment-kept",
            Self::ExpiredUnpaid => "expired-unpaid",
            Self::CardNotStarted => "card-not-started",
            Self::CardPaid => "card-paid",
            Self::CardPaidLate => "card-paid-late",
            Self::CardFailed => "card-failed",
            Self::CheckoutExpired => "checkout-expired",
            Self::RefundConfirmed => "refund-confirmed",
            Self::EmailConfirmed => "email-confirmed",
            Self::NotConfirmed => "not-confirmed",
            Self::SoldBeforeConfirmed => "sold-before-confirmed",
        }
    }

    /// The stored text for this reason about `detail`.
    pub fn about(self, detail: &str) -> String {
        format!("{}: {detail}", self.sentence())
    }

    /// Which reason a stored history line gives, and what it is about; None for a
    /// coordinator's own words.
    pub fn read(stored: &str) -> Option<(Self, Option<&str>)> {
        Self::ALL.into_iter().find_map(|reason| {
            let rest = stored.strip_prefix(reason.sentence())?;
            if rest.is_empty() {
                Some((reason, None))
            } else {
                rest.strip_prefix(": ").map(|detail| (reason, Some(detail)))
            }
        })
    }
}

impl From<Reason> for String {
    fn from(reason: Reason) -> Self {
        reason.sentence().to_string()
    }
}

/// A requested change: target status, who, why, and the columns that come with it.
pub struct Change {
    pub to: OrderStatus,
    pub actor: Actor,
    pub reason: Option<String>,
    pub set: Vec<(order::Column, Value)>,
    /// For a cancelled paid order: put the painting back on sale.
    pub release_artwork: bool,
    /// Send the emails that follow this change (off when the buyer never heard of the order).
    pub notify: bool,
    /// Only if the order's hold ended by then (the expiry sweep: a hold extended since it was
    /// read is left alone).
    pub due_by: Option<chrono::DateTime<Utc>>,
}

impl Change {
    pub fn new(to: OrderStatus, actor: Actor) -> Self {
        Self {
            to,
            actor,
            reason: None,
            set: Vec::new(),
            release_artwork: true,
            notify: true,
            due_by: None,
        }
    }

    pub fn if_due_by(mut self, now: chrono::DateTime<Utc>) -> Self {
        self.due_by = Some(now);
        self
    }

    pub fn quiet(mut self) -> Self {
        self.notify = false;
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    pub fn set(mut self, column: order::Column, value: impl Into<Value>) -> Self {
        self.set.push((column, value.into()));
        self
    }
}

pub fn status_of(order: &order::Model) -> OrderStatus {
    OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Cancelled)
}

async fn move_artwork(
    conn: &impl ConnectionTrait,
    artwork_id: &str,
    from: &[ArtworkStatus],
    to: ArtworkStatus,
) -> Result<u64, OrderError> {
    let result = artwork::Entity::update_many()
        .col_expr(artwork::Column::Status, Expr::value(to.as_str()))
        .col_expr(artwork::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(artwork::Column::Id.eq(artwork_id))
        .filter(artwork::Column::Status.is_in(from.iter().map(|s| s.as_str())))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// The history row for a status change (`from` None: the order's first row).
pub fn history_row(
    order_id: &str,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor: &Actor,
    reason: Option<&str>,
    at: chrono::DateTime<Utc>,
) -> order_history::ActiveModel {
    order_history::ActiveModel {
        id: Set(db::new_id()),
        order_id: Set(order_id.to_string()),
        from_status: Set(from.map(|s| s.as_str().to_string())),
        to_status: Set(to.as_str().to_string()),
        actor: Set(actor.to_string()),
        reason: Set(reason.map(str::to_string)),
        created_at: Set(at),
    }
}

/// Records a status change of an order that is being created or changed in `conn`'s
/// transaction. `from` is None for a new order.
pub async fn record(
    conn: &impl ConnectionTrait,
    order_id: &str,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor: &Actor,
    reason: Option<&str>,
) -> Result<(), OrderError> {
    let now = Utc::now();
    history_row(order_id, from, to, actor, reason, now)
        .insert(conn)
        .await?;
    // What must follow a change (emails, refunds) reads these rows; writing them in the same
    // transaction as the change means neither can exist without the other.
    if from.is_some() {
        event::ActiveModel {
            id: Set(db::new_id()),
            kind: Set(format!("order.{to}")),
            order_id: Set(order_id.to_string()),
            payload: Set(serde_json::json!({
                "from": from.map(|s| s.as_str()),
                "to": to.as_str(),
                "actor": actor.to_string(),
            })
            .to_string()),
            created_at: Set(now),
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// What a transition did: the order as it is now, and what the change means for the people
/// who hear of it.
#[must_use = "a change may call for emails: pass it to notifications::order_emails::on_transition"]
pub struct Transitioned {
    pub order: order::Model,
    pub from: OrderStatus,
    pub to: OrderStatus,
    pub reason: Option<String>,
    /// Whether the emails that follow this change are sent (see `Change::quiet`).
    pub notify: bool,
}

/// What follows a change of an order in the artist's account, in the same transaction. The
/// ledger keeps it (`ledger::entries::Ledger`); the state machine knows only this.
pub trait Accounts {
    /// The order is paid: the sale and the artist's share are credited.
    fn sold(
        &self,
        conn: &impl ConnectionTrait,
        order: &order::Model,
        by: &str,
    ) -> impl Future<Output = Result<(), sea_orm::DbErr>>;

    /// The order was cancelled or refunded: what its sale credited is undone.
    fn unsold(
        &self,
        conn: &impl ConnectionTrait,
        order_id: &str,
        by: &str,
        why: &str,
    ) -> impl Future<Output = Result<(), sea_orm::DbErr>>;
}

/// Applies `change` to `order` inside the caller's transaction; `accounts` follow it there.
pub async fn transition(
    conn: &impl ConnectionTrait,
    accounts: &impl Accounts,
    order: &order::Model,
    change: Change,
) -> Result<Transitioned, OrderError> {
    let from = status_of(order);
    let to = change.to;
    if !from.can_become(to) {
        return Err(OrderError::IllegalTransition { from, to });
    }
    take_if_free(conn, order, from, to).await?;
    let now = Utc::now();
    let mut update = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(to.as_str()))
        .col_expr(order::Column::UpdatedAt, Expr::value(now));
    for (column, value) in change.set.iter().cloned() {
        update = update.col_expr(column, Expr::value(value));
    }
    if matches!(
        to,
        OrderStatus::Expired | OrderStatus::Cancelled | OrderStatus::Refunded
    ) {
        update = update.col_expr(order::Column::ClosedAt, Expr::value(now));
    } else if from == OrderStatus::Expired {
        update = update.col_expr(
            order::Column::ClosedAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        );
    }
    if let Some(due_by) = change.due_by {
        update = update.filter(order::Column::ExpiresAt.lte(due_by));
    }
    let result = update
        .filter(order::Column::Id.eq(order.id.as_str()))
        .filter(order::Column::Status.eq(from.as_str()))
        .exec(conn)
        .await?;
    if result.rows_affected == 0 {
        // Someone else moved it first; report against what it is now.
        let current = order::Entity::find_by_id(order.id.clone())
            .one(conn)
            .await?
            .ok_or(OrderError::NotFound("order"))?;
        return Err(OrderError::IllegalTransition {
            from: status_of(&current),
            to,
        });
    }

    follow(conn, accounts, order, (from, to), &change).await?;
    record(
        conn,
        &order.id,
        Some(from),
        to,
        &change.actor,
        change.reason.as_deref(),
    )
    .await?;
    let updated = order::Entity::find_by_id(order.id.clone())
        .one(conn)
        .await?
        .ok_or(OrderError::NotFound("order"))?;
    Ok(Transitioned {
        order: updated,
        from,
        to,
        reason: change.reason,
        notify: change.notify,
    })
}

/// An order that does not hold its painting (it ran out, or it waited for its buyer) takes
/// it as it moves on, if the painting is still free.
async fn take_if_free(
    conn: &impl ConnectionTrait,
    order: &order::Model,
    from: OrderStatus,
    to: OrderStatus,
) -> Result<(), OrderError> {
    use ArtworkStatus as A;
    use OrderStatus as O;
    // An order that does not hold its painting takes it now, if it is still free.
    let takes = match (from, to) {
        (O::Expired | O::AwaitingConfirmation, O::Paid) => Some(A::Sold),
        (O::AwaitingConfirmation, O::PendingPayment) => Some(A::Reserved),
        _ => None,
    };
    if let Some(taken) = takes
        && move_artwork(conn, &order.artwork_id, &[A::Available], taken).await? == 0
    {
        // Taken by another buyer (or withdrawn) since the reservation ran out, or before
        // this buyer confirmed.
        let status = artwork::Entity::find_by_id(order.artwork_id.clone())
            .one(conn)
            .await?
            .map_or_else(|| "gone".to_string(), |a| a.status);
        return Err(OrderError::ArtworkUnavailable(status));
    }
    Ok(())
}

/// What follows a change, in the same transaction: the painting's status, and the artist's
/// account.
async fn follow(
    conn: &impl ConnectionTrait,
    accounts: &impl Accounts,
    order: &order::Model,
    (from, to): (OrderStatus, OrderStatus),
    change: &Change,
) -> Result<(), OrderError> {
    use ArtworkStatus as A;
    match (from, to) {
        (OrderStatus::PendingPayment, OrderStatus::Paid) => {
            move_artwork(conn, &order.artwork_id, &[A::Reserved], A::Sold).await?;
        }
        (OrderStatus::PendingPayment, OrderStatus::Expired | OrderStatus::Cancelled) => {
            move_artwork(conn, &order.artwork_id, &[A::Reserved], A::Available).await?;
        }
        (OrderStatus::Paid, OrderStatus::Cancelled) if change.release_artwork => {
            move_artwork(conn, &order.artwork_id, &[A::Sold], A::Available).await?;
        }
        _ => {}
    }
    // The artist's account moves with the order, in the same transaction.
    let by = change.actor.to_string();
    match to {
        OrderStatus::Paid => accounts.sold(conn, order, &by).await?,
        OrderStatus::Cancelled | OrderStatus::Refunded => {
            let why = format!("order {to}");
            accounts.unsold(conn, &order.id, &by, &why).await?;
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod reason_tests {
    use super::Reason;

    #[test]
    fn every_reason_reads_back_with_and_without_what_it_is_about() {
        for reason in Reason::ALL {
            assert_eq!(Reason::read(reason.sentence()), Some((reason, None)));
            let stored = reason.about("HN-1: 42 € \"x\"");
            assert_eq!(
                Reason::read(&stored),
                Some((reason, Some("HN-1: 42 € \"x\"")))
            );
        }
        assert_eq!(Reason::read("the buyer asked to cancel"), None);
        assert_eq!(Reason::read("manual payment confirmedly"), None);
        let codes: std::collections::HashSet<_> = Reason::ALL.map(Reason::code).into();
        assert_eq!(codes.len(), Reason::ALL.len());
    }
}
