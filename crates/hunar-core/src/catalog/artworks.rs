//! Artworks as coordinators manage them: create, edit, publish, withdraw, delete.
use chrono::{DateTime, Datelike, Utc};
use entity::{artist, artwork, size_tier};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::freshness::{RefreshCards, Scope};
use super::texts::{self, Translations, TranslationsInput};
use super::tiers::check_dimension;
use super::{ArtworkStatus, CatalogError};
use crate::error::FieldErrors;
use crate::money::{Currency, Money, MoneyDto};
use crate::pagination::{self, Page, Pagination};
use crate::validate::{double_option, line_field, text_field};
use crate::{audit, db};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtworkInput {
    pub artist_id: String,
    #[schema(schema_with = crate::validate::schema::required_line::<200>)]
    pub title: String,
    #[schema(schema_with = crate::validate::schema::optional_text::<5000>)]
    pub description: Option<String>,
    #[schema(schema_with = crate::validate::schema::optional_line::<200>)]
    pub medium: Option<String>,
    #[schema(schema_with = crate::validate::schema::integer::<1, 1000>)]
    #[serde(deserialize_with = "crate::validate::whole")]
    pub width_cm: i32,
    #[schema(schema_with = crate::validate::schema::integer::<1, 1000>)]
    #[serde(deserialize_with = "crate::validate::whole")]
    pub height_cm: i32,
    #[schema(schema_with = year_schema)]
    #[serde(default, deserialize_with = "crate::validate::optional_whole")]
    pub year: Option<i32>,
    pub size_tier_id: String,
    /// draft (default), available or withdrawn.
    #[schema(schema_with = settable_status_schema)]
    pub status: Option<String>,
    /// A price that replaces the tier's price for every destination, shipping included.
    pub price_override: Option<MoneyDto>,
    /// The language `description` and `medium` are written in (`en` when left out).
    #[serde(default)]
    #[schema(schema_with = texts::language_schema)]
    pub text_lang: Option<String>,
    /// Description and medium in the shop's other languages.
    #[serde(default)]
    pub translations: Option<TranslationsInput>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtworkPatch {
    pub artist_id: Option<String>,
    #[schema(schema_with = crate::validate::schema::patched_line::<200>)]
    pub title: Option<String>,
    #[schema(schema_with = crate::validate::schema::optional_text::<5000>)]
    pub description: Option<String>,
    #[schema(schema_with = crate::validate::schema::optional_line::<200>)]
    pub medium: Option<String>,
    #[schema(schema_with = crate::validate::schema::optional_integer::<1, 1000>)]
    #[serde(default, deserialize_with = "crate::validate::optional_whole")]
    pub width_cm: Option<i32>,
    #[schema(schema_with = crate::validate::schema::optional_integer::<1, 1000>)]
    #[serde(default, deserialize_with = "crate::validate::optional_whole")]
    pub height_cm: Option<i32>,
    #[serde(default, deserialize_with = "crate::validate::patched_whole")]
    #[schema(schema_with = year_schema)]
    pub year: Option<Option<i32>>,
    pub size_tier_id: Option<String>,
    #[schema(schema_with = settable_status_schema)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<MoneyDto>)]
    pub price_override: Option<Option<MoneyDto>>,
    #[serde(default)]
    #[schema(schema_with = texts::language_schema)]
    pub text_lang: Option<String>,
    /// When sent, replaces every translation (a language left out has none).
    #[serde(default)]
    pub translations: Option<TranslationsInput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArtworkAdminView {
    pub id: String,
    pub artist_id: String,
    pub title: String,
    pub description: String,
    pub medium: String,
    pub width_cm: i32,
    pub height_cm: i32,
    pub year: Option<i32>,
    pub size_tier_id: String,
    pub status: ArtworkStatus,
    pub price_override: Option<MoneyDto>,
    /// The language `description` and `medium` are written in.
    pub text_lang: String,
    /// Description and medium in other languages, by language.
    pub translations: Translations,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn status_of(model: &artwork::Model) -> ArtworkStatus {
    // Only this module writes the column, always from an ArtworkStatus.
    ArtworkStatus::parse(&model.status).unwrap_or(ArtworkStatus::Withdrawn)
}

pub fn price_override_of(model: &artwork::Model) -> Option<Money> {
    let currency = Currency::parse(model.price_override_currency.as_deref()?).ok()?;
    Some(Money::from_minor(model.price_override_minor?, currency))
}

impl From<artwork::Model> for ArtworkAdminView {
    fn from(a: artwork::Model) -> Self {
        let status = status_of(&a);
        let price_override = price_override_of(&a).map(Into::into);
        Self {
            id: a.id,
            artist_id: a.artist_id,
            title: a.title,
            description: a.description,
            medium: a.medium,
            width_cm: a.width_cm,
            height_cm: a.height_cm,
            year: a.year,
            size_tier_id: a.size_tier_id,
            status,
            price_override,
            translations: texts::read(&a.translations),
            text_lang: a.text_lang,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

fn any_status_schema() -> utoipa::openapi::Object {
    crate::validate::schema::one_of(ArtworkStatus::ALL.map(ArtworkStatus::as_str), false)
}

/// What `validate` takes as `year`: 1900 to next year, or none.
fn year_schema() -> utoipa::openapi::Object {
    crate::validate::schema::int_in(1900, i64::from(Utc::now().year()) + 1, true)
}

/// The statuses a coordinator may set; reserved and sold come from orders.
fn settable_status_schema() -> utoipa::openapi::Object {
    crate::validate::schema::one_of(
        ArtworkStatus::ALL
            .into_iter()
            .filter(|s| s.is_admin_settable())
            .map(ArtworkStatus::as_str),
        true,
    )
}

struct ValidArtwork {
    artist_id: String,
    title: String,
    description: String,
    medium: String,
    width_cm: i32,
    height_cm: i32,
    year: Option<i32>,
    size_tier_id: String,
    status: ArtworkStatus,
    price_override: Option<Money>,
    text_lang: String,
    translations: Translations,
}

async fn validate(
    conn: &impl ConnectionTrait,
    input: ArtworkInput,
) -> Result<ValidArtwork, CatalogError> {
    let mut errors = FieldErrors::new();
    let title = line_field(&mut errors, "title", &input.title, true, 200);
    let description = text_field(
        &mut errors,
        "description",
        input.description.as_deref().unwrap_or(""),
        false,
        5000,
    );
    let medium = line_field(
        &mut errors,
        "medium",
        input.medium.as_deref().unwrap_or(""),
        false,
        200,
    );
    check_dimension(&mut errors, "width_cm", input.width_cm);
    check_dimension(&mut errors, "height_cm", input.height_cm);
    let this_year = Utc::now().year();
    if let Some(year) = input.year
        && !(1900..=this_year + 1).contains(&year)
    {
        errors.add("year", format!("must be from 1900 to {}", this_year + 1));
    }
    let status = match input.status.as_deref() {
        None => Some(ArtworkStatus::Draft),
        Some(s) => match ArtworkStatus::parse(s) {
            Some(status) if status.is_admin_settable() => Some(status),
            Some(_) => {
                errors.add("status", "reserved and sold are set by orders, not by hand");
                None
            }
            None => {
                errors.add("status", "expected draft, available or withdrawn");
                None
            }
        },
    };
    let price_override = match input.price_override {
        None => None,
        Some(dto) => Currency::parse(&dto.currency)
            .and_then(|c| Money::from_decimal(dto.amount, c))
            .map_err(|e| errors.add("price_override", e.to_string()))
            .ok()
            .filter(|m| {
                let positive = m.minor() > 0;
                if !positive {
                    errors.add("price_override.amount", "must be greater than zero");
                }
                positive
            }),
    };
    let artist_exists = artist::Entity::find_by_id(input.artist_id.clone())
        .one(conn)
        .await?
        .is_some();
    if !artist_exists {
        errors.add("artist_id", "no artist with this id");
    }
    match size_tier::Entity::find_by_id(input.size_tier_id.clone())
        .one(conn)
        .await?
    {
        None => errors.add("size_tier_id", "no size tier with this id"),
        Some(tier) => {
            if tier
                .artist_id
                .as_ref()
                .is_some_and(|owner| *owner != input.artist_id)
            {
                errors.add("size_tier_id", "this tier belongs to another artist");
            }
        }
    }
    let (text_lang, translations) = texts::check(
        &mut errors,
        input.text_lang.as_deref().unwrap_or("en"),
        input.translations.map(Into::into).unwrap_or_default(),
    );
    errors.into_result()?;
    Ok(ValidArtwork {
        text_lang,
        translations,
        artist_id: input.artist_id,
        title,
        description,
        medium,
        width_cm: input.width_cm,
        height_cm: input.height_cm,
        year: input.year,
        size_tier_id: input.size_tier_id,
        status: status.unwrap_or(ArtworkStatus::Draft),
        price_override,
    })
}

pub async fn get(conn: &impl ConnectionTrait, id: &str) -> Result<ArtworkAdminView, CatalogError> {
    find(conn, id).await.map(Into::into)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArtworkAdminDetail {
    #[serde(flatten)]
    pub artwork: ArtworkAdminView,
    /// In display order; ids are what DELETE …/images/{image_id} takes.
    pub images: Vec<crate::media::images::ImageView>,
}

pub async fn detail(
    conn: &impl ConnectionTrait,
    media: &crate::media::Media,
    id: &str,
) -> Result<ArtworkAdminDetail, CatalogError> {
    let artwork = get(conn, id).await?;
    let images = crate::media::images::for_artworks(conn, media, vec![artwork.id.clone()])
        .await?
        .remove(&artwork.id)
        .unwrap_or_default();
    Ok(ArtworkAdminDetail { artwork, images })
}

async fn find(conn: &impl ConnectionTrait, id: &str) -> Result<artwork::Model, CatalogError> {
    artwork::Entity::find_by_id(id.to_string())
        .one(conn)
        .await?
        .ok_or(CatalogError::NotFound("artwork"))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminArtworkFilter {
    /// Artist id.
    pub artist_id: Option<String>,
    /// Any status, draft and withdrawn included.
    #[param(schema_with = any_status_schema)]
    pub status: Option<String>,
    /// Size tier id.
    pub size_tier_id: Option<String>,
    #[param(schema_with = crate::pagination::page_schema)]
    pub page: Option<u64>,
    #[param(schema_with = crate::pagination::per_page_schema)]
    pub per_page: Option<u64>,
}

pub async fn list(
    db: &DatabaseConnection,
    filter: AdminArtworkFilter,
    page: Pagination,
) -> Result<Page<ArtworkAdminView>, CatalogError> {
    let mut query = artwork::Entity::find()
        .order_by_desc(artwork::Column::CreatedAt)
        .order_by_desc(artwork::Column::Id);
    if let Some(artist_id) = filter.artist_id {
        query = query.filter(artwork::Column::ArtistId.eq(artist_id));
    }
    if let Some(tier) = filter.size_tier_id {
        query = query.filter(artwork::Column::SizeTierId.eq(tier));
    }
    if let Some(status) = filter.status {
        let status = ArtworkStatus::parse(&status).ok_or_else(|| {
            FieldErrors::single(
                "status",
                "expected draft, available, reserved, sold or withdrawn",
            )
        })?;
        query = query.filter(artwork::Column::Status.eq(status.as_str()));
    }
    Ok(pagination::fetch_views(db, query, page).await?)
}

fn active_model(id: &str, artwork: ValidArtwork, now: DateTime<Utc>) -> artwork::ActiveModel {
    artwork::ActiveModel {
        id: Set(id.to_string()),
        artist_id: Set(artwork.artist_id),
        size_tier_id: Set(artwork.size_tier_id),
        title: Set(artwork.title),
        description: Set(artwork.description),
        medium: Set(artwork.medium),
        width_cm: Set(artwork.width_cm),
        height_cm: Set(artwork.height_cm),
        year: Set(artwork.year),
        status: Set(artwork.status.as_str().to_string()),
        price_override_minor: Set(artwork.price_override.map(|m| m.minor())),
        price_override_currency: Set(artwork
            .price_override
            .map(|m| m.currency().code().to_string())),
        text_lang: Set(artwork.text_lang),
        translations: Set(texts::write(&artwork.translations)),
        updated_at: Set(now),
        ..Default::default()
    }
}

pub async fn create(
    db: &DatabaseConnection,
    cards: &dyn RefreshCards,
    admin_id: &str,
    input: ArtworkInput,
) -> Result<ArtworkAdminView, CatalogError> {
    let txn = db::begin_write(db).await?;
    let artwork = validate(&txn, input).await?;
    // A new painting has no photos yet: it starts as a draft or withdrawn.
    if artwork.status == ArtworkStatus::Available {
        return Err(CatalogError::PhotoNeeded);
    }
    let now = Utc::now();
    let id = db::new_id();
    let mut model = active_model(&id, artwork, now);
    model.created_at = Set(now);
    let model = model.insert(&txn).await?;
    audit::record(&txn, admin_id, "artwork.create", "artwork", &id, &[]).await?;
    cards.refresh(&txn, Scope::Artwork(&id)).await?;
    txn.commit().await?;
    Ok(model.into())
}

pub async fn update(
    db: &DatabaseConnection,
    cards: &dyn RefreshCards,
    admin_id: &str,
    id: &str,
    patch: ArtworkPatch,
) -> Result<ArtworkAdminView, CatalogError> {
    let txn = db::begin_write(db).await?;
    let current = find(&txn, id).await?;
    let current_status = status_of(&current);
    if let Some(wanted) = &patch.status
        && !current_status.is_admin_settable()
        && *wanted != current_status.as_str()
    {
        return Err(CatalogError::IllegalState(format!(
            "this painting is {}; its status follows its order and cannot be set to {wanted}",
            current_status.as_str()
        )));
    }
    let before = current.clone();
    let current_override = price_override_of(&current).map(MoneyDto::from);
    let mut artwork = validate(
        &txn,
        ArtworkInput {
            artist_id: patch.artist_id.unwrap_or(current.artist_id),
            title: patch.title.unwrap_or(current.title),
            description: Some(patch.description.unwrap_or(current.description)),
            medium: Some(patch.medium.unwrap_or(current.medium)),
            width_cm: patch.width_cm.unwrap_or(current.width_cm),
            height_cm: patch.height_cm.unwrap_or(current.height_cm),
            year: patch.year.unwrap_or(current.year),
            size_tier_id: patch.size_tier_id.unwrap_or(current.size_tier_id),
            // Reserved and sold are not admin-settable; validate against a stand-in and
            // keep the real status below.
            status: Some(
                patch
                    .status
                    .unwrap_or_else(|| current_status_for_validation(current_status)),
            ),
            price_override: patch.price_override.unwrap_or(current_override),
            text_lang: patch.text_lang.or(Some(current.text_lang)),
            translations: Some(match patch.translations {
                Some(given) => given,
                None => kept_translations(&current.translations),
            }),
        },
    )
    .await?;
    if !current_status.is_admin_settable() {
        artwork.status = current_status;
    }
    if artwork.status == ArtworkStatus::Available
        && current_status != ArtworkStatus::Available
        && crate::media::images::count_for_artwork(&txn, id).await? == 0
    {
        return Err(CatalogError::PhotoNeeded);
    }
    let model = active_model(id, artwork, Utc::now()).update(&txn).await?;
    let changes = audited_changes(&before, &model);
    audit::record_changes(&txn, admin_id, "artwork.update", "artwork", id, &changes).await?;
    cards.refresh(&txn, Scope::Artwork(id)).await?;
    txn.commit().await?;
    Ok(model.into())
}

fn current_status_for_validation(status: ArtworkStatus) -> String {
    if status.is_admin_settable() {
        status
    } else {
        ArtworkStatus::Available
    }
    .as_str()
    .to_string()
}

/// A painting that is reserved or sold belongs to an order and is never deleted. Returns
/// the photos deleted with it, whose files the caller removes (`media::images::discard`).
pub async fn delete(
    db: &DatabaseConnection,
    admin_id: &str,
    id: &str,
) -> Result<Vec<entity::image::Model>, CatalogError> {
    let txn = db::begin_write(db).await?;
    let current = find(&txn, id).await?;
    let status = status_of(&current);
    if matches!(status, ArtworkStatus::Reserved | ArtworkStatus::Sold) {
        return Err(CatalogError::InUse(format!(
            "this painting is {} and belongs to an order; it cannot be deleted",
            status.as_str()
        )));
    }
    // Past orders (expired, cancelled) keep their painting: the history must stay whole.
    let orders = entity::order::Entity::find()
        .filter(entity::order::Column::ArtworkId.eq(id))
        .count(&txn)
        .await?;
    if orders > 0 {
        return Err(CatalogError::InUse(format!(
            "this painting has {orders} past order(s); withdraw it instead of deleting it"
        )));
    }
    let photos = entity::image::Entity::find()
        .filter(entity::image::Column::ArtworkId.eq(id))
        .all(&txn)
        .await?;
    artwork::Entity::delete_by_id(id.to_string())
        .exec(&txn)
        .await?;
    audit::record(&txn, admin_id, "artwork.delete", "artwork", id, &[]).await?;
    txn.commit().await?;
    Ok(photos)
}

/// A painting for sale as a menu names it.
#[derive(Debug, Clone, Serialize)]
pub struct ForSale {
    pub id: String,
    pub title: String,
    pub artist: String,
}

/// Every painting for sale, by title: for a coordinator choosing one for a buyer.
pub async fn for_sale(db: &DatabaseConnection) -> Result<Vec<ForSale>, CatalogError> {
    use sea_orm::QuerySelect;
    let (rows, artists) = futures_util::try_join!(
        artwork::Entity::find()
            .filter(artwork::Column::Status.eq(ArtworkStatus::Available.as_str()))
            .order_by_asc(artwork::Column::Title)
            .limit(500)
            .all(db),
        entity::artist::Entity::find().all(db),
    )?;
    let names: std::collections::HashMap<String, String> = artists
        .into_iter()
        .map(|a| (a.id, a.display_name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|a| ForSale {
            artist: names.get(&a.artist_id).cloned().unwrap_or_default(),
            id: a.id,
            title: a.title,
        })
        .collect())
}

/// The stored translations as a coordinator would send them again.
fn kept_translations(stored: &str) -> TranslationsInput {
    let mut kept = texts::read(stored);
    TranslationsInput {
        en: kept.remove("en"),
        sv: kept.remove("sv"),
        fa: kept.remove("fa"),
    }
}

/// A painting's changes as the log keeps them: its price override as a price ("120.00 USD"),
/// not as the two columns it is stored in.
fn audited_changes(before: &artwork::Model, after: &artwork::Model) -> Vec<audit::Change> {
    let mut changes: Vec<audit::Change> = audit::changes(before, after, &[])
        .into_iter()
        .filter(|c| !c.field.starts_with("price_override_") && c.field != "translations")
        .collect();
    // The words in other languages, field by field ("medium_sv"), not as stored JSON.
    let (old, new) = (
        texts::read(&before.translations),
        texts::read(&after.translations),
    );
    for lang in texts::LANGUAGES {
        let (was, is) = (old.get(lang), new.get(lang));
        for (name, field) in [
            (
                "description",
                texts::description as fn(&texts::ArtworkText) -> &str,
            ),
            ("medium", texts::medium),
        ] {
            let (from, to) = (was.map(field).unwrap_or(""), is.map(field).unwrap_or(""));
            if from != to {
                let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
                changes.push(audit::Change::values(
                    &format!("{name}_{lang}"),
                    some(from),
                    some(to),
                ));
            }
        }
    }
    let price = |a: &artwork::Model| {
        price_override_of(a).map(|m| format!("{} {}", m.to_decimal(), m.currency().code()))
    };
    if price(before) != price(after) {
        changes.push(audit::Change::values(
            "price_override",
            price(before),
            price(after),
        ));
    }
    changes
}
