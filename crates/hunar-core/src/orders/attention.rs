//! What needs a person now: paid orders to ship, manual orders waiting for the buyer's
//! transfer, card payments Stripe's events flagged for a look, and emails that could not be
//! delivered. The console's first page; each item links to the thing to do.
use chrono::{DateTime, Duration, Utc};
use entity::{order, outbox, payment};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;

use super::OrderError;
use super::reference::reference;
use super::status::OrderStatus;
use super::views::AdminOrderView;
use crate::notifications::outbox::{FAILED, OutboxView};

/// How many of each kind the page lists; the count says how many there are in all.
const SHOWN: u64 = 20;
/// A flag older than this has been seen to (the order page keeps it for good).
const FLAG_DAYS: i64 = 30;

#[derive(Debug, Serialize)]
pub struct Waiting<T> {
    pub items: Vec<T>,
    pub total: u64,
}

#[derive(Debug, Serialize)]
pub struct FlaggedPayment {
    pub order_id: String,
    pub reference: String,
    pub flag: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct Attention {
    /// Paid, not yet shipped: oldest first, the longest wait on top.
    pub to_ship: Waiting<AdminOrderView>,
    /// Manual orders waiting for the buyer's payment, oldest first.
    pub awaiting_payment: Waiting<AdminOrderView>,
    /// Of those, the ones whose buyer says they paid: look for the money.
    pub said_paid: Waiting<AdminOrderView>,
    /// Money that arrived after the hold ended, for a painting sold meanwhile: refund the
    /// buyer or give them another painting. Each stays here until one of the two is done.
    pub late_payments: Waiting<AdminOrderView>,
    pub flagged_payments: Waiting<FlaggedPayment>,
    pub failed_emails: Waiting<OutboxView>,
    /// Emails by where they stand: what "every email went out" may only say when true.
    pub emails: EmailCounts,
}

#[derive(Debug, Serialize)]
pub struct EmailCounts {
    /// Waiting in the outbox to be sent (or being sent), held back by a daily cap included.
    pub waiting: u64,
    pub failed: u64,
    /// Sent in the last seven days.
    pub sent_this_week: u64,
}

impl Attention {
    pub fn is_empty(&self) -> bool {
        self.to_ship.total == 0
            && self.awaiting_payment.total == 0
            && self.late_payments.total == 0
            && self.flagged_payments.total == 0
            && self.failed_emails.total == 0
    }
}

async fn orders(
    db: &DatabaseConnection,
    select: sea_orm::Select<order::Entity>,
) -> Result<Waiting<AdminOrderView>, OrderError> {
    let (total, rows) = futures_util::try_join!(
        select.clone().count(db),
        select
            .order_by_asc(order::Column::CreatedAt)
            .order_by_asc(order::Column::Id)
            .limit(SHOWN)
            .all(db),
    )?;
    let items = rows
        .into_iter()
        .map(AdminOrderView::open)
        .collect::<Result<_, _>>()?;
    Ok(Waiting { items, total })
}

pub async fn now(db: &DatabaseConnection) -> Result<Attention, OrderError> {
    let pending_manual = || {
        order::Entity::find()
            .filter(order::Column::Status.eq(OrderStatus::PendingPayment.as_str()))
            .filter(order::Column::PaymentMethod.eq("manual"))
    };
    let (said_paid, late_payments) = futures_util::try_join!(
        orders(
            db,
            pending_manual().filter(order::Column::PaidClaimedAt.is_not_null())
        ),
        orders(
            db,
            order::Entity::find()
                .filter(order::Column::Status.eq(OrderStatus::Expired.as_str()))
                .filter(order::Column::LatePaymentAt.is_not_null()),
        ),
    )?;
    let (to_ship, awaiting_payment, flagged_payments, failed_emails) = futures_util::try_join!(
        orders(
            db,
            order::Entity::find().filter(order::Column::Status.eq(OrderStatus::Paid.as_str())),
        ),
        // Those whose buyer said they paid are listed under `said_paid` only.
        orders(
            db,
            pending_manual().filter(order::Column::PaidClaimedAt.is_null())
        ),
        flagged(db),
        failed(db),
    )?;
    let count = |statuses: &'static [&'static str], since: Option<DateTime<Utc>>| {
        let mut select =
            outbox::Entity::find().filter(outbox::Column::Status.is_in(statuses.iter().copied()));
        if let Some(since) = since {
            select = select.filter(outbox::Column::CreatedAt.gte(since));
        }
        select.count(db)
    };
    use crate::notifications::outbox::{PENDING, SENDING, SENT, SUPPRESSED};
    let (waiting, sent_this_week) = futures_util::try_join!(
        count(&[PENDING, SENDING, SUPPRESSED], None),
        count(&[SENT], Some(Utc::now() - Duration::days(7))),
    )?;
    let emails = EmailCounts {
        waiting,
        failed: failed_emails.total,
        sent_this_week,
    };
    Ok(Attention {
        emails,
        to_ship,
        awaiting_payment,
        said_paid,
        late_payments,
        flagged_payments,
        failed_emails,
    })
}

async fn flagged(db: &DatabaseConnection) -> Result<Waiting<FlaggedPayment>, OrderError> {
    let flagged = payment::Entity::find()
        .filter(payment::Column::Flag.is_not_null())
        .filter(payment::Column::UpdatedAt.gt(Utc::now() - Duration::days(FLAG_DAYS)));
    let flagged_total = flagged.clone().count(db).await?;
    let flagged_payments = Waiting {
        items: flagged
            .order_by_desc(payment::Column::UpdatedAt)
            .limit(SHOWN)
            .all(db)
            .await?
            .into_iter()
            .map(|p| FlaggedPayment {
                reference: reference(&p.order_id),
                order_id: p.order_id,
                flag: p.flag.unwrap_or_default(),
                at: p.updated_at,
            })
            .collect(),
        total: flagged_total,
    };
    Ok(flagged_payments)
}

async fn failed(db: &DatabaseConnection) -> Result<Waiting<OutboxView>, OrderError> {
    let failed = outbox::Entity::find().filter(outbox::Column::Status.eq(FAILED));
    let failed_total = failed.clone().count(db).await?;
    let failed_emails = Waiting {
        items: failed
            .order_by_desc(outbox::Column::CreatedAt)
            .limit(SHOWN)
            .all(db)
            .await?
            .into_iter()
            .map(OutboxView::open)
            .collect::<Result<_, _>>()?,
        total: failed_total,
    };
    Ok(failed_emails)
}
