//! Photo uploads (admin, multipart) and `GET /media/{key}`.
use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use crate::auth::AdminIdentity;
use crate::error::{ApiError, DomainError, FieldErrors};
use crate::media::images::{self, ImageView};
use crate::media::{Media, MediaError};
use crate::state::AppState;

/// The `file` and optional `alt` fields of an upload. The size limit is enforced while
/// reading (and from Content-Length before), so an oversized upload is never held whole.
async fn read_upload(
    req: &HttpRequest,
    mut payload: Multipart,
    max: usize,
) -> Result<(Bytes, Option<String>), ApiError> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(DomainError::UnsupportedMediaType {
            expected: "multipart/form-data",
        }
        .into());
    }
    let too_large = || {
        ApiError::from(MediaError::TooLarge {
            limit_mb: max / (1024 * 1024),
        })
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    // Room for the multipart framing and the alt text around the file.
    if declared.is_some_and(|n| n > max + 64 * 1024) {
        return Err(too_large());
    }
    let malformed = |e: actix_multipart::MultipartError| {
        DomainError::BadRequest(format!("malformed multipart body: {e}"))
    };
    let mut file = None;
    let mut alt = None;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(malformed)?;
        let name = field.name().unwrap_or_default().to_string();
        let limit = match name.as_str() {
            "file" => max,
            "alt" => 4 * 1024,
            other => {
                return Err(FieldErrors::single(
                    other.to_string(),
                    "unknown field; expected file and alt",
                )
                .into());
            }
        };
        let mut buf = BytesMut::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(malformed)?;
            if buf.len() + chunk.len() > limit {
                return Err(if name == "file" {
                    too_large()
                } else {
                    FieldErrors::single("alt", "at most 500 characters").into()
                });
            }
            buf.extend_from_slice(&chunk);
        }
        if name == "file" {
            file = Some(buf.freeze());
        } else {
            alt = Some(
                String::from_utf8(buf.to_vec())
                    .map_err(|_| FieldErrors::single("alt", "not valid UTF-8"))?,
            );
        }
    }
    let file = file.ok_or_else(|| FieldErrors::single("file", "a photo is required"))?;
    Ok((file, alt))
}

fn media(state: &AppState) -> &Media {
    &state.media
}

/// Whose photo an upload is.
enum Owner {
    Artwork(String),
    Artist(String),
}

async fn accept(
    state: &AppState,
    identity: &AdminIdentity,
    owner: Owner,
    req: &HttpRequest,
    payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    let media = media(state);
    let (file, alt) = read_upload(req, payload, media.max_upload_bytes).await?;
    let (db, admin, alt) = (&state.db, &identity.admin_id, alt.as_deref());
    let image = match owner {
        Owner::Artwork(id) => {
            images::add_to_artwork(db, media, &state.core.cards, admin, &id, file, alt).await?
        }
        Owner::Artist(id) => images::set_portrait(db, media, admin, &id, file, alt).await?,
    };
    Ok(HttpResponse::Created().json(image))
}

/// The multipart form a photo is sent in (documentation only: `accept` reads the parts).
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct PhotoUpload {
    /// The photo: JPEG, PNG or WebP.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// What the photo shows, for screen readers; the title when left out.
    #[schema(schema_with = crate::validate::schema::optional_line::<500>)]
    alt: Option<String>,
}

/// Add a photo to an artwork: JPEG, PNG or WebP, re-encoded without any metadata into
/// thumb (400 px), medium (1200 px) and large (2400 px) variants, JPEG and WebP.
#[utoipa::path(operation_id = "adminUploadArtworkImage", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content = PhotoUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = ImageView), (status = 401), (status = 404), (status = 413), (status = 415), (status = 422)))]
#[post("/artworks/{id}/images")]
pub async fn upload_artwork_image(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
    req: HttpRequest,
    payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    let owner = Owner::Artwork(id.into_inner());
    accept(&state, &identity, owner, &req, payload).await
}

/// Remove a photo and its stored variants; 409 `photo_needed` for the only photo of a
/// painting on sale.
#[utoipa::path(operation_id = "adminDeleteArtworkImage", tag = "admin", security(("bearer" = [])), params(("id" = String, Path), ("image_id" = String, Path)),
    responses((status = 204), (status = 401), (status = 404), (status = 409)))]
#[delete("/artworks/{id}/images/{image_id}")]
pub async fn delete_artwork_image(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, image_id) = path.into_inner();
    images::delete_from_artwork(
        &state.db,
        media(&state),
        &state.core.cards,
        &identity.admin_id,
        &id,
        &image_id,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Set (or replace) an artist's portrait; same processing as artwork photos.
#[utoipa::path(operation_id = "adminUploadArtistPortrait", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content = PhotoUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = ImageView), (status = 401), (status = 404), (status = 413), (status = 415), (status = 422)))]
#[post("/artists/{id}/portrait")]
pub async fn upload_portrait(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
    req: HttpRequest,
    payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    let owner = Owner::Artist(id.into_inner());
    accept(&state, &identity, owner, &req, payload).await
}

/// Remove an artist's portrait (204 also when they had none).
#[utoipa::path(operation_id = "adminDeleteArtistPortrait", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 401), (status = 404, description = "no such artist")))]
#[delete("/artists/{id}/portrait")]
pub async fn delete_portrait(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    images::delete_portrait(&state.db, media(&state), &identity.admin_id, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Keys are content hashes: 40 hex digits and the format's extension. Anything else (a path,
/// a dot-dot) is simply not found.
fn content_type_of(key: &str) -> Option<&'static str> {
    let (hash, ext) = key.split_once('.')?;
    if hash.len() != 40
        || !hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return None;
    }
    match ext {
        "jpg" => Some("image/jpeg"),
        "webp" => Some("image/webp"),
        _ => None,
    }
}

/// A stored variant. Its key is the hash of its bytes, so it may be cached forever.
#[utoipa::path(operation_id = "getMedia", tag = "catalog", params(("key" = String, Path)),
    responses((status = 200, description = "the variant: a JPEG, or a WebP where its key ends in .webp",
        content(("image/jpeg"), ("image/webp"))), (status = 304), (status = 404)))]
#[get("/media/{key}")]
pub async fn serve(
    state: web::Data<AppState>,
    key: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let content_type = content_type_of(&key).ok_or(DomainError::NotFound("image"))?;
    let etag = format!("\"{}\"", key.split('.').next().unwrap_or_default());
    let cache = (header::CACHE_CONTROL, "public, max-age=31536000, immutable");
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header(cache)
            .finish());
    }
    let bytes = media(&state)
        .store
        .get(&key)
        .await?
        .ok_or(DomainError::NotFound("image"))?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::ETAG, etag))
        .insert_header(cache)
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(bytes))
}
