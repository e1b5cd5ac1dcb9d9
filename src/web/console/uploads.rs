//! Photos as a console form sends them: one or more `file` parts and an optional `alt`, each
//! file held to the upload limit while it is read (never whole when too large).
use actix_multipart::Multipart;
use actix_web::HttpRequest;
use actix_web::http::header;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

/// At most this many photos in one upload.
pub const MAX_FILES: usize = 12;

pub struct Upload {
    /// (file name as sent, bytes); empty file inputs are skipped.
    pub files: Vec<(String, Bytes)>,
    pub alt: Option<String>,
}

/// Reads the upload, or says in one sentence why not.
pub async fn read(req: &HttpRequest, mut payload: Multipart, max: usize) -> Result<Upload, String> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err("expected a form with files (multipart/form-data)".into());
    }
    let limit_mb = max / (1024 * 1024);
    let mut upload = Upload {
        files: Vec::new(),
        alt: None,
    };
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|e| format!("the upload was cut off: {e}"))?;
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .unwrap_or("photo")
            .chars()
            .take(100)
            .collect::<String>();
        let limit = match name.as_str() {
            "file" => max,
            "alt" => 4 * 1024,
            _ => return Err(format!("unexpected field {name}")),
        };
        if name == "file" && upload.files.len() >= MAX_FILES {
            return Err(format!("at most {MAX_FILES} photos at once"));
        }
        let mut buf = BytesMut::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| format!("the upload was cut off: {e}"))?;
            if buf.len() + chunk.len() > limit {
                return Err(if name == "file" {
                    format!("{file_name}: larger than {limit_mb} MB")
                } else {
                    "the description is too long".into()
                });
            }
            buf.extend_from_slice(&chunk);
        }
        if name == "file" {
            if !buf.is_empty() {
                upload.files.push((file_name, buf.freeze()));
            }
        } else {
            upload.alt =
                Some(String::from_utf8(buf.to_vec()).map_err(|_| "the description is not text")?);
        }
    }
    Ok(upload)
}
