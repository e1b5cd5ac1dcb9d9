//! A buyer's personal data is kept only while it is needed: `BUYER_DATA_DAYS` after an order
//! ended (delivered, cancelled, expired, refunded) an hourly sweep erases the buyer's name,
//! email, phone, address and note from the order, from the emails kept in the outbox for it,
//! and the address's confirmation unless another order still needs it. A coordinator can do
//! the same at once (a person's request under the GDPR). The order keeps its reference, painting, amounts, country and dates, so
//! the ledger and the accounts stay whole.
use chrono::{DateTime, Duration, Utc};
use entity::{email_confirmation, order, order_history, outbox};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect,
};

use super::{OrderError, OrderStatus};
use crate::notifications::outbox::{FAILED, PENDING, SUPPRESSED};
use crate::vault::ERASED;
use crate::{audit, db};

/// Orders erased per transaction by the sweep: short write turns beside the shop.
const BATCH: u64 = 100;

/// The statuses in which an order has ended.
const ENDED: [OrderStatus; 4] = [
    OrderStatus::Delivered,
    OrderStatus::Cancelled,
    OrderStatus::Expired,
    OrderStatus::Refunded,
];

/// Whether an order's buyer is no longer needed: it ended, and no late payment waits to be
/// paid back (an expired order with one; once refunded or given another painting, the
/// reference stays on the order but nothing waits).
pub fn ended(status: OrderStatus, late_payment: bool) -> bool {
    ENDED.contains(&status) && !(late_payment && status == OrderStatus::Expired)
}

fn ended_statuses() -> [&'static str; 4] {
    ENDED.map(OrderStatus::as_str)
}

/// The orders whose buyer may be erased now, whatever else is asked.
fn erasable() -> Condition {
    Condition::all()
        .add(order::Column::BuyerErasedAt.is_null())
        .add(order::Column::Status.is_in(ended_statuses()))
        .add(
            Condition::any()
                .add(order::Column::LatePaymentReference.is_null())
                .add(order::Column::Status.ne(OrderStatus::Expired.as_str())),
        )
}

/// Erases one order's buyer now. 409 `order_open` while the order is open; an order erased
/// before is answered as it is.
pub async fn erase_buyer(
    db: &DatabaseConnection,
    by: &str,
    order_id: &str,
) -> Result<super::views::AdminOrderDetail, OrderError> {
    let txn = db::begin_write(db).await?;
    let found = order::Entity::find_by_id(order_id.to_string())
        .one(&txn)
        .await?
        .ok_or(OrderError::NotFound("order"))?;
    if found.buyer_erased_at.is_none() {
        let status = OrderStatus::parse(&found.status);
        let late = found.late_payment_reference.is_some();
        if !status.is_some_and(|s| ended(s, late)) || !erase(&txn, &found, Utc::now()).await? {
            return Err(OrderError::StillOpen);
        }
        audit::record(&txn, by, "order.erase_buyer", "order", order_id, &[]).await?;
        txn.commit().await?;
        checkpoint(db).await;
    } else {
        txn.rollback().await?;
    }
    super::views::detail(db, order_id).await
}

/// Erases the buyers of orders that ended more than `keep` ago; how many.
pub async fn erase_expired(db: &DatabaseConnection, keep: Duration) -> Result<u64, OrderError> {
    let cutoff = Utc::now() - keep;
    let mut erased = 0;
    loop {
        let txn = db::begin_write(db).await?;
        let due: Vec<order::Model> = order::Entity::find()
            .filter(erasable())
            .filter(
                Condition::any()
                    .add(order::Column::ClosedAt.lte(cutoff))
                    .add(
                        Condition::all()
                            .add(order::Column::ClosedAt.is_null())
                            .add(order::Column::DeliveredAt.lte(cutoff)),
                    ),
            )
            .limit(BATCH)
            .all(&txn)
            .await?;
        let now = Utc::now();
        for o in &due {
            if erase(&txn, o, now).await? {
                erased += 1;
            }
        }
        txn.commit().await?;
        if (due.len() as u64) < BATCH {
            break;
        }
    }
    if erased > 0 {
        checkpoint(db).await;
    }
    Ok(erased)
}

/// Erases one order's buyer, if it is still erasable when the write lands (on PostgreSQL a
/// payment may have moved it meanwhile); whether it did.
async fn erase(
    conn: &impl ConnectionTrait,
    o: &order::Model,
    now: DateTime<Utc>,
) -> Result<bool, OrderError> {
    let erased = order::Entity::update_many()
        .col_expr(order::Column::BuyerName, Expr::value(""))
        .col_expr(order::Column::BuyerEmail, Expr::value(""))
        .col_expr(
            order::Column::BuyerPhone,
            Expr::value(Option::<String>::None),
        )
        .col_expr(order::Column::ShipLine1, Expr::value(""))
        .col_expr(
            order::Column::ShipLine2,
            Expr::value(Option::<String>::None),
        )
        .col_expr(order::Column::ShipCity, Expr::value(""))
        .col_expr(
            order::Column::ShipPostalCode,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            order::Column::ShipRegion,
            Expr::value(Option::<String>::None),
        )
        .col_expr(order::Column::Note, Expr::value(Option::<String>::None))
        .col_expr(order::Column::EmailKey, Expr::value(Option::<String>::None))
        .col_expr(order::Column::TimeZone, Expr::value(Option::<String>::None))
        .col_expr(
            order::Column::ClientKey,
            Expr::value(Option::<String>::None),
        )
        .col_expr(order::Column::BuyerErasedAt, Expr::value(now))
        .filter(order::Column::Id.eq(o.id.as_str()))
        .filter(erasable())
        .exec(conn)
        .await?;
    if erased.rows_affected != 1 {
        return Ok(false);
    }
    // A reason typed by a coordinator may name the buyer ("refunded to Anna's account").
    order_history::Entity::update_many()
        .col_expr(
            order_history::Column::Reason,
            Expr::value(Option::<String>::None),
        )
        .filter(order_history::Column::OrderId.eq(o.id.as_str()))
        .exec(conn)
        .await?;
    // Emails not yet sent are not sent at all; those sent are kept as a record, without
    // their text (the buyer's carry their name and address, the others name the buyer), or
    // the server's reply that may quote the address.
    outbox::Entity::delete_many()
        .filter(outbox::Column::OrderId.eq(o.id.as_str()))
        .filter(outbox::Column::Status.is_in([PENDING, FAILED, SUPPRESSED]))
        .exec(conn)
        .await?;
    outbox::Entity::update_many()
        .col_expr(outbox::Column::BodyText, Expr::value(ERASED))
        .col_expr(outbox::Column::BodyHtml, Expr::value(ERASED))
        .col_expr(
            outbox::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .filter(outbox::Column::OrderId.eq(o.id.as_str()))
        .exec(conn)
        .await?;
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Recipient, Expr::value(ERASED))
        .filter(outbox::Column::OrderId.eq(o.id.as_str()))
        .filter(outbox::Column::RecipientRole.eq("buyer"))
        .exec(conn)
        .await?;
    // The answer kept under the order's Idempotency-Key holds no buyer data (the order's
    // summary, its access token, sealed), and goes within a day with its key.
    if let Some(hash) = &o.email_key {
        forget_confirmation(conn, hash).await?;
    }
    Ok(true)
}

/// The address's confirmation (kept as a keyed hash) goes too, unless an order not yet
/// erased still has that address.
async fn forget_confirmation(conn: &impl ConnectionTrait, key: &str) -> Result<(), OrderError> {
    let still_used = order::Entity::find()
        .filter(order::Column::BuyerErasedAt.is_null())
        .filter(order::Column::EmailKey.eq(key))
        .one(conn)
        .await?
        .is_some();
    if !still_used {
        email_confirmation::Entity::delete_many()
            .filter(email_confirmation::Column::Email.eq(key))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// On SQLite, the pages that held the erased values are copied back into the file and the
/// write-ahead log is emptied, so its old frames do not keep them.
async fn checkpoint(db: &DatabaseConnection) {
    if !db::empty_log(db).await {
        tracing::warn!("the log was not emptied after erasing buyers; the next checkpoint will");
    }
}

/// Runs `erase_expired` every hour.
pub fn spawn(db: DatabaseConnection, keep: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match erase_expired(&db, keep).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(orders = n, "erased buyers' data past its keeping time"),
                Err(err) => tracing::warn!(error = %err, "erasing buyers' data failed; will retry"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buyer_is_needed_until_the_order_ended_and_nothing_waits_to_be_paid_back() {
        assert!(ended(OrderStatus::Delivered, false));
        assert!(ended(OrderStatus::Cancelled, false));
        assert!(ended(OrderStatus::Expired, false));
        assert!(
            !ended(OrderStatus::Expired, true),
            "a late payment to pay back"
        );
        assert!(
            ended(OrderStatus::Refunded, true),
            "the late payment was paid back"
        );
        assert!(
            ended(OrderStatus::Delivered, true),
            "given another painting, delivered"
        );
        for open in [
            OrderStatus::AwaitingConfirmation,
            OrderStatus::PendingPayment,
            OrderStatus::Paid,
            OrderStatus::Shipped,
        ] {
            assert!(!ended(open, false), "{open:?}");
        }
    }
}
