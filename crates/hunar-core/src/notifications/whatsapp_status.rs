//! What Meta says happened to a WhatsApp message after it was sent: posted to the webhook,
//! signed with the app's secret. A status only moves a message forward (sent, delivered,
//! read); a failure sends the email held back for it; a delivered message no longer needs
//! that email.
use chrono::Utc;
use entity::outbox;
use hmac::{Hmac, Mac};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use serde::Deserialize;
use sha2::Sha256;

use super::MailSettings;
use super::outbox as queue;
use super::whatsapp::{CHANNEL, fall_back};

/// Whether `header` (`X-Hub-Signature-256: sha256=<hex>`) is the HMAC-SHA256 of `body` under
/// the app's secret. Compared in constant time (`Mac::verify_slice`).
pub fn signed(app_secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_digest) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_digest) else {
        return false;
    };
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(app_secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[derive(Debug, Deserialize)]
struct Notification {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
struct Change {
    #[serde(default)]
    value: Option<ChangeValue>,
}

#[derive(Debug, Deserialize)]
struct ChangeValue {
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    statuses: Vec<Status>,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    #[serde(default)]
    phone_number_id: String,
}

#[derive(Debug, Deserialize)]
struct Status {
    /// Meta's message id (`wamid.…`).
    id: String,
    /// sent, delivered, read or failed.
    status: String,
    /// The outbox row's id, as the send gave it.
    #[serde(default)]
    biz_opaque_callback_data: Option<String>,
    #[serde(default)]
    errors: Vec<StatusError>,
}

#[derive(Debug, Deserialize)]
struct StatusError {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    title: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StatusUpdateError {
    #[error("not a WhatsApp status update: {0}")]
    Unreadable(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

fn rank(status: &str) -> u8 {
    match status {
        queue::SENT => 1,
        queue::DELIVERED => 2,
        queue::READ => 3,
        _ => 0,
    }
}

/// The statuses a message may have before it becomes `status`: a status only moves a message
/// forward (updates arrive out of order), and a failure is final unless the message was
/// delivered after all.
fn before(status: &str) -> &'static [&'static str] {
    match status {
        queue::SENT => &[queue::PENDING, queue::SENDING],
        queue::DELIVERED => &[queue::PENDING, queue::SENDING, queue::SENT, queue::FAILED],
        queue::READ => &[
            queue::PENDING,
            queue::SENDING,
            queue::SENT,
            queue::DELIVERED,
            queue::FAILED,
        ],
        queue::FAILED => &[queue::PENDING, queue::SENDING, queue::SENT],
        _ => &[],
    }
}

/// Applies every status in a signed notification about `phone_number_id` (this server's
/// number; another number of the same Meta app is not ours to record); returns how many
/// moved a message.
pub async fn record(
    db: &DatabaseConnection,
    mail: &MailSettings,
    phone_number_id: &str,
    body: &[u8],
) -> Result<usize, StatusUpdateError> {
    let notification: Notification =
        serde_json::from_slice(body).map_err(|e| StatusUpdateError::Unreadable(e.to_string()))?;
    let mut moved = 0;
    for status in notification
        .entry
        .iter()
        .flat_map(|e| &e.changes)
        .filter_map(|c| c.value.as_ref())
        .filter(|v| {
            v.metadata
                .as_ref()
                .is_some_and(|m| m.phone_number_id == phone_number_id)
        })
        .flat_map(|v| &v.statuses)
    {
        if apply(db, mail, status).await? {
            moved += 1;
        }
    }
    Ok(moved)
}

async fn find(db: &DatabaseConnection, status: &Status) -> Result<Option<outbox::Model>, DbErr> {
    let by_id = outbox::Entity::find()
        .filter(outbox::Column::ProviderMessageId.eq(status.id.as_str()))
        .one(db)
        .await?;
    if by_id.is_some() {
        return Ok(by_id);
    }
    // The answer to the send was lost (the worker stopped mid-send): the row is found by
    // its own id, which the send gave Meta to repeat.
    let Some(row_id) = status.biz_opaque_callback_data.as_deref() else {
        return Ok(None);
    };
    // Only a row that was sent at least once: Meta cannot have it otherwise.
    outbox::Entity::find_by_id(row_id.to_string())
        .filter(outbox::Column::Channel.eq(CHANNEL))
        .filter(outbox::Column::ProviderMessageId.is_null())
        .filter(outbox::Column::Attempts.gt(0))
        .one(db)
        .await
}

async fn apply(
    db: &DatabaseConnection,
    mail: &MailSettings,
    status: &Status,
) -> Result<bool, DbErr> {
    let allowed = before(&status.status);
    if allowed.is_empty() {
        return Ok(false);
    }
    let Some(row) = find(db, status).await? else {
        return Ok(false);
    };
    let txn = crate::db::begin_write(db).await?;
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(status.status.clone()))
        .col_expr(
            outbox::Column::ProviderMessageId,
            Expr::value(Some(status.id.clone())),
        )
        .col_expr(
            outbox::Column::LockedUntil,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        );
    if status.status != queue::FAILED {
        update = update
            .col_expr(
                outbox::Column::SentAt,
                Expr::value(Some(row.sent_at.unwrap_or_else(Utc::now))),
            )
            .col_expr(
                outbox::Column::LastError,
                Expr::value(Option::<String>::None),
            );
    }
    // One conditional write: of two updates racing, only one can move the row from where
    // both read it.
    let moved = update
        .filter(outbox::Column::Id.eq(row.id.as_str()))
        .filter(outbox::Column::Status.is_in(allowed.iter().copied()))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if moved && status.status == queue::FAILED {
        let why = status
            .errors
            .first()
            .map(|e| format!("WhatsApp could not deliver it ({}): {}", e.code, e.title))
            .unwrap_or_else(|| "WhatsApp could not deliver it".into());
        fall_back(&txn, mail, &row.id, &why).await?;
    } else if moved && rank(&status.status) >= rank(queue::DELIVERED) {
        // It reached the artist's phone: the email held back for it is not needed.
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(queue::UNNEEDED))
            .filter(outbox::Column::FallbackFor.eq(row.id.as_str()))
            .filter(outbox::Column::Status.eq(queue::HELD))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_apps_secret_signs() {
        let body = br#"{"entry":[]}"#;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"app secret").expect("key");
        mac.update(body);
        let good = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert!(signed("app secret", body, Some(&good)));
        assert!(!signed("other secret", body, Some(&good)));
        assert!(!signed("app secret", b"{\"entry\":[1]}", Some(&good)));
        assert!(!signed("app secret", body, None));
        assert!(!signed("app secret", body, Some("sha256=zz")));
        assert!(!signed(
            "app secret",
            body,
            Some(good.trim_start_matches("sha256="))
        ));
    }
}
