//! What a snapshot holds, written as its last file: restore trusts nothing it does not list
//! and checks every listed file's size and SHA-256 before it changes anything.
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const FORMAT: u32 = 1;
pub const FILE: &str = "manifest.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub hunar_version: String,
    pub snapshot: String,
    pub created_at: DateTime<Utc>,
    pub database: DatabaseInfo,
    /// Paths relative to the repository: the database file, then every photo.
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabaseInfo {
    /// `sqlite` or `postgres`: a snapshot restores into the same kind of database.
    pub backend: String,
    /// The snapshot's file among `files`.
    pub file: String,
    pub last_migration: String,
    pub tables: BTreeMap<String, u64>,
    /// The id (never the key) of the data key its personal data is sealed with; none in a
    /// backup from before values were sealed. Restore refuses another key before writing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

impl Manifest {
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    pub fn media(&self) -> impl Iterator<Item = &FileEntry> {
        self.files.iter().filter(|f| f.path.starts_with(MEDIA))
    }
}

pub const MEDIA: &str = "media/";
pub const SNAPSHOTS: &str = "snapshots";

pub fn snapshot_path(snapshot: &str, file: &str) -> String {
    format!("{SNAPSHOTS}/{snapshot}/{file}")
}

pub fn media_path(key: &str) -> String {
    format!("{MEDIA}{key}")
}
