//! The pages' languages: English, Swedish (most buyers are in Sweden) and Dari (right to
//! left). Every string a page shows comes from `locales/*.ftl` (Project Fluent), compiled
//! into the binary; a message missing in one language falls back to English.
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::Serialize;
use unic_langid::LanguageIdentifier;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Sv,
    Fa,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Sv, Lang::Fa];

    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Sv => "sv",
            Self::Fa => "fa",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The language's own name, for the switch on every page.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Sv => "Svenska",
            Self::Fa => "دری",
        }
    }

    pub fn dir(self) -> &'static str {
        match self {
            Self::Fa => "rtl",
            _ => "ltr",
        }
    }

    /// The first supported language in an `Accept-Language` header, by its q-values.
    /// Persian (`fa`, `fa-AF`) and Dari's own tag (`prs`) both mean Dari here.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut choices: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim().to_ascii_lowercase();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                let primary = tag.split('-').next()?;
                let lang = match primary {
                    "en" => Lang::En,
                    "sv" => Lang::Sv,
                    "fa" | "prs" => Lang::Fa,
                    _ => return None,
                };
                (q > 0.0).then_some((q, lang))
            })
            .collect();
        // Stable: among equal weights the header's order decides.
        choices.sort_by(|a, b| b.0.total_cmp(&a.0));
        choices.first().map(|(_, lang)| *lang)
    }

    fn index(self) -> usize {
        match self {
            Self::En => 0,
            Self::Sv => 1,
            Self::Fa => 2,
        }
    }
}

/// The shop's messages, in every language.
const SHOP: [(&str, &str); 3] = [
    ("en", include_str!("locales/en.ftl")),
    ("sv", include_str!("locales/sv.ftl")),
    ("fa", include_str!("locales/fa.ftl")),
];

/// The console's messages: English and Dari, the coordinators' languages (Swedish falls back
/// to English).
const CONSOLE: [(&str, &str); 3] = [
    ("en", include_str!("locales/console.en.ftl")),
    ("sv", ""),
    ("fa", include_str!("locales/console.fa.ftl")),
];

fn bundles() -> &'static [FluentBundle<FluentResource>; 3] {
    static BUNDLES: OnceLock<[FluentBundle<FluentResource>; 3]> = OnceLock::new();
    BUNDLES.get_or_init(|| {
        [0, 1, 2].map(|i| {
            let (code, shop) = SHOP[i];
            let lang: LanguageIdentifier = code.parse().unwrap_or_default();
            let mut bundle = FluentBundle::new_concurrent(vec![lang]);
            // In Dari, names and numbers put into a sentence are isolated (invisible FSI/PDI
            // marks), so "Farid N." stays "Farid N." inside right-to-left text.
            bundle.set_use_isolating(code == "fa");
            // A broken file is caught by the tests (every key in every language renders);
            // what parses is still used.
            for source in [shop, CONSOLE[i].1] {
                let resource =
                    FluentResource::try_new(source.to_string()).unwrap_or_else(|(r, _)| r);
                let _ = bundle.add_resource(resource);
            }
            bundle
        })
    })
}

/// The message `key` in `lang` with `args`; English when `lang` lacks it; the key itself when
/// nobody has it (visible in the page, and caught by the tests).
pub fn text(lang: Lang, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    let all = bundles();
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        fluent_args.set(*name, value.clone());
    }
    for bundle in [&all[lang.index()], &all[Lang::En.index()]] {
        if let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) {
            let mut errors = Vec::new();
            return bundle
                .format_pattern(pattern, Some(&fluent_args), &mut errors)
                .into_owned();
        }
    }
    key.to_string()
}

/// Every message key of a language's shop file (for the tests that check the files agree).
pub fn keys(lang: Lang) -> Vec<String> {
    keys_of(SHOP[lang.index()].1)
}

/// Every message key of a language's console file.
pub fn console_keys(lang: Lang) -> Vec<String> {
    keys_of(CONSOLE[lang.index()].1)
}

fn keys_of(source: &str) -> Vec<String> {
    source
        .lines()
        .filter_map(|line| {
            let (key, _) = line.split_once(" =")?;
            let key = key.trim();
            (!key.is_empty()
                && !line.starts_with([' ', '#', '-'])
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            .then(|| key.to_string())
        })
        .collect()
}

/// A refused field's message in `lang`, by its code (the English message for a rule of one
/// endpoint's own, which has none).
pub fn field_message(lang: Lang, error: &crate::error::FieldError) -> String {
    use crate::error::FieldCode as C;
    let key = match error.code {
        C::Required => "error-required",
        C::TooLong => {
            let max = i64::try_from(error.max.unwrap_or(0)).unwrap_or(i64::MAX);
            return text(lang, "error-too-long", &[("max", max.into())]);
        }
        C::NotOneLine => "error-one-line",
        C::NotAnEmail => "error-email",
        C::NotAPhone => "error-phone",
        C::NotACountry => "error-country",
        C::PostalCodeNeeded | C::PostalCodeInvalid => {
            let key = if error.code == C::PostalCodeNeeded {
                "error-postal-needed"
            } else {
                "error-postal-invalid"
            };
            let example = error.example.clone().unwrap_or_default();
            return text(lang, key, &[("example", example.into())]);
        }
        C::StreetTooShort => "error-street",
        C::NotShippedThere => "error-not-shipped",
        C::Invalid => return error.message.clone(),
    };
    text(lang, key, &[])
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_take_their_languages_plural() {
        let minutes = |lang, n: u64| text(lang, "limited-text", &[("minutes", n.into())]);
        assert!(
            minutes(Lang::Sv, 1).contains("om ungefär en minut."),
            "{}",
            minutes(Lang::Sv, 1)
        );
        assert!(minutes(Lang::Sv, 5).contains("5 minuter"));
        assert!(minutes(Lang::En, 1).contains("about one minute."));
        assert!(!minutes(Lang::En, 1).contains("1 minutes"));
    }

    use super::*;

    /// Persian's plural rule puts 0 with 1 ("one"): a count of none must have its own words,
    /// or an empty list reads "one order" above "no order found".
    #[test]
    fn no_dari_count_of_zero_reads_one() {
        for source in [
            include_str!("locales/fa.ftl"),
            include_str!("locales/console.fa.ftl"),
        ] {
            let lines: Vec<&str> = source.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                let Some((id, rest)) = line.split_once(" = ") else {
                    continue;
                };
                let Some(var) = rest
                    .trim()
                    .strip_prefix("{ $")
                    .and_then(|r| r.strip_suffix(" ->"))
                else {
                    continue;
                };
                // A message that names zero itself says what it means by it.
                let variants = lines[i + 1..].iter().take_while(|l| l.trim() != "}");
                if variants.clone().any(|l| l.trim().starts_with("[0]")) {
                    continue;
                }
                let zero = text(Lang::Fa, id.trim(), &[(var, 0u64.into())]);
                assert!(
                    !zero.contains("یک") && !zero.contains('۱'),
                    "{id} with {var} = 0 reads {zero}"
                );
            }
        }
    }

    #[test]
    fn every_language_has_every_message() {
        let english = keys(Lang::En);
        assert!(english.len() > 40, "{}", english.len());
        for lang in [Lang::Sv, Lang::Fa] {
            let theirs = keys(lang);
            let missing: Vec<_> = english.iter().filter(|k| !theirs.contains(k)).collect();
            assert!(missing.is_empty(), "{lang:?} lacks {missing:?}");
            for key in &theirs {
                assert!(
                    english.contains(key),
                    "{lang:?} has {key} that English lacks"
                );
            }
        }
    }

    #[test]
    fn the_console_speaks_english_and_dari_alike() {
        let english = console_keys(Lang::En);
        let dari = console_keys(Lang::Fa);
        assert!(english.len() > 40, "{}", english.len());
        let missing: Vec<_> = english.iter().filter(|k| !dari.contains(k)).collect();
        assert!(missing.is_empty(), "Dari lacks {missing:?}");
        let extra: Vec<_> = dari.iter().filter(|k| !english.contains(k)).collect();
        assert!(extra.is_empty(), "Dari has {extra:?} that English lacks");
        let shop = keys(Lang::En);
        let clash: Vec<_> = english.iter().filter(|k| shop.contains(k)).collect();
        assert!(clash.is_empty(), "one key, two meanings: {clash:?}");
    }

    #[test]
    fn accept_language_picks_the_best_supported_one() {
        assert_eq!(
            Lang::from_accept_language("sv-SE,sv;q=0.9,en;q=0.8"),
            Some(Lang::Sv)
        );
        assert_eq!(
            Lang::from_accept_language("de-DE, en;q=0.5, fa;q=0.7"),
            Some(Lang::Fa)
        );
        assert_eq!(Lang::from_accept_language("prs-AF"), Some(Lang::Fa));
        assert_eq!(Lang::from_accept_language("de, fr"), None);
        assert_eq!(Lang::from_accept_language(""), None);
    }

    #[test]
    fn messages_take_their_arguments() {
        let text = text(
            Lang::En,
            "page-of",
            &[("page", 2.into()), ("pages", 5.into())],
        );
        assert_eq!(text, "Page 2 of 5");
        assert_eq!(super::text(Lang::Sv, "no-such-key", &[]), "no-such-key");
    }
}
