//! ISO 3166-1 alpha-2 country codes, valid by construction.
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an ISO 3166-1 alpha-2 country code (e.g. SE, AF, US)")]
pub struct UnknownCountry(pub String);

impl CountryCode {
    /// Accepts upper-case codes only: "se" is refused rather than guessed at.
    pub fn parse(code: &str) -> Result<Self, UnknownCountry> {
        let unknown = || UnknownCountry(code.chars().take(8).collect());
        let bytes = code.as_bytes();
        if bytes.len() != 2 || !bytes.iter().all(u8::is_ascii_uppercase) {
            return Err(unknown());
        }
        isocountry::CountryCode::for_alpha2(code).map_err(|_| unknown())?;
        Ok(Self([bytes[0], bytes[1]]))
    }

    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII upper-case letters, checked in `parse`.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl CountryCode {
    /// How the country's postal codes look, for the destinations supporters mostly order to:
    /// a shape to check and an example. Carriers there refuse a parcel without one. None: not
    /// checked (Afghanistan's are not in common use).
    pub fn postal_code(&self) -> Option<PostalCode> {
        let (shape, example) = match self.as_str() {
            "SE" => ("ddd dd", "411 01"),
            "DE" | "FI" | "FR" | "IT" | "ES" => ("ddddd", "10115"),
            "NO" | "DK" | "AT" | "CH" | "BE" => ("dddd", "0150"),
            "NL" => ("dddd LL", "1012 AB"),
            "PL" => ("dd-ddd", "00-950"),
            "US" => ("ddddd", "10001"),
            _ => return None,
        };
        Some(PostalCode { shape, example })
    }

    /// The time zone most of the country lives in, for a buyer whose browser did not say:
    /// the countries supporters mostly write from, and Afghanistan. Others: None (UTC).
    pub fn main_time_zone(&self) -> Option<&'static str> {
        Some(match self.as_str() {
            "SE" => "Europe/Stockholm",
            "NO" => "Europe/Oslo",
            "DK" => "Europe/Copenhagen",
            "FI" => "Europe/Helsinki",
            "DE" => "Europe/Berlin",
            "AT" => "Europe/Vienna",
            "CH" => "Europe/Zurich",
            "NL" => "Europe/Amsterdam",
            "BE" => "Europe/Brussels",
            "FR" => "Europe/Paris",
            "GB" => "Europe/London",
            "IE" => "Europe/Dublin",
            "IT" => "Europe/Rome",
            "ES" => "Europe/Madrid",
            "PL" => "Europe/Warsaw",
            "AF" => "Asia/Kabul",
            "IR" => "Asia/Tehran",
            "PK" => "Asia/Karachi",
            "TR" => "Europe/Istanbul",
            _ => return None,
        })
    }
}

/// A country's postal code: `d` a digit, `L` a letter, anything else itself; spaces and
/// dashes may be left out or put where people do.
#[derive(Debug, Clone, Copy)]
pub struct PostalCode {
    shape: &'static str,
    pub example: &'static str,
}

impl PostalCode {
    pub fn fits(&self, code: &str) -> bool {
        let significant = |c: &char| !matches!(c, ' ' | '-');
        let given: Vec<char> = code.trim().chars().filter(significant).collect();
        let shape: Vec<char> = self.shape.chars().filter(significant).collect();
        given.len() == shape.len()
            && given.iter().zip(&shape).all(|(c, s)| match s {
                'd' => c.is_ascii_digit(),
                'L' => c.is_ascii_alphabetic(),
                s => c == s,
            })
    }
}

/// Every code `CountryCode::parse` accepts, for the OpenAPI document.
pub fn codes() -> impl Iterator<Item = &'static str> {
    isocountry::CountryCode::iter().map(|c| c.alpha2())
}

/// A required country field: one of `codes()`.
pub fn schema() -> utoipa::openapi::Object {
    crate::validate::schema::one_of(codes(), false)
}

/// A country field that may be left out or null.
pub fn optional_schema() -> utoipa::openapi::Object {
    crate::validate::schema::one_of(codes(), true)
}

/// A list of countries, each once (a zone's).
pub fn list_schema() -> utoipa::openapi::Array {
    countries(false)
}

/// The same in a PATCH: null or absent keeps the list.
pub fn optional_list_schema() -> utoipa::openapi::Array {
    countries(true)
}

fn countries(nullable: bool) -> utoipa::openapi::Array {
    utoipa::openapi::ArrayBuilder::new()
        .schema_type(crate::validate::schema::of_type(
            utoipa::openapi::Type::Array,
            nullable,
        ))
        .items(schema())
        .unique_items(true)
        .build()
}

/// The languages `country_names.tsv` names countries in, in its column order.
const NAMED_IN: [&str; 6] = ["en", "sv", "fa", "de", "nb", "ps"];

/// A country's name in a language (`en`, `sv`, `fa` for Dari, `de`, `nb`, `ps`), from the
/// Unicode CLDR (`country_names.tsv`, written by `scripts/country-names.py`); none for a
/// code or a language it does not have.
pub fn name_in(code: &str, lang: &str) -> Option<&'static str> {
    let column = NAMED_IN.iter().position(|l| *l == lang)? + 1;
    static NAMES: std::sync::OnceLock<std::collections::HashMap<&str, Vec<&str>>> =
        std::sync::OnceLock::new();
    NAMES
        .get_or_init(|| {
            include_str!("country_names.tsv")
                .lines()
                .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
                .map(|line| {
                    let cols: Vec<&str> = line.split('\t').collect();
                    (cols[0], cols)
                })
                .collect()
        })
        .get(code)
        .and_then(|cols| cols.get(column).copied())
}

/// A country's name in `lang`, else in English, else its ISO name, else the code itself.
pub fn name(code: &str, lang: &str) -> String {
    name_in(code, lang)
        .or_else(|| name_in(code, "en"))
        .map(str::to_string)
        .or_else(|| {
            isocountry::CountryCode::for_alpha2(code)
                .ok()
                .map(|c| c.name().to_string())
        })
        .unwrap_or_else(|| code.to_string())
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn postal_codes_are_checked_by_their_countrys_shape() {
        let se = CountryCode::parse("SE")
            .expect("SE")
            .postal_code()
            .expect("a rule");
        for ok in ["411 01", "41101", " 411 01 "] {
            assert!(se.fits(ok), "{ok}");
        }
        for bad in ["4110", "x", "ABC DE", "411 011"] {
            assert!(!se.fits(bad), "{bad}");
        }
        let nl = CountryCode::parse("NL")
            .expect("NL")
            .postal_code()
            .expect("a rule");
        assert!(nl.fits("1012 AB") && nl.fits("1012ab") && !nl.fits("1012 A1"));
        assert!(
            CountryCode::parse("AF")
                .expect("AF")
                .postal_code()
                .is_none()
        );
    }

    use super::*;

    #[test]
    fn parses_real_codes_only() {
        assert_eq!(
            CountryCode::parse("SE").map(|c| c.to_string()),
            Ok("SE".into())
        );
        assert!(CountryCode::parse("AF").is_ok());
        for bad in ["se", "XX", "ZZ", "SWE", "", "S", "1A"] {
            assert!(CountryCode::parse(bad).is_err(), "{bad} accepted");
        }
    }

    proptest::proptest! {
        /// `parse` accepts exactly the codes the document lists, and only upper case.
        #[test]
        fn parse_accepts_exactly_the_listed_codes(
            code in proptest::prop_oneof![
                "[A-Za-z]{2}",
                proptest::prelude::any::<String>(),
            ]
        ) {
            let listed = codes().any(|c| c == code);
            proptest::prop_assert_eq!(CountryCode::parse(&code).is_ok(), listed);
            if let Ok(parsed) = CountryCode::parse(&code) {
                proptest::prop_assert_eq!(parsed.as_str(), code.as_str());
            }
        }
    }
}
