//! Shipping zones: which countries share a price, and the zone for everywhere else.
use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::Console;
use super::forms::{CatalogAnswer, catalog_answer};
use super::session::Posted;
use crate::catalog::zones::{self, ZoneInput, ZonePatch, ZoneView};

/// The zone form as sent: countries as typed codes (`SE NO, DK`).
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ZoneForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    countries: String,
    /// A checkbox: present when ticked.
    is_fallback: Option<String>,
}

impl ZoneForm {
    fn codes(&self) -> Vec<String> {
        self.countries
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|c| !c.is_empty())
            .map(|c| c.to_ascii_uppercase())
            .collect()
    }
}

fn form_of(z: &ZoneView) -> ZoneForm {
    ZoneForm {
        name: z.name.clone(),
        countries: z.countries.join(" "),
        is_fallback: z.is_fallback.then(|| "yes".into()),
    }
}

fn page(
    console: &Console,
    status: StatusCode,
    zone: Option<&ZoneView>,
    form: &ZoneForm,
    errors: BTreeMap<String, String>,
    refusal: Option<String>,
) -> HttpResponse {
    // The domain names a bad country by its place in the list; the form has one field.
    let errors: BTreeMap<String, String> = errors
        .into_iter()
        .map(|(field, message)| {
            if field.starts_with("countries") {
                ("countries".to_string(), message)
            } else {
                (field, message)
            }
        })
        .collect();
    console.render(
        status,
        "console/zone.html",
        context! {
            section => "prices", zone => zone, form => form, errors => errors, refusal => refusal,
        },
    )
}

#[get("/admin/prices/zones/new")]
pub async fn new(console: Console) -> HttpResponse {
    page(
        &console,
        StatusCode::OK,
        None,
        &ZoneForm::default(),
        BTreeMap::new(),
        None,
    )
}

#[post("/admin/prices/zones")]
pub async fn create(posted: Posted<ZoneForm>) -> HttpResponse {
    let Posted { console, form } = posted;
    let input = ZoneInput {
        name: form.name.clone(),
        countries: form.codes(),
        is_fallback: form.is_fallback.is_some(),
    };
    let created = zones::create(
        &console.state.db,
        &console.state.core.cards,
        &console.identity.admin_id,
        input,
    )
    .await;
    match catalog_answer(created, console.lang()) {
        CatalogAnswer::Done(_) => console.done("/admin/prices", "created"),
        CatalogAnswer::Refused(status, errors, refusal) => {
            page(&console, status, None, &form, errors, refusal)
        }
        CatalogAnswer::NotFound => console.not_found(),
        CatalogAnswer::Failed(err) => console.failed(&err),
    }
}

#[get("/admin/prices/zones/{id}")]
pub async fn edit(console: Console, id: web::Path<String>) -> HttpResponse {
    match zones::get(&console.state.db, &id).await {
        Ok(z) => page(
            &console,
            StatusCode::OK,
            Some(&z),
            &form_of(&z),
            BTreeMap::new(),
            None,
        ),
        Err(crate::catalog::CatalogError::NotFound(_)) => console.not_found(),
        Err(err) => console.failed(&err),
    }
}

#[post("/admin/prices/zones/{id}")]
pub async fn update(posted: Posted<ZoneForm>, id: web::Path<String>) -> HttpResponse {
    let Posted { console, form } = posted;
    let patch = ZonePatch {
        name: Some(form.name.clone()),
        countries: Some(form.codes()),
        is_fallback: Some(form.is_fallback.is_some()),
    };
    let db = &console.state.db;
    let updated = zones::update(
        db,
        &console.state.core.cards,
        &console.identity.admin_id,
        &id,
        patch,
    )
    .await;
    match catalog_answer(updated, console.lang()) {
        CatalogAnswer::Done(_) => console.done("/admin/prices", "saved"),
        CatalogAnswer::Refused(status, errors, refusal) => match zones::get(db, &id).await {
            Ok(z) => page(&console, status, Some(&z), &form, errors, refusal),
            Err(crate::catalog::CatalogError::NotFound(_)) => console.not_found(),
            Err(err) => console.failed(&err),
        },
        CatalogAnswer::NotFound => console.not_found(),
        CatalogAnswer::Failed(err) => console.failed(&err),
    }
}
