//! The switches on every page: language and destination, remembered in cookies for a year.
use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;

use super::pages::country_picker;
use crate::country::CountryCode;
use crate::web::html::not_found_bare;
use crate::web::i18n::Lang;
use crate::web::visitor::{COUNTRY_COOKIE, LANG_COOKIE, Visitor, local_path};

fn remember(name: &'static str, value: String, next: Option<&str>) -> HttpResponse {
    let cookie = Cookie::build(name, value)
        .path("/")
        .max_age(Duration::days(365))
        .same_site(SameSite::Lax)
        .http_only(true)
        .finish();
    HttpResponse::SeeOther()
        .insert_header((LOCATION, local_path(next)))
        .cookie(cookie)
        .finish()
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// The language switch: remembered for a year, then back to the page.
#[get("/lang/{code}")]
pub async fn set_lang(code: web::Path<String>, query: web::Query<Next>) -> HttpResponse {
    match Lang::parse(&code) {
        Some(lang) => remember(LANG_COOKIE, lang.code().into(), query.next.as_deref()),
        None => not_found_bare(),
    }
}

#[derive(Deserialize)]
pub struct CountryChoice {
    code: Option<String>,
    next: Option<String>,
}

/// The destination: `?code=SE` remembers it; without a code, the picker.
#[get("/country")]
pub async fn choose_country(visitor: Visitor, query: web::Query<CountryChoice>) -> HttpResponse {
    let query = query.into_inner();
    match query
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(code) => match CountryCode::parse(&code.to_ascii_uppercase()) {
            Ok(country) => remember(COUNTRY_COOKIE, country.to_string(), query.next.as_deref()),
            Err(_) => country_picker(&visitor, query.next.as_deref(), true),
        },
        None => country_picker(&visitor, query.next.as_deref(), false),
    }
}
