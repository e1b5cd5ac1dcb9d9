//! What a buyer who pays by hand tells the shop: "I have paid". The coordinator is told (an
//! email, and a line on Today), and the painting stays held while the money travels: a bank
//! transfer takes days, and a hold that ends meanwhile would sell the painting twice over.
//! The buyer proves it is their order with its private link, which also proves the address
//! is theirs: saying "paid" confirms the order's hold as the confirmation link would.
use chrono::{DateTime, Utc};
use entity::order;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::OrderError;
use super::place::PaymentMethod;
use super::state::{OrderStatus, status_of};
use crate::auth::token;
use crate::notifications::{MailSettings, order_emails};
use crate::vault::Open;
use crate::{config::Config, db};

/// How long a hold lasts at least once the buyer said they paid: long enough for an
/// international transfer to arrive and be seen.
pub const HOLD_WHILE_MONEY_TRAVELS_DAYS: i64 = 14;

/// The buyer says they paid order `id`. Saying it twice changes nothing more.
pub async fn claim_paid(
    db: &DatabaseConnection,
    config: &Config,
    mail: &MailSettings,
    id: &str,
    access_token: &str,
) -> Result<(), OrderError> {
    let found = order::Entity::find_by_id(id.to_string())
        .filter(order::Column::AccessTokenHash.eq(token::digest(access_token)))
        .one(db)
        .await?
        .ok_or(OrderError::NotFound("order"))?;
    if found.payment_method != PaymentMethod::Manual.as_str() {
        return Err(OrderError::NotAllowed(
            "a card payment is seen by the shop itself; nothing to tell".into(),
        ));
    }
    if status_of(&found) != OrderStatus::PendingPayment {
        return Err(OrderError::NotAllowed(format!(
            "this order is {}: there is no payment to wait for",
            found.status
        )));
    }
    if found.paid_claimed_at.is_some() {
        return Ok(());
    }
    let now = Utc::now();
    let full = found.created_at + chrono::Duration::days(i64::from(config.manual_reservation_days));
    let until = [
        found.expires_at,
        full,
        now + chrono::Duration::days(HOLD_WHILE_MONEY_TRAVELS_DAYS),
    ]
    .into_iter()
    .max()
    .unwrap_or(found.expires_at);
    let txn = db::begin_write(db).await?;
    let changed = order::Entity::update_many()
        .col_expr(order::Column::PaidClaimedAt, Expr::value(now))
        .col_expr(order::Column::ExpiresAt, Expr::value(until))
        .col_expr(
            order::Column::HoldConfirmedAt,
            Expr::value(found.hold_confirmed_at.unwrap_or(now)),
        )
        .col_expr(order::Column::ClientSlot, Expr::value(Option::<i32>::None))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(order::Column::Id.eq(id))
        .filter(order::Column::Status.eq(OrderStatus::PendingPayment.as_str()))
        .filter(order::Column::PaidClaimedAt.is_null())
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        // Paid, expired or claimed by another request meanwhile.
        txn.rollback().await?;
        return Ok(());
    }
    super::holds::remember_address(
        &txn,
        &mail.vault.email_hash(&found.buyer_email.open()?),
        now,
    )
    .await?;
    let current = order::Entity::find_by_id(id.to_string())
        .one(&txn)
        .await?
        .ok_or(OrderError::NotFound("order"))?;
    order_emails::on_paid_claimed(&txn, mail, &current).await?;
    txn.commit().await?;
    tracing::info!(order_id = %id, "the buyer says they paid");
    Ok(())
}

/// Reminds each buyer whose manual order's hold ends within `ahead` and who has not said
/// they paid: once per order. Returns how many were reminded.
pub async fn remind_due(
    db: &DatabaseConnection,
    mail: &MailSettings,
    now: DateTime<Utc>,
    ahead: chrono::Duration,
) -> Result<usize, OrderError> {
    use sea_orm::QuerySelect;
    let due = order::Entity::find()
        .filter(order::Column::Status.eq(OrderStatus::PendingPayment.as_str()))
        .filter(order::Column::PaymentMethod.eq(PaymentMethod::Manual.as_str()))
        .filter(order::Column::HoldConfirmedAt.is_not_null())
        .filter(order::Column::PaidClaimedAt.is_null())
        .filter(order::Column::RemindedAt.is_null())
        .filter(order::Column::ExpiresAt.gt(now))
        .filter(order::Column::ExpiresAt.lte(now + ahead))
        .limit(100)
        .all(db)
        .await?;
    let mut reminded = 0;
    for o in due {
        let txn = db::begin_write(db).await?;
        let claimed = order::Entity::update_many()
            .col_expr(order::Column::RemindedAt, Expr::value(now))
            .filter(order::Column::Id.eq(o.id.as_str()))
            .filter(order::Column::RemindedAt.is_null())
            .filter(order::Column::Status.eq(OrderStatus::PendingPayment.as_str()))
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 1 {
            order_emails::on_hold_ending(&txn, mail, &o).await?;
            reminded += 1;
        }
        txn.commit().await?;
    }
    Ok(reminded)
}
