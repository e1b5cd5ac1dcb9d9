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
use object_store::{ObjectMeta, ObjectStore, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::BackupError;
use super::manifest::{self, FileEntry, Manifest};
use crate::config::{BackupTarget, MediaBackend};

const CHUNK: usize = 8 * 1024 * 1024;

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
            Some(file) => Some(tokio::fs::File::create(file).await?),
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

    /// The newest snapshot that finished.
    pub async fn latest(&self) -> Result<Option<Manifest>, BackupError> {
        for name in self.snapshots().await?.iter().rev() {
            if let Some(manifest) = self.manifest(name).await? {
                return Ok(Some(manifest));
            }
        }
        Ok(None)
    }

    pub async fn delete_snapshot(&self, snapshot: &str) -> Result<(), BackupError> {
        for meta in self
            .list(&format!("{}/{snapshot}", manifest::SNAPSHOTS))
            .await?
        {
            self.delete(&meta.location).await?;
        }
        Ok(())
    }
}
