//! Money: what each artist is owed and was paid. The summary across artists, one artist's
//! ledger (record a payout, set the agreed terms), reversing an entry, the shipping cost of
//! a sold order, and the bookkeeping CSV.
use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use minijinja::context;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Console;
use super::forms::{field_messages, given};
use super::session::Posted;
use crate::api::ledger::csv_response;
use crate::error::FieldErrors;
use crate::ledger::accounts::{self, Days, Period};
use crate::ledger::coordinator::{self, PayoutInput, ReversalInput, ShippingCostInput};
use crate::ledger::terms::{self, TermsInput};
use crate::ledger::{LedgerError, PayoutMethod, export};
use crate::money::stored_amount;
use crate::web::{format, i18n};

/// How a ledger change reads on a form.
enum Handled<T> {
    Done(T),
    Refused(StatusCode, BTreeMap<String, String>, Option<String>),
    NotFound,
    Failed(LedgerError),
}

fn handled<T>(result: Result<T, LedgerError>, lang: crate::web::i18n::Lang) -> Handled<T> {
    match result {
        Ok(v) => Handled::Done(v),
        Err(LedgerError::Invalid(errors)) => Handled::Refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            field_messages(&errors, lang),
            None,
        ),
        Err(
            err @ (LedgerError::OverBalance { .. }
            | LedgerError::ShippingMissing { .. }
            | LedgerError::AlreadyReversed(_)
            | LedgerError::NotAllowed(_)),
        ) => Handled::Refused(StatusCode::CONFLICT, BTreeMap::new(), Some(err.to_string())),
        Err(LedgerError::NotFound(_)) => Handled::NotFound,
        Err(err) => Handled::Failed(err),
    }
}

/// A decimal typed into a form; a field error when it is not one.
fn decimal(console: &Console, errors: &mut FieldErrors, field: &str, text: &str) -> Decimal {
    match read_decimal(text) {
        Some(d) => d,
        None => {
            let key = if field == "ngo_share_percent" {
                "console-ledger-share-invalid"
            } else {
                "console-ledger-amount-invalid"
            };
            errors.add(field, console.text(key));
            Decimal::ZERO
        }
    }
}

/// A payout over the balance, said next to the amount in the page's language.
fn over_balance(console: &Console, owed_minor: i64, currency: &str) -> BTreeMap<String, String> {
    let owed = format::money(
        stored_amount(owed_minor, currency),
        currency,
        console.lang(),
    );
    let text = i18n::text(
        console.lang(),
        "console-ledger-over-balance",
        &[("owed", owed.into())],
    );
    BTreeMap::from([("amount".to_string(), text)])
}

/// A decimal as people type it: a point, or a comma as the decimal mark when one or two
/// digits follow it ("12,50"). "1,000" could be a thousand or one: it is refused rather
/// than guessed.
fn read_decimal(text: &str) -> Option<Decimal> {
    let text = text.trim();
    let text = match text.split_once(',') {
        None => text.to_string(),
        Some((whole, fraction))
            if !text.contains('.')
                && (1..=2).contains(&fraction.len())
                && fraction.bytes().all(|b| b.is_ascii_digit()) =>
        {
            format!("{whole}.{fraction}")
        }
        Some(_) => return None,
    };
    text.parse().ok()
}

#[get("/admin/ledger")]
pub async fn summary(console: Console) -> HttpResponse {
    match accounts::summary(&console.state.db).await {
        Ok(rows) => console.page(
            "console/ledger.html",
            context! { section => "ledger", rows => rows },
        ),
        Err(err) => console.failed(&err),
    }
}

/// A period typed into the export form; empty fields mean "from the start", "until now".
fn period(query: &PeriodForm) -> Result<Days, FieldErrors> {
    Period {
        from: given(&query.from),
        to: given(&query.to),
    }
    .check()
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct PeriodForm {
    from: Option<String>,
    to: Option<String>,
}

#[get("/admin/ledger.csv")]
pub async fn export_all(console: Console, query: web::Query<PeriodForm>) -> HttpResponse {
    let Ok(days) = period(&query) else {
        return console.message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "console-ledger-export",
            "console-ledger-bad-period",
        );
    };
    match export::csv(&console.state.db, None, days).await {
        Ok(body) => csv_response(body, "hunar-ledger"),
        Err(err) => console.failed(&err),
    }
}

#[get("/admin/artists/{id}/ledger.csv")]
pub async fn export_artist(
    console: Console,
    id: web::Path<String>,
    query: web::Query<PeriodForm>,
) -> HttpResponse {
    let Ok(days) = period(&query) else {
        return console.message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "console-ledger-export",
            "console-ledger-bad-period",
        );
    };
    match export::csv(&console.state.db, Some(&id), days).await {
        Ok(body) => csv_response(body, "hunar-ledger-artist"),
        Err(LedgerError::NotFound(_)) => console.not_found(),
        Err(err) => console.failed(&err),
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct PayoutForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    paid_on: String,
    #[serde(default)]
    exchange_rate: String,
    #[serde(default)]
    paid_currency: String,
    #[serde(default)]
    advance: Option<String>,
    /// A checkbox, offered once a payout was refused for a shipping cost not entered.
    before_shipping: Option<String>,
    #[serde(default)]
    note: String,
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct TermsForm {
    #[serde(default)]
    ngo_share_percent: String,
    #[serde(default)]
    transparency: Option<String>,
    #[serde(default)]
    consent_how: String,
}

async fn artist_page(
    console: &Console,
    status: StatusCode,
    id: &str,
    payout: &PayoutForm,
    terms: Option<&TermsForm>,
    errors: BTreeMap<String, String>,
    refusal: Option<String>,
) -> HttpResponse {
    let ledger = match accounts::artist_ledger(&console.state.db, id, Days::default()).await {
        Ok(l) => l,
        Err(LedgerError::NotFound(_)) => return console.not_found(),
        Err(err) => return console.failed(&err),
    };
    // Newest first on the page; the balance beside each entry is still the one after it.
    let mut entries = ledger.entries.clone();
    entries.reverse();
    // Who recorded her consent, by the email coordinators know each other by.
    let consent_by = match &ledger.terms.consent {
        Some(consent) => {
            let id = consent
                .recorded_by
                .strip_prefix("admin:")
                .unwrap_or_default();
            crate::auth::accounts::all(&console.state.db)
                .await
                .unwrap_or_default()
                .into_iter()
                .find(|a| a.id == id)
                .map_or_else(|| console.text("console-actor-coordinator"), |a| a.email)
        }
        None => String::new(),
    };
    // What naming her would publish, to show her before she agrees.
    let preview = crate::ledger::transparency::preview(&console.state.db, id)
        .await
        .ok()
        .flatten();
    console.render(
        status,
        "console/artist-ledger.html",
        context! {
            section => "ledger",
            ledger => ledger,
            entries => entries,
            payout => payout,
            terms_form => terms,
            consent_by => consent_by,
            preview => preview,
            errors => errors,
            refusal => refusal,
            methods => PayoutMethod::ALL.map(PayoutMethod::as_str),
            today => chrono::Utc::now().date_naive().to_string(),
        },
    )
}

#[get("/admin/artists/{id}/ledger")]
pub async fn artist(console: Console, id: web::Path<String>) -> HttpResponse {
    // The currency field starts as the first currency the artist is owed in.
    let payout = PayoutForm {
        method: PayoutMethod::Hawala.as_str().into(),
        ..PayoutForm::default()
    };
    artist_page(
        &console,
        StatusCode::OK,
        &id,
        &payout,
        None,
        BTreeMap::new(),
        None,
    )
    .await
}

#[post("/admin/artists/{id}/payouts")]
pub async fn record_payout(posted: Posted<PayoutForm>, id: web::Path<String>) -> HttpResponse {
    let Posted { console, form } = posted;
    let mut errors = FieldErrors::new();
    let amount = decimal(&console, &mut errors, "amount", &form.amount);
    let exchange_rate = given(&Some(form.exchange_rate.clone()))
        .map(|r| decimal(&console, &mut errors, "exchange_rate", &r));
    if !errors.is_empty() {
        let errors = field_messages(&errors, console.lang());
        return artist_page(
            &console,
            StatusCode::UNPROCESSABLE_ENTITY,
            &id,
            &form,
            None,
            errors,
            None,
        )
        .await;
    }
    let input = PayoutInput {
        amount,
        currency: form.currency.trim().to_ascii_uppercase(),
        method: form.method.clone(),
        reference: form.reference.clone(),
        paid_on: form.paid_on.trim().to_string(),
        exchange_rate,
        paid_currency: given(&Some(form.paid_currency.clone())).map(|c| c.to_ascii_uppercase()),
        advance: Some(form.advance.is_some()),
        before_shipping: Some(form.before_shipping.is_some()),
        note: given(&Some(form.note.clone())),
    };
    let state = &console.state;
    let result = coordinator::record_payout(
        &state.db,
        &state.mail,
        &console.identity.admin_id,
        &id,
        input,
    )
    .await;
    // Refusals a coordinator can act on are said next to the field that settles them.
    let asked = match &result {
        Err(LedgerError::OverBalance {
            owed_minor,
            currency,
            ..
        }) => Some(over_balance(&console, *owed_minor, currency)),
        Err(LedgerError::ShippingMissing { references, .. }) => {
            let text = i18n::text(
                console.lang(),
                "console-ledger-shipping-missing",
                &[
                    ("orders", references.join(", ").into()),
                    ("count", references.len().into()),
                ],
            );
            Some(BTreeMap::from([("before_shipping".to_string(), text)]))
        }
        _ => None,
    };
    if let Some(errors) = asked {
        return artist_page(
            &console,
            StatusCode::CONFLICT,
            &id,
            &form,
            None,
            errors,
            None,
        )
        .await;
    }
    match handled(result, console.lang()) {
        Handled::Done(_) => console.done(&format!("/admin/artists/{id}/ledger"), "payout-recorded"),
        Handled::Refused(status, errors, refusal) => {
            artist_page(&console, status, &id, &form, None, errors, refusal).await
        }
        Handled::NotFound => console.not_found(),
        Handled::Failed(err) => console.failed(&err),
    }
}

#[post("/admin/artists/{id}/payout-terms")]
pub async fn set_terms(posted: Posted<TermsForm>, id: web::Path<String>) -> HttpResponse {
    let Posted { console, form } = posted;
    let mut errors = FieldErrors::new();
    let share = decimal(
        &console,
        &mut errors,
        "ngo_share_percent",
        &form.ngo_share_percent,
    );
    let result = match errors.into_result() {
        Err(errors) => Err(LedgerError::Invalid(errors)),
        Ok(()) => {
            let input = TermsInput {
                ngo_share_percent: share,
                transparency: form.transparency.is_some(),
                consent_how: Some(form.consent_how.clone()),
            };
            terms::set(&console.state.db, &console.identity.admin_id, &id, input).await
        }
    };
    let payout = PayoutForm::default();
    match handled(result, console.lang()) {
        Handled::Done(_) => console.done(&format!("/admin/artists/{id}/ledger"), "saved"),
        Handled::Refused(status, mut errors, refusal) => {
            if errors.contains_key("ngo_share_percent") {
                errors.insert(
                    "ngo_share_percent".into(),
                    console.text("console-ledger-share-invalid"),
                );
            }
            if errors.contains_key("consent_how") && form.consent_how.trim().is_empty() {
                errors.insert(
                    "consent_how".into(),
                    console.text("console-ledger-consent-needed"),
                );
            }
            artist_page(&console, status, &id, &payout, Some(&form), errors, refusal).await
        }
        Handled::NotFound => console.not_found(),
        Handled::Failed(err) => console.failed(&err),
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ReverseForm {
    #[serde(default)]
    reason: String,
}

async fn reverse_page(
    console: &Console,
    status: StatusCode,
    entry_id: &str,
    form: &ReverseForm,
    errors: BTreeMap<String, String>,
    refusal: Option<String>,
) -> HttpResponse {
    match accounts::entry(&console.state.db, entry_id).await {
        Ok(Some((artist_id, entry))) => console.render(
            status,
            "console/ledger-reverse.html",
            context! {
                section => "ledger", artist_id => artist_id, entry => entry, form => form,
                errors => errors, refusal => refusal,
            },
        ),
        Ok(None) => console.not_found(),
        Err(err) => console.failed(&err),
    }
}

#[get("/admin/ledger/entries/{id}/reverse")]
pub async fn reverse_form(console: Console, id: web::Path<String>) -> HttpResponse {
    reverse_page(
        &console,
        StatusCode::OK,
        &id,
        &ReverseForm::default(),
        BTreeMap::new(),
        None,
    )
    .await
}

#[post("/admin/ledger/entries/{id}/reverse")]
pub async fn reverse(posted: Posted<ReverseForm>, id: web::Path<String>) -> HttpResponse {
    let Posted { console, form } = posted;
    let input = ReversalInput {
        reason: form.reason.clone(),
    };
    let result =
        coordinator::reverse(&console.state.db, &console.identity.admin_id, &id, input).await;
    match handled(result, console.lang()) {
        Handled::Done(_) => match accounts::entry(&console.state.db, &id).await {
            Ok(Some((artist_id, _))) => {
                console.done(&format!("/admin/artists/{artist_id}/ledger"), "reversed")
            }
            Ok(None) => console.not_found(),
            Err(err) => console.failed(&err),
        },
        Handled::Refused(status, errors, refusal) => {
            reverse_page(&console, status, &id, &form, errors, refusal).await
        }
        Handled::NotFound => console.not_found(),
        Handled::Failed(err) => console.failed(&err),
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ShippingForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    note: String,
}

async fn shipping_page(
    console: &Console,
    status: StatusCode,
    order_id: &str,
    form: &ShippingForm,
    errors: BTreeMap<String, String>,
    refusal: Option<String>,
) -> HttpResponse {
    match crate::orders::views::detail(&console.state.db, order_id).await {
        Ok(detail) => console.render(
            status,
            "console/shipping-cost.html",
            context! {
                section => "orders", o => &detail.order, form => form, errors => errors,
                refusal => refusal,
            },
        ),
        Err(crate::orders::OrderError::NotFound(_)) => console.not_found(),
        Err(err) => console.failed(&err),
    }
}

#[get("/admin/orders/{id}/shipping-cost")]
pub async fn shipping_form(console: Console, id: web::Path<String>) -> HttpResponse {
    // The currency field starts as the order's.
    let form = ShippingForm::default();
    shipping_page(&console, StatusCode::OK, &id, &form, BTreeMap::new(), None).await
}

#[post("/admin/orders/{id}/shipping-cost")]
pub async fn record_shipping(posted: Posted<ShippingForm>, id: web::Path<String>) -> HttpResponse {
    let Posted { console, form } = posted;
    let mut errors = FieldErrors::new();
    let amount = decimal(&console, &mut errors, "amount", &form.amount);
    let result = match errors.into_result() {
        Err(errors) => Err(LedgerError::Invalid(errors)),
        Ok(()) => {
            let input = ShippingCostInput {
                amount,
                currency: form.currency.trim().to_ascii_uppercase(),
                note: given(&Some(form.note.clone())),
            };
            coordinator::record_shipping(&console.state.db, &console.identity.admin_id, &id, input)
                .await
        }
    };
    match handled(result, console.lang()) {
        Handled::Done(_) => console.done(&format!("/admin/orders/{id}"), "shipping-recorded"),
        Handled::Refused(status, errors, refusal) => {
            shipping_page(&console, status, &id, &form, errors, refusal).await
        }
        Handled::NotFound => console.not_found(),
        Handled::Failed(err) => console.failed(&err),
    }
}

#[cfg(test)]
mod tests {
    use super::read_decimal;

    #[test]
    fn a_comma_is_a_decimal_mark_only_where_it_cannot_be_a_thousands_separator() {
        let d = |s: &str| read_decimal(s).map(|d| d.to_string());
        assert_eq!(d("12,50").as_deref(), Some("12.50"));
        assert_eq!(d(" 12.5 ").as_deref(), Some("12.5"));
        assert_eq!(d("1200").as_deref(), Some("1200"));
        for ambiguous in [
            "1,000", "1,000.50", "1.000,50", "71,255", "1,2,3", "", "ten",
        ] {
            assert_eq!(d(ambiguous), None, "{ambiguous}");
        }
    }
}
