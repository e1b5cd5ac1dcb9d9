//! What a buyer sends to place an order, and the checks it must pass before anything is
//! read or kept: the shape of the request, the payment method, the buyer's language.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::country::CountryCode;
use crate::error::{FieldErrors, Rule};
use crate::validate::{self, line_field, optional_line, optional_text};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuyerInput {
    #[schema(schema_with = crate::validate::schema::required_line::<200>)]
    pub name: String,
    #[schema(schema_with = crate::validate::schema::required_email)]
    pub email: String,
    #[schema(schema_with = crate::validate::schema::optional_phone)]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    #[schema(schema_with = crate::validate::schema::required_line::<200>)]
    pub line1: String,
    #[schema(schema_with = crate::validate::schema::optional_line::<200>)]
    pub line2: Option<String>,
    #[schema(schema_with = crate::validate::schema::required_line::<100>)]
    pub city: String,
    #[schema(schema_with = crate::validate::schema::optional_line::<20>)]
    pub postal_code: Option<String>,
    #[schema(schema_with = crate::validate::schema::optional_line::<100>)]
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[schema(schema_with = crate::country::schema)]
    pub country: String,
}

fn payment_method_schema() -> utoipa::openapi::Object {
    crate::validate::schema::one_of(
        [PaymentMethod::Stripe, PaymentMethod::Manual].map(PaymentMethod::as_str),
        false,
    )
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    #[schema(schema_with = crate::validate::schema::id)]
    pub artwork_id: String,
    /// stripe or manual.
    #[schema(schema_with = payment_method_schema)]
    pub payment_method: String,
    pub buyer: BuyerInput,
    pub shipping_address: AddressInput,
    /// A message to the artist.
    #[schema(schema_with = crate::validate::schema::optional_text::<1000>)]
    pub note: Option<String>,
    /// The language the buyer reads: their emails and order page are in it (`en` when left
    /// out).
    #[serde(default)]
    #[schema(schema_with = buyer_language_schema)]
    pub language: Option<String>,
    /// The buyer's IANA time zone (`Europe/Stockholm`), for the times in their emails; the
    /// shipping country's main one when left out.
    #[serde(default)]
    #[schema(schema_with = crate::validate::schema::optional_line::<64>)]
    pub time_zone: Option<String>,
}

/// How long an order placed beyond its client's holds waits for its buyer to confirm their
/// email address before it ends (it holds nothing meanwhile).
pub const CONFIRM_WAITING_WITHIN_HOURS: i64 = 24;

/// The languages a buyer's emails and order page can be in.
/// Pashto's buyer emails are English for now: Pashto is here for the artists and coordinators.
pub const BUYER_LANGUAGES: [&str; 6] = ["en", "sv", "de", "nb", "fa", "ps"];

fn buyer_language_schema() -> utoipa::openapi::Object {
    crate::validate::schema::one_of(BUYER_LANGUAGES, true)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Stripe,
    Manual,
}

impl PaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stripe => "stripe",
            Self::Manual => "manual",
        }
    }
}

pub(super) struct NewOrder {
    pub(super) artwork_id: String,
    pub(super) method: PaymentMethod,
    pub(super) buyer_name: String,
    pub(super) buyer_email: String,
    pub(super) buyer_phone: Option<String>,
    pub(super) line1: String,
    pub(super) line2: Option<String>,
    pub(super) city: String,
    pub(super) postal_code: Option<String>,
    pub(super) region: Option<String>,
    pub(super) country: CountryCode,
    pub(super) note: Option<String>,
    pub(super) language: &'static str,
    pub(super) time_zone: Option<String>,
}

/// The request's fields checked by the rules `place` applies, without placing anything: the
/// shop sends a form back for a typo before it counts as an order attempt.
pub fn check(req: &OrderRequest, cards: bool) -> Result<(), FieldErrors> {
    validate(req, cards).map(|_| ())
}

pub(super) fn validate(req: &OrderRequest, cards: bool) -> Result<NewOrder, FieldErrors> {
    let mut errors = FieldErrors::new();
    let method = payment_method(&mut errors, &req.payment_method, cards);
    let buyer_name = line_field(&mut errors, "buyer.name", &req.buyer.name, true, 200);
    let buyer_email = line_field(&mut errors, "buyer.email", &req.buyer.email, true, 254);
    validate::email(&mut errors, "buyer.email", &buyer_email);
    let buyer_phone = optional_line(&mut errors, "buyer.phone", req.buyer.phone.as_deref(), 40);
    validate::phone(&mut errors, "buyer.phone", buyer_phone.as_deref());
    let a = &req.shipping_address;
    let line1 = line_field(&mut errors, "shipping_address.line1", &a.line1, true, 200);
    let line2 = optional_line(
        &mut errors,
        "shipping_address.line2",
        a.line2.as_deref(),
        200,
    );
    let city = line_field(&mut errors, "shipping_address.city", &a.city, true, 100);
    let postal_code = optional_line(
        &mut errors,
        "shipping_address.postal_code",
        a.postal_code.as_deref(),
        20,
    );
    let region = optional_line(
        &mut errors,
        "shipping_address.region",
        a.region.as_deref(),
        100,
    );
    let country = CountryCode::parse(&a.country)
        .map_err(|e| errors.refuse("shipping_address.country", Rule::NotACountry(e.to_string())))
        .ok();
    if line1.chars().filter(|c| !c.is_whitespace()).count() < 3
        && !errors.has("shipping_address.line1")
    {
        errors.refuse("shipping_address.line1", Rule::StreetTooShort);
    }
    check_postal_code(&mut errors, country.as_ref(), postal_code.as_deref());
    let note = optional_text(&mut errors, "note", req.note.as_deref(), 1000);
    let language = language(&mut errors, req.language.as_deref());
    let time_zone = optional_line(&mut errors, "time_zone", req.time_zone.as_deref(), 64);
    if let Some(zone) = &time_zone
        && zone.parse::<chrono_tz::Tz>().is_err()
    {
        errors.add("time_zone", "not an IANA time zone (e.g. Europe/Stockholm)");
    }
    if req.artwork_id.trim().is_empty() {
        errors.refuse("artwork_id", Rule::Required);
    }
    errors.into_result()?;
    let (Some(method), Some(country), Some(language)) = (method, country, language) else {
        return Err(FieldErrors::single("body", "invalid"));
    };
    let time_zone = time_zone.or_else(|| country.main_time_zone().map(str::to_string));
    Ok(NewOrder {
        artwork_id: req.artwork_id.trim().to_string(),
        method,
        buyer_name,
        buyer_email,
        buyer_phone,
        line1,
        line2,
        city,
        postal_code,
        region,
        country,
        note,
        language,
        time_zone,
    })
}

/// `stripe` or `manual`; card payments only where they are configured.
fn payment_method(errors: &mut FieldErrors, method: &str, cards: bool) -> Option<PaymentMethod> {
    match method {
        "manual" => Some(PaymentMethod::Manual),
        "stripe" if cards => Some(PaymentMethod::Stripe),
        "stripe" => {
            // Without a Stripe key, say so plainly rather than take an order nobody can pay.
            errors.add(
                "payment_method",
                "card payments are not configured; use manual",
            );
            None
        }
        _ => {
            errors.add("payment_method", "expected stripe or manual");
            None
        }
    }
}

/// The destination's postal code, where its country has them: there, and in its shape.
fn check_postal_code(
    errors: &mut FieldErrors,
    country: Option<&CountryCode>,
    postal_code: Option<&str>,
) {
    if let Some(rule) = country.and_then(CountryCode::postal_code)
        && !errors.has("shipping_address.postal_code")
    {
        let example = rule.example.to_string();
        match postal_code {
            None => errors.refuse(
                "shipping_address.postal_code",
                Rule::PostalCodeNeeded { example },
            ),
            Some(code) if !rule.fits(code) => errors.refuse(
                "shipping_address.postal_code",
                Rule::PostalCodeInvalid { example },
            ),
            Some(_) => {}
        }
    }
}

/// The buyer's language for emails and the order page; English unless one is chosen.
fn language(errors: &mut FieldErrors, code: Option<&str>) -> Option<&'static str> {
    match code {
        None => Some("en"),
        Some(code) => {
            let known = BUYER_LANGUAGES.into_iter().find(|l| *l == code);
            if known.is_none() {
                errors.add("language", "expected en, sv, de, nb, fa or ps");
            }
            known
        }
    }
}
