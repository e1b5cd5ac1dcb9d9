//! The public catalog's read model: for every painting and every shipping zone, the card
//! exactly as `GET /api/v1/artworks` serves it, with the keys pages filter and sort by.
//!
//! A page is then one indexed statement whose rows are concatenated into the body: no joins,
//! no per-row work at read time, and deep pages skip rows of one table instead of paying
//! the joins for each. The cost moves to writes, which are rare: every write that changes
//! what a card shows calls [`refresh`] in its own transaction, so a reader never sees a
//! card older than the last commit. Status changes are mirrored by a database trigger
//! (see the migration), because orders move paintings in many places.
use std::collections::{BTreeMap, HashMap};

use entity::{artist, artwork, catalog_card, read_model};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::freshness::{RefreshCards, Scope};
use super::page_statements::EVERY_ZONE;
use super::pricing::{ZonePrice, price_for};
use super::public::{ArtistRef, ArtworkView, TierRef};
use super::tiers::{PricedTier, load_priced};
use super::zones::{self, ZoneRef};
use super::{ArtworkStatus, CatalogError};
use crate::db::WriteTxn;
use crate::media::Media;
use crate::media::images::{self, ImageView};

/// Raise when a card's JSON changes shape: start-up then rebuilds every card.
const FORMAT: u32 = 2;
const NAME: &str = "catalog_cards";
/// Rows per INSERT, far below SQLite's limit on bound values.
const INSERT_CHUNK: usize = 64;
/// Artworks built per round of reads when the whole catalog is rebuilt.
const BUILD_CHUNK: usize = 200;

/// The read model as writers see it: rebuilds cards inside their transaction.
#[derive(Clone)]
pub struct CardKeeper {
    media: Media,
}

impl CardKeeper {
    pub fn new(media: Media) -> Self {
        Self { media }
    }
}

#[async_trait::async_trait]
impl RefreshCards for CardKeeper {
    async fn refresh(&self, txn: &WriteTxn, scope: Scope<'_>) -> Result<(), DbErr> {
        refresh(txn, &self.media, scope).await
    }
}

/// Rebuilds the cards in `scope` from the catalog tables, inside the caller's transaction.
pub async fn refresh(
    conn: &impl ConnectionTrait,
    media: &Media,
    scope: Scope<'_>,
) -> Result<(), DbErr> {
    build(conn, media, scope).await.map_err(|e| match e {
        CatalogError::Db(e) => e,
        other => DbErr::Custom(format!("building cards: {other}")),
    })
}

async fn build(
    conn: &impl ConnectionTrait,
    media: &Media,
    scope: Scope<'_>,
) -> Result<(), CatalogError> {
    let select = artwork::Entity::find();
    let select = match scope {
        Scope::Artwork(id) => select.filter(artwork::Column::Id.eq(id)),
        Scope::Artist(id) => select.filter(artwork::Column::ArtistId.eq(id)),
        Scope::Tier(id) => select.filter(artwork::Column::SizeTierId.eq(id)),
        Scope::All => select,
    };
    // On PostgreSQL the paintings are locked until the write commits: an order changing one
    // meanwhile (its status trigger updates the cards) would otherwise land between this read
    // and the new cards, which would carry the old status. SQLite writes one at a time.
    let rows = select
        .order_by_asc(artwork::Column::Id)
        .lock_exclusive()
        .all(conn)
        .await?;
    let delete = catalog_card::Entity::delete_many();
    match scope {
        Scope::Artwork(id) => delete.filter(catalog_card::Column::ArtworkId.eq(id)),
        Scope::Artist(id) => delete.filter(catalog_card::Column::ArtistId.eq(id)),
        Scope::Tier(id) => delete.filter(catalog_card::Column::SizeTierId.eq(id)),
        Scope::All => delete,
    }
    .exec(conn)
    .await?;
    let zones = Zones::load(conn).await?;
    for chunk in rows.chunks(BUILD_CHUNK) {
        let parts = Parts::load(conn, media, chunk).await?;
        let mut cards = Vec::with_capacity(chunk.len() * (zones.names.len() + 1));
        for artwork in chunk {
            cards.extend(parts.cards(artwork, &zones)?);
        }
        for rows in cards.chunks(INSERT_CHUNK) {
            catalog_card::Entity::insert_many(rows.to_vec())
                .exec(conn)
                .await?;
        }
    }
    Ok(())
}

fn version(media: &Media) -> String {
    // Cards hold photo urls, so a new media address is a new format too.
    format!("{FORMAT} {}", media.url(""))
}

/// Rebuilds every card from scratch, in one transaction.
pub async fn rebuild(db: &DatabaseConnection, media: &Media) -> Result<(), CatalogError> {
    let txn = crate::db::begin_write(db).await?;
    refresh(&txn, media, Scope::All).await?;
    read_model::Entity::delete_by_id(NAME).exec(&txn).await?;
    read_model::Entity::insert(read_model::ActiveModel {
        name: Set(NAME.to_string()),
        version: Set(version(media)),
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// At start-up: rebuilds the cards when they were built with another format (or never).
/// Returns whether it did.
pub async fn ensure(db: &DatabaseConnection, media: &Media) -> Result<bool, CatalogError> {
    let built = read_model::Entity::find_by_id(NAME).one(db).await?;
    if built.is_some_and(|b| b.version == version(media)) {
        return Ok(false);
    }
    rebuild(db, media).await?;
    Ok(true)
}

/// Every zone by id (the order prices are listed in), and the fallback that sorts the cards
/// for no destination.
struct Zones {
    names: BTreeMap<String, String>,
    fallback: Option<ZoneRef>,
}

impl Zones {
    async fn load(conn: &impl ConnectionTrait) -> Result<Self, CatalogError> {
        let (names, fallback) =
            futures_util::try_join!(zones::names(conn), zones::fallback_zone(conn))?;
        Ok(Self { names, fallback })
    }

    fn refs(&self) -> impl Iterator<Item = ZoneRef> + '_ {
        self.names.iter().map(|(id, name)| ZoneRef {
            id: id.clone(),
            name: name.clone(),
        })
    }
}

/// What a set of paintings' cards refer to, read in bulk.
struct Parts {
    artists: HashMap<String, artist::Model>,
    tiers: BTreeMap<String, PricedTier>,
    photos: HashMap<String, Vec<ImageView>>,
}

impl Parts {
    async fn load(
        conn: &impl ConnectionTrait,
        media: &Media,
        rows: &[artwork::Model],
    ) -> Result<Self, CatalogError> {
        let ids = |f: fn(&artwork::Model) -> &String| {
            let mut ids: Vec<String> = rows.iter().map(|a| f(a).clone()).collect();
            ids.sort();
            ids.dedup();
            ids
        };
        let (artists, tiers, photos) = futures_util::try_join!(
            async {
                Ok::<_, CatalogError>(
                    artist::Entity::find()
                        .filter(artist::Column::Id.is_in(ids(|a| &a.artist_id)))
                        .all(conn)
                        .await?,
                )
            },
            load_priced(conn, ids(|a| &a.size_tier_id)),
            async { Ok(images::for_artworks(conn, media, ids(|a| &a.id)).await?) },
        )?;
        Ok(Self {
            artists: artists.into_iter().map(|a| (a.id.clone(), a)).collect(),
            tiers,
            photos,
        })
    }

    fn view(
        &self,
        a: &artwork::Model,
        artist: &artist::Model,
        price: Option<ZonePrice>,
        prices: &[ZonePrice],
    ) -> ArtworkView {
        ArtworkView {
            id: a.id.clone(),
            title: a.title.clone(),
            description: a.description.clone(),
            medium: a.medium.clone(),
            text_lang: a.text_lang.clone(),
            translations: crate::catalog::texts::read(&a.translations),
            width_cm: a.width_cm,
            height_cm: a.height_cm,
            year: a.year,
            status: ArtworkStatus::parse(&a.status).unwrap_or(ArtworkStatus::Withdrawn),
            artist: ArtistRef {
                id: artist.id.clone(),
                slug: artist.slug.clone(),
                display_name: artist.display_name.clone(),
            },
            size_tier: TierRef {
                id: a.size_tier_id.clone(),
                name: self
                    .tiers
                    .get(&a.size_tier_id)
                    .map(|t| t.tier.name.clone())
                    .unwrap_or_default(),
            },
            images: self.photos.get(&a.id).cloned().unwrap_or_default(),
            price,
            prices: prices.to_vec(),
            created_at: a.created_at,
        }
    }

    /// The painting's card for each zone, and the one for no destination.
    fn cards(
        &self,
        a: &artwork::Model,
        zones: &Zones,
    ) -> Result<Vec<catalog_card::ActiveModel>, CatalogError> {
        let Some(artist) = self.artists.get(&a.artist_id) else {
            return Ok(Vec::new());
        };
        let tier = self.tiers.get(&a.size_tier_id);
        let every_zone: Vec<ZonePrice> = zones
            .refs()
            .filter_map(|zone| price_for(a, tier, &zone).map(|m| ZonePrice::new(m, &zone.name)))
            .collect();
        let card = |zone_id: &str, price: Option<ZonePrice>, sort_price: Option<i64>| {
            let json = serde_json::to_string(&self.view(a, artist, price, &every_zone))
                .map_err(|e| sea_orm::DbErr::Custom(format!("writing a card: {e}")))?;
            Ok::<_, CatalogError>(catalog_card::ActiveModel {
                zone_id: Set(zone_id.to_string()),
                artwork_id: Set(a.id.clone()),
                status: Set(a.status.clone()),
                artist_id: Set(a.artist_id.clone()),
                artist_slug: Set(artist.slug.clone()),
                size_tier_id: Set(a.size_tier_id.clone()),
                created_at: Set(a.created_at),
                price_minor: Set(sort_price),
                card: Set(json),
            })
        };
        let mut cards = Vec::with_capacity(zones.names.len() + 1);
        for zone in zones.refs() {
            let money = price_for(a, tier, &zone);
            let price = money.map(|m| ZonePrice::new(m, &zone.name));
            cards.push(card(&zone.id, price, money.map(|m| m.minor()))?);
        }
        // Without a destination, price sorts use the "rest of world" price.
        let sort_price = match &zones.fallback {
            Some(zone) => price_for(a, tier, zone).map(|m| m.minor()),
            None => a.price_override_minor,
        };
        cards.push(card(EVERY_ZONE, None, sort_price)?);
        Ok(cards)
    }
}
