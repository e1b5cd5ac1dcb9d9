//! The backup repository: a local folder or a prefix of the media bucket, both behind
//! `object_store`, so every operation below is written once. Large files stream in and out
//! in chunks and are hashed on the way, never held whole in memory.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{ObjectMeta, ObjectStore, PutMode, PutOptions, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::BackupError;
use super::manifest::{self, FileEntry, Manifest};
use crate::config::{BackupTarget, MediaBackend};

const CHUNK: usize = 8 * 1024 * 1024;
/// A bucket's lock older than this was left by a process that died holding it.
const STALE_LOCK: chrono::TimeDelta = chrono::TimeDelta::hours(6);
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30 * 60);

pub struct Repo {
    store: Arc<dyn ObjectStore>,
    location: String,
    /// The folder, for a local repository: scratch files are made beside it (same disk).
    dir: Option<PathBuf>,
}

fn hex(hasher: Sha256) -> String {
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn sha256(bytes: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(bytes);
    hex(hasher)
}

impl Repo {
    pub fn open(target: &BackupTarget, media: &MediaBackend) -> Result<Self, BackupError> {
        match target {
            BackupTarget::Dir(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    BackupError::Storage(format!("cannot create {}: {e}", dir.display()))
                })?;
                // A backup holds buyers' addresses and password hashes: owner only.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
                }
                let store = LocalFileSystem::new_with_prefix(dir)?.with_automatic_cleanup(true);
                Ok(Self {
                    store: Arc::new(store),
                    location: dir.display().to_string(),
                    dir: Some(dir.clone()),
                })
            }
            BackupTarget::MediaBucket { prefix } => {
                let bucket = crate::media::store::bucket(media)?;
                Ok(Self {
                    store: Arc::new(PrefixStore::new(bucket, prefix.as_str())),
                    location: target.to_string(),
                    dir: None,
                })
            }
        }
    }

    /// Any object store (a bucket built elsewhere, or object_store's in-memory store).
    pub fn from_store(store: Arc<dyn ObjectStore>, location: &str) -> Self {
        Self {
            store,
            location: location.to_string(),
            dir: None,
        }
    }

    pub fn location(&self) -> &str {
        &self.location
    }

    /// One writer at a time: backups and prunes of one repository wait for each other, so a
    /// prune never removes what a running backup is writing or has just reused.
    pub async fn lock(&self) -> Result<RepoLock, BackupError> {
        if let Some(dir) = &self.dir {
            let path = dir.join(".lock");
            let file = tokio::task::spawn_blocking(move || {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&path)?;
                file.lock()?;
                Ok::<_, std::io::Error>(file)
            })
            .await
            .map_err(|e| BackupError::Storage(e.to_string()))??;
            return Ok(RepoLock {
                held: Held::File(file),
            });
        }
        let path = ObjectPath::from("lock");
        let deadline = std::time::Instant::now() + LOCK_WAIT;
        loop {
            let create = PutOptions {
                mode: PutMode::Create,
                ..Default::default()
            };
            let stamp = PutPayload::from(chrono::Utc::now().to_rfc3339());
            match self.store.put_opts(&path, stamp, create).await {
                Ok(_) => {
                    return Ok(RepoLock {
                        held: Held::Object(self.store.clone()),
                    });
                }
                Err(object_store::Error::AlreadyExists { .. }) => {
                    let meta = self.store.head(&path).await;
                    if meta.is_ok_and(|m| chrono::Utc::now() - m.last_modified > STALE_LOCK) {
                        self.delete(&path).await?;
                        continue;
                    }
                    if std::time::Instant::now() > deadline {
                        return Err(BackupError::Storage(format!(
                            "another backup has held {}/lock for more than 30 minutes",
                            self.location
                        )));
                    }
                    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Whether `path` in a local repository is a regular file reached through no symbolic
    /// link: a link in a backup folder would restore whatever it points at (another
    /// user's files, `/etc/shadow`) into the public media store. Buckets hold no links.
    pub async fn regular_file(&self, path: &str) -> Result<bool, BackupError> {
        let Some(dir) = &self.dir else {
            return Ok(true);
        };
        let mut at = dir.clone();
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        for (i, part) in parts.iter().enumerate() {
            if *part == "." || *part == ".." {
                return Ok(false);
            }
            at.push(part);
            let meta = match tokio::fs::symlink_metadata(&at).await {
                Ok(meta) => meta,
                // Not there: the caller's read says "missing".
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(true),
                Err(e) => return Err(e.into()),
            };
            let last = i + 1 == parts.len();
            let fits = if last {
                meta.file_type().is_file()
            } else {
                meta.is_dir()
            };
            if meta.file_type().is_symlink() || !fits {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// A fresh path for a scratch file, on the repository's disk when it is local.
    pub fn scratch(&self, name: &str) -> PathBuf {
        let dir = self.dir.clone().unwrap_or_else(std::env::temp_dir);
        dir.join(format!(".{name}.{}.tmp", uuid::Uuid::now_v7().simple()))
    }

    /// Streams a local file in, hashing it on the way.
    pub async fn put_file(&self, path: &str, file: &Path) -> Result<FileEntry, BackupError> {
        let mut source = tokio::fs::File::open(file).await?;
        let upload = self.store.put_multipart(&ObjectPath::from(path)).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, CHUNK);
        let mut hasher = Sha256::new();
        let mut bytes = 0u64;
        let mut buf = vec![0u8; 1024 * 1024];
        loop {
            let n = source.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            writer.wait_for_capacity(2).await?;
            writer.write(&buf[..n]);
            bytes += n as u64;
        }
        writer.finish().await?;
        Ok(FileEntry {
            path: path.to_string(),
            bytes,
            sha256: hex(hasher),
        })
    }

    pub async fn put_bytes(&self, path: &str, bytes: Bytes) -> Result<(), BackupError> {
        self.store
            .put(&ObjectPath::from(path), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    pub async fn get_bytes(&self, path: &str) -> Result<Option<Bytes>, BackupError> {
        match self.store.get(&ObjectPath::from(path)).await {
            Ok(got) => Ok(Some(got.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Size and SHA-256 of a stored file, streamed (None when it is not there); with `into`,
    /// the file is also written to that local path.
    pub async fn digest(
        &self,
        path: &str,
        into: Option<&Path>,
    ) -> Result<Option<(u64, String)>, BackupError> {
        let got = match self.store.get(&ObjectPath::from(path)).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let mut out = match into {
            Some(file) => Some(crate::files::create_private(file).await?),
            None => None,
        };
        let mut stream = got.into_stream();
        let mut hasher = Sha256::new();
        let mut bytes = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            hasher.update(&chunk);
            bytes += chunk.len() as u64;
            if let Some(out) = out.as_mut() {
                out.write_all(&chunk).await?;
            }
        }
        if let Some(mut out) = out {
            out.flush().await?;
            out.sync_all().await?;
        }
        Ok(Some((bytes, hex(hasher))))
    }

    /// Every object under a prefix (`media`, `snapshots/X`).
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, BackupError> {
        let prefix = ObjectPath::from(prefix);
        let mut stream = self.store.list(Some(&prefix));
        let mut out = Vec::new();
        while let Some(meta) = stream.next().await {
            out.push(meta?);
        }
        Ok(out)
    }

    pub async fn delete(&self, path: &ObjectPath) -> Result<(), BackupError> {
        match self.store.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Snapshot names, oldest first (names are UTC times, so they sort by age).
    pub async fn snapshots(&self) -> Result<Vec<String>, BackupError> {
        let listed = self
            .store
            .list_with_delimiter(Some(&ObjectPath::from(manifest::SNAPSHOTS)))
            .await?;
        let mut names: Vec<String> = listed
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .collect();
        names.sort();
        Ok(names)
    }

    /// The snapshot's manifest; None when it has none (it never finished).
    pub async fn manifest(&self, snapshot: &str) -> Result<Option<Manifest>, BackupError> {
        let path = manifest::snapshot_path(snapshot, manifest::FILE);
        let Some(bytes) = self.get_bytes(&path).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| BackupError::Damaged {
                snapshot: snapshot.to_string(),
                path,
                problem: format!("not a readable manifest ({e})"),
            })
    }

    /// The newest snapshot that finished; an unreadable manifest on the way is an error
    /// (a restore must not fall back to an older backup without saying so).
    pub async fn latest(&self) -> Result<Option<Manifest>, BackupError> {
        for name in self.snapshots().await?.iter().rev() {
            if let Some(manifest) = self.manifest(name).await? {
                return Ok(Some(manifest));
            }
        }
        Ok(None)
    }

    /// The finished snapshots whose manifests can be read, oldest first; damaged ones are
    /// logged and left for a person to look at.
    pub async fn readable(&self) -> Result<(Vec<Manifest>, Vec<String>), BackupError> {
        let mut finished = Vec::new();
        let mut unfinished = Vec::new();
        for name in self.snapshots().await? {
            match self.manifest(&name).await {
                Ok(Some(manifest)) => finished.push(manifest),
                Ok(None) => unfinished.push(name),
                Err(err) => tracing::warn!(error = %err, "a backup's manifest cannot be read"),
            }
        }
        Ok((finished, unfinished))
    }

    /// The manifest goes first: a snapshot half deleted is an unfinished one, never a
    /// finished one missing its database.
    pub async fn delete_snapshot(&self, snapshot: &str) -> Result<(), BackupError> {
        let manifest = ObjectPath::from(manifest::snapshot_path(snapshot, manifest::FILE));
        self.delete(&manifest).await?;
        for meta in self
            .list(&format!("{}/{snapshot}", manifest::SNAPSHOTS))
            .await?
        {
            self.delete(&meta.location).await?;
        }
        Ok(())
    }
}

/// Held while a backup or prune writes; let go with `release` (a folder's lock also goes
/// when the process ends; a bucket's, after six hours).
pub struct RepoLock {
    held: Held,
}

enum Held {
    File(std::fs::File),
    Object(Arc<dyn ObjectStore>),
}

impl RepoLock {
    pub async fn release(self) {
        match self.held {
            Held::File(file) => drop(file),
            Held::Object(store) => {
                if let Err(err) = store.delete(&ObjectPath::from("lock")).await {
                    tracing::warn!(error = %err, "the backup lock could not be removed");
                }
            }
        }
    }
}
