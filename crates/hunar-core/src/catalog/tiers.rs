//! Size tiers: a painting size with a shipped price for every zone, in the tier's currency
//! or a zone's own; either shop-wide or one artist's own price list.
use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{artist, artwork, shipping_zone, size_tier, size_tier_price};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::CatalogError;
use super::freshness::{RefreshCards, Scope};
use crate::error::FieldErrors;
use crate::money::{Currency, Money};
use crate::pagination::{self, Page, Pagination};
use crate::validate::{double_option, line_field};
use crate::{audit, db};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceInput {
    pub zone_id: String,
    #[schema(value_type = String, pattern = "^([1-9][0-9]{0,8}(\\.[0-9]{1,3})?|0\\.([1-9][0-9]{0,2}|0[1-9][0-9]?|00[1-9]))$", example = "50.00")]
    #[serde(deserialize_with = "crate::money::wire::amount")]
    pub amount: Decimal,
    /// This zone's price in another currency than the tier's (a Swedish price in SEK
    /// beside the others in EUR); the tier's when left out.
    #[serde(default)]
    #[schema(value_type = Option<crate::money::wire::CurrencyCode>)]
    pub currency: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierInput {
    #[schema(example = "20×30 cm")]
    #[schema(schema_with = crate::validate::schema::required_line::<100>)]
    pub name: String,
    #[schema(schema_with = crate::validate::schema::integer::<1, 1000>)]
    #[serde(deserialize_with = "crate::validate::whole")]
    pub width_cm: i32,
    #[schema(schema_with = crate::validate::schema::integer::<1, 1000>)]
    #[serde(deserialize_with = "crate::validate::whole")]
    pub height_cm: i32,
    /// null for a shop-wide tier.
    #[serde(default)]
    pub artist_id: Option<String>,
    #[schema(value_type = crate::money::wire::CurrencyCode)]
    pub currency: String,
    /// One price per shipping zone, shipping included; every zone must be priced.
    pub prices: Vec<PriceInput>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierPatch {
    #[schema(schema_with = crate::validate::schema::patched_line::<100>)]
    pub name: Option<String>,
    #[schema(schema_with = crate::validate::schema::optional_integer::<1, 1000>)]
    #[serde(default, deserialize_with = "crate::validate::optional_whole")]
    pub width_cm: Option<i32>,
    #[schema(schema_with = crate::validate::schema::optional_integer::<1, 1000>)]
    #[serde(default, deserialize_with = "crate::validate::optional_whole")]
    pub height_cm: Option<i32>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub artist_id: Option<Option<String>>,
    #[schema(value_type = Option<crate::money::wire::CurrencyCode>)]
    pub currency: Option<String>,
    pub prices: Option<Vec<PriceInput>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TierPriceView {
    pub zone_id: String,
    pub zone: String,
    #[schema(value_type = String, pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "50.00")]
    pub amount: Decimal,
    /// The tier's currency, or this zone's own.
    #[schema(pattern = "^[A-Z]{3}$", example = "SEK")]
    pub currency: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TierView {
    pub id: String,
    pub name: String,
    pub width_cm: i32,
    pub height_cm: i32,
    pub artist_id: Option<String>,
    #[schema(pattern = "^[A-Z]{3}$", example = "USD")]
    pub currency: String,
    pub prices: Vec<TierPriceView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A tier with its prices, as pricing needs it.
#[derive(Debug, Clone)]
pub struct PricedTier {
    pub tier: size_tier::Model,
    pub currency: Option<Currency>,
    /// zone id → its price (in the zone's own currency where it has one)
    pub prices: BTreeMap<String, Money>,
}

impl PricedTier {
    pub fn price_in(&self, zone_id: &str) -> Option<Money> {
        self.prices.get(zone_id).copied()
    }
}

struct ValidTier {
    name: String,
    width_cm: i32,
    height_cm: i32,
    artist_id: Option<String>,
    currency: Currency,
    prices: Vec<(String, Money)>,
}

pub fn check_dimension(errors: &mut FieldErrors, field: &str, cm: i32) {
    if !(1..=1000).contains(&cm) {
        errors.add(field, "must be from 1 to 1000 (centimetres)");
    }
}

async fn validate(
    conn: &impl ConnectionTrait,
    input: TierInput,
) -> Result<ValidTier, CatalogError> {
    let mut errors = FieldErrors::new();
    let name = line_field(&mut errors, "name", &input.name, true, 100);
    check_dimension(&mut errors, "width_cm", input.width_cm);
    check_dimension(&mut errors, "height_cm", input.height_cm);
    if let Some(artist_id) = &input.artist_id
        && artist::Entity::find_by_id(artist_id.clone())
            .one(conn)
            .await?
            .is_none()
    {
        errors.add("artist_id", "no artist with this id");
    }
    let currency = errors.check("currency", Currency::parse(&input.currency));

    let zones = shipping_zone::Entity::find()
        .order_by_asc(shipping_zone::Column::Name)
        .all(conn)
        .await?;
    let mut seen = HashSet::new();
    let mut prices = Vec::new();
    for (i, price) in input.prices.iter().enumerate() {
        if !zones.iter().any(|z| z.id == price.zone_id) {
            errors.add(
                format!("prices[{i}].zone_id"),
                "no shipping zone with this id",
            );
        } else if !seen.insert(price.zone_id.clone()) {
            errors.add(format!("prices[{i}].zone_id"), "this zone is priced twice");
        }
        let currency = match &price.currency {
            Some(own) => errors.check(&format!("prices[{i}].currency"), Currency::parse(own)),
            None => currency,
        };
        if let Some(currency) = currency {
            let field = format!("prices[{i}].amount");
            if let Some(money) = errors.check(&field, Money::from_decimal(price.amount, currency)) {
                if money.minor() == 0 {
                    errors.add(field, "must be greater than zero");
                } else {
                    prices.push((price.zone_id.clone(), money));
                }
            }
        }
    }
    let missing: Vec<&str> = zones
        .iter()
        .filter(|z| !input.prices.iter().any(|p| p.zone_id == z.id))
        .map(|z| z.name.as_str())
        .collect();
    if !missing.is_empty() {
        errors.add(
            "prices",
            format!(
                "every shipping zone needs a price; missing: {}",
                missing.join(", ")
            ),
        );
    }
    errors.into_result()?;
    Ok(ValidTier {
        name,
        width_cm: input.width_cm,
        height_cm: input.height_cm,
        artist_id: input.artist_id,
        // A parsed currency is present whenever there were no errors.
        currency: currency.ok_or_else(|| FieldErrors::single("currency", "required"))?,
        prices,
    })
}

pub async fn load_priced(
    conn: &impl ConnectionTrait,
    ids: Vec<String>,
) -> Result<BTreeMap<String, PricedTier>, CatalogError> {
    let tiers = size_tier::Entity::find()
        .filter(size_tier::Column::Id.is_in(ids.clone()))
        .all(conn)
        .await?;
    let mut priced: BTreeMap<String, PricedTier> = tiers
        .into_iter()
        .map(|t| {
            let currency = Currency::parse(&t.currency).ok();
            (
                t.id.clone(),
                PricedTier {
                    tier: t,
                    currency,
                    prices: BTreeMap::new(),
                },
            )
        })
        .collect();
    for price in size_tier_price::Entity::find()
        .filter(size_tier_price::Column::TierId.is_in(ids))
        .all(conn)
        .await?
    {
        if let Some(tier) = priced.get_mut(&price.tier_id) {
            let currency = match &price.currency {
                Some(own) => Currency::parse(own).ok(),
                None => tier.currency,
            };
            if let Some(currency) = currency {
                tier.prices.insert(
                    price.zone_id,
                    Money::from_minor(price.amount_minor, currency),
                );
            }
        }
    }
    Ok(priced)
}

fn view(priced: PricedTier, zone_names: &BTreeMap<String, String>) -> TierView {
    let prices = zone_names
        .iter()
        .filter_map(|(zone_id, zone)| {
            priced.price_in(zone_id).map(|money| TierPriceView {
                zone_id: zone_id.clone(),
                zone: zone.clone(),
                amount: money.to_decimal(),
                currency: money.currency().code().to_string(),
            })
        })
        .collect();
    let t = priced.tier;
    TierView {
        id: t.id,
        name: t.name,
        width_cm: t.width_cm,
        height_cm: t.height_cm,
        artist_id: t.artist_id,
        currency: t.currency,
        prices,
        created_at: t.created_at,
        updated_at: t.updated_at,
    }
}

pub async fn get(conn: &impl ConnectionTrait, id: &str) -> Result<TierView, CatalogError> {
    let priced = load_priced(conn, vec![id.to_string()])
        .await?
        .remove(id)
        .ok_or(CatalogError::NotFound("size tier"))?;
    let names = super::zones::names(conn).await?;
    Ok(view(priced, &names))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TierFilter {
    /// Only this artist's own tiers.
    pub artist_id: Option<String>,
    #[param(schema_with = crate::pagination::page_schema)]
    pub page: Option<u64>,
    #[param(schema_with = crate::pagination::per_page_schema)]
    pub per_page: Option<u64>,
}

/// Every tier's id and name, smallest first: what a form's choice of size needs.
/// Every tier as a menu names it: its name, its currency, and the artist it belongs to if
/// any ("30×40 cm · SEK · Farid N."): two tiers of one size otherwise read the same, and
/// picking the wrong one changes the price and the currency.
pub async fn names(db: &DatabaseConnection) -> Result<Vec<(String, String)>, CatalogError> {
    use sea_orm::QuerySelect;
    let tiers: Vec<(String, String, String, Option<String>)> = size_tier::Entity::find()
        .select_only()
        .column(size_tier::Column::Id)
        .column(size_tier::Column::Name)
        .column(size_tier::Column::Currency)
        .column(size_tier::Column::ArtistId)
        .order_by_asc(size_tier::Column::WidthCm)
        .order_by_asc(size_tier::Column::HeightCm)
        .order_by_asc(size_tier::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let owners: Vec<String> = tiers.iter().filter_map(|t| t.3.clone()).collect();
    let artists: std::collections::HashMap<String, String> = if owners.is_empty() {
        Default::default()
    } else {
        entity::artist::Entity::find()
            .select_only()
            .column(entity::artist::Column::Id)
            .column(entity::artist::Column::DisplayName)
            .filter(entity::artist::Column::Id.is_in(owners))
            .into_tuple()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    Ok(tiers
        .into_iter()
        .map(|(id, name, currency, artist)| {
            let label = match artist.and_then(|a| artists.get(&a)) {
                Some(artist) => format!("{name} · {currency} · {artist}"),
                None => format!("{name} · {currency}"),
            };
            (id, label)
        })
        .collect())
}

pub async fn list(
    db: &DatabaseConnection,
    filter: TierFilter,
    page: Pagination,
) -> Result<Page<TierView>, CatalogError> {
    let mut query = size_tier::Entity::find()
        .order_by_asc(size_tier::Column::WidthCm)
        .order_by_asc(size_tier::Column::HeightCm)
        .order_by_asc(size_tier::Column::Id);
    if let Some(artist_id) = filter.artist_id {
        query = query.filter(size_tier::Column::ArtistId.eq(artist_id));
    }
    let (tiers, total) = pagination::fetch(db, query, page).await?;
    let ids: Vec<String> = tiers.iter().map(|t| t.id.clone()).collect();
    let mut priced = load_priced(db, ids.clone()).await?;
    let names = super::zones::names(db).await?;
    let items = ids
        .iter()
        .filter_map(|id| priced.remove(id))
        .map(|p| view(p, &names))
        .collect();
    Ok(Page::new(items, page, total))
}

/// A price in the tier's own currency is kept without one, so it follows the tier's.
async fn write_prices(
    conn: &impl ConnectionTrait,
    tier_id: &str,
    tier_currency: Currency,
    prices: &[(String, Money)],
) -> Result<(), CatalogError> {
    size_tier_price::Entity::delete_many()
        .filter(size_tier_price::Column::TierId.eq(tier_id))
        .exec(conn)
        .await?;
    let rows = prices
        .iter()
        .map(|(zone_id, money)| size_tier_price::ActiveModel {
            tier_id: Set(tier_id.to_string()),
            zone_id: Set(zone_id.clone()),
            amount_minor: Set(money.minor()),
            currency: Set(
                (money.currency() != tier_currency).then(|| money.currency().code().to_string())
            ),
        });
    if !prices.is_empty() {
        size_tier_price::Entity::insert_many(rows)
            .exec(conn)
            .await?;
    }
    Ok(())
}

pub async fn create(
    db: &DatabaseConnection,
    admin_id: &str,
    input: TierInput,
) -> Result<TierView, CatalogError> {
    let txn = db::begin_write(db).await?;
    let tier = validate(&txn, input).await?;
    let now = Utc::now();
    let id = db::new_id();
    size_tier::ActiveModel {
        id: Set(id.clone()),
        name: Set(tier.name),
        width_cm: Set(tier.width_cm),
        height_cm: Set(tier.height_cm),
        artist_id: Set(tier.artist_id),
        currency: Set(tier.currency.code().to_string()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    write_prices(&txn, &id, tier.currency, &tier.prices).await?;
    audit::record(&txn, admin_id, "size_tier.create", "size_tier", &id, &[]).await?;
    let view = get(&txn, &id).await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn update(
    db: &DatabaseConnection,
    cards: &dyn RefreshCards,
    admin_id: &str,
    id: &str,
    patch: TierPatch,
) -> Result<TierView, CatalogError> {
    let txn = db::begin_write(db).await?;
    let current = get(&txn, id).await?;
    let before = audited(&current);
    if patch
        .currency
        .as_ref()
        .is_some_and(|c| *c != current.currency)
        && patch.prices.is_none()
    {
        return Err(FieldErrors::single(
            "prices",
            "required when the currency changes: the old amounts are in the old currency",
        )
        .into());
    }
    let prices = patch.prices.unwrap_or_else(|| {
        current
            .prices
            .iter()
            .map(|p| PriceInput {
                zone_id: p.zone_id.clone(),
                amount: p.amount,
                currency: (p.currency != current.currency).then(|| p.currency.clone()),
            })
            .collect()
    });
    let artist_id = patch.artist_id.unwrap_or(current.artist_id.clone());
    let tier = validate(
        &txn,
        TierInput {
            name: patch.name.unwrap_or(current.name),
            width_cm: patch.width_cm.unwrap_or(current.width_cm),
            height_cm: patch.height_cm.unwrap_or(current.height_cm),
            artist_id: artist_id.clone(),
            currency: patch.currency.unwrap_or(current.currency),
            prices,
        },
    )
    .await?;
    if let Some(owner) = &artist_id {
        // An artist's own tier cannot price another artist's paintings.
        let foreign = artwork::Entity::find()
            .filter(artwork::Column::SizeTierId.eq(id))
            .filter(artwork::Column::ArtistId.ne(owner.as_str()))
            .count(&txn)
            .await?;
        if foreign > 0 {
            return Err(CatalogError::InUse(format!(
                "{foreign} artwork(s) of other artists use this tier; it cannot become one \
                 artist's own"
            )));
        }
    }
    size_tier::ActiveModel {
        id: Set(id.to_string()),
        name: Set(tier.name),
        width_cm: Set(tier.width_cm),
        height_cm: Set(tier.height_cm),
        artist_id: Set(tier.artist_id),
        currency: Set(tier.currency.code().to_string()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    write_prices(&txn, id, tier.currency, &tier.prices).await?;
    cards.refresh(&txn, Scope::Tier(id)).await?;
    let view = get(&txn, id).await?;
    let changes = audit::between(before, audited(&view));
    audit::record_changes(
        &txn,
        admin_id,
        "size_tier.update",
        "size_tier",
        id,
        &changes,
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

/// A size's fields as the audit log compares them: its prices read "Sweden 1200.00 SEK".
fn audited(tier: &TierView) -> audit::Fields {
    let mut prices: Vec<String> = tier
        .prices
        .iter()
        .map(|p| format!("{} {} {}", p.zone, p.amount, p.currency))
        .collect();
    prices.sort();
    let prices = prices.join("; ");
    vec![
        ("name", Some(tier.name.clone())),
        ("width_cm", Some(tier.width_cm.to_string())),
        ("height_cm", Some(tier.height_cm.to_string())),
        ("artist_id", tier.artist_id.clone()),
        ("currency", Some(tier.currency.clone())),
        ("prices", Some(prices)),
    ]
}

pub async fn delete(db: &DatabaseConnection, admin_id: &str, id: &str) -> Result<(), CatalogError> {
    let txn = db::begin_write(db).await?;
    get(&txn, id).await?;
    let used = artwork::Entity::find()
        .filter(artwork::Column::SizeTierId.eq(id))
        .count(&txn)
        .await?;
    if used > 0 {
        return Err(CatalogError::InUse(format!(
            "{used} artwork(s) use this size tier; move them to another tier first"
        )));
    }
    size_tier::Entity::delete_by_id(id.to_string())
        .exec(&txn)
        .await?;
    audit::record(&txn, admin_id, "size_tier.delete", "size_tier", id, &[]).await?;
    txn.commit().await?;
    Ok(())
}
