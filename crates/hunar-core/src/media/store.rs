//! Where variants are kept, behind one trait: a local folder (the default) or any
//! S3-compatible object storage through `object_store`. Keys are content hashes, so a put of
//! an existing key is a no-op and nothing is ever overwritten with other bytes.
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use object_store::{ObjectStore, PutPayload, path::Path as ObjectPath};

use super::MediaError;
use crate::config::MediaBackend;

#[async_trait::async_trait]
pub trait MediaStore: Send + Sync {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), MediaError>;
    async fn get(&self, key: &str) -> Result<Option<Bytes>, MediaError>;
    async fn delete(&self, key: &str) -> Result<(), MediaError>;
}

fn storage(err: impl std::fmt::Display) -> MediaError {
    MediaError::Storage(err.to_string())
}

pub fn from_config(backend: &MediaBackend) -> Result<Arc<dyn MediaStore>, MediaError> {
    Ok(match backend {
        MediaBackend::Local { dir } => Arc::new(LocalDir::new(dir.clone())?),
        MediaBackend::S3 { .. } => Arc::new(ObjectStorage::new(bucket(backend)?)),
    })
}

/// The configured bucket itself (backups may go there too, under their own prefix).
pub fn bucket(backend: &MediaBackend) -> Result<Arc<dyn ObjectStore>, MediaError> {
    match backend {
        MediaBackend::Local { .. } => Err(MediaError::Storage(
            "the media backend is a local folder, not a bucket".into(),
        )),
        MediaBackend::S3 {
            bucket,
            region,
            endpoint,
            access_key_id,
            secret_access_key,
        } => {
            let mut builder = object_store::aws::AmazonS3Builder::new()
                .with_bucket_name(bucket)
                .with_region(region)
                .with_access_key_id(access_key_id)
                .with_secret_access_key(secret_access_key);
            if let Some(endpoint) = endpoint {
                // MinIO and most S3-compatible services address buckets by path.
                builder = builder
                    .with_endpoint(endpoint)
                    .with_virtual_hosted_style_request(false)
                    .with_allow_http(endpoint.starts_with("http://"));
            }
            Ok(Arc::new(builder.build().map_err(storage)?))
        }
    }
}

/// A folder on this machine. Each write goes to a temporary file that is flushed and then
/// renamed into place, so a reader never sees half a file.
pub struct LocalDir {
    dir: PathBuf,
}

impl LocalDir {
    pub fn new(dir: PathBuf) -> Result<Self, MediaError> {
        std::fs::create_dir_all(&dir).map_err(|e| {
            MediaError::Storage(format!("cannot create MEDIA_DIR {}: {e}", dir.display()))
        })?;
        Ok(Self { dir })
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(key)
    }
}

#[async_trait::async_trait]
impl MediaStore for LocalDir {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), MediaError> {
        let path = self.path(key);
        if tokio::fs::try_exists(&path).await.map_err(storage)? {
            return Ok(());
        }
        let tmp = self
            .dir
            .join(format!(".{key}.{}.tmp", uuid::Uuid::now_v7().simple()));
        let written = async {
            use tokio::io::AsyncWriteExt;
            let mut file = tokio::fs::File::create(&tmp).await?;
            file.write_all(&bytes).await?;
            file.sync_all().await?;
            tokio::fs::rename(&tmp, &path).await
        }
        .await;
        if written.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        written.map_err(storage)
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, MediaError> {
        match tokio::fs::read(self.path(key)).await {
            Ok(bytes) => Ok(Some(bytes.into())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(storage(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), MediaError> {
        match tokio::fs::remove_file(self.path(key)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(storage(e)),
            _ => Ok(()),
        }
    }
}

/// S3-compatible object storage (or, in tests, `object_store`'s in-memory store). Object
/// stores make each put atomic themselves.
pub struct ObjectStorage {
    store: Arc<dyn ObjectStore>,
}

impl ObjectStorage {
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
    }
}

#[async_trait::async_trait]
impl MediaStore for ObjectStorage {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), MediaError> {
        self.store
            .put(&ObjectPath::from(key), PutPayload::from(bytes))
            .await
            .map_err(storage)?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, MediaError> {
        match self.store.get(&ObjectPath::from(key)).await {
            Ok(result) => Ok(Some(result.bytes().await.map_err(storage)?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(storage(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), MediaError> {
        match self.store.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(storage(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same contract for both backends.
    async fn behaves(store: &dyn MediaStore) {
        let key = "0123abcd.jpg";
        assert_eq!(store.get(key).await.expect("get"), None);
        store
            .put(key, Bytes::from_static(b"jpeg"))
            .await
            .expect("put");
        store
            .put(key, Bytes::from_static(b"jpeg"))
            .await
            .expect("put twice");
        assert_eq!(
            store.get(key).await.expect("get").as_deref(),
            Some(&b"jpeg"[..])
        );
        store.delete(key).await.expect("delete");
        store.delete(key).await.expect("delete twice");
        assert_eq!(store.get(key).await.expect("get"), None);
    }

    #[tokio::test]
    async fn local_folder_and_object_store_keep_the_same_contract() {
        let dir = tempfile::tempdir().expect("dir");
        let local = LocalDir::new(dir.path().join("media")).expect("local");
        behaves(&local).await;
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("media"))
            .expect("read")
            .collect();
        assert!(leftovers.is_empty(), "no temporary files left behind");
        behaves(&ObjectStorage::new(Arc::new(
            object_store::memory::InMemory::new(),
        )))
        .await;
    }
}
