//! No mail bombs: an address that has not shown it is the buyer's gets at most a few emails a
//! day from us (`UNCONFIRMED_EMAILS_PER_DAY`), however many orders name it. The cap is taken
//! when an email is about to be sent, with one atomic upsert on a per-address, per-day
//! counter, so any number of delivery workers in any number of processes share it. An email
//! over the cap is kept as `suppressed` (counted and visible to the coordinator, sent after
//! all if the buyer confirms or the coordinator retries it), never silently dropped.
use chrono::Utc;
use entity::{email_confirmation, outbox as row};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    Statement,
};

use super::MailSettings;
use super::outbox::SUPPRESSED;

/// Whether `email` may be sent now. Only letters to buyers are capped; each email is
/// counted once, however often its delivery is retried.
pub async fn allow(
    db: &DatabaseConnection,
    mail: &MailSettings,
    email: &row::Model,
) -> Result<bool, DbErr> {
    if email.quota_checked || email.recipient_role != "buyer" {
        return Ok(true);
    }
    let recipient = crate::vault::open(&email.recipient)?;
    let address = mail.vault.email_hash(&recipient);
    let confirmed = email_confirmation::Entity::find()
        .filter(email_confirmation::Column::Email.is_in(mail.vault.email_hashes(&recipient)))
        .one(db)
        .await?
        .is_some();
    let allowed = confirmed || take(db, &address, mail.unconfirmed_emails_per_day).await?;
    let update = row::Entity::update_many().filter(row::Column::Id.eq(email.id.as_str()));
    let update = if allowed {
        update.col_expr(row::Column::QuotaChecked, Expr::value(true))
    } else {
        update
            .col_expr(row::Column::Status, Expr::value(SUPPRESSED))
            .col_expr(
                row::Column::LockedUntil,
                Expr::value(Option::<chrono::DateTime<Utc>>::None),
            )
            .col_expr(
                row::Column::LastError,
                Expr::value(
                    mail.vault
                        .seal("held back: the daily cap for an unconfirmed address was reached"),
                ),
            )
    };
    update.exec(db).await?;
    Ok(allowed)
}

/// Takes one of today's emails for `address`; false when they are used up.
async fn take(db: &DatabaseConnection, address: &str, per_day: u32) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let p = |n: usize| match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_string(),
    };
    let today = Utc::now().date_naive();
    // A conflicting row is updated only while under the cap; an update the WHERE refuses
    // returns no row. The row lock (PostgreSQL) or the single writer (SQLite) makes it atomic.
    let sql = format!(
        "INSERT INTO mail_quota (recipient, day, sent) VALUES ({}, {}, 1) \
         ON CONFLICT (recipient, day) DO UPDATE SET sent = mail_quota.sent + 1 \
         WHERE mail_quota.sent < {} RETURNING sent",
        p(1),
        p(2),
        p(3)
    );
    let taken = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                address.into(),
                today.to_string().into(),
                i32::try_from(per_day).unwrap_or(i32::MAX).into(),
            ],
        ))
        .await?;
    let Some(taken) = taken else {
        return Ok(false);
    };
    // INTEGER is 4 bytes on PostgreSQL (SQLite would give any width).
    let sent: i32 = taken.try_get("", "sent")?;
    if sent == 1 {
        // The first email of a new day for this address: drop counters of past days.
        let yesterday = today - chrono::Duration::days(1);
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            format!("DELETE FROM mail_quota WHERE day < {}", p(1)),
            [yesterday.to_string().into()],
        ))
        .await?;
    }
    Ok(true)
}
