//! The pages' templates (MiniJinja, the engine the emails use too), compiled into the binary.
//! HTML escaping is on for every `.html` template; `t(...)` translates in the page's language,
//! `money` writes a price the way the language does.
use std::str::FromStr;
use std::sync::OnceLock;

use minijinja::value::{Kwargs, Value};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State};
use rust_decimal::Decimal;

use super::format;
use super::i18n::{self, Lang};

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates![
    "base.html",
    "macros.html",
    "home.html",
    "artworks.html",
    "artwork.html",
    "artist.html",
    "buy.html",
    "sold.html",
    "order.html",
    "confirm.html",
    "country.html",
    "message.html",
    "transparency.html",
    "artist-page.html",
    "console/base.html",
    "console/macros.html",
    "console/message.html",
    "console/sign-in.html",
    "console/today.html",
    "console/orders.html",
    "console/order.html",
    "console/order-action.html",
    "console/emails.html",
    "console/audit.html",
    "console/account.html",
    "console/admin-access.html",
    "console/sign-in-code.html",
    "console/second-factor.html",
    "console/paintings.html",
    "console/painting.html",
    "console/artists.html",
    "console/artist.html",
    "console/artist-delete.html",
    "console/prices.html",
    "console/tier.html",
    "console/continue.html",
    "console/zone.html",
    "console/settings.html",
    "console/payment-option.html",
    "console/ledger.html",
    "console/artist-ledger.html",
    "console/ledger-reverse.html",
    "console/shipping-cost.html",
];

fn lang_of(state: &State) -> Lang {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Lang::parse))
        .unwrap_or(Lang::En)
}

/// `t("key", name=value, …)`: the message in the page's language.
fn t(state: &State, key: &str, kwargs: Kwargs) -> Result<String, Error> {
    let mut args: Vec<(&str, fluent_bundle::FluentValue<'_>)> = Vec::new();
    let names: Vec<&str> = kwargs.args().collect();
    for name in names {
        let value: Value = kwargs.get(name)?;
        let fluent = match value.as_i64() {
            Some(n) => fluent_bundle::FluentValue::from(n),
            None => fluent_bundle::FluentValue::from(value.to_string()),
        };
        args.push((name, fluent));
    }
    Ok(i18n::text(lang_of(state), key, &args))
}

/// `price|money`: a `{amount, currency}` price in the page's language.
fn money(state: &State, price: Value) -> Result<String, Error> {
    let field = |name: &str| -> Result<String, Error> {
        price
            .get_attr(name)
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_none())
            .map(|v| v.to_string())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidOperation,
                    "a price needs amount and currency",
                )
            })
    };
    let amount = Decimal::from_str(&field("amount")?)
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
    Ok(format::money(amount, &field("currency")?, lang_of(state)))
}

/// `code|country_name`
fn country_name(state: &State, code: &str) -> String {
    format::country_name(code, lang_of(state))
}

/// `instant|local(zone)`: a time in the buyer's own zone, with the zone named.
fn local(value: Value, zone: Option<String>) -> String {
    let Some(text) = value.as_str() else {
        return String::new();
    };
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(at) => crate::notifications::render::local_time(at.to_utc(), zone.as_deref()),
        Err(_) => text.to_string(),
    }
}

/// `code|language_name`: a language by its own name (`sv` → Svenska), as on the switches.
fn language_name(code: &str) -> String {
    super::i18n::Lang::parse(code).map_or_else(|| code.to_string(), |l| l.native_name().to_string())
}

/// `instant|when`: a time as `2026-11-25 14:03 +0430` in the page's time zone (`tz`, the
/// coordinator's own; UTC when the page has none), with the zone said: a coordinator in
/// Kabul reading UTC without knowing it would be four and a half hours off.
fn when(state: &State, value: Value) -> String {
    let Some(text) = value.as_str() else {
        return String::new();
    };
    let Ok(instant) = chrono::DateTime::parse_from_rfc3339(text) else {
        return text.to_string();
    };
    let zone: chrono_tz::Tz = state
        .lookup("tz")
        .and_then(|v| v.as_str().and_then(|z| z.parse().ok()))
        .unwrap_or(chrono_tz::UTC);
    instant
        .with_timezone(&zone)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

pub fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            // Checked by the tests: every page renders.
            let _ = env.add_template(name, source);
        }
        // Escape what HTML needs (& < > " '), not `/`: urls stay readable and short.
        env.set_formatter(|out, state, value| {
            if state.auto_escape() == AutoEscape::None || value.is_safe() || value.is_none() {
                return minijinja::escape_formatter(out, state, value);
            }
            let text = match value.as_str() {
                Some(s) => s.to_string(),
                None => value.to_string(),
            };
            out.write_str(&super::html::escape(&text))
                .map_err(|e| Error::new(ErrorKind::WriteFailure, e.to_string()))
        });
        env.add_function("t", t);
        env.add_filter("money", money);
        env.add_filter("country_name", country_name);
        env.add_filter("when", when);
        env.add_filter("language_name", language_name);
        env.add_filter("local", local);
        env.add_filter("reference", crate::orders::reference::reference);
        env
    })
}

#[cfg(test)]
mod tests {
    /// `env()` skips a template that does not parse (one broken page must not take the others
    /// down), so a syntax error would surface only as that page's 500: caught here instead.
    #[test]
    fn every_template_parses() {
        let mut env = minijinja::Environment::new();
        for (name, source) in super::TEMPLATES {
            if let Err(err) = env.add_template(name, source) {
                panic!("{name}: {err:#}");
            }
        }
    }
}
