//! Prices at a glance: the shipping zones with their countries, and every size tier's price
//! in every zone on one grid, so a coordinator sees each shipped price a buyer can meet.
use actix_web::{HttpResponse, get};
use minijinja::context;

use super::Console;
use crate::catalog::tiers::{self, TierFilter};
use crate::catalog::zones;
use crate::pagination::Pagination;

#[get("/admin/prices")]
pub async fn grid(console: Console) -> HttpResponse {
    let db = &console.state.db;
    let Ok(all) = Pagination::new(Some(1), Some(100)) else {
        return console.not_found();
    };
    let loaded = async {
        let zones = zones::list(db, all).await?;
        let tiers = tiers::list(db, TierFilter::default(), all).await?;
        Ok::<_, crate::catalog::CatalogError>((zones, tiers))
    };
    match loaded.await {
        Ok((zones, tiers)) => console.page(
            "console/prices.html",
            context! { section => "prices", zones => zones.items, tiers => tiers.items },
        ),
        Err(err) => console.failed(&err),
    }
}

/// A tier's prices as the form sends them: `price.{zone id}` → amount, as typed.
#[derive(Debug, Default, serde::Deserialize, serde::Serialize)]
pub struct TierForm {
    #[serde(flatten)]
    fields: std::collections::BTreeMap<String, String>,
}

async fn tier_page(
    console: &Console,
    status: actix_web::http::StatusCode,
    id: &str,
    typed: Option<&TierForm>,
    errors: std::collections::BTreeMap<String, String>,
) -> HttpResponse {
    let db = &console.state.db;
    let Ok(all) = Pagination::new(Some(1), Some(100)) else {
        return console.not_found();
    };
    let loaded = async {
        let tier = tiers::get(db, id).await?;
        let zones = zones::list(db, all).await?;
        Ok::<_, crate::catalog::CatalogError>((tier, zones))
    };
    match loaded.await {
        Ok((tier, zones)) => {
            // What the form shows for each zone: what was typed, else the stored price's
            // amount and currency (the tier's when the zone has no price yet).
            let shown = |field: &str, stored: fn(&tiers::TierPriceView) -> String, none: &str| {
                zones
                    .items
                    .iter()
                    .map(|z| {
                        let value = typed
                            .and_then(|t| t.fields.get(&format!("{field}.{}", z.id)).cloned())
                            .or_else(|| tier.prices.iter().find(|p| p.zone_id == z.id).map(stored))
                            .unwrap_or_else(|| none.to_string());
                        (z.id.clone(), value)
                    })
                    .collect::<std::collections::BTreeMap<String, String>>()
            };
            let values = shown("price", |p| p.amount.to_string(), "");
            let currencies = shown("currency", |p| p.currency.clone(), &tier.currency);
            console.render(
                status,
                "console/tier.html",
                context! {
                    section => "prices", tier => tier, zones => zones.items,
                    values => values, currencies => currencies, errors => errors,
                },
            )
        }
        Err(crate::catalog::CatalogError::NotFound(_)) => console.not_found(),
        Err(err) => console.failed(&err),
    }
}

#[get("/admin/prices/tiers/{id}")]
pub async fn tier_form(console: Console, id: actix_web::web::Path<String>) -> HttpResponse {
    tier_page(
        &console,
        actix_web::http::StatusCode::OK,
        &id,
        None,
        Default::default(),
    )
    .await
}

#[actix_web::post("/admin/prices/tiers/{id}")]
pub async fn save_tier(
    posted: super::session::Posted<TierForm>,
    id: actix_web::web::Path<String>,
) -> HttpResponse {
    let super::session::Posted { console, form } = posted;
    let mut errors = crate::error::FieldErrors::new();
    let mut prices = Vec::new();
    for (key, value) in &form.fields {
        let Some(zone_id) = key.strip_prefix("price.") else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            errors.add(key.clone(), "every zone needs a price");
            continue;
        }
        // Left blank: the tier's own currency.
        let currency = form
            .fields
            .get(&format!("currency.{zone_id}"))
            .map(|c| c.trim().to_uppercase())
            .filter(|c| !c.is_empty());
        match value.replace(',', ".").parse::<rust_decimal::Decimal>() {
            Ok(amount) => prices.push(tiers::PriceInput {
                zone_id: zone_id.to_string(),
                amount,
                currency,
            }),
            Err(_) => errors.add(key.clone(), "expected an amount such as 120.00"),
        }
    }
    // The domain names a price by its place in the list; the form by its zone.
    let zone_of: Vec<String> = prices.iter().map(|p| p.zone_id.clone()).collect();
    let saved = match errors.into_result() {
        Ok(()) => {
            let patch = tiers::TierPatch {
                name: None,
                width_cm: None,
                height_cm: None,
                artist_id: None,
                currency: None,
                prices: Some(prices),
            };
            tiers::update(
                &console.state.db,
                &console.state.core.cards,
                &console.identity.admin_id,
                &id,
                patch,
            )
            .await
        }
        Err(errors) => Err(errors.into()),
    };
    match super::forms::catalog_answer(saved, console.lang()) {
        super::forms::CatalogAnswer::Done(_) => console.done("/admin/prices", "saved"),
        super::forms::CatalogAnswer::Refused(status, errors, refusal) => {
            let mut errors: std::collections::BTreeMap<String, String> = errors
                .into_iter()
                .map(|(field, message)| {
                    let zone = field
                        .strip_prefix("prices[")
                        .and_then(|rest| rest.split(']').next())
                        .and_then(|i| i.parse::<usize>().ok())
                        .and_then(|i| zone_of.get(i));
                    match zone {
                        Some(zone) if field.ends_with(".currency") => {
                            (format!("currency.{zone}"), message)
                        }
                        Some(zone) => (format!("price.{zone}"), message),
                        None => (field, message),
                    }
                })
                .collect();
            if let Some(refusal) = refusal {
                errors.insert("prices".into(), refusal);
            }
            tier_page(&console, status, &id, Some(&form), errors).await
        }
        super::forms::CatalogAnswer::NotFound => console.not_found(),
        super::forms::CatalogAnswer::Failed(err) => console.failed(&err),
    }
}
