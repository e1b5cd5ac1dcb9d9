//! What supporters see: public artists and artworks with prices per destination. These
//! views are separate types from the admin views and never read private columns.
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use entity::{artist, artwork, size_tier, size_tier_price};
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Expr, Func, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::pricing::{ZonePrice, price_for};
use super::tiers::{PricedTier, load_priced};
use super::zones::{self, ZoneRef};
use super::{ArtworkStatus, CatalogError};
use crate::country::CountryCode;
use crate::error::FieldErrors;
use crate::media::Media;
use crate::media::images::{self, ImageView};
use crate::pagination::{Page, Pagination};

#[derive(Debug, Serialize, ToSchema)]
pub struct ArtistSummary {
    pub id: String,
    pub slug: String,
    pub display_name: String,
    pub bio: String,
    pub bio_fa: String,
    pub deported_from: Option<String>,
    pub artwork_count: u64,
    pub portrait: Option<ImageView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicTier {
    pub id: String,
    pub name: String,
    pub width_cm: i32,
    pub height_cm: i32,
    pub currency: String,
    pub prices: Vec<ZonePrice>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArtistDetail {
    #[serde(flatten)]
    pub artist: ArtistSummary,
    pub size_tiers: Vec<PublicTier>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArtistRef {
    pub id: String,
    pub slug: String,
    pub display_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TierRef {
    pub id: String,
    pub name: String,
}

/// The price for the requested country, or every zone's price when none was asked for.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Price {
    ForCountry(ZonePrice),
    EveryZone(Vec<ZonePrice>),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArtworkView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub medium: String,
    pub width_cm: i32,
    pub height_cm: i32,
    pub year: Option<i32>,
    pub status: ArtworkStatus,
    pub artist: ArtistRef,
    pub size_tier: TierRef,
    pub images: Vec<ImageView>,
    /// null when the painting has no price for the requested country's zone.
    pub price: Option<Price>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Quote {
    #[schema(value_type = String, example = "50.00")]
    pub amount: rust_decimal::Decimal,
    pub currency: String,
    pub zone: String,
    pub shipping_included: bool,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountryQuery {
    /// ISO 3166-1 alpha-2 destination, e.g. SE.
    pub country: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArtworkQuery {
    /// Artist slug.
    pub artist: Option<String>,
    /// available (default), reserved or sold.
    pub status: Option<String>,
    /// Size tier id.
    pub size_tier: Option<String>,
    /// ISO 3166-1 alpha-2 destination: prices are shown for it.
    pub country: Option<String>,
    /// newest (default), price_asc or price_desc.
    pub sort: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Newest,
    PriceAsc,
    PriceDesc,
}

fn parse_country(errors: &mut FieldErrors, country: Option<&str>) -> Option<CountryCode> {
    country.and_then(|c| errors.check("country", CountryCode::parse(c)))
}

async fn destination(
    conn: &impl ConnectionTrait,
    country: Option<CountryCode>,
) -> Result<Option<ZoneRef>, CatalogError> {
    match country {
        Some(country) => zones::zone_for_country(conn, country).await,
        None => Ok(None),
    }
}

fn public_statuses() -> Vec<&'static str> {
    ArtworkStatus::PUBLIC.iter().map(|s| s.as_str()).collect()
}

fn summary(a: artist::Model, artwork_count: u64, portrait: Option<ImageView>) -> ArtistSummary {
    ArtistSummary {
        id: a.id,
        slug: a.slug,
        display_name: a.display_name,
        bio: a.bio,
        bio_fa: a.bio_fa,
        deported_from: a.deported_from,
        artwork_count,
        portrait,
    }
}

async fn public_artwork_counts(
    conn: &impl ConnectionTrait,
    artist_ids: Vec<String>,
) -> Result<HashMap<String, u64>, CatalogError> {
    let rows: Vec<(String, i64)> = artwork::Entity::find()
        .select_only()
        .column(artwork::Column::ArtistId)
        .column_as(artwork::Column::Id.count(), "n")
        .filter(artwork::Column::ArtistId.is_in(artist_ids))
        .filter(artwork::Column::Status.is_in(public_statuses()))
        .group_by(artwork::Column::ArtistId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, n)| (id, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// Artists with at least one public painting; an artist still being set up stays hidden.
pub async fn list_artists(
    db: &DatabaseConnection,
    media: &Media,
    page: Pagination,
) -> Result<Page<ArtistSummary>, CatalogError> {
    let with_public_work = Query::select()
        .column(artwork::Column::ArtistId)
        .from(artwork::Entity)
        .and_where(artwork::Column::Status.is_in(public_statuses()))
        .to_owned();
    let query = artist::Entity::find()
        .filter(artist::Column::Id.in_subquery(with_public_work))
        .order_by_asc(artist::Column::DisplayName)
        .order_by_asc(artist::Column::Id);
    let (total, artists) = futures_util::try_join!(
        query.clone().count(db),
        query.offset(page.offset()).limit(page.per_page).all(db),
    )?;
    let ids: Vec<String> = artists.iter().map(|a| a.id.clone()).collect();
    let (counts, mut portraits) =
        futures_util::try_join!(public_artwork_counts(db, ids.clone()), async {
            Ok(images::portraits(db, media, ids).await?)
        },)?;
    let items = artists
        .into_iter()
        .map(|a| {
            let n = counts.get(&a.id).copied().unwrap_or(0);
            let portrait = portraits.remove(&a.id);
            summary(a, n, portrait)
        })
        .collect();
    Ok(Page::new(items, page, total))
}

pub async fn get_artist(
    db: &DatabaseConnection,
    media: &Media,
    slug: &str,
    country: Option<&str>,
) -> Result<ArtistDetail, CatalogError> {
    let mut errors = FieldErrors::new();
    let country = parse_country(&mut errors, country);
    errors.into_result()?;
    let artist = artist::Entity::find()
        .filter(artist::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or(CatalogError::NotFound("artist"))?;
    let count = public_artwork_counts(db, vec![artist.id.clone()])
        .await?
        .get(&artist.id)
        .copied()
        .unwrap_or(0);
    if count == 0 {
        return Err(CatalogError::NotFound("artist"));
    }
    // The artist's own tiers, and the shop-wide tiers their public paintings use.
    let used_tiers = Query::select()
        .column(artwork::Column::SizeTierId)
        .from(artwork::Entity)
        .and_where(artwork::Column::ArtistId.eq(artist.id.as_str()))
        .and_where(artwork::Column::Status.is_in(public_statuses()))
        .to_owned();
    let tier_ids: Vec<String> = size_tier::Entity::find()
        .filter(
            size_tier::Column::ArtistId
                .eq(artist.id.as_str())
                .or(size_tier::Column::Id.in_subquery(used_tiers)),
        )
        .order_by_asc(size_tier::Column::WidthCm)
        .order_by_asc(size_tier::Column::HeightCm)
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    let mut priced = load_priced(db, tier_ids.clone()).await?;
    let zone = destination(db, country).await?;
    let zone_names = zones::names(db).await?;
    let size_tiers = tier_ids
        .iter()
        .filter_map(|id| priced.remove(id))
        .map(|p| {
            let prices = zone_names
                .iter()
                .filter(|(id, _)| zone.as_ref().is_none_or(|z| &z.id == *id))
                .filter_map(|(id, name)| p.price_in(id).map(|m| ZonePrice::new(m, name)))
                .collect();
            PublicTier {
                id: p.tier.id,
                name: p.tier.name,
                width_cm: p.tier.width_cm,
                height_cm: p.tier.height_cm,
                currency: p.tier.currency,
                prices,
            }
        })
        .collect();
    let portrait = images::portraits(db, media, vec![artist.id.clone()])
        .await?
        .remove(&artist.id);
    Ok(ArtistDetail {
        artist: summary(artist, count, portrait),
        size_tiers,
    })
}

/// Turns a page of artwork rows into public views, loading what they refer to in bulk.
async fn assemble(
    conn: &impl ConnectionTrait,
    media: &Media,
    rows: Vec<artwork::Model>,
    zone: Option<&ZoneRef>,
) -> Result<Vec<ArtworkView>, CatalogError> {
    let mut artist_ids: Vec<String> = rows.iter().map(|a| a.artist_id.clone()).collect();
    artist_ids.sort();
    artist_ids.dedup();
    let mut tier_ids: Vec<String> = rows.iter().map(|a| a.size_tier_id.clone()).collect();
    tier_ids.sort();
    tier_ids.dedup();
    // Four independent reads: asked together, a page waits for the slowest, not the sum.
    let artwork_ids = rows.iter().map(|a| a.id.clone()).collect();
    let (artists, tiers, mut photos, zone_names) = futures_util::try_join!(
        async {
            Ok::<_, CatalogError>(
                artist::Entity::find()
                    .filter(artist::Column::Id.is_in(artist_ids))
                    .all(conn)
                    .await?,
            )
        },
        load_priced(conn, tier_ids),
        async { Ok(images::for_artworks(conn, media, artwork_ids).await?) },
        async {
            match zone {
                None => zones::names(conn).await,
                Some(_) => Ok(BTreeMap::new()),
            }
        },
    )?;
    let artists: HashMap<String, artist::Model> =
        artists.into_iter().map(|a| (a.id.clone(), a)).collect();
    let tiers: BTreeMap<String, PricedTier> = tiers;
    let views = rows
        .into_iter()
        .filter_map(|a| {
            let artist = artists.get(&a.artist_id)?;
            let tier = tiers.get(&a.size_tier_id);
            let price = match zone {
                Some(zone) => price_for(&a, tier, zone)
                    .map(|m| Price::ForCountry(ZonePrice::new(m, &zone.name))),
                None => Some(Price::EveryZone(
                    zone_names
                        .iter()
                        .filter_map(|(id, name)| {
                            let zone = ZoneRef {
                                id: id.clone(),
                                name: name.clone(),
                            };
                            price_for(&a, tier, &zone).map(|m| ZonePrice::new(m, name))
                        })
                        .collect(),
                )),
            };
            Some(ArtworkView {
                status: super::artworks::status_of(&a),
                artist: ArtistRef {
                    id: artist.id.clone(),
                    slug: artist.slug.clone(),
                    display_name: artist.display_name.clone(),
                },
                size_tier: TierRef {
                    id: a.size_tier_id.clone(),
                    name: tier.map(|t| t.tier.name.clone()).unwrap_or_default(),
                },
                images: photos.remove(&a.id).unwrap_or_default(),
                price,
                id: a.id,
                title: a.title,
                description: a.description,
                medium: a.medium,
                width_cm: a.width_cm,
                height_cm: a.height_cm,
                year: a.year,
                created_at: a.created_at,
            })
        })
        .collect();
    Ok(views)
}

/// `COALESCE(price_override_minor, <tier price in zone>)`, for sorting by price.
fn effective_price_expr(zone_id: &str) -> SimpleExpr {
    let tier_price = Query::select()
        .column(size_tier_price::Column::AmountMinor)
        .from(size_tier_price::Entity)
        .and_where(
            Expr::col((size_tier_price::Entity, size_tier_price::Column::TierId))
                .equals((artwork::Entity, artwork::Column::SizeTierId)),
        )
        .and_where(
            Expr::col((size_tier_price::Entity, size_tier_price::Column::ZoneId)).eq(zone_id),
        )
        .to_owned();
    Func::coalesce([
        Expr::col((artwork::Entity, artwork::Column::PriceOverrideMinor)),
        SimpleExpr::SubQuery(None, Box::new(tier_price.into())),
    ])
    .into()
}

pub async fn list_artworks(
    db: &DatabaseConnection,
    media: &Media,
    query: ArtworkQuery,
) -> Result<Page<ArtworkView>, CatalogError> {
    let mut errors = FieldErrors::new();
    let page = errors.check_fields(Pagination::new(query.page, query.per_page));
    let country = parse_country(&mut errors, query.country.as_deref());
    let status = match query.status.as_deref() {
        None => Some(ArtworkStatus::Available),
        Some(s) => {
            let status = ArtworkStatus::parse(s).filter(|s| s.is_public());
            if status.is_none() {
                errors.add("status", "expected available, reserved or sold");
            }
            status
        }
    };
    let sort = match query.sort.as_deref() {
        None | Some("newest") => Some(Sort::Newest),
        Some("price_asc") => Some(Sort::PriceAsc),
        Some("price_desc") => Some(Sort::PriceDesc),
        Some(_) => {
            errors.add("sort", "expected newest, price_asc or price_desc");
            None
        }
    };
    errors.into_result()?;
    let (Some(page), Some(status), Some(sort)) = (page, status, sort) else {
        return Err(FieldErrors::single("query", "invalid").into());
    };

    let zone = destination(db, country).await?;
    let mut select = artwork::Entity::find().filter(artwork::Column::Status.eq(status.as_str()));
    if let Some(slug) = &query.artist {
        let artist_id = Query::select()
            .column(artist::Column::Id)
            .from(artist::Entity)
            .and_where(artist::Column::Slug.eq(slug.as_str()))
            .to_owned();
        select = select.filter(artwork::Column::ArtistId.in_subquery(artist_id));
    }
    if let Some(tier) = &query.size_tier {
        select = select.filter(artwork::Column::SizeTierId.eq(tier.as_str()));
    }
    let counted = select.clone();
    select = match sort {
        Sort::Newest => select.order_by_desc(artwork::Column::CreatedAt),
        Sort::PriceAsc | Sort::PriceDesc => {
            // Without a destination, sort by the "rest of world" price.
            let zone_for_sort = match &zone {
                Some(z) => Some(z.clone()),
                None => zones::fallback_zone(db).await?,
            };
            let order = if sort == Sort::PriceAsc {
                Order::Asc
            } else {
                Order::Desc
            };
            match zone_for_sort {
                Some(z) => select.order_by(effective_price_expr(&z.id), order),
                None => select.order_by(artwork::Column::PriceOverrideMinor, order),
            }
        }
    };
    let (total, rows) = futures_util::try_join!(
        counted.count(db),
        select
            .order_by_desc(artwork::Column::Id)
            .offset(page.offset())
            .limit(page.per_page)
            .all(db),
    )?;
    let items = assemble(db, media, rows, zone.as_ref()).await?;
    Ok(Page::new(items, page, total))
}

async fn public_artwork(
    conn: &impl ConnectionTrait,
    id: &str,
) -> Result<artwork::Model, CatalogError> {
    artwork::Entity::find_by_id(id.to_string())
        .filter(artwork::Column::Status.is_in(public_statuses()))
        .one(conn)
        .await?
        .ok_or(CatalogError::NotFound("artwork"))
}

pub async fn get_artwork(
    db: &DatabaseConnection,
    media: &Media,
    id: &str,
    country: Option<&str>,
) -> Result<ArtworkView, CatalogError> {
    let mut errors = FieldErrors::new();
    let country = parse_country(&mut errors, country);
    errors.into_result()?;
    let row = public_artwork(db, id).await?;
    let zone = destination(db, country).await?;
    assemble(db, media, vec![row], zone.as_ref())
        .await?
        .pop()
        .ok_or(CatalogError::NotFound("artwork"))
}

pub async fn quote(
    db: &DatabaseConnection,
    id: &str,
    country: Option<&str>,
) -> Result<Quote, CatalogError> {
    let country = CountryCode::parse(country.unwrap_or(""))
        .map_err(|e| FieldErrors::single("country", e.to_string()))?;
    let row = public_artwork(db, id).await?;
    let not_shipped = || {
        FieldErrors::single(
            "country",
            format!("this painting cannot be shipped to {country} yet"),
        )
    };
    let zone = zones::zone_for_country(db, country)
        .await?
        .ok_or_else(not_shipped)?;
    let tiers = load_priced(db, vec![row.size_tier_id.clone()]).await?;
    let money = price_for(&row, tiers.get(&row.size_tier_id), &zone).ok_or_else(not_shipped)?;
    Ok(Quote {
        amount: money.to_decimal(),
        currency: money.currency().code().to_string(),
        zone: zone.name,
        shipping_included: true,
    })
}
