//! Restoring a snapshot into the configured database and media store. Everything is
//! checked before anything changes: the target holds no data (or `--force`), the snapshot
//! is complete and every file matches its size and SHA-256. Then the photos go in first
//! (harmless: content-addressed, never overwritten), then the database, whose row counts
//! must equal the manifest's, then newer migrations bring an older backup up to date.
use migration::MigratorTrait;

use super::manifest::{self, Manifest};
use super::{BackupError, Repo, database};
use crate::config::Config;
use crate::media;

#[derive(Debug, Clone, Default)]
pub struct RestoreOptions {
    /// Replace a database that holds data.
    pub force: bool,
    /// A snapshot by name; the newest finished one when None.
    pub snapshot: Option<String>,
}

pub async fn restore(
    config: &Config,
    repo: &Repo,
    options: &RestoreOptions,
) -> Result<Manifest, BackupError> {
    let manifest = match &options.snapshot {
        Some(name) => repo
            .manifest(name)
            .await?
            .ok_or_else(|| BackupError::Damaged {
                snapshot: name.clone(),
                path: manifest::snapshot_path(name, manifest::FILE),
                problem: "missing: this backup did not finish".into(),
            })?,
        None => repo
            .latest()
            .await?
            .ok_or_else(|| BackupError::NoSnapshot(repo.location().to_string()))?,
    };
    check_compatible(config, &manifest)?;
    if !options.force
        && let Some(holding) = database::data_in(&config.database_url).await?
    {
        return Err(BackupError::NotEmpty(holding));
    }
    // Keeps a prune from removing what is being read; a backup on read-only storage
    // (a mounted disk) can still be restored without it.
    let lock = match repo.lock().await {
        Ok(lock) => Some(lock),
        Err(err) => {
            tracing::warn!(error = %err, "restoring without the backup folder's lock");
            None
        }
    };
    let restored = restore_locked(config, repo, &manifest).await;
    if let Some(lock) = lock {
        lock.release().await;
    }
    restored.map(|()| manifest)
}

async fn restore_locked(
    config: &Config,
    repo: &Repo,
    manifest: &Manifest,
) -> Result<(), BackupError> {
    // Verify every file; the database file is kept, verified, for the install.
    let copy = database::staging(&config.database_url, repo.scratch("restore")).await?;
    let installed = async {
        verify(repo, manifest, &copy).await?;
        let store = media::store::from_config(&config.media.backend)?;
        for file in manifest.media() {
            // Read once, checked, and exactly those bytes stored: a file swapped after the
            // check above is caught here, not copied.
            let changed = |what: &str| {
                BackupError::Storage(format!(
                    "{} {what} during the restore; the database was not changed (photos \
                     already copied are harmless)",
                    file.path
                ))
            };
            if !repo.regular_file(&file.path).await? {
                return Err(changed("became a link or a folder"));
            }
            let bytes = repo
                .get_bytes(&file.path)
                .await?
                .ok_or_else(|| changed("disappeared from the backup"))?;
            if bytes.len() as u64 != file.bytes || super::repo::sha256(&bytes) != file.sha256 {
                return Err(changed("changed in the backup"));
            }
            store.put(media_key(&file.path), bytes).await?;
        }
        database::install(&config.database_url, &copy).await
    }
    .await;
    tokio::fs::remove_file(&copy).await.ok();
    installed?;

    let db = crate::db::connect(&config.database_url).await?;
    let checked = async {
        let facts = database::facts(&db).await?;
        if facts.tables != manifest.database.tables {
            return Err(BackupError::Unverified(format!(
                "its row counts differ from the manifest's: {:?} where the manifest says {:?}",
                facts.tables, manifest.database.tables
            )));
        }
        crate::db::migrate(&db)
            .await
            .map_err(|e| BackupError::Unverified(format!("newer migrations failed: {e}")))
    }
    .await;
    db.close().await.ok();
    checked
}

fn media_key(path: &str) -> &str {
    path.strip_prefix(manifest::MEDIA).unwrap_or(path)
}

/// A photo's key as the media store names them: no folders, no dot files, nothing that could
/// reach outside MEDIA_DIR.
fn safe_key(key: &str) -> bool {
    !key.is_empty()
        && !key.starts_with('.')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
}

fn damaged(manifest: &Manifest, path: &str, problem: &str) -> BackupError {
    BackupError::Damaged {
        snapshot: manifest.snapshot.clone(),
        path: path.to_string(),
        problem: problem.to_string(),
    }
}

fn check_compatible(config: &Config, manifest: &Manifest) -> Result<(), BackupError> {
    if manifest.format != manifest::FORMAT {
        return Err(BackupError::Incompatible(format!(
            "backup format {} is not one this Hunar reads ({})",
            manifest.format,
            manifest::FORMAT
        )));
    }
    let here = if config.database_url.starts_with("sqlite:") {
        "sqlite"
    } else {
        "postgres"
    };
    if let Some(key) = &manifest.database.data_key {
        crate::vault::check_restore_key(key, &config.data_key)
            .map_err(|err| BackupError::Incompatible(format!("{err}; nothing was changed")))?;
    }
    if manifest.database.backend != here {
        return Err(BackupError::Incompatible(format!(
            "this backup holds a {} database and DATABASE_URL is {here}",
            manifest.database.backend
        )));
    }
    let known = migration::Migrator::migrations()
        .iter()
        .any(|m| m.name() == manifest.database.last_migration);
    if !known {
        return Err(BackupError::Incompatible(format!(
            "the backup's schema ({}) is newer than this Hunar knows: restore it with Hunar {} \
             or later",
            manifest.database.last_migration, manifest.hunar_version
        )));
    }
    let database_file = manifest::snapshot_path(
        &manifest.snapshot,
        database::file_name_for(&manifest.database.backend),
    );
    if manifest.database.file != database_file
        || !manifest.files.iter().any(|f| f.path == database_file)
    {
        return Err(damaged(
            manifest,
            &manifest.database.file,
            "not the snapshot's database file",
        ));
    }
    for file in &manifest.files {
        let photo = file.path.starts_with(manifest::MEDIA) && safe_key(media_key(&file.path));
        if file.path != database_file && !photo {
            return Err(damaged(manifest, &file.path, "not a file a backup holds"));
        }
    }
    Ok(())
}

/// Checks each listed file's size and hash, in order, naming the first that is wrong.
async fn verify(
    repo: &Repo,
    manifest: &Manifest,
    database_copy: &std::path::Path,
) -> Result<(), BackupError> {
    for file in &manifest.files {
        if !repo.regular_file(&file.path).await? {
            return Err(damaged(
                manifest,
                &file.path,
                "not a regular file (a symbolic link or a folder)",
            ));
        }
        let into = (file.path == manifest.database.file).then_some(database_copy);
        match repo.digest(&file.path, into).await? {
            None => return Err(damaged(manifest, &file.path, "missing")),
            Some((bytes, _)) if bytes != file.bytes => {
                return Err(damaged(
                    manifest,
                    &file.path,
                    &format!("{bytes} bytes where the manifest says {}", file.bytes),
                ));
            }
            Some((_, sha)) if sha != file.sha256 => {
                return Err(damaged(
                    manifest,
                    &file.path,
                    "its SHA-256 differs from the manifest's",
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}
