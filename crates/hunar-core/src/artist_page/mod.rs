//! The artist's own page: opened from a link a coordinator makes (and every message to the
//! artist carries), with no account and no password, in the artist's language. `link` makes
//! and checks the links; `view` reads what the page shows.
pub mod link;
pub mod view;

use sea_orm::{DatabaseConnection, EntityTrait};

use crate::error::DomainError;
use crate::orders::tokens::OrderTokens;

/// A coordinator makes a new link for an artist (the old one stops working), in their name.
pub async fn make_link(
    db: &DatabaseConnection,
    tokens: &OrderTokens,
    public_base_url: &str,
    admin_id: &str,
    artist_id: &str,
) -> Result<link::PageLink, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    entity::artist::Entity::find_by_id(artist_id.to_string())
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("artist"))?;
    let made = link::renew(&txn, tokens, public_base_url, artist_id).await?;
    crate::audit::record(&txn, admin_id, "artist.page_link", "artist", artist_id, &[]).await?;
    txn.commit().await?;
    Ok(made)
}

/// The page behind `token`; none for an unknown, old or expired link (the page says so
/// without telling which).
pub async fn open(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Option<view::ArtistPage>, DomainError> {
    let Some(artist) = link::artist_of(db, token).await? else {
        return Ok(None);
    };
    Ok(Some(view::page(db, &artist).await?))
}
