//! Buying a painting: the form, and what happens when it is sent. The form carries an
//! Idempotency-Key made when it was drawn, so a double click or a form sent again makes one
//! order. The order goes through `orders::submit`, exactly as the JSON API's does: the same
//! rules, the same limits, the same answers.
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::BTreeMap;

use super::pages::{Card, catalog_failure};
use crate::api::orders::submit::submit;
use crate::catalog::ArtworkStatus;
use crate::catalog::public::{self, ArtworkQuery};
use crate::client::Caller;
use crate::error::{ApiError, DomainError, FieldError};
use crate::orders::place::{AddressInput, BuyerInput, OrderRequest};
use crate::state::AppState;
use crate::web::frame::frame;
use crate::web::i18n::{self, Lang};
use crate::web::origin::same_origin;
use crate::web::visitor::Visitor;

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct BuyForm {
    key: String,
    name: String,
    email: String,
    phone: String,
    line1: String,
    line2: String,
    city: String,
    postal_code: String,
    region: String,
    country: String,
    note: String,
    payment_method: String,
    /// The browser's time zone, filled in by shop.js (empty without script).
    time_zone: String,
}

fn optional(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_string())
}

impl BuyForm {
    /// The form as typed, with a new Idempotency-Key: the old one is spent or unusable.
    fn with_fresh_key(self) -> Self {
        Self {
            key: String::new(),
            ..self
        }
    }

    fn request(&self, artwork_id: &str, lang: Lang) -> OrderRequest {
        OrderRequest {
            artwork_id: artwork_id.to_string(),
            payment_method: self.payment_method.clone(),
            buyer: BuyerInput {
                name: self.name.clone(),
                email: self.email.clone(),
                phone: optional(&self.phone),
            },
            shipping_address: AddressInput {
                line1: self.line1.clone(),
                line2: optional(&self.line2),
                city: self.city.clone(),
                postal_code: optional(&self.postal_code),
                region: optional(&self.region),
                country: self.country.trim().to_ascii_uppercase(),
            },
            note: optional(&self.note),
            language: Some(lang.code().to_string()),
            // A hidden field a browser fills in: one it got wrong is left out, not an error
            // the buyer could not fix.
            time_zone: optional(&self.time_zone).filter(|z| z.parse::<chrono_tz::Tz>().is_ok()),
        }
    }
}

/// The API's field names as the form calls them.
fn form_field(api_field: &str) -> &str {
    match api_field {
        "buyer.name" => "name",
        "buyer.email" => "email",
        "buyer.phone" => "phone",
        "shipping_address.postal_code" => "postal_code",
        "body" | "artwork_id" => "form",
        other => other.strip_prefix("shipping_address.").unwrap_or(other),
    }
}

async fn draw(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    form: BuyForm,
    errors: BTreeMap<String, String>,
    notice: Option<String>,
    status: StatusCode,
) -> HttpResponse {
    // The price shown is the price charged: the destination is the one chosen in the shop's
    // banner (and the form says it, with a link to change it).
    let Some(country) = visitor.country.map(|c| c.to_string()) else {
        return choose_destination_first(id);
    };
    let artwork = match public::get_artwork_view(&state.core.reader, id, Some(&country)).await {
        Ok(a) => a,
        Err(err) => return catalog_failure(state, visitor, err),
    };
    if artwork.status != ArtworkStatus::Available {
        return HttpResponse::SeeOther()
            .insert_header((LOCATION, format!("/artworks/{}", artwork.id)))
            .finish();
    }
    let key = if form.key.is_empty() {
        uuid::Uuid::new_v4().to_string()
    } else {
        form.key.clone()
    };
    let form = BuyForm { country, ..form };
    frame(state, visitor).render(
        status,
        "buy.html",
        context! {
            a => Card::from(artwork),
            form => form,
            key => key,
            errors => errors,
            notice => notice,
            cards => state.payments.is_some(),
            postal_needed => visitor.country.and_then(|c| c.postal_code()).map(|p| p.example),
        },
    )
}

fn choose_destination_first(id: &str) -> HttpResponse {
    let next = format!("/artworks/{id}/buy");
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("next", &next)
        .finish();
    HttpResponse::SeeOther()
        .insert_header((LOCATION, format!("/country?{query}")))
        .finish()
}

#[get("/artworks/{id}/buy")]
pub async fn show_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    draw(
        &state,
        &visitor,
        &id,
        BuyForm::default(),
        BTreeMap::new(),
        None,
        StatusCode::OK,
    )
    .await
}

/// The answer to a form posted from another site: nothing changed.
pub fn cross_site_refused(state: &AppState, visitor: &Visitor) -> HttpResponse {
    frame(state, visitor).message(
        StatusCode::FORBIDDEN,
        "forbidden-title",
        i18n::text(visitor.lang, "forbidden-text", &[]),
    )
}

pub(super) fn limited(state: &AppState, visitor: &Visitor, retry_after_secs: u64) -> HttpResponse {
    let minutes = i64::try_from(retry_after_secs.div_ceil(60).max(1)).unwrap_or(60);
    let mut res = frame(state, visitor).message(
        StatusCode::TOO_MANY_REQUESTS,
        "limited-title",
        i18n::text(visitor.lang, "limited-text", &[("minutes", minutes.into())]),
    );
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&retry_after_secs.to_string())
    {
        res.headers_mut()
            .insert(actix_web::http::header::RETRY_AFTER, value);
    }
    res
}

async fn just_sold(state: &AppState, visitor: &Visitor, id: &str) -> HttpResponse {
    let country = visitor.country.map(|c| c.to_string());
    let painting = public::get_artwork_view(&state.core.reader, id, None).await;
    let Ok(painting) = painting else {
        return HttpResponse::SeeOther()
            .insert_header((LOCATION, "/artworks"))
            .finish();
    };
    let others = public::list_artwork_views(
        &state.core.reader,
        ArtworkQuery {
            artist: Some(painting.artist.slug.clone()),
            country,
            per_page: Some(12),
            ..ArtworkQuery::default()
        },
    )
    .await
    .map(|page| page.items.into_iter().map(Card::from).collect::<Vec<_>>())
    .unwrap_or_default();
    frame(state, visitor).render(
        StatusCode::CONFLICT,
        "sold.html",
        context! {
            title => painting.title,
            artist_name => painting.artist.display_name,
            artworks => others,
        },
    )
}

/// The form again with each refusal next to its field, in the page's language.
async fn invalid(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    form: BuyForm,
    refused: &[FieldError],
) -> HttpResponse {
    let mut errors = BTreeMap::new();
    for error in refused {
        let field = form_field(&error.field).to_string();
        errors
            .entry(field)
            .or_insert_with(|| i18n::field_message(visitor.lang, error));
    }
    let notice = errors.remove("form");
    // A refused answer is this key's answer from now on: the corrected form gets a new one.
    let form = form.with_fresh_key();
    draw(
        state,
        visitor,
        id,
        form,
        errors,
        notice,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

#[post("/artworks/{id}/buy")]
pub async fn submit_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    Caller(client): Caller,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    if !same_origin(&req) {
        return cross_site_refused(&state, &visitor);
    }
    let lang = visitor.lang;
    let retry = || Some(i18n::text(lang, "error-retry", &[]));
    let Ok(form) = serde_urlencoded::from_bytes::<BuyForm>(&body) else {
        let status = StatusCode::BAD_REQUEST;
        return draw(
            &state,
            &visitor,
            &id,
            BuyForm::default(),
            BTreeMap::new(),
            retry(),
            status,
        )
        .await;
    };
    if form.key.trim().is_empty() || form.key.len() > 255 {
        let form = form.with_fresh_key();
        return draw(
            &state,
            &visitor,
            &id,
            form,
            BTreeMap::new(),
            retry(),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let Some(country) = visitor.country else {
        return choose_destination_first(&id);
    };
    let form = BuyForm {
        country: country.to_string(),
        ..form
    };
    let request = form.request(&id, visitor.lang);
    // A form sent back for a typo is not an order attempt: only one whose fields pass the
    // rules counts against the client (a family correcting a postcode is not a script).
    if let Err(errors) = crate::orders::place::check(&request, state.payments.is_some()) {
        return invalid(&state, &visitor, &id, form, &errors.0).await;
    }
    if let Err(retry_after_secs) = state.core.order_attempts.check(client) {
        return limited(&state, &visitor, retry_after_secs);
    }
    match submit(&state, client, form.key.trim(), &request).await {
        Ok(answer) => answered(&state, &visitor, &id, form, answer).await,
        Err(err) => refused(&state, &visitor, &id, form, err).await,
    }
}

/// The order's answer as a page: to the order (or Stripe's checkout), or why not.
async fn answered(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    form: BuyForm,
    answer: crate::api::orders::submit::Answer,
) -> HttpResponse {
    use crate::api::orders::submit::{Outcome, Refusal};
    let lang = visitor.lang;
    let refusal = match answer.outcome {
        Outcome::Placed(placed) => {
            let checkout = placed.payment.checkout_url.as_deref();
            return see_other(checkout, &placed.order.id, &placed.access_token);
        }
        Outcome::Refused(refusal) => refusal,
        // The same form sent again after it was answered: what was kept for its key.
        Outcome::Replayed => return replayed(state, visitor, id, form, answer).await,
    };
    match refusal {
        Refusal::Invalid(errors) => invalid(state, visitor, id, form, &errors).await,
        Refusal::NotFound => frame(state, visitor).message(
            StatusCode::NOT_FOUND,
            "notfound-title",
            i18n::text(lang, "notfound-text", &[]),
        ),
        Refusal::Taken | Refusal::Other => just_sold(state, visitor, id).await,
    }
}

/// To Stripe's checkout for a card order, else to the buyer's order page.
fn see_other(checkout: Option<&str>, order_id: &str, token: &str) -> HttpResponse {
    let location = match checkout {
        Some(url) => url.to_string(),
        None => format!("/orders/{order_id}?token={token}"),
    };
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .finish()
}

/// An answer kept under the form's key, known only as the API's status and JSON.
async fn replayed(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    form: BuyForm,
    answer: crate::api::orders::submit::Answer,
) -> HttpResponse {
    let body: Json = serde_json::from_str(&answer.body).unwrap_or(Json::Null);
    match answer.status {
        201 => {
            let checkout = body["payment"]["checkout_url"].as_str();
            let order_id = body["order"]["id"].as_str().unwrap_or_default();
            let token = body["access_token"].as_str().unwrap_or_default();
            see_other(checkout, order_id, token)
        }
        422 => {
            let errors: Vec<FieldError> =
                serde_json::from_value(body["errors"].clone()).unwrap_or_default();
            invalid(state, visitor, id, form, &errors).await
        }
        404 => frame(state, visitor).message(
            StatusCode::NOT_FOUND,
            "notfound-title",
            i18n::text(visitor.lang, "notfound-text", &[]),
        ),
        _ => just_sold(state, visitor, id).await,
    }
}

/// An order that could not be placed now (limits, the card provider, the same form sent
/// twice, our own failure), as a page.
async fn refused(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    form: BuyForm,
    err: ApiError,
) -> HttpResponse {
    let lang = visitor.lang;
    let retry = || Some(i18n::text(lang, "error-retry", &[]));
    match err {
        ApiError::Domain(DomainError::Limited {
            retry_after_secs, ..
        }) => limited(state, visitor, retry_after_secs),
        ApiError::Domain(DomainError::BadGateway(_)) => {
            let notice = Some(i18n::text(lang, "error-card-failed", &[]));
            let status = StatusCode::BAD_GATEWAY;
            draw(state, visitor, id, form, BTreeMap::new(), notice, status).await
        }
        ApiError::Domain(DomainError::Conflict { .. }) => {
            // The same key with another body (the form was changed and sent again), or still
            // being placed: a fresh key and the form as it is.
            let form = form.with_fresh_key();
            draw(
                state,
                visitor,
                id,
                form,
                BTreeMap::new(),
                retry(),
                StatusCode::CONFLICT,
            )
            .await
        }
        err => {
            tracing::error!(error = %err, "an order from the shop failed");
            frame(state, visitor).message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-title",
                i18n::text(lang, "error-text", &[]),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_messages_are_said_in_the_pages_language_by_code() {
        use crate::error::{FieldErrors, Rule};
        let say =
            |rule: Rule, lang| i18n::field_message(lang, &FieldErrors::single_rule("f", rule).0[0]);
        assert_eq!(say(Rule::Required, Lang::Sv), "Fyll i det här.");
        assert_eq!(
            say(Rule::TooLong { max: 200 }, Lang::En),
            "Please keep this under 200 characters."
        );
        assert_eq!(say(Rule::NotAnEmail, Lang::Fa), "این نشانی ایمیل نیست.");
        let own = FieldErrors::single("f", "something new");
        assert_eq!(i18n::field_message(Lang::Sv, &own.0[0]), "something new");
        assert_eq!(form_field("shipping_address.line1"), "line1");
        assert_eq!(form_field("buyer.email"), "email");
    }
}
