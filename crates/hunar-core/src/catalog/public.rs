//! What supporters see: public artists and artworks with prices per destination. These
//! views are separate types from the admin views and never read private columns.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{artist, artwork, catalog_card, size_tier};
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Asterisk, Expr, Func, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::page_statements::{self, Filter, Sort, zone_condition};
use super::pricing::{ZonePrice, price_for};
use super::reader::{CardList, CardReader, ReadCards};
use super::tiers::load_priced;
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
    #[schema(pattern = "^[A-Z]{3}$", example = "USD")]
    pub currency: String,
    pub prices: Vec<ZonePrice>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArtistDetail {
    #[serde(flatten)]
    pub artist: ArtistSummary,
    pub size_tiers: Vec<PublicTier>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ArtistRef {
    pub id: String,
    pub slug: String,
    pub display_name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TierRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ArtworkView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub medium: String,
    /// The language `description` and `medium` are written in.
    #[serde(default = "written_in_english")]
    pub text_lang: String,
    /// Description and medium in other languages, by language (`sv`, `fa`, `en`); a reader
    /// of one of them gets these, anyone else the words as written.
    #[serde(default)]
    pub translations: crate::catalog::texts::Translations,
    pub width_cm: i32,
    pub height_cm: i32,
    pub year: Option<i32>,
    pub status: ArtworkStatus,
    pub artist: ArtistRef,
    pub size_tier: TierRef,
    pub images: Vec<ImageView>,
    /// The price shipped to `country`: null without a `country`, or when the painting is
    /// not shipped to that country's zone. One shape, never a list.
    pub price: Option<ZonePrice>,
    /// Every zone's price, shipping included; always a list (empty when none is set).
    pub prices: Vec<ZonePrice>,
    pub created_at: DateTime<Utc>,
}

/// Cards kept before paintings had a language for their words were written in English.
fn written_in_english() -> String {
    "en".into()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Quote {
    #[schema(value_type = String, pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "50.00")]
    pub amount: rust_decimal::Decimal,
    #[schema(pattern = "^[A-Z]{3}$", example = "USD")]
    pub currency: String,
    pub zone: String,
    pub shipping_included: bool,
}

fn public_status_schema() -> utoipa::openapi::Object {
    crate::validate::schema::one_of(ArtworkStatus::PUBLIC.map(ArtworkStatus::as_str), false)
}

fn sort_schema() -> utoipa::openapi::Object {
    crate::validate::schema::one_of(["newest", "price_asc", "price_desc"], false)
}

#[derive(Debug, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    #[param(schema_with = crate::pagination::page_schema)]
    pub page: Option<u64>,
    #[param(schema_with = crate::pagination::per_page_schema)]
    pub per_page: Option<u64>,
}

#[derive(Debug, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountryQuery {
    /// ISO 3166-1 alpha-2 destination, e.g. SE.
    #[param(schema_with = crate::country::schema)]
    pub country: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArtworkQuery {
    /// Artist slug.
    pub artist: Option<String>,
    /// available (default), reserved or sold.
    #[param(schema_with = public_status_schema)]
    pub status: Option<String>,
    /// Size tier id.
    pub size_tier: Option<String>,
    /// ISO 3166-1 alpha-2 destination: prices are shown for it.
    #[param(schema_with = crate::country::schema)]
    pub country: Option<String>,
    /// newest (default), price_asc or price_desc.
    #[param(schema_with = sort_schema)]
    pub sort: Option<String>,
    #[param(schema_with = crate::pagination::page_schema)]
    pub page: Option<u64>,
    #[param(schema_with = crate::pagination::per_page_schema)]
    pub per_page: Option<u64>,
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

/// The artist has a painting the public may see; asked per artist (artists are few,
/// paintings many), from the (artist, status) index.
fn has_public_work() -> SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(artwork::Entity)
            .and_where(
                Expr::col((artwork::Entity, artwork::Column::ArtistId))
                    .equals((artist::Entity, artist::Column::Id)),
            )
            .and_where(
                Expr::col((artwork::Entity, artwork::Column::Status)).is_in(public_statuses()),
            )
            .to_owned(),
    )
}

/// What a search engine may list: the slugs of artists with a public painting, and every
/// public painting's id, newest first (at most the 50,000 URLs a sitemap may hold). Two
/// statements however large the catalog.
pub async fn sitemap(db: &DatabaseConnection) -> Result<(Vec<String>, Vec<String>), CatalogError> {
    const MOST: u64 = 50_000;
    let (artists, artworks) = futures_util::try_join!(
        artist::Entity::find()
            .select_only()
            .column(artist::Column::Slug)
            .filter(has_public_work())
            .order_by_asc(artist::Column::DisplayName)
            .order_by_asc(artist::Column::Id)
            .limit(MOST)
            .into_tuple::<String>()
            .all(db),
        artwork::Entity::find()
            .select_only()
            .column(artwork::Column::Id)
            .filter(artwork::Column::Status.is_in(public_statuses()))
            .order_by_desc(artwork::Column::CreatedAt)
            .order_by_desc(artwork::Column::Id)
            .limit(MOST)
            .into_tuple::<String>()
            .all(db),
    )?;
    Ok((artists, artworks))
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
        // COUNT(*), not COUNT(id): the (artist, status) index answers it alone.
        .column_as(SimpleExpr::from(Func::count(Expr::col(Asterisk))), "n")
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
    let query = artist::Entity::find()
        .filter(has_public_work())
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

/// A page of public cards from the read model (see `cards`).
pub async fn list_artworks(
    reader: &CardReader,
    query: ArtworkQuery,
) -> Result<CardPage, CatalogError> {
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
    let filter = Filter {
        country,
        status,
        artist_slug: query.artist.as_deref(),
        size_tier: query.size_tier.as_deref(),
        sort,
    };
    page_of_cards(reader, &filter, page).await
}

/// `list_artworks` as views, for pages rendered on the server.
pub async fn list_artwork_views(
    reader: &CardReader,
    query: ArtworkQuery,
) -> Result<Page<ArtworkView>, CatalogError> {
    list_artworks(reader, query).await?.views()
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

/// One public painting's card, as JSON.
pub async fn get_artwork(
    reader: &CardReader,
    id: &str,
    country: Option<&str>,
) -> Result<String, CatalogError> {
    let mut errors = FieldErrors::new();
    let country = parse_country(&mut errors, country);
    errors.into_result()?;
    one_card(reader, id, country).await
}

/// `get_artwork` as a view, for pages rendered on the server.
pub async fn get_artwork_view(
    reader: &CardReader,
    id: &str,
    country: Option<&str>,
) -> Result<ArtworkView, CatalogError> {
    parse(&get_artwork(reader, id, country).await?)
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

/// The start of a page's body: the cards are read in behind it.
const ITEMS: &[u8] = b"{\"items\":[";

/// A page of cards, ready to be written out as `{"items", "page", "per_page", "total"}`.
pub struct CardPage {
    pub cards: CardList,
    pub page: Pagination,
    pub total: u64,
}

impl CardPage {
    /// The body, with the cards as they are stored: nothing is parsed or re-encoded.
    pub fn into_json(self) -> Vec<u8> {
        use std::io::Write;
        let mut body = self.cards.into_bytes();
        // Writing into a Vec cannot fail.
        let _ = write!(
            body,
            "],\"page\":{},\"per_page\":{},\"total\":{}}}",
            self.page.page, self.page.per_page, self.total
        );
        body
    }

    /// The cards as views, for pages rendered on the server.
    pub fn views(self) -> Result<crate::pagination::Page<ArtworkView>, CatalogError> {
        let mut list = Vec::with_capacity(self.cards.joined().len() + 2);
        list.push(b'[');
        list.extend_from_slice(self.cards.joined());
        list.push(b']');
        let items: Vec<ArtworkView> = from_card_json(&list)?;
        Ok(crate::pagination::Page::new(items, self.page, self.total))
    }
}

pub fn parse(card: &str) -> Result<ArtworkView, CatalogError> {
    from_card_json(card.as_bytes())
}

/// A card, or a list of cards, read back as views.
fn from_card_json<T: serde::de::DeserializeOwned>(json: &[u8]) -> Result<T, CatalogError> {
    serde_json::from_slice(json)
        .map_err(|e| sea_orm::DbErr::Custom(format!("reading a card: {e}")).into())
}

/// One page of cards and how many there are.
async fn page_of_cards(
    reader: &CardReader,
    filter: &Filter<'_>,
    page: Pagination,
) -> Result<CardPage, CatalogError> {
    let statements = page_statements::page(reader, filter, page);
    let (cards, total) = reader.page(statements, CardList::after(ITEMS)).await?;
    Ok(CardPage {
        cards,
        page,
        total: u64::try_from(total).unwrap_or(0),
    })
}

/// One public painting's card for `country` (with no price without one).
async fn one_card(
    reader: &CardReader,
    id: &str,
    country: Option<CountryCode>,
) -> Result<String, CatalogError> {
    let mut query = Query::select();
    query
        .column(catalog_card::Column::Card)
        .from(catalog_card::Entity)
        .and_where(zone_condition(
            country.map(|c| sea_orm::Value::from(c.as_str().to_string())),
        ))
        .and_where(catalog_card::Column::ArtworkId.eq(id))
        .and_where(
            catalog_card::Column::Status.is_in(ArtworkStatus::PUBLIC.iter().map(|s| s.as_str())),
        );
    reader
        .one(&query)
        .await?
        .ok_or(CatalogError::NotFound("artwork"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_the_cards_as_stored_inside_the_page_fields() {
        let page = CardPage {
            cards: CardList::from_test(ITEMS, &[r#"{"id":"a"}"#, r#"{"id":"b"}"#]),
            page: Pagination::new(Some(2), Some(2)).expect("valid"),
            total: 5,
        };
        let body: serde_json::Value =
            serde_json::from_slice(&page.into_json()).expect("valid JSON");
        assert_eq!(
            body,
            serde_json::json!({"items": [{"id": "a"}, {"id": "b"}], "page": 2, "per_page": 2, "total": 5})
        );
    }

    #[test]
    fn an_empty_page_is_valid_json() {
        let page = CardPage {
            cards: CardList::after(ITEMS),
            page: Pagination::new(None, None).expect("valid"),
            total: 0,
        };
        let body: serde_json::Value =
            serde_json::from_slice(&page.into_json()).expect("valid JSON");
        assert_eq!(body["items"], serde_json::json!([]));
    }
}
