//! Backups of the whole installation (database and photos) taken while the shop is open,
//! and their restore. A backup folder (or bucket prefix) is a small repository:
//!
//! ```text
//! media/<key>                          every photo once, by its content-addressed key
//! snapshots/<time>/database.sqlite     the database (PostgreSQL: database.pgdump)
//! snapshots/<time>/manifest.json       written last: version, migration, row counts and
//!                                      size + SHA-256 of every file the snapshot needs
//! ```
//!
//! Photos are shared by snapshots, so a backup copies only photos the folder lacks; a
//! snapshot without a manifest did not finish and is never restored.
mod database;
pub mod manifest;
mod repo;
pub mod restore;
pub mod runs;
pub mod schedule;
pub mod take;

pub use database::data_in;
pub use repo::Repo;
pub use restore::{RestoreOptions, restore};
pub use runs::Trigger;
pub use take::{BackupReport, backup, prune};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("backup storage: {0}")]
    Storage(String),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Tool(String),
    #[error("no finished backup in {0} (a snapshot counts once its manifest.json is written)")]
    NoSnapshot(String),
    #[error("backup {snapshot} is damaged: {path}: {problem}; nothing was changed")]
    Damaged {
        snapshot: String,
        path: String,
        problem: String,
    },
    #[error(
        "the database already holds data ({0}); nothing was changed. Restore with --force to \
         replace it"
    )]
    NotEmpty(String),
    #[error("{0}")]
    Incompatible(String),
    #[error("the database was replaced by the backup, but {0}")]
    Unverified(String),
    #[error("photos named by the database are missing from the media store: {0}")]
    MissingMedia(String),
}

impl From<object_store::Error> for BackupError {
    fn from(err: object_store::Error) -> Self {
        Self::Storage(err.to_string())
    }
}

impl From<std::io::Error> for BackupError {
    fn from(err: std::io::Error) -> Self {
        Self::Storage(err.to_string())
    }
}

impl From<crate::media::MediaError> for BackupError {
    fn from(err: crate::media::MediaError) -> Self {
        Self::Storage(err.to_string())
    }
}
