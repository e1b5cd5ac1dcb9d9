//! What placing an order needs to know, read in one query: the painting, this
//! Idempotency-Key's stored row, and what the order would freeze. Under a rush for one
//! painting a loser costs this one query; the conditional UPDATE is still what decides.
use entity::{artist, artwork, shipping_zone, size_tier, size_tier_price};
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{DatabaseConnection, EntityTrait};

use super::OrderError;
use crate::catalog::zones;
use crate::country::CountryCode;
use crate::db;
use crate::money::{Currency, Money};

pub(super) struct Seen {
    pub(super) artwork: Option<artwork::Model>,
    pub(super) key: Option<entity::idempotency_key::Model>,
    pub(super) snapshot: Option<PriceSnapshot>,
}

/// What an order freezes: the destination's zone, the tier's name and price there, and the
/// artist (for the emails).
pub(super) struct PriceSnapshot {
    pub(super) zone: Option<zones::ZoneRef>,
    pub(super) tier_name: String,
    pub(super) tier_price: Option<Money>,
    pub(super) artist: artist::Model,
}

pub(super) async fn precheck(
    db: &DatabaseConnection,
    artwork_id: &str,
    country: CountryCode,
    key: &str,
) -> Result<Seen, OrderError> {
    use entity::idempotency_key as k;
    use sea_orm::{ConnectionTrait, FromQueryResult};
    let query = statement(artwork_id, country, key);
    let Some(row) = db.query_one(&query).await? else {
        // No such painting; a stored refusal for this key says the same.
        let key_row = k::Entity::find_by_id(key.to_string()).one(db).await?;
        return Ok(Seen {
            artwork: None,
            key: key_row,
            snapshot: None,
        });
    };
    let has_key: Option<String> = row.try_get("", "key_key")?;
    let tier_name: Option<String> = row.try_get("", "tier_name")?;
    let artist_id: Option<String> = row.try_get("", "artist_id")?;
    let snapshot = match (tier_name, artist_id) {
        (Some(tier_name), Some(_)) => {
            let currency: String = row.try_get("", "currency")?;
            let amount: Option<i64> = row.try_get("", "amount_minor")?;
            let zone_id: Option<String> = row.try_get("", "zone_id")?;
            let zone_name: Option<String> = row.try_get("", "zone_name")?;
            Some(PriceSnapshot {
                zone: zone_id
                    .zip(zone_name)
                    .map(|(id, name)| zones::ZoneRef { id, name }),
                tier_name,
                tier_price: amount
                    .zip(Currency::parse(&currency).ok())
                    .map(|(m, c)| Money::from_minor(m, c)),
                artist: artist::Model::from_query_result(&row, "artist_")?,
            })
        }
        _ => None,
    };
    Ok(Seen {
        artwork: Some(artwork::Model::from_query_result(&row, "artwork_")?),
        key: match has_key {
            Some(_) => Some(k::Model::from_query_result(&row, "key_")?),
            None => None,
        },
        snapshot,
    })
}

/// The one query: the painting, joined with the key's row, its tier, its artist, the zone
/// serving `country` and the tier's price there.
fn statement(
    artwork_id: &str,
    country: CountryCode,
    key: &str,
) -> sea_orm::sea_query::SelectStatement {
    use entity::idempotency_key as k;
    use sea_orm::sea_query::{Alias, Condition, JoinType, SimpleExpr};
    let zone = Alias::new("zone");
    let mut zone_id = zones::zone_for_country_query(country);
    zone_id.clear_selects();
    zone_id.column((shipping_zone::Entity, shipping_zone::Column::Id));
    let mut query = Query::select();
    db::select_prefixed::<artwork::Entity>(&mut query, "artwork_");
    db::select_prefixed::<k::Entity>(&mut query, "key_");
    db::select_prefixed::<artist::Entity>(&mut query, "artist_");
    query
        .expr_as(
            Expr::col((size_tier::Entity, size_tier::Column::Name)),
            "tier_name",
        )
        // A zone's own currency, else the tier's.
        .expr_as(
            Expr::col((size_tier_price::Entity, size_tier_price::Column::Currency))
                .if_null(Expr::col((size_tier::Entity, size_tier::Column::Currency))),
            "currency",
        )
        .expr_as(
            Expr::col((
                size_tier_price::Entity,
                size_tier_price::Column::AmountMinor,
            )),
            "amount_minor",
        )
        .expr_as(
            Expr::col((zone.clone(), shipping_zone::Column::Id)),
            "zone_id",
        )
        .expr_as(
            Expr::col((zone.clone(), shipping_zone::Column::Name)),
            "zone_name",
        )
        .from(artwork::Entity)
        .join(
            JoinType::LeftJoin,
            k::Entity,
            Expr::col((k::Entity, k::Column::Key)).eq(key),
        )
        .join(
            JoinType::LeftJoin,
            size_tier::Entity,
            Expr::col((size_tier::Entity, size_tier::Column::Id))
                .equals((artwork::Entity, artwork::Column::SizeTierId)),
        )
        .join(
            JoinType::LeftJoin,
            artist::Entity,
            Expr::col((artist::Entity, artist::Column::Id))
                .equals((artwork::Entity, artwork::Column::ArtistId)),
        )
        .join_as(
            JoinType::LeftJoin,
            shipping_zone::Entity,
            zone.clone(),
            Expr::col((zone.clone(), shipping_zone::Column::Id))
                .eq(SimpleExpr::SubQuery(None, Box::new(zone_id.into()))),
        )
        .join(
            JoinType::LeftJoin,
            size_tier_price::Entity,
            Condition::all()
                .add(
                    Expr::col((size_tier_price::Entity, size_tier_price::Column::TierId))
                        .equals((size_tier::Entity, size_tier::Column::Id)),
                )
                .add(
                    Expr::col((size_tier_price::Entity, size_tier_price::Column::ZoneId))
                        .equals((zone.clone(), shipping_zone::Column::Id)),
                ),
        )
        .and_where(Expr::col((artwork::Entity, artwork::Column::Id)).eq(artwork_id));
    query
}
