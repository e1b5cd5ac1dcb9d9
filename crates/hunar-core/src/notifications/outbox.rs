//! The outbox table: enqueue (inside the caller's transaction), claim due rows safely with
//! several processes, record the outcome, and the admin's view and retry.
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::outbox;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, QueryFilter, QueryOrder, Statement,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::MailSettings;
use super::render::Rendered;
use crate::db;
use crate::error::FieldErrors;
use crate::pagination::{self, Page, Pagination};
use crate::vault::{Open, Vault};

pub const PENDING: &str = "pending";
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
/// Held back by the daily cap for an address that has not shown it is the buyer's.
pub const SUPPRESSED: &str = "suppressed";
/// WhatsApp: the message reached the phone, then was opened.
pub const DELIVERED: &str = "delivered";
pub const READ: &str = "read";
/// An email kept back while a WhatsApp message stands in for it: sent if that fails for good.
pub const HELD: &str = "held";
/// A held email whose WhatsApp message was delivered.
pub const UNNEEDED: &str = "unneeded";

/// Every status a row can have, for the API's filter.
pub const STATUSES: [&str; 9] = [
    PENDING, SENDING, SENT, DELIVERED, READ, FAILED, SUPPRESSED, HELD, UNNEEDED,
];
/// The channels a message goes through.
pub const CHANNELS: [&str; 2] = ["email", "whatsapp"];

pub struct NewEmail<'a> {
    pub dedupe_key: String,
    pub order_id: Option<&'a str>,
    pub kind: &'a str,
    pub recipient: &'a str,
    pub role: &'a str,
    pub rendered: Rendered,
}

/// The outbox row for `email`, ready to be written with the change it belongs to.
pub fn row(vault: &Vault, email: NewEmail<'_>) -> outbox::ActiveModel {
    let now = Utc::now();
    outbox::ActiveModel {
        id: Set(db::new_id()),
        dedupe_key: Set(email.dedupe_key),
        order_id: Set(email.order_id.map(str::to_string)),
        kind: Set(email.kind.to_string()),
        recipient: Set(vault.seal(email.recipient)),
        recipient_role: Set(email.role.to_string()),
        language: Set(email.rendered.language),
        subject: Set(email.rendered.subject),
        body_text: Set(vault.seal(&email.rendered.text)),
        body_html: Set(vault.seal(&email.rendered.html)),
        status: Set(PENDING.into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        quota_checked: Set(false),
        channel: Set("email".into()),
        provider_message_id: Set(None),
        fallback_for: Set(None),
    }
}

/// Says in the log that an email was kept because no SMTP server is configured.
pub fn log_kept(mail: &MailSettings, row: &outbox::ActiveModel) {
    if mail.smtp_configured {
        return;
    }
    let text = |v: &sea_orm::ActiveValue<String>| match v {
        Set(s) | sea_orm::ActiveValue::Unchanged(s) => s.clone(),
        sea_orm::ActiveValue::NotSet => String::new(),
    };
    // Role, not address: the log stream never carries contact details.
    tracing::info!(outbox_id = %text(&row.id), kind = %text(&row.kind), to = %text(&row.recipient_role),
        subject = %text(&row.subject), "email kept in the outbox: no SMTP_URL configured");
}

/// Adds an email unless one with the same dedupe key exists (a replayed event adds nothing).
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    mail: &MailSettings,
    email: NewEmail<'_>,
) -> Result<(), DbErr> {
    insert(conn, mail, row(&mail.vault, email)).await
}

/// Writes a row made by [`row`], unless one with the same dedupe key exists.
pub async fn insert(
    conn: &impl ConnectionTrait,
    mail: &MailSettings,
    row: outbox::ActiveModel,
) -> Result<(), DbErr> {
    let inserted = outbox::Entity::insert(row.clone())
        .on_conflict(
            OnConflict::column(outbox::Column::DedupeKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    if inserted == 1 {
        log_kept(mail, &row);
    }
    Ok(())
}

/// Claims up to `limit` due rows (pending and due, or sending with an expired lease) for
/// `lease`. PostgreSQL skips rows another worker holds; SQLite's single writer makes the
/// conditional UPDATE atomic on its own.
pub async fn claim(
    db: &DatabaseConnection,
    channel: &str,
    limit: u64,
    lease: Duration,
) -> Result<Vec<outbox::Model>, DbErr> {
    let now = Utc::now();
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
    let backend = db.get_database_backend();
    let (sql, lock) = match backend {
        DbBackend::Postgres => ("$1", " FOR UPDATE SKIP LOCKED"),
        _ => ("?", ""),
    };
    let p = |n: usize| {
        if sql == "$1" {
            format!("${n}")
        } else {
            "?".to_string()
        }
    };
    let statement = format!(
        "UPDATE outbox SET status = '{SENDING}', locked_until = {}, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM outbox \
           WHERE channel = {} AND ((status = '{PENDING}' AND next_attempt_at <= {}) \
              OR (status = '{SENDING}' AND locked_until < {})) \
           ORDER BY next_attempt_at LIMIT {}{lock}) \
         RETURNING *",
        p(1),
        p(2),
        p(3),
        p(4),
        p(5)
    );
    let stmt = Statement::from_sql_and_values(
        backend,
        statement,
        [
            until.into(),
            channel.into(),
            now.into(),
            now.into(),
            (limit as i64).into(),
        ],
    );
    let txn = db::begin_write(db).await?;
    let rows = outbox::Entity::find().from_raw_sql(stmt).all(&txn).await?;
    txn.commit().await?;
    Ok(rows)
}

pub async fn mark_sent(db: &DatabaseConnection, row: &outbox::Model) -> Result<(), DbErr> {
    mark_sent_as(db, row, None).await
}

/// Records a send that went through, with the provider's id for the message. Only while the
/// row is still this sender's (being sent, at this attempt): a status update that came first
/// (the answer was slow) stands, and a sender whose lease ran out writes nothing.
pub async fn mark_sent_as(
    db: &DatabaseConnection,
    row: &outbox::Model,
    provider_message_id: Option<&str>,
) -> Result<(), DbErr> {
    let id = row.id.as_str();
    let mut update = outbox::Entity::update_many();
    if let Some(message_id) = provider_message_id {
        update = update.col_expr(
            outbox::Column::ProviderMessageId,
            Expr::value(Some(message_id.to_string())),
        );
    }
    update
        .col_expr(outbox::Column::Status, Expr::value(SENT))
        .col_expr(outbox::Column::SentAt, Expr::value(Utc::now()))
        .col_expr(
            outbox::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            outbox::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.eq(SENDING))
        .filter(outbox::Column::Attempts.eq(row.attempts))
        .exec(db)
        .await?;
    Ok(())
}

/// Exponential backoff with jitter: base, 2 × base, 4 × base … capped at 1 h, each ±50 %,
/// so emails that failed together do not all retry in the same second.
pub fn backoff(attempts: i32, base: Duration) -> chrono::Duration {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let base_ms = base.as_millis().min(3_600_000) as f64;
    let factor = f64::from(1u32 << (attempts.clamp(1, 12) - 1));
    let delay = (base_ms * factor).min(3_600_000.0);
    let jitter = 0.5 + f64::from(OsRng.next_u32() % 1000) / 1000.0;
    chrono::Duration::milliseconds((delay * jitter) as i64)
}

/// Records a send that failed: tried again later with backoff, or given up after the last
/// attempt. Returns whether it was given up. Only while the row is still being sent.
pub async fn mark_failed(
    db: &impl ConnectionTrait,
    row: &outbox::Model,
    error: &str,
    mail: &MailSettings,
) -> Result<bool, DbErr> {
    let give_up = row.attempts >= i32::try_from(mail.max_attempts).unwrap_or(i32::MAX);
    Ok(mark(db, row, error, mail, give_up).await? && give_up)
}

/// A send refused for good (the provider will refuse it again): no more attempts. Returns
/// whether this sender still held the row (and so marked it).
pub async fn mark_failed_for_good(
    db: &impl ConnectionTrait,
    row: &outbox::Model,
    error: &str,
    mail: &MailSettings,
) -> Result<bool, DbErr> {
    mark(db, row, error, mail, true).await
}

/// Fenced by status and attempt count: a sender whose lease ran out (and whose row another
/// worker has since claimed) changes nothing.
async fn mark(
    db: &impl ConnectionTrait,
    row: &outbox::Model,
    error: &str,
    mail: &MailSettings,
    give_up: bool,
) -> Result<bool, DbErr> {
    let error: String = error.chars().take(1000).collect();
    let mut update = outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Status,
            Expr::value(if give_up { FAILED } else { PENDING }),
        )
        .col_expr(
            outbox::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            outbox::Column::LastError,
            Expr::value(mail.vault.seal(&error)),
        );
    if !give_up {
        update = update.col_expr(
            outbox::Column::NextAttemptAt,
            Expr::value(Utc::now() + backoff(row.attempts, mail.retry_base)),
        );
    }
    let changed = update
        .filter(outbox::Column::Id.eq(row.id.as_str()))
        .filter(outbox::Column::Status.eq(SENDING))
        .filter(outbox::Column::Attempts.eq(row.attempts))
        .exec(db)
        .await?
        .rows_affected;
    Ok(changed == 1)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxView {
    pub id: String,
    pub order_id: Option<String>,
    pub kind: String,
    /// email or whatsapp.
    pub channel: String,
    pub recipient: String,
    pub recipient_role: String,
    pub language: String,
    pub subject: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl OutboxView {
    pub fn open(r: outbox::Model) -> Result<Self, DbErr> {
        Ok(Self {
            id: r.id,
            order_id: r.order_id,
            kind: r.kind,
            channel: r.channel,
            recipient: r.recipient.open()?,
            recipient_role: r.recipient_role,
            language: r.language,
            subject: r.subject,
            status: r.status,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_error: r.last_error.open()?,
            created_at: r.created_at,
            sent_at: r.sent_at,
        })
    }
}

fn status_schema() -> utoipa::openapi::Object {
    crate::validate::schema::one_of(STATUSES, false)
}

fn channel_schema() -> utoipa::openapi::Object {
    crate::validate::schema::one_of(CHANNELS, false)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxFilter {
    /// pending, sending, sent, delivered, read, failed, suppressed, held or unneeded.
    #[param(schema_with = status_schema)]
    pub status: Option<String>,
    /// email or whatsapp.
    #[param(schema_with = channel_schema)]
    pub channel: Option<String>,
    pub order_id: Option<String>,
    #[param(schema_with = crate::pagination::page_schema)]
    pub page: Option<u64>,
    #[param(schema_with = crate::pagination::per_page_schema)]
    pub per_page: Option<u64>,
}

pub async fn list(
    db: &DatabaseConnection,
    filter: OutboxFilter,
) -> Result<Page<OutboxView>, crate::error::DomainError> {
    let page = Pagination::new(filter.page, filter.per_page)?;
    let mut query = outbox::Entity::find()
        .order_by_desc(outbox::Column::CreatedAt)
        .order_by_desc(outbox::Column::Id);
    if let Some(status) = filter.status {
        if !STATUSES.contains(&status.as_str()) {
            return Err(FieldErrors::single(
                "status",
                "expected pending, sending, sent, delivered, read, failed, suppressed, held or unneeded",
            )
            .into());
        }
        query = query.filter(outbox::Column::Status.eq(status));
    }
    if let Some(channel) = filter.channel {
        if !CHANNELS.contains(&channel.as_str()) {
            return Err(FieldErrors::single("channel", "expected email or whatsapp").into());
        }
        query = query.filter(outbox::Column::Channel.eq(channel));
    }
    if let Some(order_id) = filter.order_id {
        query = query.filter(outbox::Column::OrderId.eq(order_id));
    }
    Ok(pagination::fetch_opened(db, query, page, OutboxView::open).await?)
}

pub async fn for_order(db: &DatabaseConnection, order_id: &str) -> Result<Vec<OutboxView>, DbErr> {
    outbox::Entity::find()
        .filter(outbox::Column::OrderId.eq(order_id))
        .order_by_asc(outbox::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(OutboxView::open)
        .collect()
}

/// Puts a failed (or pending) email back in the queue now, in the coordinator's name (audit
/// log). A sent email is never resent.
pub async fn retry(
    db: &DatabaseConnection,
    admin_id: &str,
    id: &str,
) -> Result<OutboxView, crate::error::DomainError> {
    let row = outbox::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or(crate::error::DomainError::NotFound("email"))?;
    if ![PENDING, FAILED, SUPPRESSED].contains(&row.status.as_str()) {
        return Err(crate::error::DomainError::conflict(
            "illegal_state",
            format!(
                "this message is {}; only pending, failed or suppressed messages can be retried",
                row.status
            ),
        ));
    }
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(PENDING))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(Utc::now()))
        .col_expr(outbox::Column::Attempts, Expr::value(0))
        // A coordinator who sends a held-back email again has decided: no cap for it.
        .col_expr(outbox::Column::QuotaChecked, Expr::value(true))
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.is_in([PENDING, FAILED, SUPPRESSED]))
        .exec(db)
        .await?;
    crate::audit::record(db, admin_id, "email.retry", "outbox", id, &[]).await?;
    let row = outbox::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or(crate::error::DomainError::NotFound("email"))?;
    Ok(OutboxView::open(row)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let base = Duration::from_secs(30);
        for (attempts, nominal) in [(1, 30_000), (2, 60_000), (3, 120_000), (20, 3_600_000)] {
            let ms = backoff(attempts, base).num_milliseconds();
            assert!(
                (nominal / 2..=nominal * 3 / 2).contains(&ms),
                "attempt {attempts}: {ms} ms"
            );
        }
    }
}
