//! Idempotency keys for order placement (as zero2prod does it): the key is claimed first,
//! the work is done, and the response is stored with the key, so a retry with the same key
//! and body gets the same answer and never a second order.
use std::time::Duration;

use chrono::Utc;
use entity::idempotency_key;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use sha2::{Digest, Sha256};

use super::OrderError;
use crate::error::FieldErrors;

pub const MAX_KEY_LEN: usize = 255;
/// Keys are remembered this long; after that the same key starts afresh.
pub const KEY_LIFETIME_HOURS: i64 = 24;
/// A claimed key with no answer after this long belongs to a request that died; a retry
/// may take it over.
const ABANDONED_AFTER_SECS: i64 = 60;
/// How long a retry waits for a request with the same key that is still running.
const WAIT_FOR_FIRST: Duration = Duration::from_secs(10);

pub fn parse_key(header: Option<&str>) -> Result<String, FieldErrors> {
    let key = header.map(str::trim).unwrap_or("");
    if key.is_empty() {
        return Err(FieldErrors::single(
            "Idempotency-Key",
            "this header is required: a unique value per order attempt, reused on retries",
        ));
    }
    if key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(FieldErrors::single(
            "Idempotency-Key",
            format!("must be 1 to {MAX_KEY_LEN} visible ASCII characters"),
        ));
    }
    Ok(key.to_string())
}

pub fn hash_request(canonical_body: &[u8]) -> String {
    Sha256::digest(canonical_body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What claiming a key found.
pub enum Claim {
    /// The key is ours: do the work, then `store` the answer.
    New,
    /// The request was answered before: send exactly this again.
    Replay { status: u16, body: String },
}

pub async fn claim(
    db: &DatabaseConnection,
    key: &str,
    request_hash: &str,
) -> Result<Claim, OrderError> {
    let deadline = tokio::time::Instant::now() + WAIT_FOR_FIRST;
    loop {
        let now = Utc::now();
        let inserted = idempotency_key::Entity::insert(idempotency_key::ActiveModel {
            key: Set(key.to_string()),
            request_hash: Set(request_hash.to_string()),
            response_status: Set(None),
            response_body: Set(None),
            created_at: Set(now),
            expires_at: Set(now + chrono::Duration::hours(KEY_LIFETIME_HOURS)),
        })
        .on_conflict(
            OnConflict::column(idempotency_key::Column::Key)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        if inserted == 1 {
            return Ok(Claim::New);
        }
        let Some(row) = idempotency_key::Entity::find_by_id(key.to_string())
            .one(db)
            .await?
        else {
            continue; // expired and swept in between: claim again
        };
        if row.expires_at <= now {
            idempotency_key::Entity::delete_many()
                .filter(idempotency_key::Column::Key.eq(key))
                .filter(idempotency_key::Column::ExpiresAt.lte(now))
                .exec(db)
                .await?;
            continue;
        }
        if row.request_hash != request_hash {
            return Err(OrderError::KeyReused);
        }
        if let (Some(status), Some(body)) = (row.response_status, row.response_body) {
            return Ok(Claim::Replay {
                status: u16::try_from(status).unwrap_or(500),
                body,
            });
        }
        if row.created_at < now - chrono::Duration::seconds(ABANDONED_AFTER_SECS) {
            let taken = idempotency_key::Entity::update_many()
                .col_expr(idempotency_key::Column::CreatedAt, Expr::value(now))
                .filter(idempotency_key::Column::Key.eq(key))
                .filter(idempotency_key::Column::ResponseStatus.is_null())
                .filter(idempotency_key::Column::CreatedAt.eq(row.created_at))
                .exec(db)
                .await?;
            if taken.rows_affected == 1 {
                return Ok(Claim::New);
            }
            continue;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(OrderError::KeyInProgress);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Stores the answer for `key`; pass the order's transaction so both commit together.
pub async fn store(
    conn: &impl ConnectionTrait,
    key: &str,
    status: u16,
    body: &str,
) -> Result<(), OrderError> {
    idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::ResponseStatus,
            Expr::value(i32::from(status)),
        )
        .col_expr(idempotency_key::Column::ResponseBody, Expr::value(body))
        .filter(idempotency_key::Column::Key.eq(key))
        .exec(conn)
        .await?;
    Ok(())
}

/// Forgets a claim whose request failed on our side, so a retry can do the work.
pub async fn release(db: &DatabaseConnection, key: &str) -> Result<(), OrderError> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::Key.eq(key))
        .filter(idempotency_key::Column::ResponseStatus.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes keys past their lifetime (their stored answers carry access tokens).
pub async fn sweep(db: &DatabaseConnection) -> Result<u64, OrderError> {
    Ok(idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::ExpiresAt.lte(Utc::now()))
        .exec(db)
        .await?
        .rows_affected)
}
