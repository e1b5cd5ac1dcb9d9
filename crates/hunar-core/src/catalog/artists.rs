//! Artists as coordinators manage them, private fields included. The public view lives in
//! `public.rs` and is built from other types, so a private field cannot leak by accident.
use chrono::{DateTime, Utc};
use entity::{artist, artwork, size_tier};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::freshness::{RefreshCards, Scope};
use super::{CatalogError, Language};
use crate::country::CountryCode;
use crate::error::FieldErrors;
use crate::pagination::{self, Page, Pagination};
use crate::validate::{self, double_option, line_field, optional_line, optional_text, text_field};
use crate::vault::{Open, Vault};
use crate::{audit, db};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtistInput {
    #[schema(schema_with = crate::validate::schema::required_line::<100>)]
    pub display_name: String,
    /// Derived from display_name when absent.
    #[schema(schema_with = slug_schema)]
    pub slug: Option<String>,
    #[schema(schema_with = crate::validate::schema::optional_text::<5000>)]
    pub bio: Option<String>,
    #[schema(schema_with = crate::validate::schema::optional_text::<5000>)]
    pub bio_fa: Option<String>,
    /// ISO 3166-1 alpha-2 code of the country the artist was deported from.
    #[schema(schema_with = crate::country::optional_schema)]
    pub deported_from: Option<String>,
    #[schema(schema_with = crate::validate::schema::optional_email)]
    pub email: Option<String>,
    #[schema(schema_with = crate::validate::schema::optional_phone)]
    pub phone: Option<String>,
    /// en, fa or ps; en when absent.
    #[schema(schema_with = super::language_schema)]
    pub preferred_language: Option<String>,
    #[schema(schema_with = crate::validate::schema::optional_text::<10000>)]
    pub notes: Option<String>,
    /// How the artist hears of a sale or a payout: email (default), whatsapp or both.
    /// WhatsApp needs a phone number.
    #[schema(schema_with = notify_by_schema)]
    pub notify_by: Option<String>,
    /// Messages say only that there is news; the rest is on the artist's own page.
    pub plain_messages: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtistPatch {
    #[schema(schema_with = crate::validate::schema::patched_line::<100>)]
    pub display_name: Option<String>,
    #[schema(schema_with = slug_schema)]
    pub slug: Option<String>,
    #[schema(schema_with = crate::validate::schema::optional_text::<5000>)]
    pub bio: Option<String>,
    #[schema(schema_with = crate::validate::schema::optional_text::<5000>)]
    pub bio_fa: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = crate::country::optional_schema)]
    pub deported_from: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = crate::validate::schema::optional_email)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = crate::validate::schema::optional_phone)]
    pub phone: Option<Option<String>>,
    #[schema(schema_with = super::language_schema)]
    pub preferred_language: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = crate::validate::schema::optional_text::<10000>)]
    pub notes: Option<Option<String>>,
    #[schema(schema_with = notify_by_schema)]
    pub notify_by: Option<String>,
    pub plain_messages: Option<bool>,
}

/// How an artist is told.
pub const NOTIFY_BY: [&str; 3] = ["email", "whatsapp", "both"];

fn notify_by_schema() -> utoipa::openapi::Object {
    crate::validate::schema::one_of(NOTIFY_BY, true)
}

/// Admin-only: carries contact details and notes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArtistAdminView {
    pub id: String,
    pub slug: String,
    pub display_name: String,
    pub bio: String,
    pub bio_fa: String,
    pub deported_from: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub preferred_language: String,
    pub notes: Option<String>,
    /// email, whatsapp or both.
    pub notify_by: String,
    pub plain_messages: bool,
    /// Until when the artist's current page link works; none when there is no link.
    pub page_link_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ArtistAdminView {
    /// The artist as a coordinator sees it, private fields opened.
    pub fn open(a: artist::Model) -> Result<Self, sea_orm::DbErr> {
        Ok(Self {
            id: a.id,
            slug: a.slug,
            display_name: a.display_name,
            bio: a.bio,
            bio_fa: a.bio_fa,
            deported_from: a.deported_from,
            email: a.email.open()?,
            phone: a.phone.open()?,
            preferred_language: a.preferred_language,
            notes: a.notes.open()?,
            notify_by: a.notify_by,
            plain_messages: a.plain_messages,
            page_link_expires_at: a.page_token_hash.and(a.page_expires_at),
            created_at: a.created_at,
            updated_at: a.updated_at,
        })
    }
}

fn reseal(
    vault: &Vault,
    was: &Option<String>,
    now: Option<String>,
) -> sea_orm::ActiveValue<Option<entity::Sealed>> {
    if *was == now {
        sea_orm::ActiveValue::NotSet
    } else {
        Set(vault.seal_opt(now.as_deref()))
    }
}

struct ValidArtist {
    slug: String,
    display_name: String,
    bio: String,
    bio_fa: String,
    deported_from: Option<CountryCode>,
    email: Option<String>,
    phone: Option<String>,
    language: Language,
    notes: Option<String>,
    notify_by: &'static str,
    plain_messages: bool,
}

/// `is_valid_slug` as an OpenAPI schema; absent or null derives it from the display name.
fn slug_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(crate::validate::schema::of_type(
            utoipa::openapi::Type::String,
            true,
        ))
        .max_length(Some(80))
        .pattern(Some("^[a-z0-9]+(-[a-z0-9]+)*$"))
        .build()
}

fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 80
        && slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn validate(input: ArtistInput) -> Result<ValidArtist, FieldErrors> {
    let mut errors = FieldErrors::new();
    let display_name = line_field(&mut errors, "display_name", &input.display_name, true, 100);
    let slug = match input.slug {
        Some(slug) => {
            if !is_valid_slug(&slug) {
                errors.add(
                    "slug",
                    "use 1-80 lower-case letters, digits and single hyphens, e.g. `shabnam-r`",
                );
            }
            slug
        }
        None => {
            let mut derived = slug::slugify(&display_name);
            derived.truncate(80);
            let derived = derived.trim_end_matches('-').to_string();
            if !display_name.is_empty() && !is_valid_slug(&derived) {
                errors.add("slug", "cannot be derived from display_name; give one");
            }
            derived
        }
    };
    let bio = text_field(
        &mut errors,
        "bio",
        input.bio.as_deref().unwrap_or(""),
        false,
        5000,
    );
    let bio_fa = text_field(
        &mut errors,
        "bio_fa",
        input.bio_fa.as_deref().unwrap_or(""),
        false,
        5000,
    );
    let deported_from = input
        .deported_from
        .and_then(|c| errors.check("deported_from", CountryCode::parse(&c)));
    let email = optional_text(&mut errors, "email", input.email.as_deref(), 254);
    validate::email(&mut errors, "email", email.as_deref().unwrap_or(""));
    let phone = optional_line(&mut errors, "phone", input.phone.as_deref(), 40);
    validate::phone(&mut errors, "phone", phone.as_deref());
    let language = match input.preferred_language.as_deref() {
        None => Some(Language::En),
        Some(code) => {
            let lang = Language::parse(code);
            if lang.is_none() {
                errors.add("preferred_language", "expected en, fa or ps");
            }
            lang
        }
    };
    let notes = optional_text(&mut errors, "notes", input.notes.as_deref(), 10_000);
    let notify_by = match input.notify_by.as_deref() {
        None => "email",
        Some(way) => match NOTIFY_BY.into_iter().find(|w| *w == way) {
            Some(way) => way,
            None => {
                errors.add("notify_by", "expected email, whatsapp or both");
                "email"
            }
        },
    };
    let international = phone
        .as_deref()
        .is_some_and(|p| p.starts_with('+') || p.starts_with("00"));
    if notify_by != "email" && !international {
        // A number without its country code would be dialled in the business's own country:
        // someone else's phone, and the link to the artist's page with it.
        errors.add(
            "notify_by",
            "WhatsApp needs the artist's phone number with its country code, starting with + (+93 …)",
        );
    }
    errors.into_result()?;
    Ok(ValidArtist {
        slug,
        display_name,
        bio,
        bio_fa,
        deported_from,
        email,
        phone,
        language: language.unwrap_or(Language::En),
        notes,
        notify_by,
        plain_messages: input.plain_messages.unwrap_or(false),
    })
}

async fn check_slug_free(
    conn: &impl ConnectionTrait,
    slug: &str,
    own_id: Option<&str>,
) -> Result<(), CatalogError> {
    let holder = artist::Entity::find()
        .filter(artist::Column::Slug.eq(slug))
        .one(conn)
        .await?;
    if holder.is_some_and(|a| Some(a.id.as_str()) != own_id) {
        return Err(FieldErrors::single("slug", format!("`{slug}` is already taken")).into());
    }
    Ok(())
}

fn slug_race(err: sea_orm::DbErr) -> CatalogError {
    if db::is_unique_violation(&err) {
        FieldErrors::single("slug", "is already taken").into()
    } else {
        err.into()
    }
}

pub async fn get(conn: &impl ConnectionTrait, id: &str) -> Result<ArtistAdminView, CatalogError> {
    artist::Entity::find_by_id(id.to_string())
        .one(conn)
        .await?
        .map(ArtistAdminView::open)
        .ok_or(CatalogError::NotFound("artist"))?
        .map_err(Into::into)
}

pub async fn list(
    db: &DatabaseConnection,
    page: Pagination,
) -> Result<Page<ArtistAdminView>, CatalogError> {
    let query = artist::Entity::find()
        .order_by_asc(artist::Column::DisplayName)
        .order_by_asc(artist::Column::Id);
    Ok(pagination::fetch_opened(db, query, page, ArtistAdminView::open).await?)
}

/// Artists whose name contains `words` (any case), for the console's search.
pub async fn search(
    db: &DatabaseConnection,
    words: &str,
    page: Pagination,
) -> Result<Page<ArtistAdminView>, CatalogError> {
    use sea_orm::ExprTrait;
    use sea_orm::sea_query::{Expr, Func};
    let pattern = format!(
        "%{}%",
        words.trim().to_lowercase().replace(['\\', '%', '_'], "")
    );
    let query = artist::Entity::find()
        .filter(Expr::expr(Func::lower(Expr::col(artist::Column::DisplayName))).like(pattern))
        .order_by_asc(artist::Column::DisplayName)
        .order_by_asc(artist::Column::Id);
    Ok(pagination::fetch_opened(db, query, page, ArtistAdminView::open).await?)
}

pub async fn create(
    db: &DatabaseConnection,
    vault: &Vault,
    admin_id: &str,
    input: ArtistInput,
) -> Result<ArtistAdminView, CatalogError> {
    let artist = validate(input)?;
    let txn = db::begin_write(db).await?;
    check_slug_free(&txn, &artist.slug, None).await?;
    let now = Utc::now();
    let id = db::new_id();
    let model = artist::ActiveModel {
        id: Set(id.clone()),
        slug: Set(artist.slug),
        display_name: Set(artist.display_name),
        bio: Set(artist.bio),
        bio_fa: Set(artist.bio_fa),
        deported_from: Set(artist.deported_from.map(|c| c.to_string())),
        email: Set(vault.seal_opt(artist.email.as_deref())),
        phone: Set(vault.seal_opt(artist.phone.as_deref())),
        preferred_language: Set(artist.language.as_str().to_string()),
        notes: Set(vault.seal_opt(artist.notes.as_deref())),
        notify_by: Set(artist.notify_by.to_string()),
        plain_messages: Set(artist.plain_messages),
        page_generation: Set(0),
        page_token_hash: Set(None),
        page_expires_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(slug_race)?;
    audit::record(&txn, admin_id, "artist.create", "artist", &id, &[]).await?;
    txn.commit().await?;
    Ok(ArtistAdminView::open(model)?)
}

/// An artist's fields the audit log names without their values: how to reach her, what the
/// coordinators note about her, and who she is and was (a name shortened for her safety must
/// not live on in the log, nor an old biography or the country she was deported from).
const PERSONAL: &[&str] = &[
    "email",
    "phone",
    "notes",
    "display_name",
    "slug",
    "bio",
    "bio_fa",
    "deported_from",
];

pub async fn update(
    db: &DatabaseConnection,
    vault: &Vault,
    cards: &dyn RefreshCards,
    admin_id: &str,
    id: &str,
    patch: ArtistPatch,
) -> Result<ArtistAdminView, CatalogError> {
    let txn = db::begin_write(db).await?;
    let current = get(&txn, id).await?;
    let was = (
        current.email.clone(),
        current.phone.clone(),
        current.notes.clone(),
    );
    let before = artist::Entity::find_by_id(id.to_string())
        .one(&txn)
        .await?
        .ok_or(CatalogError::NotFound("artist"))?;
    let artist = validate(ArtistInput {
        display_name: patch.display_name.unwrap_or(current.display_name),
        // Renaming keeps the slug (links stay valid) unless a new slug is given.
        slug: Some(patch.slug.unwrap_or(current.slug)),
        bio: Some(patch.bio.unwrap_or(current.bio)),
        bio_fa: Some(patch.bio_fa.unwrap_or(current.bio_fa)),
        deported_from: patch.deported_from.unwrap_or(current.deported_from),
        email: patch.email.unwrap_or(current.email),
        phone: patch.phone.unwrap_or(current.phone),
        preferred_language: Some(
            patch
                .preferred_language
                .unwrap_or(current.preferred_language),
        ),
        notes: patch.notes.unwrap_or(current.notes),
        notify_by: Some(patch.notify_by.unwrap_or(current.notify_by)),
        plain_messages: Some(patch.plain_messages.unwrap_or(current.plain_messages)),
    })?;
    check_slug_free(&txn, &artist.slug, Some(id)).await?;
    let model = artist::ActiveModel {
        id: Set(id.to_string()),
        slug: Set(artist.slug),
        display_name: Set(artist.display_name),
        bio: Set(artist.bio),
        bio_fa: Set(artist.bio_fa),
        deported_from: Set(artist.deported_from.map(|c| c.to_string())),
        // Sealed anew only when changed: a new seal of the same text would read as a change.
        email: reseal(vault, &was.0, artist.email),
        phone: reseal(vault, &was.1, artist.phone),
        preferred_language: Set(artist.language.as_str().to_string()),
        notes: reseal(vault, &was.2, artist.notes),
        notify_by: Set(artist.notify_by.to_string()),
        plain_messages: Set(artist.plain_messages),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await
    .map_err(slug_race)?;
    let changes = audit::changes(&before, &model, PERSONAL);
    audit::record_changes(&txn, admin_id, "artist.update", "artist", id, &changes).await?;
    // Cards name the artist and link to them by slug.
    cards.refresh(&txn, Scope::Artist(id)).await?;
    txn.commit().await?;
    Ok(ArtistAdminView::open(model)?)
}

/// Returns the portrait deleted with the artist, whose files the caller removes
/// (`media::images::discard`): a deleted artist's face must not stay reachable by its URL.
pub async fn delete(
    db: &DatabaseConnection,
    admin_id: &str,
    id: &str,
) -> Result<Vec<entity::image::Model>, CatalogError> {
    let txn = db::begin_write(db).await?;
    get(&txn, id).await?;
    let artworks = artwork::Entity::find()
        .filter(artwork::Column::ArtistId.eq(id))
        .count(&txn)
        .await?;
    let tiers = size_tier::Entity::find()
        .filter(size_tier::Column::ArtistId.eq(id))
        .count(&txn)
        .await?;
    if artworks > 0 || tiers > 0 {
        return Err(CatalogError::InUse(format!(
            "this artist still has {artworks} artwork(s) and {tiers} own size tier(s); \
             delete or withdraw those first"
        )));
    }
    // What was paid to an artist is kept for good: their account outlives their page.
    let entries = entity::ledger_entry::Entity::find()
        .filter(entity::ledger_entry::Column::ArtistId.eq(id))
        .count(&txn)
        .await?;
    if entries > 0 {
        return Err(CatalogError::InUse(format!(
            "this artist has {entries} entries in their account (sales or payouts); \
             an artist with money history is kept"
        )));
    }
    let portrait = entity::image::Entity::find()
        .filter(entity::image::Column::ArtistId.eq(id))
        .all(&txn)
        .await?;
    artist::Entity::delete_by_id(id.to_string())
        .exec(&txn)
        .await?;
    audit::record(&txn, admin_id, "artist.delete", "artist", id, &[]).await?;
    txn.commit().await?;
    Ok(portrait)
}
