//! Paintings: the list with its filters, a form to add one, the painting's page to edit it
//! (status, price override), and its photos (several uploaded at once, alt text, removal).
use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::{Value, context};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Console;
use super::forms::{CatalogAnswer, catalog_answer, given, number};
use super::session::{Posted, check_upload};
use super::uploads;
use crate::catalog::artworks::{self, AdminArtworkFilter, ArtworkInput, ArtworkPatch};
use crate::catalog::texts::{ArtworkText, TranslationsInput};
use crate::catalog::tiers;
use crate::catalog::{CatalogError, artists};
use crate::error::FieldErrors;
use crate::media::images;
use crate::money::MoneyDto;
use crate::pagination::Pagination;
use crate::web::console::forms::NoFields;

/// What the form choices come from: every artist and every size tier (a campaign has dozens).
async fn choices(console: &Console) -> Result<Value, crate::catalog::CatalogError> {
    let db = &console.state.db;
    let all = Pagination::new(Some(1), Some(100))?;
    let (artists, tiers) = futures_util::try_join!(artists::list(db, all), tiers::names(db))?;
    let artists: Vec<(String, String)> = artists
        .items
        .into_iter()
        .map(|a| (a.id, a.display_name))
        .collect();
    Ok(context! { artists => artists, tiers => tiers })
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ListQuery {
    artist: Option<String>,
    status: Option<String>,
    size_tier: Option<String>,
    page: Option<String>,
}

#[get("/admin/paintings")]
pub async fn list(console: Console, query: web::Query<ListQuery>) -> HttpResponse {
    let q = query.into_inner();
    let Some(page) = super::forms::page_of(&q.page, 50) else {
        return console.not_found();
    };
    let filter = AdminArtworkFilter {
        artist_id: given(&q.artist),
        status: given(&q.status),
        size_tier_id: given(&q.size_tier),
        page: None,
        per_page: None,
    };
    let (found, choices) = futures_util::join!(
        artworks::list(&console.state.db, filter, page),
        choices(&console)
    );
    let choices = match choices {
        Ok(c) => c,
        Err(err) => return console.failed(&err),
    };
    match found {
        Ok(page) => {
            let pages = page.total.div_ceil(page.per_page).max(1);
            let url = |p: u64| {
                let mut s = form_urlencoded::Serializer::new(String::new());
                for (k, v) in [
                    ("artist", &q.artist),
                    ("status", &q.status),
                    ("size_tier", &q.size_tier),
                ] {
                    if let Some(v) = given(v) {
                        s.append_pair(k, &v);
                    }
                }
                s.append_pair("page", &p.to_string());
                format!("/admin/paintings?{}", s.finish())
            };
            console.page(
                "console/paintings.html",
                context! {
                    section => "paintings",
                    q => &q,
                    statuses => ["draft", "available", "reserved", "sold", "withdrawn"],
                    pages => pages,
                    prev_url => (page.page > 1).then(|| url(page.page - 1)),
                    next_url => (page.page < pages).then(|| url(page.page + 1)),
                    page => page,
                    ..choices
                },
            )
        }
        Err(crate::catalog::CatalogError::Invalid(_)) => console.not_found(),
        Err(err) => console.failed(&err),
    }
}

/// The painting form as the browser sends it: text, to be checked field by field.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct PaintingForm {
    #[serde(default)]
    artist_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    medium: String,
    #[serde(default)]
    width_cm: String,
    #[serde(default)]
    height_cm: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    size_tier_id: String,
    status: Option<String>,
    #[serde(default)]
    price_amount: String,
    #[serde(default)]
    price_currency: String,
    #[serde(default)]
    text_lang: String,
    #[serde(default)]
    description_en: String,
    #[serde(default)]
    medium_en: String,
    #[serde(default)]
    description_sv: String,
    #[serde(default)]
    medium_sv: String,
    #[serde(default)]
    description_fa: String,
    #[serde(default)]
    medium_fa: String,
}

struct Parsed {
    width_cm: i32,
    height_cm: i32,
    year: Option<i32>,
    price_override: Option<MoneyDto>,
}

impl PaintingForm {
    fn text_lang(&self) -> Option<String> {
        Some(self.text_lang.trim().to_string()).filter(|l| !l.is_empty())
    }

    /// The words in each other language, as the domain takes them (a language left blank
    /// has none).
    fn translations(&self) -> TranslationsInput {
        let text = |description: &str, medium: &str| {
            (!description.trim().is_empty() || !medium.trim().is_empty()).then(|| ArtworkText {
                description: description.to_string(),
                medium: medium.to_string(),
            })
        };
        TranslationsInput {
            en: text(&self.description_en, &self.medium_en),
            sv: text(&self.description_sv, &self.medium_sv),
            fa: text(&self.description_fa, &self.medium_fa),
        }
    }

    fn parse(&self) -> Result<Parsed, FieldErrors> {
        let mut errors = FieldErrors::new();
        let width_cm = number(&mut errors, "width_cm", &self.width_cm);
        let height_cm = number(&mut errors, "height_cm", &self.height_cm);
        let year = match self.year.trim() {
            "" => None,
            y => number(&mut errors, "year", y),
        };
        let price_override = match (self.price_amount.trim(), self.price_currency.trim()) {
            ("", _) => None,
            (amount, currency) => match amount.replace(',', ".").parse::<Decimal>() {
                Ok(amount) => Some(MoneyDto {
                    amount,
                    currency: currency.to_ascii_uppercase(),
                }),
                Err(_) => {
                    errors.add("price_amount", "expected an amount such as 120.00");
                    None
                }
            },
        };
        errors.into_result()?;
        Ok(Parsed {
            width_cm: width_cm.unwrap_or_default(),
            height_cm: height_cm.unwrap_or_default(),
            year,
            price_override,
        })
    }
}

async fn form_page(
    console: &Console,
    status: StatusCode,
    painting: Option<&artworks::ArtworkAdminDetail>,
    form: &PaintingForm,
    errors: BTreeMap<String, String>,
    refusal: Option<String>,
) -> HttpResponse {
    let choices = match choices(console).await {
        Ok(c) => c,
        Err(err) => return console.failed(&err),
    };
    // The domain names the override's parts; the form has a field for each.
    let errors: BTreeMap<String, String> = errors
        .into_iter()
        .map(|(field, message)| match field.as_str() {
            "price_override" | "price_override.amount" => ("price_amount".into(), message),
            "price_override.currency" => ("price_currency".into(), message),
            _ => (field, message),
        })
        .collect();
    console.render(
        status,
        "console/painting.html",
        context! {
            section => "paintings",
            painting => painting,
            form => form,
            errors => errors,
            refusal => refusal,
            editable_statuses => ["draft", "available", "withdrawn"],
            ..choices
        },
    )
}

#[get("/admin/paintings/new")]
pub async fn new(console: Console) -> HttpResponse {
    // Most paintings are described by the coordinator who adds them, in the console's
    // language.
    let form = PaintingForm {
        status: Some("draft".into()),
        text_lang: console.lang().code().into(),
        ..PaintingForm::default()
    };
    form_page(&console, StatusCode::OK, None, &form, BTreeMap::new(), None).await
}

#[post("/admin/paintings")]
pub async fn create(posted: Posted<PaintingForm>) -> HttpResponse {
    let Posted { console, form } = posted;
    let created = match form.parse() {
        Ok(p) => {
            let input = ArtworkInput {
                artist_id: form.artist_id.clone(),
                title: form.title.clone(),
                description: Some(form.description.clone()),
                medium: Some(form.medium.clone()),
                width_cm: p.width_cm,
                height_cm: p.height_cm,
                year: p.year,
                size_tier_id: form.size_tier_id.clone(),
                status: form.status.clone(),
                price_override: p.price_override,
                text_lang: form.text_lang(),
                translations: Some(form.translations()),
            };
            let state = &console.state;
            let admin = &console.identity.admin_id;
            match artworks::create(&state.db, &state.core.cards, admin, input.clone()).await {
                // A new painting has no photo to go on sale with: it is kept as a draft, and
                // its page says to add a photo and then make it available.
                Err(CatalogError::PhotoNeeded) => {
                    let draft = ArtworkInput {
                        status: Some("draft".into()),
                        ..input
                    };
                    match artworks::create(&state.db, &state.core.cards, admin, draft).await {
                        Ok(a) => {
                            return console
                                .done(&format!("/admin/paintings/{}", a.id), "created-as-draft");
                        }
                        Err(e) => Err(e),
                    }
                }
                other => other,
            }
        }
        Err(errors) => Err(errors.into()),
    };
    match catalog_answer(created, console.lang()) {
        CatalogAnswer::Done(a) => console.done(&format!("/admin/paintings/{}", a.id), "created"),
        CatalogAnswer::Refused(status, errors, refusal) => {
            form_page(&console, status, None, &form, errors, refusal).await
        }
        CatalogAnswer::NotFound => console.not_found(),
        CatalogAnswer::Failed(err) => console.failed(&err),
    }
}

fn form_of(a: &artworks::ArtworkAdminView) -> PaintingForm {
    PaintingForm {
        artist_id: a.artist_id.clone(),
        title: a.title.clone(),
        description: a.description.clone(),
        medium: a.medium.clone(),
        width_cm: a.width_cm.to_string(),
        height_cm: a.height_cm.to_string(),
        year: a.year.map(|y| y.to_string()).unwrap_or_default(),
        size_tier_id: a.size_tier_id.clone(),
        status: Some(a.status.as_str().to_string()),
        price_amount: a
            .price_override
            .as_ref()
            .map(|p| p.amount.to_string())
            .unwrap_or_default(),
        price_currency: a
            .price_override
            .as_ref()
            .map(|p| p.currency.clone())
            .unwrap_or_default(),
        text_lang: a.text_lang.clone(),
        description_en: translated(a, "en", |t| &t.description),
        medium_en: translated(a, "en", |t| &t.medium),
        description_sv: translated(a, "sv", |t| &t.description),
        medium_sv: translated(a, "sv", |t| &t.medium),
        description_fa: translated(a, "fa", |t| &t.description),
        medium_fa: translated(a, "fa", |t| &t.medium),
    }
}

fn translated(
    a: &artworks::ArtworkAdminView,
    lang: &str,
    field: fn(&ArtworkText) -> &String,
) -> String {
    a.translations
        .get(lang)
        .map(field)
        .cloned()
        .unwrap_or_default()
}

#[get("/admin/paintings/{id}")]
pub async fn edit(console: Console, id: web::Path<String>) -> HttpResponse {
    let state = &console.state;
    match artworks::detail(&state.db, &state.media, &id).await {
        Ok(detail) => {
            let form = form_of(&detail.artwork);
            form_page(
                &console,
                StatusCode::OK,
                Some(&detail),
                &form,
                BTreeMap::new(),
                None,
            )
            .await
        }
        Err(crate::catalog::CatalogError::NotFound(_)) => console.not_found(),
        Err(err) => console.failed(&err),
    }
}

#[post("/admin/paintings/{id}")]
pub async fn update(posted: Posted<PaintingForm>, id: web::Path<String>) -> HttpResponse {
    let Posted { console, form } = posted;
    let state = &console.state;
    let updated = match form.parse() {
        Ok(p) => {
            let patch = ArtworkPatch {
                artist_id: Some(form.artist_id.clone()),
                title: Some(form.title.clone()),
                description: Some(form.description.clone()),
                medium: Some(form.medium.clone()),
                width_cm: Some(p.width_cm),
                height_cm: Some(p.height_cm),
                year: Some(p.year),
                size_tier_id: Some(form.size_tier_id.clone()),
                // A reserved or sold painting's status is the orders' to change.
                status: form
                    .status
                    .clone()
                    .filter(|s| ["draft", "available", "withdrawn"].contains(&s.as_str())),
                price_override: Some(p.price_override),
                text_lang: form.text_lang(),
                translations: Some(form.translations()),
            };
            artworks::update(
                &state.db,
                &state.core.cards,
                &console.identity.admin_id,
                &id,
                patch,
            )
            .await
        }
        Err(errors) => Err(errors.into()),
    };
    // The refusal is said next to the status, in the console's language.
    let updated = updated.map_err(|e| match e {
        CatalogError::PhotoNeeded => CatalogError::Invalid(FieldErrors::single(
            "status",
            console.text("console-painting-photo-needed"),
        )),
        other => other,
    });
    match catalog_answer(updated, console.lang()) {
        CatalogAnswer::Done(_) => console.done(&format!("/admin/paintings/{id}"), "saved"),
        CatalogAnswer::Refused(status, errors, refusal) => {
            match artworks::detail(&state.db, &state.media, &id).await {
                Ok(detail) => {
                    form_page(&console, status, Some(&detail), &form, errors, refusal).await
                }
                Err(crate::catalog::CatalogError::NotFound(_)) => console.not_found(),
                Err(err) => console.failed(&err),
            }
        }
        CatalogAnswer::NotFound => console.not_found(),
        CatalogAnswer::Failed(err) => console.failed(&err),
    }
}

/// Several photos in one upload; each goes through the same pipeline as the API's (checked,
/// re-encoded without metadata, resized). A bad one is named; the good ones are kept.
#[post("/admin/paintings/{id}/photos")]
pub async fn add_photos(
    req: HttpRequest,
    id: web::Path<String>,
    payload: Multipart,
) -> Result<HttpResponse, super::session::Refusal> {
    let console = check_upload(&req).await?;
    let state = &console.state;
    let files = match uploads::read(&req, payload, state.media.max_upload_bytes).await {
        Ok(files) => files,
        Err(problem) => return Ok(photo_problem(&console, &id, problem).await),
    };
    if files.files.is_empty() {
        return Ok(photo_problem(&console, &id, console.text("console-photos-none")).await);
    }
    let mut refused = Vec::new();
    for (name, bytes) in files.files {
        let added = images::add_to_artwork(
            &state.db,
            &state.media,
            &state.core.cards,
            &console.identity.admin_id,
            &id,
            bytes,
            files.alt.as_deref().filter(|a| !a.trim().is_empty()),
        )
        .await;
        match added {
            Ok(_) => {}
            Err(crate::media::MediaError::NotFound(_)) => return Ok(console.not_found()),
            Err(err) => refused.push(format!("{name}: {err}")),
        }
    }
    if refused.is_empty() {
        Ok(console.done(&format!("/admin/paintings/{id}"), "photos-added"))
    } else {
        state.catalog_cache.invalidate();
        Ok(photo_problem(&console, &id, refused.join("; ")).await)
    }
}

async fn photo_problem(console: &Console, id: &str, problem: String) -> HttpResponse {
    let state = &console.state;
    match artworks::detail(&state.db, &state.media, id).await {
        Ok(detail) => {
            let form = form_of(&detail.artwork);
            let errors = BTreeMap::from([("photos".to_string(), problem)]);
            form_page(
                console,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&detail),
                &form,
                errors,
                None,
            )
            .await
        }
        Err(crate::catalog::CatalogError::NotFound(_)) => console.not_found(),
        Err(err) => console.failed(&err),
    }
}

#[post("/admin/paintings/{id}/photos/{image_id}/delete")]
pub async fn delete_photo(
    posted: Posted<NoFields>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let console = posted.console;
    let (id, image_id) = path.into_inner();
    let state = &console.state;
    match images::delete_from_artwork(
        &state.db,
        &state.media,
        &state.core.cards,
        &console.identity.admin_id,
        &id,
        &image_id,
    )
    .await
    {
        Ok(()) => console.done(&format!("/admin/paintings/{id}"), "deleted"),
        Err(crate::media::MediaError::NotFound(_)) => console.not_found(),
        Err(crate::media::MediaError::LastPhoto) => {
            photo_problem(&console, &id, console.text("console-painting-last-photo")).await
        }
        Err(err) => console.failed(&err),
    }
}

#[derive(Deserialize)]
pub struct PhotoForm {
    #[serde(default)]
    alt: String,
    /// Present when "show first" was pressed.
    first: Option<String>,
}

#[post("/admin/paintings/{id}/photos/{image_id}")]
pub async fn edit_photo(
    posted: Posted<PhotoForm>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let Posted { console, form } = posted;
    let (id, image_id) = path.into_inner();
    let edited = images::edit_artwork_image(
        &console.state.db,
        &console.state.core.cards,
        &console.identity.admin_id,
        &id,
        &image_id,
        &form.alt,
        form.first.is_some(),
    )
    .await;
    match edited {
        Ok(()) => console.done(&format!("/admin/paintings/{id}"), "saved"),
        Err(crate::media::MediaError::NotFound(_)) => console.not_found(),
        Err(crate::media::MediaError::Invalid(problem)) => {
            photo_problem(&console, &id, problem).await
        }
        Err(err) => console.failed(&err),
    }
}
