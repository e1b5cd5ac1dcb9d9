//! Shipping zones: named sets of countries, plus one fallback zone for every other country.
use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{shipping_zone, zone_country};
use sea_orm::sea_query::{Condition, Expr, JoinType, Order, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, ExprTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::CatalogError;
use super::freshness::{RefreshCards, Scope};
use crate::country::CountryCode;
use crate::error::FieldErrors;
use crate::pagination::{self, Page, Pagination};
use crate::validate::line_field;
use crate::{audit, db};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ZoneInput {
    #[schema(schema_with = crate::validate::schema::required_line::<100>)]
    pub name: String,
    #[serde(default)]
    #[schema(example = json!(["AF"]))]
    #[schema(schema_with = crate::country::list_schema)]
    pub countries: Vec<String>,
    #[serde(default)]
    pub is_fallback: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ZonePatch {
    #[schema(schema_with = crate::validate::schema::patched_line::<100>)]
    pub name: Option<String>,
    #[schema(schema_with = crate::country::optional_list_schema)]
    pub countries: Option<Vec<String>>,
    pub is_fallback: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneView {
    pub id: String,
    pub name: String,
    pub countries: Vec<String>,
    pub is_fallback: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The zone a price was resolved for, as buyers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneRef {
    pub id: String,
    pub name: String,
}

struct ValidZone {
    name: String,
    countries: Vec<CountryCode>,
    is_fallback: bool,
}

fn validate(input: ZoneInput) -> Result<ValidZone, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = line_field(&mut errors, "name", &input.name, true, 100);
    let mut seen = HashSet::new();
    let mut countries = Vec::new();
    for (i, code) in input.countries.iter().enumerate() {
        let field = format!("countries[{i}]");
        if let Some(code) = errors.check(&field, CountryCode::parse(code)) {
            if seen.insert(code) {
                countries.push(code);
            } else {
                errors.add(field, format!("{code} is listed twice"));
            }
        }
    }
    if countries.is_empty() && input.countries.is_empty() && !input.is_fallback {
        errors.add(
            "countries",
            "a zone that is not the fallback needs at least one country",
        );
    }
    errors.into_result()?;
    Ok(ValidZone {
        name,
        countries,
        is_fallback: input.is_fallback,
    })
}

/// Checks that depend on the other zones; run inside the write transaction.
async fn check_against_others(
    conn: &impl ConnectionTrait,
    zone: &ValidZone,
    own_id: Option<&str>,
) -> Result<(), CatalogError> {
    let mut errors = FieldErrors::new();
    let same_name = shipping_zone::Entity::find()
        .filter(shipping_zone::Column::Name.eq(zone.name.as_str()))
        .one(conn)
        .await?;
    if same_name.is_some_and(|z| Some(z.id.as_str()) != own_id) {
        errors.add("name", "another zone already has this name");
    }
    if zone.is_fallback {
        let fallback = shipping_zone::Entity::find()
            .filter(shipping_zone::Column::IsFallback.eq(true))
            .one(conn)
            .await?;
        if let Some(other) = fallback.filter(|z| Some(z.id.as_str()) != own_id) {
            errors.add(
                "is_fallback",
                format!(
                    "zone `{}` is already the fallback; there can be only one",
                    other.name
                ),
            );
        }
    }
    let codes: Vec<&str> = zone.countries.iter().map(|c| c.as_str()).collect();
    let claimed = zone_country::Entity::find()
        .filter(zone_country::Column::Country.is_in(codes))
        .all(conn)
        .await?;
    let zone_names: BTreeMap<String, String> = shipping_zone::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|z| (z.id, z.name))
        .collect();
    for row in claimed
        .iter()
        .filter(|r| Some(r.zone_id.as_str()) != own_id)
    {
        let idx = zone
            .countries
            .iter()
            .position(|c| c.as_str() == row.country);
        let other = zone_names
            .get(&row.zone_id)
            .map(String::as_str)
            .unwrap_or("?");
        errors.add(
            format!("countries[{}]", idx.unwrap_or(0)),
            format!("{} already belongs to zone `{other}`", row.country),
        );
    }
    Ok(errors.into_result()?)
}

/// A write that lost a race to a unique constraint is still the user's input problem.
fn constraint_to_field(err: sea_orm::DbErr) -> CatalogError {
    if db::is_unique_violation(&err) {
        FieldErrors::single(
            "name",
            "conflicts with another zone (name, country or fallback); reload and retry",
        )
        .into()
    } else {
        err.into()
    }
}

async fn write_countries(
    conn: &impl ConnectionTrait,
    zone_id: &str,
    countries: &[CountryCode],
) -> Result<(), CatalogError> {
    zone_country::Entity::delete_many()
        .filter(zone_country::Column::ZoneId.eq(zone_id))
        .exec(conn)
        .await?;
    let rows = countries.iter().map(|c| zone_country::ActiveModel {
        country: Set(c.to_string()),
        zone_id: Set(zone_id.to_string()),
    });
    if !countries.is_empty() {
        zone_country::Entity::insert_many(rows)
            .exec(conn)
            .await
            .map_err(constraint_to_field)?;
    }
    Ok(())
}

async fn countries_by_zone(
    conn: &impl ConnectionTrait,
    zone_ids: Vec<String>,
) -> Result<BTreeMap<String, Vec<String>>, CatalogError> {
    let mut by_zone: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in zone_country::Entity::find()
        .filter(zone_country::Column::ZoneId.is_in(zone_ids))
        .order_by_asc(zone_country::Column::Country)
        .all(conn)
        .await?
    {
        by_zone.entry(row.zone_id).or_default().push(row.country);
    }
    Ok(by_zone)
}

fn view(zone: shipping_zone::Model, countries: Vec<String>) -> ZoneView {
    ZoneView {
        id: zone.id,
        name: zone.name,
        countries,
        is_fallback: zone.is_fallback,
        created_at: zone.created_at,
        updated_at: zone.updated_at,
    }
}

pub async fn list(
    db: &DatabaseConnection,
    page: Pagination,
) -> Result<Page<ZoneView>, CatalogError> {
    let query = shipping_zone::Entity::find().order_by_asc(shipping_zone::Column::Name);
    let (zones, total) = pagination::fetch(db, query, page).await?;
    let mut countries = countries_by_zone(db, zones.iter().map(|z| z.id.clone()).collect()).await?;
    let items = zones
        .into_iter()
        .map(|z| {
            let c = countries.remove(&z.id).unwrap_or_default();
            view(z, c)
        })
        .collect();
    Ok(Page::new(items, page, total))
}

pub async fn get(conn: &impl ConnectionTrait, id: &str) -> Result<ZoneView, CatalogError> {
    let zone = shipping_zone::Entity::find_by_id(id.to_string())
        .one(conn)
        .await?
        .ok_or(CatalogError::NotFound("shipping zone"))?;
    let countries = countries_by_zone(conn, vec![zone.id.clone()])
        .await?
        .remove(&zone.id)
        .unwrap_or_default();
    Ok(view(zone, countries))
}

pub async fn create(
    db: &DatabaseConnection,
    cards: &dyn RefreshCards,
    admin_id: &str,
    input: ZoneInput,
) -> Result<ZoneView, CatalogError> {
    let zone = validate(input)?;
    let txn = db::begin_write(db).await?;
    check_against_others(&txn, &zone, None).await?;
    let now = Utc::now();
    let id = db::new_id();
    shipping_zone::ActiveModel {
        id: Set(id.clone()),
        name: Set(zone.name.clone()),
        is_fallback: Set(zone.is_fallback),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(constraint_to_field)?;
    write_countries(&txn, &id, &zone.countries).await?;
    audit::record(&txn, admin_id, "zone.create", "shipping_zone", &id, &[]).await?;
    // Every card lists every zone's price.
    cards.refresh(&txn, Scope::All).await?;
    let view = get(&txn, &id).await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn update(
    db: &DatabaseConnection,
    cards: &dyn RefreshCards,
    admin_id: &str,
    id: &str,
    patch: ZonePatch,
) -> Result<ZoneView, CatalogError> {
    let txn = db::begin_write(db).await?;
    let current = get(&txn, id).await?;
    let before = audited(&current);
    let zone = validate(ZoneInput {
        name: patch.name.unwrap_or(current.name),
        countries: patch.countries.unwrap_or(current.countries),
        is_fallback: patch.is_fallback.unwrap_or(current.is_fallback),
    })?;
    check_against_others(&txn, &zone, Some(id)).await?;
    shipping_zone::ActiveModel {
        id: Set(id.to_string()),
        name: Set(zone.name.clone()),
        is_fallback: Set(zone.is_fallback),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await
    .map_err(constraint_to_field)?;
    write_countries(&txn, id, &zone.countries).await?;
    cards.refresh(&txn, Scope::All).await?;
    let view = get(&txn, id).await?;
    let changes = audit::between(before, audited(&view));
    audit::record_changes(&txn, admin_id, "zone.update", "shipping_zone", id, &changes).await?;
    txn.commit().await?;
    Ok(view)
}

/// A zone's fields as the audit log compares them.
fn audited(zone: &ZoneView) -> audit::Fields {
    vec![
        ("name", Some(zone.name.clone())),
        ("countries", Some(zone.countries.join(", "))),
        ("is_fallback", Some(zone.is_fallback.to_string())),
    ]
}

/// Deleting a zone removes its countries and the tier prices set for it (they price a
/// destination that no longer exists); the fallback zone cannot be deleted.
pub async fn delete(
    db: &DatabaseConnection,
    cards: &dyn RefreshCards,
    admin_id: &str,
    id: &str,
) -> Result<(), CatalogError> {
    let txn = db::begin_write(db).await?;
    let zone = get(&txn, id).await?;
    if zone.is_fallback {
        return Err(CatalogError::InUse(format!(
            "zone `{}` is the fallback for every other country; make another zone the \
             fallback first",
            zone.name
        )));
    }
    shipping_zone::Entity::delete_by_id(id.to_string())
        .exec(&txn)
        .await?;
    audit::record(&txn, admin_id, "zone.delete", "shipping_zone", id, &[]).await?;
    cards.refresh(&txn, Scope::All).await?;
    txn.commit().await?;
    Ok(())
}

/// The id of the zone that ships to `country`: the one listing it, else the fallback. One
/// query, usable as a subquery (orders resolve the zone in the same query as the price, and
/// catalog pages in the same statement as the cards).
pub fn zone_id_for_country_query(country: CountryCode) -> SelectStatement {
    let listed = Expr::col((zone_country::Entity, zone_country::Column::Country));
    Query::select()
        .column((shipping_zone::Entity, shipping_zone::Column::Id))
        .from(shipping_zone::Entity)
        .join(
            JoinType::LeftJoin,
            zone_country::Entity,
            Condition::all()
                .add(
                    Expr::col((zone_country::Entity, zone_country::Column::ZoneId))
                        .equals((shipping_zone::Entity, shipping_zone::Column::Id)),
                )
                .add(listed.clone().eq(country.as_str())),
        )
        .cond_where(
            Condition::any().add(listed.clone().is_not_null()).add(
                Expr::col((shipping_zone::Entity, shipping_zone::Column::IsFallback)).eq(true),
            ),
        )
        // The zone that lists the country comes before the fallback.
        .order_by_expr(listed.is_null(), Order::Asc)
        .limit(1)
        .to_owned()
}

/// `zone_id_for_country_query` as two lookups by key, for a statement that only needs the
/// id: no join and no sort, so nothing for the database to build per statement (the sort's
/// temporary index was a tenth of a catalog page's cost). The first value that is not NULL
/// wins, so callers append their own default.
pub fn zone_id_for_country_values(
    country: impl Into<sea_orm::Value>,
) -> [sea_orm::sea_query::SimpleExpr; 2] {
    let listed = Query::select()
        .column(zone_country::Column::ZoneId)
        .from(zone_country::Entity)
        .and_where(zone_country::Column::Country.eq(country.into()))
        .to_owned();
    // At most one zone is the fallback (a unique index says so).
    let fallback = Query::select()
        .column(shipping_zone::Column::Id)
        .from(shipping_zone::Entity)
        .and_where(shipping_zone::Column::IsFallback.eq(true))
        .to_owned();
    [
        sea_orm::sea_query::SimpleExpr::SubQuery(None, Box::new(listed.into())),
        sea_orm::sea_query::SimpleExpr::SubQuery(None, Box::new(fallback.into())),
    ]
}

/// The zone that ships to `country`, with its name.
pub fn zone_for_country_query(country: CountryCode) -> SelectStatement {
    zone_id_for_country_query(country)
        .column((shipping_zone::Entity, shipping_zone::Column::Name))
        .to_owned()
}

pub async fn zone_for_country(
    conn: &impl ConnectionTrait,
    country: CountryCode,
) -> Result<Option<ZoneRef>, CatalogError> {
    let Some(row) = conn.query_one(&zone_for_country_query(country)).await? else {
        return Ok(None);
    };
    Ok(Some(ZoneRef {
        id: row.try_get("", "id")?,
        name: row.try_get("", "name")?,
    }))
}

pub async fn fallback_zone(conn: &impl ConnectionTrait) -> Result<Option<ZoneRef>, CatalogError> {
    Ok(shipping_zone::Entity::find()
        .filter(shipping_zone::Column::IsFallback.eq(true))
        .one(conn)
        .await?
        .map(|z| ZoneRef {
            id: z.id,
            name: z.name,
        }))
}

/// Every zone by id, for naming prices. Zones are few (a handful per shop).
pub async fn names(conn: &impl ConnectionTrait) -> Result<BTreeMap<String, String>, CatalogError> {
    Ok(shipping_zone::Entity::find()
        .order_by_asc(shipping_zone::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(|z| (z.id, z.name))
        .collect())
}
