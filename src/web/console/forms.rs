//! What console forms share: empty fields mean "none", numbers typed as text, and the way a
//! catalog change's refusal reaches the form again.
use std::collections::BTreeMap;

use actix_web::http::StatusCode;

use crate::catalog::CatalogError;
use crate::error::FieldErrors;

/// A filled-in field, trimmed; none when left empty.
pub fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// A whole number typed into `field`; a field error when it is not one.
pub fn number(errors: &mut FieldErrors, field: &str, text: &str) -> Option<i32> {
    match text.trim().parse::<i32>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.add(field, "expected a whole number");
            None
        }
    }
}

pub fn field_messages(
    errors: &FieldErrors,
    lang: crate::web::i18n::Lang,
) -> BTreeMap<String, String> {
    errors
        .0
        .iter()
        .map(|e| {
            (
                form_field(&e.field),
                crate::web::i18n::field_message(lang, e),
            )
        })
        .collect()
}

/// The form's name for a field the domain names by its path: `translations.sv.medium` is
/// the form's `medium_sv`.
fn form_field(field: &str) -> String {
    match field.split('.').collect::<Vec<_>>()[..] {
        ["translations", lang, name] => format!("{name}_{lang}"),
        _ => field.to_string(),
    }
}

/// A catalog change as a form shows it.
pub enum CatalogAnswer<T> {
    Done(T),
    /// Shown on the form again: the status, the fields to correct, or why it was refused.
    Refused(StatusCode, BTreeMap<String, String>, Option<String>),
    NotFound,
    Failed(CatalogError),
}

pub fn catalog_answer<T>(
    result: Result<T, CatalogError>,
    lang: crate::web::i18n::Lang,
) -> CatalogAnswer<T> {
    match result {
        Ok(v) => CatalogAnswer::Done(v),
        Err(CatalogError::Invalid(errors)) => CatalogAnswer::Refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            field_messages(&errors, lang),
            None,
        ),
        Err(err @ (CatalogError::InUse(_) | CatalogError::IllegalState(_))) => {
            CatalogAnswer::Refused(StatusCode::CONFLICT, BTreeMap::new(), Some(err.to_string()))
        }
        // An artist or tier named in the form that is not there is the form's field to fix.
        Err(CatalogError::NotFound(what)) if what != "artwork" && what != "artist" => {
            CatalogAnswer::Refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                BTreeMap::new(),
                Some(format!("{what} not found")),
            )
        }
        Err(CatalogError::NotFound(_)) => CatalogAnswer::NotFound,
        Err(err) => CatalogAnswer::Failed(err),
    }
}

/// `?page=` as typed, `per_page` to a page: none for what is not a page number (the caller
/// answers 404, as for a page past the end).
pub fn page_of(text: &Option<String>, per_page: u64) -> Option<crate::pagination::Pagination> {
    let page = match given(text) {
        None => None,
        Some(p) => Some(p.parse::<u64>().ok()?),
    };
    crate::pagination::Pagination::new(page, Some(per_page)).ok()
}

/// A form that carries nothing but its session token (sign out, delete, send again).
#[derive(Debug, serde::Deserialize)]
pub struct NoFields {}
