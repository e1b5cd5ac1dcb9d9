//! Artwork photos and artist portraits: `process` makes clean variants from an upload,
//! `store` keeps them (local folder or S3-compatible object storage), `images` records them
//! and `routes` takes uploads and serves `/media/{key}`.
pub mod images;
pub mod process;
pub mod store;

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::config::MediaConfig;
pub use store::MediaStore;

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    TooManyPixels(String),
    #[error("the upload is larger than {limit_mb} MB")]
    TooLarge { limit_mb: usize },
    #[error("only JPEG, PNG and WebP photos are accepted")]
    UnsupportedFormat,
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The last photo of a painting on sale: it would stay on sale with none.
    #[error(
        "this is the only photo of a painting on sale or sold: add another photo first, or withdraw the painting"
    )]
    LastPhoto,
    /// Our failure, not the file's (encoding, storage).
    #[error("image processing failed: {0}")]
    Processing(String),
    #[error("media storage failed: {0}")]
    Storage(String),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl From<MediaError> for crate::error::DomainError {
    fn from(err: MediaError) -> Self {
        use crate::error::{DomainError, FieldErrors};
        match err {
            MediaError::Invalid(m) | MediaError::TooManyPixels(m) => {
                DomainError::Validation(FieldErrors::single("file", m))
            }
            MediaError::TooLarge { limit_mb } => DomainError::PayloadTooLarge {
                limit: limit_mb * 1024 * 1024,
            },
            MediaError::UnsupportedFormat => DomainError::UnsupportedMediaType {
                expected: "a JPEG, PNG or WebP image",
            },
            MediaError::NotFound(what) => DomainError::NotFound(what),
            MediaError::LastPhoto => DomainError::conflict("photo_needed", err.to_string()),
            MediaError::Processing(_) | MediaError::Storage(_) => {
                DomainError::Internal(anyhow::anyhow!(err.to_string()))
            }
            MediaError::Db(e) => e.into(),
        }
    }
}

/// Everything uploads need, shared by all requests.
#[derive(Clone)]
pub struct Media {
    pub store: Arc<dyn MediaStore>,
    pub public_url: String,
    pub settings: process::Settings,
    pub max_upload_bytes: usize,
    permits: Arc<Semaphore>,
}

impl Media {
    pub fn new(config: &MediaConfig, store: Arc<dyn MediaStore>) -> Self {
        Self {
            store,
            public_url: config.public_url.clone(),
            settings: process::Settings {
                max_side: config.max_side,
                max_pixels: config.max_pixels,
                jpeg_quality: config.jpeg_quality,
                webp_quality: config.webp_quality,
            },
            max_upload_bytes: config.max_upload_bytes,
            permits: Arc::new(Semaphore::new(config.workers)),
        }
    }

    pub fn url(&self, key: &str) -> String {
        format!("{}/{key}", self.public_url)
    }

    /// Decodes and encodes on the blocking pool, at most `IMAGE_WORKERS` at once, so uploads
    /// never hold up the threads that answer the API. A panic in a codec is a refused file.
    pub async fn process(&self, bytes: bytes::Bytes) -> Result<process::Processed, MediaError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| MediaError::Processing(e.to_string()))?;
        let settings = self.settings.clone();
        tokio::task::spawn_blocking(move || process::process(&bytes, &settings))
            .await
            .map_err(|_| MediaError::Invalid("the image could not be decoded".into()))?
    }
}
