//! Photos: where they are kept (a folder or an S3 bucket), where their urls point, and the
//! limits and quality of uploads.
use std::path::PathBuf;

use super::{ConfigError, Vars, invalid};

#[derive(Clone, PartialEq, Eq)]
pub enum MediaBackend {
    Local {
        dir: PathBuf,
    },
    /// S3 or any S3-compatible object storage (MinIO, R2, Spaces …).
    S3 {
        bucket: String,
        region: String,
        endpoint: Option<String>,
        access_key_id: String,
        secret_access_key: String,
    },
}

impl std::fmt::Debug for MediaBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Local { dir } => f.debug_struct("Local").field("dir", dir).finish(),
            Self::S3 {
                bucket, endpoint, ..
            } => f
                .debug_struct("S3")
                .field("bucket", bucket)
                .field("endpoint", endpoint)
                .finish_non_exhaustive(),
        }
    }
}

/// Limits and quality for photo uploads.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    pub backend: MediaBackend,
    /// Where variant urls point: `{PUBLIC_BASE_URL}/media` unless a CDN is in front.
    pub public_url: String,
    pub max_upload_bytes: usize,
    pub max_side: u32,
    pub max_pixels: u64,
    pub jpeg_quality: u8,
    pub webp_quality: u8,
    /// Uploads decoded at the same time; the rest wait, so the API is never starved.
    pub workers: usize,
}

pub fn read(vars: &Vars, public_base_url: &str) -> Result<MediaConfig, ConfigError> {
    let backend = match vars.or("MEDIA_BACKEND", "local").as_str() {
        "local" => MediaBackend::Local {
            dir: PathBuf::from(vars.or("MEDIA_DIR", "./media")),
        },
        "s3" => {
            let required = |var: &'static str| {
                vars.get(var)
                    .ok_or_else(|| invalid(var, "required when MEDIA_BACKEND=s3"))
            };
            MediaBackend::S3 {
                bucket: required("S3_BUCKET")?,
                region: vars.or("S3_REGION", "us-east-1"),
                endpoint: vars.get("S3_ENDPOINT"),
                access_key_id: required("S3_ACCESS_KEY_ID")?,
                secret_access_key: required("S3_SECRET_ACCESS_KEY")?,
            }
        }
        other => {
            return Err(invalid(
                "MEDIA_BACKEND",
                format!("`{other}` is not supported; expected `local` or `s3`"),
            ));
        }
    };
    let public_url = vars.or("MEDIA_PUBLIC_URL", &format!("{public_base_url}/media"));
    if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
        return Err(invalid("MEDIA_PUBLIC_URL", "expected an http(s) URL"));
    }
    let max_upload_mb = vars.number("MAX_UPLOAD_MB", "25", 1, 200)?;
    let max_megapixels = vars.number("MAX_IMAGE_MEGAPIXELS", "50", 1, 200)?;
    Ok(MediaConfig {
        backend,
        public_url: public_url.trim_end_matches('/').to_string(),
        max_upload_bytes: max_upload_mb as usize * 1024 * 1024,
        max_side: vars.number("MAX_IMAGE_SIDE", "12000", 100, 30_000)?,
        max_pixels: u64::from(max_megapixels) * 1_000_000,
        jpeg_quality: u8::try_from(vars.number("JPEG_QUALITY", "82", 30, 100)?).unwrap_or(82),
        webp_quality: u8::try_from(vars.number("WEBP_QUALITY", "80", 30, 100)?).unwrap_or(80),
        workers: vars.number("IMAGE_WORKERS", "2", 1, 64)? as usize,
    })
}
