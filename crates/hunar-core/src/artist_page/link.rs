//! The link to an artist's own page. Its token is derived from the installation's secret,
//! the artist and the link's generation, so a message written months after the link was made
//! can carry it; the database keeps only the token's SHA-256, so a copied disk or backup
//! opens no artist's page. Making a new link moves the generation on: the old one is dead.
use chrono::{DateTime, Utc};
use entity::artist;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::auth::token::digest;
use crate::orders::tokens::OrderTokens;

/// How long a link works. Long enough that an artist who rarely has a connection still finds
/// their page; a coordinator ends it sooner by making a new one.
pub const LIFETIME_DAYS: i64 = 180;

const PURPOSE: &[u8] = b"hunar artist page\0";

/// A link as the coordinator hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageLink {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

fn token(tokens: &OrderTokens, artist_id: &str, generation: i32) -> String {
    tokens.derive(PURPOSE, &format!("{artist_id}\0{generation}"))
}

/// The page's address. The token rides in the query string: the request log never writes
/// query strings, and the page sends no Referer.
pub fn url(public_base_url: &str, token: &str) -> String {
    format!(
        "{}/page?token={token}",
        public_base_url.trim_end_matches('/')
    )
}

/// Until when the artist's link works, if it does: not expired, and made under this
/// installation's secret (after the secret changed, the stored hash names a dead link).
fn live(tokens: &OrderTokens, a: &artist::Model, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let current = digest(&token(tokens, &a.id, a.page_generation));
    a.page_token_hash
        .as_ref()
        .filter(|hash| **hash == current)
        .and(a.page_expires_at)
        .filter(|expires| *expires > now)
}

/// Moves the artist's link on from `seen` (the generation the caller read). Returns false
/// when someone else moved it first.
async fn advance(
    conn: &impl ConnectionTrait,
    tokens: &OrderTokens,
    artist_id: &str,
    seen: i32,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let next = seen.saturating_add(1);
    let moved = artist::Entity::update_many()
        .col_expr(artist::Column::PageGeneration, Expr::value(next))
        .col_expr(
            artist::Column::PageTokenHash,
            Expr::value(Some(digest(&token(tokens, artist_id, next)))),
        )
        .col_expr(
            artist::Column::PageExpiresAt,
            Expr::value(Some(now + chrono::Duration::days(LIFETIME_DAYS))),
        )
        .filter(artist::Column::Id.eq(artist_id))
        .filter(artist::Column::PageGeneration.eq(seen))
        .exec(conn)
        .await?;
    Ok(moved.rows_affected == 1)
}

async fn reread(conn: &impl ConnectionTrait, artist_id: &str) -> Result<artist::Model, DbErr> {
    artist::Entity::find_by_id(artist_id.to_string())
        .one(conn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("artist {artist_id}")))
}

fn link_of(
    tokens: &OrderTokens,
    public_base_url: &str,
    a: &artist::Model,
    expires_at: DateTime<Utc>,
) -> PageLink {
    PageLink {
        url: url(public_base_url, &token(tokens, &a.id, a.page_generation)),
        expires_at,
    }
}

/// A new link for the artist; the one before stops working at once. Called in the
/// caller's transaction.
pub async fn renew(
    conn: &impl ConnectionTrait,
    tokens: &OrderTokens,
    public_base_url: &str,
    artist_id: &str,
) -> Result<PageLink, DbErr> {
    let now = Utc::now();
    loop {
        let a = reread(conn, artist_id).await?;
        if advance(conn, tokens, artist_id, a.page_generation, now).await? {
            let a = reread(conn, artist_id).await?;
            let expires = a.page_expires_at.unwrap_or(now);
            return Ok(link_of(tokens, public_base_url, &a, expires));
        }
    }
}

/// The artist's live link, made when there is none (or it ran out): what a message to them
/// carries. Two messages written at once agree on one link: the second sees the first's.
pub async fn current(
    conn: &impl ConnectionTrait,
    tokens: &OrderTokens,
    public_base_url: &str,
    artist_id: &str,
) -> Result<PageLink, DbErr> {
    let now = Utc::now();
    for _ in 0..3 {
        let a = reread(conn, artist_id).await?;
        if let Some(expires) = live(tokens, &a, now) {
            return Ok(link_of(tokens, public_base_url, &a, expires));
        }
        advance(conn, tokens, artist_id, a.page_generation, now).await?;
    }
    renew(conn, tokens, public_base_url, artist_id).await
}

/// The artist whose live link carries `token`; none for an unknown, old or expired link.
pub async fn artist_of(
    conn: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<artist::Model>, DbErr> {
    // A token is 43 URL-safe characters; anything else is not worth a query.
    if token.len() != 43
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(None);
    }
    artist::Entity::find()
        .filter(artist::Column::PageTokenHash.eq(digest(token)))
        .filter(artist::Column::PageExpiresAt.gt(Utc::now()))
        .one(conn)
        .await
}
