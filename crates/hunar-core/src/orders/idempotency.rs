//! Idempotency keys for order placement: the key and its response are written by the order's
//! own transaction, so a retry with the same key and body gets the same answer and never a
//! second order, whatever the timing.
use chrono::Utc;
use entity::idempotency_key;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use sha2::{Digest, Sha256};

use super::OrderError;
use crate::error::FieldErrors;
use crate::vault::Vault;

pub const MAX_KEY_LEN: usize = 255;
/// Keys are remembered this long; after that the same key starts afresh.
pub const KEY_LIFETIME_HOURS: i64 = 24;

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

/// The stored answer to a request made before with this key: send exactly this again.
pub struct KeptAnswer {
    pub status: u16,
    pub body: String,
}

/// The key's row, with its answer when it is known (`None` while a card payment is still
/// being set up).
pub fn new_row(
    vault: &Vault,
    key: &str,
    request_hash: &str,
    response: Option<(u16, &str)>,
) -> idempotency_key::ActiveModel {
    let now = Utc::now();
    idempotency_key::ActiveModel {
        key: Set(key.to_string()),
        request_hash: Set(request_hash.to_string()),
        response_status: Set(response.map(|(status, _)| i32::from(status))),
        // The answer carries the buyer's access token.
        response_body: Set(response.map(|(_, body)| vault.seal(body))),
        created_at: Set(now),
        expires_at: Set(now + chrono::Duration::hours(KEY_LIFETIME_HOURS)),
    }
}

async fn insert(
    conn: &impl ConnectionTrait,
    row: idempotency_key::ActiveModel,
) -> Result<bool, OrderError> {
    let inserted = idempotency_key::Entity::insert(row)
        .on_conflict(
            OnConflict::column(idempotency_key::Column::Key)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(inserted == 1)
}

/// After the order's write met a unique index, finds out whether this key is why: its
/// earlier answer (a replay), a conflict (another body, or an answer still being made), or
/// nothing, when the key is free and the painting was what another buyer took.
pub async fn after_conflict(
    db: &DatabaseConnection,
    key: &str,
    request_hash: &str,
) -> Result<Option<KeptAnswer>, OrderError> {
    let row = idempotency_key::Entity::find_by_id(key.to_string())
        .one(db)
        .await?;
    let Some(row) = row.filter(|row| row.expires_at > Utc::now()) else {
        return Ok(None);
    };
    // A live key: its answer, another body's conflict, or an answer still being made.
    answer_in(Some(row), request_hash)?
        .map(Some)
        .ok_or(OrderError::KeyInProgress)
}

/// Deletes `key` if it has outlived its lifetime, so it can be claimed afresh.
pub async fn forget_expired(db: &DatabaseConnection, key: &str) -> Result<(), OrderError> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::Key.eq(key))
        .filter(idempotency_key::Column::ExpiresAt.lte(Utc::now()))
        .exec(db)
        .await?;
    Ok(())
}

/// What a stored key row says about a request with `request_hash`: its earlier answer, a
/// conflict, or nothing (no row, expired, or not answered yet).
pub fn answer_in(
    row: Option<idempotency_key::Model>,
    request_hash: &str,
) -> Result<Option<KeptAnswer>, OrderError> {
    let Some(row) = row else {
        return Ok(None);
    };
    if row.expires_at <= Utc::now() {
        return Ok(None);
    }
    if row.request_hash != request_hash {
        return Err(OrderError::KeyReused);
    }
    Ok(match (row.response_status, row.response_body) {
        (Some(status), Some(body)) => Some(KeptAnswer {
            status: u16::try_from(status).unwrap_or(500),
            body: crate::vault::open(&body)?,
        }),
        _ => None,
    })
}

/// Remembers refusals (409, 404, 422) as the answers for their keys, written in batches off
/// the request path. When a hundred buyers race for one painting, the ninety-nine refusals
/// become a few multi-row INSERTs instead of ninety-nine commits the buyers wait for.
///
/// A refusal only repeats what the database already says (the painting is taken, missing,
/// or cannot go there), so one lost in a crash costs nothing: a retry is answered afresh.
/// Orders and their answers are never written this way.
#[derive(Clone)]
pub struct Refusals {
    queue: tokio::sync::mpsc::Sender<idempotency_key::ActiveModel>,
    db: DatabaseConnection,
    vault: Vault,
}

impl Refusals {
    /// Rows waiting beyond this are written by the request itself.
    const QUEUE: usize = 4096;
    const BATCH: usize = 500;

    /// Starts the writer; it ends when the last `Refusals` is dropped, after writing what
    /// is queued.
    pub fn spawn(db: DatabaseConnection, vault: Vault) -> Self {
        let (queue, mut rows) = tokio::sync::mpsc::channel(Self::QUEUE);
        let writer_db = db.clone();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(Self::BATCH);
            while rows.recv_many(&mut batch, Self::BATCH).await > 0 {
                let n = batch.len();
                if let Err(err) = insert_all(&writer_db, std::mem::take(&mut batch)).await {
                    tracing::warn!(error = %err, refusals = n,
                        "could not remember refusals; retries with their keys are answered afresh");
                }
            }
        });
        Self { queue, db, vault }
    }

    /// Queues `status` and `body` as the answer for `key`. If a retry got there first, or
    /// the key's first attempt succeeded meanwhile, that answer stands.
    pub async fn remember(
        &self,
        key: &str,
        request_hash: &str,
        status: u16,
        body: &str,
    ) -> Result<(), OrderError> {
        let row = new_row(&self.vault, key, request_hash, Some((status, body)));
        match self.queue.try_send(row) {
            Ok(()) => Ok(()),
            Err(
                tokio::sync::mpsc::error::TrySendError::Full(row)
                | tokio::sync::mpsc::error::TrySendError::Closed(row),
            ) => {
                insert(&self.db, row).await?;
                Ok(())
            }
        }
    }
}

async fn insert_all(
    db: &DatabaseConnection,
    rows: Vec<idempotency_key::ActiveModel>,
) -> Result<(), sea_orm::DbErr> {
    idempotency_key::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(idempotency_key::Column::Key)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Stores the answer for `key`; pass the order's transaction so both commit together.
pub async fn store(
    conn: &impl ConnectionTrait,
    vault: &Vault,
    key: &str,
    status: u16,
    body: &str,
) -> Result<(), OrderError> {
    idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::ResponseStatus,
            Expr::value(i32::from(status)),
        )
        .col_expr(
            idempotency_key::Column::ResponseBody,
            Expr::value(vault.seal(body)),
        )
        .filter(idempotency_key::Column::Key.eq(key))
        .exec(conn)
        .await?;
    Ok(())
}

/// Forgets a claimed key whose work was undone, so a retry with it starts afresh.
pub async fn release(conn: &impl ConnectionTrait, key: &str) -> Result<(), OrderError> {
    idempotency_key::Entity::delete_by_id(key.to_string())
        .exec(conn)
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A key is 1 to 255 visible ASCII characters once the header's spaces are trimmed;
        /// anything else is a 422 naming the header, and an accepted key is kept verbatim.
        #[test]
        fn keys_are_visible_ascii_up_to_255(
            header in prop_oneof![any::<String>(), "[ \\t]?[!-~]{0,260}[ \\t]?"]
        ) {
            let trimmed = header.trim();
            let valid = !trimmed.is_empty()
                && trimmed.len() <= MAX_KEY_LEN
                && trimmed.bytes().all(|b| b.is_ascii_graphic());
            match parse_key(Some(&header)) {
                Ok(key) => {
                    prop_assert!(valid);
                    prop_assert_eq!(key.as_str(), trimmed);
                }
                Err(errors) => {
                    prop_assert!(!valid);
                    prop_assert_eq!(errors.0[0].field.as_str(), "Idempotency-Key");
                }
            }
        }
    }

    #[test]
    fn a_missing_key_is_named() {
        let errors = parse_key(None).expect_err("required");
        assert_eq!(errors.0[0].field, "Idempotency-Key");
    }
}
