//! Releases paintings whose reservation ran out: unpaid card orders after
//! CARD_RESERVATION_MINUTES, manual ones after MANUAL_RESERVATION_DAYS; and ends orders
//! that waited for their buyer's confirmation in vain (they hold no painting). Safe with several
//! processes: each expiry is a conditional update, so only one process makes it.
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::order;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::state::{self, Actor, Change, OrderStatus};
use super::{OrderError, idempotency};
use crate::catalog::cache::CatalogCache;
use crate::db;
use crate::ledger::entries::Ledger;
use crate::notifications::{MailSettings, order_emails};

const BATCH: u64 = 100;

/// Expires every pending order due by `now`; returns how many this call expired.
pub async fn expire_due(
    db: &DatabaseConnection,
    mail: &MailSettings,
    now: DateTime<Utc>,
) -> Result<usize, OrderError> {
    let mut expired = 0;
    loop {
        let due = order::Entity::find()
            .filter(order::Column::Status.is_in([
                OrderStatus::PendingPayment.as_str(),
                OrderStatus::AwaitingConfirmation.as_str(),
            ]))
            .filter(order::Column::ExpiresAt.lte(now))
            .order_by_asc(order::Column::ExpiresAt)
            .limit(BATCH)
            .all(db)
            .await?;
        let batch = due.len();
        for candidate in due {
            let txn = db::begin_write(db).await?;
            let change = Change::new(OrderStatus::Expired, Actor::System).if_due_by(now);
            // An order that never held its painting ends without a word: its buyer did not
            // take the one step asked of them, and the painting was for sale all along.
            let change = if state::status_of(&candidate) == OrderStatus::AwaitingConfirmation {
                change.reason(super::state::Reason::NotConfirmed).quiet()
            } else {
                change.reason(super::state::Reason::ExpiredUnpaid)
            };
            match state::transition(&txn, &Ledger, &candidate, change).await {
                Ok(changed) => {
                    order_emails::on_transition(&txn, mail, &changed).await?;
                    txn.commit().await?;
                    expired += 1;
                }
                // Paid, cancelled or expired by someone else meanwhile: nothing to do.
                Err(OrderError::IllegalTransition { .. }) => txn.rollback().await?,
                Err(e) => return Err(e),
            }
        }
        if (batch as u64) < BATCH {
            return Ok(expired);
        }
    }
}

/// The background sweep, started with the server. A released painting is for sale again, so
/// the kept catalog pages are emptied when any was.
pub fn spawn(
    db: DatabaseConnection,
    mail: MailSettings,
    catalog_cache: CatalogCache,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match expire_due(&db, &mail, Utc::now()).await {
                Ok(0) => {}
                Ok(n) => {
                    catalog_cache.invalidate();
                    tracing::info!(expired = n, "released unpaid reservations");
                }
                Err(err) => tracing::warn!(error = %err, "reservation sweep failed; will retry"),
            }
            // A day's notice: enough to pay by Swish, or to say the transfer is on its way.
            match super::claims::remind_due(&db, &mail, Utc::now(), chrono::Duration::hours(24))
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(reminded = n, "reminded buyers that their holds end soon"),
                Err(err) => tracing::warn!(error = %err, "hold reminders failed; will retry"),
            }
            if let Err(err) = idempotency::sweep(&db).await {
                tracing::warn!(error = %err, "idempotency key sweep failed");
            }
        }
    })
}
