//! Image records: which variants an artwork photo or an artist portrait has, in what order,
//! and the public urls built from them.
use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use chrono::Utc;
use entity::{artist, artwork, image};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::process::{Encoding, Processed};
use super::{Media, MediaError};
use crate::catalog::freshness::{RefreshCards, Scope};
use crate::error::FieldErrors;
use crate::validate::line_field;
use crate::{audit, db};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImageVariants {
    pub thumb: String,
    pub medium: String,
    pub large: String,
}

/// A photo as clients see it: JPEG urls in `variants`, the same sizes as WebP in `webp`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImageView {
    pub id: String,
    pub alt: String,
    /// Upright size of the photo as uploaded.
    pub width: i32,
    pub height: i32,
    pub variants: ImageVariants,
    pub webp: ImageVariants,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    jpeg: String,
    webp: String,
    width: u32,
    height: u32,
}

fn stored_variants(processed: &Processed) -> BTreeMap<&'static str, Stored> {
    let mut out: BTreeMap<&'static str, Stored> = BTreeMap::new();
    for v in &processed.variants {
        let entry = out.entry(v.size).or_default();
        entry.width = v.width;
        entry.height = v.height;
        match v.encoding {
            Encoding::Jpeg => entry.jpeg = v.key.clone(),
            Encoding::WebP => entry.webp = v.key.clone(),
        }
    }
    out
}

fn keys_of(row: &image::Model) -> Vec<String> {
    variant_keys(&row.variants)
}

/// The stored files an image row's `variants` column names.
pub fn variant_keys(variants: &str) -> Vec<String> {
    let variants: BTreeMap<String, Stored> = serde_json::from_str(variants).unwrap_or_default();
    variants
        .into_values()
        .flat_map(|v| [v.jpeg, v.webp])
        .collect()
}

pub fn view(media: &Media, row: &image::Model) -> ImageView {
    let variants: BTreeMap<String, Stored> =
        serde_json::from_str(&row.variants).unwrap_or_default();
    let url = |size: &str, webp: bool| {
        variants
            .get(size)
            .map(|v| media.url(if webp { &v.webp } else { &v.jpeg }))
            .unwrap_or_default()
    };
    let set = |webp| ImageVariants {
        thumb: url("thumb", webp),
        medium: url("medium", webp),
        large: url("large", webp),
    };
    ImageView {
        id: row.id.clone(),
        alt: row.alt.clone(),
        width: row.width,
        height: row.height,
        variants: set(false),
        webp: set(true),
    }
}

/// The photos of each artwork, in order.
pub async fn for_artworks(
    conn: &impl ConnectionTrait,
    media: &Media,
    artwork_ids: Vec<String>,
) -> Result<HashMap<String, Vec<ImageView>>, sea_orm::DbErr> {
    let rows = image::Entity::find()
        .filter(image::Column::ArtworkId.is_in(artwork_ids))
        .order_by_asc(image::Column::Position)
        .order_by_asc(image::Column::Id)
        .all(conn)
        .await?;
    let mut out: HashMap<String, Vec<ImageView>> = HashMap::new();
    for row in rows {
        if let Some(artwork_id) = &row.artwork_id {
            out.entry(artwork_id.clone())
                .or_default()
                .push(view(media, &row));
        }
    }
    Ok(out)
}

pub async fn portraits(
    conn: &impl ConnectionTrait,
    media: &Media,
    artist_ids: Vec<String>,
) -> Result<HashMap<String, ImageView>, sea_orm::DbErr> {
    Ok(image::Entity::find()
        .filter(image::Column::ArtistId.is_in(artist_ids))
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|row| Some((row.artist_id.clone()?, view(media, &row))))
        .collect())
}

/// Alt text: given, or the painting's title / the artist's name, so no image is unlabelled.
fn alt_text(alt: Option<&str>, fallback: &str) -> Result<String, MediaError> {
    let mut errors = FieldErrors::new();
    let alt = line_field(&mut errors, "alt", alt.unwrap_or(""), false, 500);
    if let Err(e) = errors.into_result() {
        return Err(MediaError::Invalid(
            e.0.first()
                .map(|f| format!("alt: {}", f.message))
                .unwrap_or_default(),
        ));
    }
    Ok(if alt.is_empty() {
        fallback.to_string()
    } else {
        alt
    })
}

/// Processes and stores the variants, then records them. Files go first: a row never points
/// at missing files, and files left by a failure in between are unreferenced and harmless.
async fn store_variants(media: &Media, bytes: Bytes) -> Result<Processed, MediaError> {
    let processed = media.process(bytes).await?;
    for v in &processed.variants {
        media.store.put(&v.key, v.bytes.clone()).await?;
    }
    Ok(processed)
}

fn new_row(processed: &Processed, alt: String, position: i32) -> image::Model {
    image::Model {
        id: db::new_id(),
        artwork_id: None,
        artist_id: None,
        position,
        alt,
        width: i32::try_from(processed.width).unwrap_or(i32::MAX),
        height: i32::try_from(processed.height).unwrap_or(i32::MAX),
        variants: serde_json::to_string(&stored_variants(processed)).unwrap_or_default(),
        created_at: Utc::now(),
    }
}

pub async fn add_to_artwork(
    db: &DatabaseConnection,
    media: &Media,
    cards: &dyn RefreshCards,
    admin_id: &str,
    artwork_id: &str,
    bytes: Bytes,
    alt: Option<&str>,
) -> Result<ImageView, MediaError> {
    let art = artwork::Entity::find_by_id(artwork_id.to_string())
        .one(db)
        .await?
        .ok_or(MediaError::NotFound("artwork"))?;
    let alt = alt_text(alt, &art.title)?;
    let processed = store_variants(media, bytes).await?;
    let txn = db::begin_write(db).await?;
    let last: Option<Option<i32>> = image::Entity::find()
        .select_only()
        .column_as(image::Column::Position.max(), "p")
        .filter(image::Column::ArtworkId.eq(artwork_id))
        .into_tuple()
        .one(&txn)
        .await?;
    let position = last.flatten().map_or(0, |p| p + 1);
    let mut row = new_row(&processed, alt, position);
    row.artwork_id = Some(artwork_id.to_string());
    image::Entity::insert(image::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    audit::record(&txn, admin_id, "image.create", "artwork", artwork_id, &[]).await?;
    cards.refresh(&txn, Scope::Artwork(artwork_id)).await?;
    txn.commit().await?;
    Ok(view(media, &row))
}

/// An artist has one portrait; a new upload replaces the old one.
pub async fn set_portrait(
    db: &DatabaseConnection,
    media: &Media,
    admin_id: &str,
    artist_id: &str,
    bytes: Bytes,
    alt: Option<&str>,
) -> Result<ImageView, MediaError> {
    let artist = artist::Entity::find_by_id(artist_id.to_string())
        .one(db)
        .await?
        .ok_or(MediaError::NotFound("artist"))?;
    let alt = alt_text(alt, &artist.display_name)?;
    let processed = store_variants(media, bytes).await?;
    let txn = db::begin_write(db).await?;
    let old = image::Entity::find()
        .filter(image::Column::ArtistId.eq(artist_id))
        .all(&txn)
        .await?;
    image::Entity::delete_many()
        .filter(image::Column::ArtistId.eq(artist_id))
        .exec(&txn)
        .await?;
    let mut row = new_row(&processed, alt, 0);
    row.artist_id = Some(artist_id.to_string());
    image::Entity::insert(image::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    audit::record(&txn, admin_id, "image.portrait", "artist", artist_id, &[]).await?;
    txn.commit().await?;
    delete_files(db, media, &old).await?;
    Ok(view(media, &row))
}

/// How many photos painting `artwork_id` has.
pub async fn count_for_artwork(
    conn: &impl sea_orm::ConnectionTrait,
    artwork_id: &str,
) -> Result<u64, sea_orm::DbErr> {
    use sea_orm::PaginatorTrait;
    image::Entity::find()
        .filter(image::Column::ArtworkId.eq(artwork_id))
        .count(conn)
        .await
}

pub async fn delete_from_artwork(
    db: &DatabaseConnection,
    media: &Media,
    cards: &dyn RefreshCards,
    admin_id: &str,
    artwork_id: &str,
    image_id: &str,
) -> Result<(), MediaError> {
    // Reserved and sold paintings too: an expiry, a cancellation or a refund puts them back
    // on sale, with whatever photos they have then.
    let on_sale = entity::artwork::Entity::find_by_id(artwork_id.to_string())
        .one(db)
        .await?
        .is_some_and(|a| {
            crate::catalog::ArtworkStatus::parse(&a.status)
                .is_some_and(crate::catalog::ArtworkStatus::is_public)
        });
    let is_its_photo = image::Entity::find_by_id(image_id.to_string())
        .filter(image::Column::ArtworkId.eq(artwork_id))
        .one(db)
        .await?
        .is_some();
    // A photo that is not there is the 404 below, whatever the painting's state.
    if on_sale && is_its_photo && count_for_artwork(db, artwork_id).await? <= 1 {
        return Err(MediaError::LastPhoto);
    }
    let filter = image::Column::ArtworkId.eq(artwork_id);
    let owner = ("artwork", artwork_id);
    delete_where(db, media, Some(cards), admin_id, owner, image_id, filter).await
}

pub async fn delete_portrait(
    db: &DatabaseConnection,
    media: &Media,
    admin_id: &str,
    artist_id: &str,
) -> Result<(), MediaError> {
    let row = image::Entity::find()
        .filter(image::Column::ArtistId.eq(artist_id))
        .one(db)
        .await?;
    // Removing a portrait the artist does not have leaves what was asked for: 204, like a
    // second DELETE. Only an unknown artist is a 404.
    let Some(row) = row else {
        entity::artist::Entity::find_by_id(artist_id.to_string())
            .one(db)
            .await?
            .ok_or(MediaError::NotFound("artist"))?;
        return Ok(());
    };
    let filter = image::Column::ArtistId.eq(artist_id);
    let owner = ("artist", artist_id);
    delete_where(db, media, None, admin_id, owner, &row.id, filter).await
}

/// A photo's new description and place among the painting's photos (`first` puts it first:
/// the first photo is the one the shop's cards and link previews show).
pub async fn edit_artwork_image(
    db: &DatabaseConnection,
    cards: &dyn RefreshCards,
    admin_id: &str,
    artwork_id: &str,
    image_id: &str,
    alt: &str,
    first: bool,
) -> Result<(), MediaError> {
    let txn = db::begin_write(db).await?;
    let row = image::Entity::find_by_id(image_id.to_string())
        .filter(image::Column::ArtworkId.eq(artwork_id))
        .one(&txn)
        .await?
        .ok_or(MediaError::NotFound("image"))?;
    let art = artwork::Entity::find_by_id(artwork_id.to_string())
        .one(&txn)
        .await?
        .ok_or(MediaError::NotFound("artwork"))?;
    let alt = alt_text(Some(alt), &art.title)?;
    let position = if first {
        let lowest: Option<Option<i32>> = image::Entity::find()
            .select_only()
            .column_as(image::Column::Position.min(), "p")
            .filter(image::Column::ArtworkId.eq(artwork_id))
            .into_tuple()
            .one(&txn)
            .await?;
        lowest.flatten().map_or(0, |p| p.saturating_sub(1))
    } else {
        row.position
    };
    image::ActiveModel {
        id: sea_orm::ActiveValue::Set(row.id),
        alt: sea_orm::ActiveValue::Set(alt),
        position: sea_orm::ActiveValue::Set(position),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        admin_id,
        "image.update",
        "artwork",
        artwork_id,
        &["alt", "position"],
    )
    .await?;
    cards.refresh(&txn, Scope::Artwork(artwork_id)).await?;
    txn.commit().await?;
    Ok(())
}

/// `cards` when the photo is a painting's (a portrait is on no card).
async fn delete_where(
    db: &DatabaseConnection,
    media: &Media,
    cards: Option<&dyn RefreshCards>,
    admin_id: &str,
    (owner, owner_id): (&str, &str),
    image_id: &str,
    belongs: sea_orm::sea_query::SimpleExpr,
) -> Result<(), MediaError> {
    let txn = db::begin_write(db).await?;
    let row = image::Entity::find_by_id(image_id.to_string())
        .filter(belongs)
        .one(&txn)
        .await?
        .ok_or(MediaError::NotFound("image"))?;
    image::Entity::delete_by_id(row.id.clone())
        .exec(&txn)
        .await?;
    audit::record(&txn, admin_id, "image.delete", owner, owner_id, &[]).await?;
    if let (Some(cards), Some(artwork_id)) = (cards, &row.artwork_id) {
        cards.refresh(&txn, Scope::Artwork(artwork_id)).await?;
    }
    txn.commit().await?;
    delete_files(db, media, std::slice::from_ref(&row)).await
}

/// Removes the files of photos whose rows went with their artwork or artist. The owner is
/// already gone, so a file that cannot be removed is logged (by image id) rather than
/// turned into an error for a deletion that happened.
pub async fn discard(db: &DatabaseConnection, media: &Media, rows: Vec<image::Model>) {
    if let Err(err) = delete_files(db, media, &rows).await {
        let ids: Vec<&str> = rows.iter().map(|row| row.id.as_str()).collect();
        tracing::warn!(error = %err, images = ?ids, "photo files left after their owner was deleted");
    }
}

/// Removes the files of deleted rows, except a file another image still uses (the same
/// photo uploaded twice has the same content-addressed keys).
async fn delete_files(
    db: &DatabaseConnection,
    media: &Media,
    rows: &[image::Model],
) -> Result<(), MediaError> {
    for key in rows.iter().flat_map(keys_of) {
        let still_used = image::Entity::find()
            .filter(image::Column::Variants.contains(format!("\"{key}\"")))
            .one(db)
            .await?
            .is_some();
        if !still_used {
            media.store.delete(&key).await?;
        }
    }
    Ok(())
}
