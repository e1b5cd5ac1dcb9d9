//! Artists: list and search, add, edit (the private fields marked as such), portrait, and
//! delete after a page that says what goes with it.
use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::Console;
use super::forms::{CatalogAnswer, catalog_answer, given};
use super::session::{Posted, check_upload};
use super::uploads;
use crate::catalog::artists::{self, ArtistAdminView, ArtistInput, ArtistPatch};
use crate::catalog::artworks::{self, AdminArtworkFilter};
use crate::catalog::{CatalogError, Language};
use crate::media::images;
use crate::pagination::Pagination;
use crate::web::console::forms::NoFields;
use crate::web::format;

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ListQuery {
    q: Option<String>,
    page: Option<String>,
}

#[get("/admin/artists")]
pub async fn list(console: Console, query: web::Query<ListQuery>) -> HttpResponse {
    let q = query.into_inner();
    let Some(page) = super::forms::page_of(&q.page, 50) else {
        return console.not_found();
    };
    let db = &console.state.db;
    let found = match given(&q.q) {
        Some(words) => artists::search(db, &words, page).await,
        None => artists::list(db, page).await,
    };
    match found {
        Ok(page) => {
            let ids: Vec<String> = page.items.iter().map(|a| a.id.clone()).collect();
            let portraits = match images::portraits(db, &console.state.media, ids).await {
                Ok(p) => p,
                Err(err) => return console.failed(&err),
            };
            let pages = page.total.div_ceil(page.per_page).max(1);
            console.page(
                "console/artists.html",
                context! {
                    section => "artists",
                    q => &q,
                    portraits => portraits,
                    pages => pages,
                    prev_url => (page.page > 1).then(|| format!("/admin/artists?page={}", page.page - 1)),
                    next_url => (page.page < pages).then(|| format!("/admin/artists?page={}", page.page + 1)),
                    page => page,
                },
            )
        }
        Err(err) => console.failed(&err),
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ArtistForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    bio: String,
    #[serde(default)]
    bio_fa: String,
    #[serde(default)]
    deported_from: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    preferred_language: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    notify_by: String,
    /// A checkbox: present ("yes") when ticked.
    #[serde(default)]
    plain_messages: Option<String>,
}

fn optional(v: &str) -> Option<String> {
    given(&Some(v.to_string()))
}

fn form_of(a: &ArtistAdminView) -> ArtistForm {
    ArtistForm {
        display_name: a.display_name.clone(),
        slug: a.slug.clone(),
        bio: a.bio.clone(),
        bio_fa: a.bio_fa.clone(),
        deported_from: a.deported_from.clone().unwrap_or_default(),
        email: a.email.clone().unwrap_or_default(),
        phone: a.phone.clone().unwrap_or_default(),
        preferred_language: a.preferred_language.clone(),
        notes: a.notes.clone().unwrap_or_default(),
        notify_by: a.notify_by.clone(),
        plain_messages: a.plain_messages.then(|| "yes".to_string()),
    }
}

async fn form_page(
    console: &Console,
    status: StatusCode,
    artist: Option<&ArtistAdminView>,
    form: &ArtistForm,
    errors: BTreeMap<String, String>,
    refusal: Option<String>,
) -> HttpResponse {
    form_page_with_link(console, status, artist, form, errors, refusal, None).await
}

/// The artist's page, showing `new_link` once when one was just made (never in a URL: it
/// would stay in the browser's history and the request log).
async fn form_page_with_link(
    console: &Console,
    status: StatusCode,
    artist: Option<&ArtistAdminView>,
    form: &ArtistForm,
    errors: BTreeMap<String, String>,
    refusal: Option<String>,
    new_link: Option<&str>,
) -> HttpResponse {
    let db = &console.state.db;
    let (portrait, paintings) = match artist {
        Some(a) => {
            let portrait =
                match images::portraits(db, &console.state.media, vec![a.id.clone()]).await {
                    Ok(mut p) => p.remove(&a.id),
                    Err(err) => return console.failed(&err),
                };
            (portrait, painting_count(console, &a.id).await)
        }
        None => (None, 0),
    };
    let countries = format::countries(console.lang());
    console.render(
        status,
        "console/artist.html",
        context! {
            section => "artists",
            artist => artist,
            portrait => portrait,
            paintings => paintings,
            form => form,
            errors => errors,
            refusal => refusal,
            countries => countries,
            languages => languages(&form.preferred_language),
            new_link => new_link,
        },
    )
}

/// A new link to the artist's own page; the old one stops working.
#[post("/admin/artists/{id}/page-link")]
pub async fn make_page_link(posted: Posted<NoFields>, id: web::Path<String>) -> HttpResponse {
    let Posted { console, .. } = posted;
    let state = &console.state;
    let made = crate::artist_page::make_link(
        &state.db,
        &state.mail.tokens,
        &state.config.public_base_url,
        &console.identity.admin_id,
        &id,
    )
    .await;
    let link = match made {
        Ok(link) => link,
        Err(crate::error::DomainError::NotFound(_)) => return console.not_found(),
        Err(err) => return console.failed(&err),
    };
    match artists::get(&state.db, &id).await {
        Ok(a) => {
            let form = form_of(&a);
            form_page_with_link(
                &console,
                StatusCode::OK,
                Some(&a),
                &form,
                BTreeMap::new(),
                None,
                Some(&link.url),
            )
            .await
        }
        Err(CatalogError::NotFound(_)) => console.not_found(),
        Err(err) => console.failed(&err),
    }
}

/// The languages an artist's emails are written in, and the artist's own when it is not one
/// of them (an older record, or one set through the API), so saving the form keeps it.
fn languages(current: &str) -> Vec<&'static str> {
    [Language::En, Language::Fa, Language::Ps]
        .map(Language::as_str)
        .into_iter()
        .filter(|l| crate::notifications::render::artist_texts_in(l) || *l == current)
        .collect()
}

async fn painting_count(console: &Console, artist_id: &str) -> u64 {
    let Ok(page) = Pagination::new(Some(1), Some(1)) else {
        return 0;
    };
    let filter = AdminArtworkFilter {
        artist_id: Some(artist_id.to_string()),
        ..AdminArtworkFilter::default()
    };
    artworks::list(&console.state.db, filter, page)
        .await
        .map_or(0, |p| p.total)
}

#[get("/admin/artists/new")]
pub async fn new(console: Console) -> HttpResponse {
    let form = ArtistForm {
        preferred_language: "fa".into(),
        ..ArtistForm::default()
    };
    form_page(&console, StatusCode::OK, None, &form, BTreeMap::new(), None).await
}

#[post("/admin/artists")]
pub async fn create(posted: Posted<ArtistForm>) -> HttpResponse {
    let Posted { console, form } = posted;
    let input = ArtistInput {
        display_name: form.display_name.clone(),
        slug: optional(&form.slug),
        bio: Some(form.bio.clone()),
        bio_fa: Some(form.bio_fa.clone()),
        deported_from: optional(&form.deported_from),
        email: optional(&form.email),
        phone: optional(&form.phone),
        preferred_language: optional(&form.preferred_language),
        notes: optional(&form.notes),
        notify_by: optional(&form.notify_by),
        plain_messages: Some(form.plain_messages.is_some()),
    };
    let created = artists::create(
        &console.state.db,
        &console.state.core.vault,
        &console.identity.admin_id,
        input,
    )
    .await;
    match catalog_answer(created, console.lang()) {
        CatalogAnswer::Done(a) => console.done(&format!("/admin/artists/{}", a.id), "created"),
        CatalogAnswer::Refused(status, errors, refusal) => {
            form_page(&console, status, None, &form, errors, refusal).await
        }
        CatalogAnswer::NotFound => console.not_found(),
        CatalogAnswer::Failed(err) => console.failed(&err),
    }
}

#[get("/admin/artists/{id}")]
pub async fn edit(console: Console, id: web::Path<String>) -> HttpResponse {
    match artists::get(&console.state.db, &id).await {
        Ok(a) => {
            let form = form_of(&a);
            form_page(
                &console,
                StatusCode::OK,
                Some(&a),
                &form,
                BTreeMap::new(),
                None,
            )
            .await
        }
        Err(CatalogError::NotFound(_)) => console.not_found(),
        Err(err) => console.failed(&err),
    }
}

#[post("/admin/artists/{id}")]
pub async fn update(posted: Posted<ArtistForm>, id: web::Path<String>) -> HttpResponse {
    let Posted { console, form } = posted;
    let patch = ArtistPatch {
        display_name: Some(form.display_name.clone()),
        slug: optional(&form.slug),
        bio: Some(form.bio.clone()),
        bio_fa: Some(form.bio_fa.clone()),
        deported_from: Some(optional(&form.deported_from)),
        email: Some(optional(&form.email)),
        phone: Some(optional(&form.phone)),
        preferred_language: optional(&form.preferred_language),
        notes: Some(optional(&form.notes)),
        notify_by: optional(&form.notify_by),
        plain_messages: Some(form.plain_messages.is_some()),
    };
    let db = &console.state.db;
    let updated = artists::update(
        db,
        &console.state.core.vault,
        &console.state.core.cards,
        &console.identity.admin_id,
        &id,
        patch,
    )
    .await;
    match catalog_answer(updated, console.lang()) {
        CatalogAnswer::Done(_) => console.done(&format!("/admin/artists/{id}"), "saved"),
        CatalogAnswer::Refused(status, errors, refusal) => match artists::get(db, &id).await {
            Ok(a) => form_page(&console, status, Some(&a), &form, errors, refusal).await,
            Err(CatalogError::NotFound(_)) => console.not_found(),
            Err(err) => console.failed(&err),
        },
        CatalogAnswer::NotFound => console.not_found(),
        CatalogAnswer::Failed(err) => console.failed(&err),
    }
}

#[post("/admin/artists/{id}/portrait")]
pub async fn upload_portrait(
    req: HttpRequest,
    id: web::Path<String>,
    payload: Multipart,
) -> Result<HttpResponse, super::session::Refusal> {
    let console = check_upload(&req).await?;
    let state = &console.state;
    let problem = match uploads::read(&req, payload, state.media.max_upload_bytes).await {
        Ok(mut upload) => match upload.files.pop() {
            Some((_, bytes)) => {
                let alt = upload.alt.as_deref().filter(|a| !a.trim().is_empty());
                match images::set_portrait(
                    &state.db,
                    &state.media,
                    &console.identity.admin_id,
                    &id,
                    bytes,
                    alt,
                )
                .await
                {
                    Ok(_) => return Ok(console.done(&format!("/admin/artists/{id}"), "saved")),
                    Err(crate::media::MediaError::NotFound(_)) => {
                        return Ok(console.not_found());
                    }
                    Err(err) => err.to_string(),
                }
            }
            None => console.text("console-photos-none"),
        },
        Err(problem) => problem,
    };
    match artists::get(&state.db, &id).await {
        Ok(a) => {
            let errors = BTreeMap::from([("portrait".to_string(), problem)]);
            let form = form_of(&a);
            Ok(form_page(
                &console,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&a),
                &form,
                errors,
                None,
            )
            .await)
        }
        Err(CatalogError::NotFound(_)) => Ok(console.not_found()),
        Err(err) => Ok(console.failed(&err)),
    }
}

#[get("/admin/artists/{id}/delete")]
pub async fn delete_page(console: Console, id: web::Path<String>) -> HttpResponse {
    match artists::get(&console.state.db, &id).await {
        Ok(a) => {
            let paintings = painting_count(&console, &a.id).await;
            console.page(
                "console/artist-delete.html",
                context! { section => "artists", artist => a, paintings => paintings },
            )
        }
        Err(CatalogError::NotFound(_)) => console.not_found(),
        Err(err) => console.failed(&err),
    }
}

#[post("/admin/artists/{id}/delete")]
pub async fn delete(posted: Posted<NoFields>, id: web::Path<String>) -> HttpResponse {
    let console = posted.console;
    let state = &console.state;
    match artists::delete(&state.db, &console.identity.admin_id, &id).await {
        Ok(portrait) => {
            images::discard(&state.db, &state.media, portrait).await;
            console.done("/admin/artists", "deleted")
        }
        Err(CatalogError::NotFound(_)) => console.not_found(),
        Err(err @ CatalogError::InUse(_)) => match artists::get(&state.db, &id).await {
            Ok(a) => {
                let paintings = painting_count(&console, &a.id).await;
                console.render(
                    StatusCode::CONFLICT,
                    "console/artist-delete.html",
                    context! {
                        section => "artists", artist => a, paintings => paintings,
                        refusal => err.to_string(),
                    },
                )
            }
            Err(err) => console.failed(&err),
        },
        Err(err) => console.failed(&err),
    }
}
