//! Card fees, read from Stripe: the fee of the charge's balance transaction, in the
//! currency Stripe settled it in. A lookup is queued in the transaction that records the
//! payment, tried at once, and retried with backoff while Stripe cannot be reached or has
//! not settled the charge yet. The fee entry's key makes it land once, however often the
//! lookup runs or the webhook is replayed.
use std::time::Duration;

use chrono::Utc;
use entity::{fee_lookup, order, payment};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::Kind;
use super::entries::{NewEntry, insert_once};
use crate::db;
use crate::payments::{PaymentError, StripeGateway};

const BATCH: u64 = 20;
const LONGEST_WAIT: Duration = Duration::from_secs(6 * 3600);

/// Queues the fee lookup for a card payment that paid an order (in the caller's
/// transaction).
pub async fn expect(
    conn: &impl ConnectionTrait,
    payment_id: &str,
    order_id: &str,
) -> Result<(), DbErr> {
    fee_lookup::Entity::insert(fee_lookup::ActiveModel {
        payment_id: Set(payment_id.to_string()),
        order_id: Set(order_id.to_string()),
        attempts: Set(0),
        next_at: Set(Utc::now()),
        last_error: Set(None),
        done_at: Set(None),
    })
    .on_conflict(
        OnConflict::column(fee_lookup::Column::PaymentId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

fn backoff(base: Duration, attempts: i32) -> chrono::Duration {
    let factor = 2u32.saturating_pow(u32::try_from(attempts.max(1) - 1).unwrap_or(0).min(20));
    let wait = base.saturating_mul(factor).min(LONGEST_WAIT);
    chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(6))
}

async fn retry_later(
    db: &DatabaseConnection,
    lookup: &fee_lookup::Model,
    base: Duration,
    why: &str,
) -> Result<(), DbErr> {
    let attempts = lookup.attempts + 1;
    fee_lookup::Entity::update_many()
        .col_expr(fee_lookup::Column::Attempts, Expr::value(attempts))
        .col_expr(
            fee_lookup::Column::NextAt,
            Expr::value(Utc::now() + backoff(base, attempts)),
        )
        .col_expr(fee_lookup::Column::LastError, Expr::value(why.to_string()))
        .filter(fee_lookup::Column::PaymentId.eq(lookup.payment_id.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Tries every lookup that is due; returns how many fees were recorded.
pub async fn run_due(
    db: &DatabaseConnection,
    gateway: &StripeGateway,
    base: Duration,
) -> Result<usize, DbErr> {
    let due = fee_lookup::Entity::find()
        .filter(fee_lookup::Column::DoneAt.is_null())
        .filter(fee_lookup::Column::NextAt.lte(Utc::now()))
        .order_by_asc(fee_lookup::Column::NextAt)
        .limit(BATCH)
        .all(db)
        .await?;
    let mut recorded = 0;
    for lookup in due {
        let Some(p) = payment::Entity::find_by_id(lookup.payment_id.clone())
            .one(db)
            .await?
        else {
            continue;
        };
        let Some(intent) = p.payment_intent_id.as_deref() else {
            retry_later(db, &lookup, base, "no payment intent yet").await?;
            continue;
        };
        let fee = match gateway.card_fee(intent).await {
            Ok(Some(fee)) => fee,
            Ok(None) => {
                retry_later(db, &lookup, base, "Stripe has not settled the charge yet").await?;
                continue;
            }
            Err(err) => {
                tracing::warn!(payment_id = %p.id, "card fee lookup failed; will retry");
                // What Stripe said (type, code, parameter), kept for the coordinator to see.
                let why = match err {
                    PaymentError::Provider(detail) => detail,
                    other => other.to_string(),
                };
                retry_later(db, &lookup, base, &why).await?;
                continue;
            }
        };
        let Some(o) = order::Entity::find_by_id(lookup.order_id.clone())
            .one(db)
            .await?
        else {
            continue;
        };
        let txn = db::begin_write(db).await?;
        let entry = NewEntry::new(
            &o.artist_id,
            Kind::CardFee,
            -fee.minor,
            &fee.currency,
            format!("stripe:{}", fee.balance_transaction),
        )
        .for_order(&o.id)
        .key(format!("fee:{}", p.id))
        .note(Some(format!("Stripe fee, {}", fee.balance_transaction)));
        if insert_once(&txn, entry).await?.is_some() {
            recorded += 1;
        }
        fee_lookup::Entity::update_many()
            .col_expr(fee_lookup::Column::DoneAt, Expr::value(Utc::now()))
            .col_expr(
                fee_lookup::Column::Attempts,
                Expr::value(lookup.attempts + 1),
            )
            .filter(fee_lookup::Column::PaymentId.eq(lookup.payment_id.as_str()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
    }
    Ok(recorded)
}

/// Retries lookups in the background, every `base`.
pub fn spawn(db: DatabaseConnection, gateway: StripeGateway, base: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(base);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(err) = run_due(&db, &gateway, base).await {
                tracing::warn!(error = %err, "card fee lookups failed; will retry");
            }
        }
    });
}
