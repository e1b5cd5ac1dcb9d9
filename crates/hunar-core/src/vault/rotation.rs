//! `hunar rotate-key NEW_KEY_FILE`: every sealed value moved to a new key while the shop
//! stays open.
use std::path::Path;

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};

use super::KeyId;
use super::keys::{KeySource, load_key};
use super::state::{self, Next, VaultError};
use super::sweep::reseal_all;

/// What a rotation did.
#[derive(Debug)]
pub struct Rotated {
    pub from: KeyId,
    pub to: KeyId,
    pub values: u64,
}

/// `hunar rotate-key NEW_KEY_FILE`: makes the new key (when the file does not exist yet),
/// names it in the database so running servers seal with it, moves every value to it, and
/// makes it the database's key.
pub async fn rotate(
    db: &DatabaseConnection,
    current: &KeySource,
    new_file: &Path,
    settle: std::time::Duration,
) -> Result<Rotated, VaultError> {
    // Not `open_vault`: that follows a rotation under way, and a rotation cut short is
    // finished by running it again with the database's (old) key.
    let Some(database) = state::key_of_database(db).await? else {
        return Err(VaultError::Rotation(
            "this database has no data key yet: start the server once first".into(),
        ));
    };
    let key = load_key(current, false).map_err(|problem| VaultError::KeyMissing {
        database: database.clone(),
        problem,
    })?;
    if key.id().as_str() != database {
        return Err(VaultError::WrongKey {
            database,
            given: key.id().to_string(),
            given_by: current.clone(),
        });
    }
    let vault = super::Vault::new(key);
    let from = vault.write_key();
    let new_key = load_key(&KeySource::File(new_file.to_path_buf()), true)?;
    let to = new_key.id().clone();
    if to == from {
        return Err(VaultError::Rotation(format!(
            "{} holds the key the database already uses ({to}); give a new file",
            new_file.display()
        )));
    }
    let file = std::fs::canonicalize(new_file)
        .map_err(|err| VaultError::Rotation(format!("{}: {err}", new_file.display())))?;
    let next = serde_json::to_string(&Next {
        id: to.to_string(),
        file,
    })
    .expect("a key's id and path serialise");
    let named = state::record_once(db, state::NEXT, &next).await?;
    if named != next {
        let other: Option<Next> = serde_json::from_str(&named).ok();
        if other.as_ref().map(|n| n.id.as_str()) != Some(to.as_str()) {
            return Err(VaultError::Rotation(format!(
                "another rotation (to {}) is under way; finish it with its key file first",
                other.map_or_else(|| "an unknown key".into(), |n| n.id)
            )));
        }
    }
    vault.switch_to(new_key);
    // Running servers look every FOLLOW_EVERY; once they seal with the new key, a pass that
    // finds nothing left means nothing is left.
    tokio::time::sleep(settle).await;
    let mut values = reseal_all(db, &vault).await?;
    let txn = db.begin().await?;
    txn.execute_unprepared("DELETE FROM app_secrets WHERE name = 'data_key_next'")
        .await?;
    let backend = txn.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "UPDATE app_secrets SET value = $1 WHERE name = 'data_key'",
        _ => "UPDATE app_secrets SET value = ? WHERE name = 'data_key'",
    };
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [to.to_string().into()],
    ))
    .await?;
    txn.commit().await?;
    // A server that sealed with the old key just before it saw the rotation.
    values += reseal_all(db, &vault).await?;
    tracing::info!(from = %from, to = %to, values, at = %Utc::now(), "key rotation finished");
    Ok(Rotated { from, to, values })
}
