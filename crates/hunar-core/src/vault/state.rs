//! Which key a database's values are sealed with, kept in the database by id only, and while
//! `hunar rotate-key` runs, the new key's id and the file it is in.
use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use entity::app_secret;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use serde::{Deserialize, Serialize};

use super::keys::{KeyError, KeySource};

/// The id of the key the database's values are sealed with.
pub(super) const CURRENT: &str = "data_key";
/// While a rotation runs: the key values are being moved to, and where it is.
pub(super) const NEXT: &str = "data_key_next";
/// How often a running server looks for a rotation.
pub const FOLLOW_EVERY: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(super) struct Next {
    pub id: String,
    pub file: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(
        "this database's private data is sealed with key {database}, but {given_by:?} holds key \
         {given}: start with the key this database was written under (README, \"The data key\")"
    )]
    WrongKey {
        database: String,
        given: String,
        given_by: KeySource,
    },
    #[error(
        "this database's private data is sealed with key {database}, but {problem}: put that \
         key file back, or set DATA_KEY to it"
    )]
    KeyMissing { database: String, problem: KeyError },
    #[error(
        "a key rotation from {from} to {to} is under way: start with the key {from} and run \
         `hunar rotate-key` again to finish it"
    )]
    RotationUnderWay { from: String, to: String },
    #[error(
        "this backup's private data is sealed with key {backup}, but {given_by:?} holds key \
         {given}: restore with the key the backup was taken under"
    )]
    BackupKey {
        backup: String,
        given: String,
        given_by: KeySource,
    },
    #[error("the data key: {0}")]
    Key(#[from] KeyError),
    #[error("{0}")]
    Rotation(String),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

pub(super) async fn read(db: &impl ConnectionTrait, name: &str) -> Result<Option<String>, DbErr> {
    Ok(app_secret::Entity::find_by_id(name.to_string())
        .one(db)
        .await?
        .map(|row| row.value))
}

pub(super) async fn read_next(db: &impl ConnectionTrait) -> Result<Option<Next>, DbErr> {
    Ok(read(db, NEXT)
        .await?
        .and_then(|v| serde_json::from_str(&v).ok()))
}

/// Records `value` under `name` unless something is there already (two processes starting
/// together: the first wins); what is there after.
pub async fn record_once(
    db: &impl ConnectionTrait,
    name: &str,
    value: &str,
) -> Result<String, DbErr> {
    app_secret::Entity::insert(app_secret::ActiveModel {
        name: Set(name.to_string()),
        value: Set(value.to_string()),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(app_secret::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(read(db, name).await?.unwrap_or_default())
}

/// The id of the key a database names, if any (a database from before values were sealed
/// names none).
pub async fn key_of_database(db: &impl ConnectionTrait) -> Result<Option<String>, DbErr> {
    read(db, CURRENT).await
}
