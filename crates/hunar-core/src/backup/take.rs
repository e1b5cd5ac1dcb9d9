//! Taking a backup: the database snapshot first, then every photo it names that the
//! repository lacks, then the manifest. A photo deleted between the snapshot and its copy
//! makes the backup start over once (the new snapshot no longer names it).
use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::DatabaseConnection;

use super::BackupError;
use super::database;
use super::manifest::{self, DatabaseInfo, FileEntry, Manifest};
use super::repo::{Repo, sha256};
use super::runs::{self, Trigger};
use crate::media::Media;

#[derive(Debug, Clone)]
pub struct BackupReport {
    pub manifest: Manifest,
    /// Photos copied this time; the others were already in the repository.
    pub copied: usize,
}

/// Backs up into `repo` and records the outcome (good or bad) in `backup_runs`.
pub async fn backup(
    db: &DatabaseConnection,
    database_url: &str,
    media: &Media,
    repo: &Repo,
    trigger: Trigger,
) -> Result<BackupReport, BackupError> {
    let started_at = Utc::now();
    let result = match repo.lock().await {
        Ok(lock) => {
            let result = match attempt(db, database_url, media, repo).await {
                Err(BackupError::MissingMedia(_)) => attempt(db, database_url, media, repo).await,
                other => other,
            };
            lock.release().await;
            result
        }
        Err(e) => Err(e),
    };
    let run = runs::Finished {
        started_at,
        trigger,
        location: repo.location(),
        outcome: result
            .as_ref()
            .map(|r| &r.manifest)
            .map_err(|e| e.to_string()),
    };
    if let Err(err) = runs::record(db, run).await {
        tracing::warn!(error = %err, "the backup's outcome could not be recorded");
    }
    result
}

fn snapshot_name() -> String {
    Utc::now().format("%Y-%m-%dT%H-%M-%S%.3fZ").to_string()
}

async fn attempt(
    db: &DatabaseConnection,
    database_url: &str,
    media: &Media,
    repo: &Repo,
) -> Result<BackupReport, BackupError> {
    let snapshot = snapshot_name();
    let backend = db.get_database_backend();
    let scratch = repo.scratch("database");
    let taken = database::snapshot(db, database_url, &scratch).await;
    let stored = match taken {
        Ok(facts) => {
            let path = manifest::snapshot_path(&snapshot, database::file_name(backend));
            repo.put_file(&path, &scratch)
                .await
                .map(|entry| (facts, entry))
        }
        Err(e) => Err(e),
    };
    tokio::fs::remove_file(&scratch).await.ok();
    let (facts, db_entry) = stored?;

    // What the repository already holds, with sizes and hashes from the newest manifest
    // (content-addressed keys: same name, same bytes).
    let known: BTreeMap<String, FileEntry> = match repo.readable().await?.0.pop() {
        Some(previous) => previous
            .media()
            .map(|f| (f.path.clone(), f.clone()))
            .collect(),
        None => BTreeMap::new(),
    };
    let present: BTreeMap<String, u64> = repo
        .list("media")
        .await?
        .into_iter()
        .map(|meta| (meta.location.to_string(), meta.size))
        .collect();

    let mut files = vec![db_entry];
    let mut copied = 0;
    let mut missing = Vec::new();
    for key in &facts.media_keys {
        let path = manifest::media_path(key);
        if let Some(entry) = known.get(&path)
            && present.get(&path) == Some(&entry.bytes)
        {
            files.push(entry.clone());
            continue;
        }
        let Some(bytes) = media.store.get(key).await? else {
            missing.push(key.clone());
            continue;
        };
        files.push(FileEntry {
            path: path.clone(),
            bytes: bytes.len() as u64,
            sha256: sha256(&bytes),
        });
        repo.put_bytes(&path, bytes).await?;
        copied += 1;
    }
    if !missing.is_empty() {
        repo.delete_snapshot(&snapshot).await.ok();
        return Err(BackupError::MissingMedia(missing.join(", ")));
    }

    let manifest = Manifest {
        format: manifest::FORMAT,
        hunar_version: env!("CARGO_PKG_VERSION").to_string(),
        snapshot: snapshot.clone(),
        created_at: Utc::now(),
        database: DatabaseInfo {
            backend: database::backend_name(backend).to_string(),
            file: files[0].path.clone(),
            last_migration: facts.last_migration,
            tables: facts.tables,
            data_key: facts.data_key,
        },
        files,
    };
    let json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| BackupError::Storage(format!("manifest: {e}")))?;
    repo.put_bytes(
        &manifest::snapshot_path(&snapshot, manifest::FILE),
        json.into(),
    )
    .await?;
    Ok(BackupReport { manifest, copied })
}

/// Keeps the newest `keep` finished snapshots and the photos they name; unfinished
/// snapshots are leftovers of a backup that died (a running one would hold the lock).
pub async fn prune(repo: &Repo, keep: usize) -> Result<usize, BackupError> {
    let lock = repo.lock().await?;
    let pruned = prune_locked(repo, keep).await;
    lock.release().await;
    pruned
}

async fn prune_locked(repo: &Repo, keep: usize) -> Result<usize, BackupError> {
    let (mut finished, unfinished) = repo.readable().await?;
    if finished.is_empty() {
        return Ok(0);
    }
    let cut = finished.len().saturating_sub(keep.max(1));
    for old in finished.drain(..cut) {
        repo.delete_snapshot(&old.snapshot).await?;
    }
    for name in &unfinished {
        repo.delete_snapshot(name).await?;
    }
    let needed: std::collections::BTreeSet<&str> = finished
        .iter()
        .flat_map(|m| m.media().map(|f| f.path.as_str()))
        .collect();
    for meta in repo.list("media").await? {
        if !needed.contains(meta.location.as_ref()) {
            repo.delete(&meta.location).await?;
        }
    }
    Ok(cut)
}
