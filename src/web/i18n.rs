//! The pages' languages: the supporters' English, Swedish, German and Norwegian Bokmål, and
//! the artists' and coordinators' Dari and Pashto (right to left). Every string a page shows comes from `locales/*.ftl` (Project Fluent), compiled
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
    De,
    Nb,
    Fa,
    Ps,
}

impl Lang {
    /// The shop's languages, in the order of the switch.
    pub const ALL: [Lang; 6] = [Lang::En, Lang::Sv, Lang::De, Lang::Nb, Lang::Fa, Lang::Ps];
    /// The coordinators' and artists' languages: the console and the artist's own page.
    pub const AFGHAN: [Lang; 3] = [Lang::En, Lang::Fa, Lang::Ps];

    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Sv => "sv",
            Self::De => "de",
            Self::Nb => "nb",
            Self::Fa => "fa",
            Self::Ps => "ps",
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
            Self::De => "Deutsch",
            Self::Nb => "Norsk bokmål",
            Self::Fa => "دری",
            Self::Ps => "پښتو",
        }
    }

    pub fn dir(self) -> &'static str {
        if self.is_rtl() { "rtl" } else { "ltr" }
    }

    pub fn is_rtl(self) -> bool {
        matches!(self, Self::Fa | Self::Ps)
    }

    /// The first supported language in an `Accept-Language` header, by its q-values.
    /// Persian (`fa`, `fa-AF`) and Dari's own tag (`prs`) both mean Dari here; Norwegian in
    /// general (`no`) and Nynorsk readers get Bokmål.
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
                    "de" => Lang::De,
                    "nb" | "no" | "nn" => Lang::Nb,
                    "fa" | "prs" => Lang::Fa,
                    "ps" | "pbt" | "pus" => Lang::Ps,
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
            Self::De => 2,
            Self::Nb => 3,
            Self::Fa => 4,
            Self::Ps => 5,
        }
    }
}

/// The shop's messages, in every language.
const SHOP: [(&str, &str); 6] = [
    ("en", include_str!("locales/en.ftl")),
    ("sv", include_str!("locales/sv.ftl")),
    ("de", include_str!("locales/de.ftl")),
    ("nb", include_str!("locales/nb.ftl")),
    ("fa", include_str!("locales/fa.ftl")),
    ("ps", include_str!("locales/ps.ftl")),
];

/// The console's messages: English, Dari and Pashto, the coordinators' languages (the
/// supporters' other languages fall back to English).
const CONSOLE: [&str; 6] = [
    include_str!("locales/console.en.ftl"),
    "",
    "",
    "",
    include_str!("locales/console.fa.ftl"),
    include_str!("locales/console.ps.ftl"),
];

/// The artist's own page: in the artists' languages.
const ARTIST: [&str; 6] = [
    include_str!("locales/artist.en.ftl"),
    "",
    "",
    "",
    include_str!("locales/artist.fa.ftl"),
    include_str!("locales/artist.ps.ftl"),
];

fn bundles() -> &'static [FluentBundle<FluentResource>; 6] {
    static BUNDLES: OnceLock<[FluentBundle<FluentResource>; 6]> = OnceLock::new();
    BUNDLES.get_or_init(|| {
        Lang::ALL.map(|l| {
            let (code, shop) = SHOP[l.index()];
            let lang: LanguageIdentifier = code.parse().unwrap_or_default();
            let mut bundle = FluentBundle::new_concurrent(vec![lang]);
            // Right to left, names and numbers put into a sentence are isolated (invisible
            // FSI/PDI marks), so "Farid N." stays "Farid N." inside Dari or Pashto text.
            bundle.set_use_isolating(l.is_rtl());
            // A broken file is caught by the tests (every key in every language renders);
            // what parses is still used.
            for source in [shop, CONSOLE[l.index()], ARTIST[l.index()]] {
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
    keys_of(CONSOLE[lang.index()])
}

/// Every message key of a language's file for the artist's own page.
pub fn artist_keys(lang: Lang) -> Vec<String> {
    keys_of(ARTIST[lang.index()])
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

    /// A message one language has and another lacks fails here: a German buyer must not
    /// meet an English sentence, nor a Pashto coordinator a Dari one.
    #[test]
    fn every_language_has_every_message() {
        type Keys = fn(Lang) -> Vec<String>;
        let files: [(&str, Keys, &[Lang]); 3] = [
            ("shop", keys, &Lang::ALL),
            ("console", console_keys, &Lang::AFGHAN),
            ("artist page", artist_keys, &Lang::AFGHAN),
        ];
        for (file, keys_in, langs) in files {
            let english = keys_in(Lang::En);
            assert!(english.len() > 10, "{file}: {}", english.len());
            for &lang in langs {
                let theirs = keys_in(lang);
                let missing: Vec<_> = english.iter().filter(|k| !theirs.contains(k)).collect();
                assert!(missing.is_empty(), "{file}: {lang:?} lacks {missing:?}");
                let extra: Vec<_> = theirs.iter().filter(|k| !english.contains(k)).collect();
                assert!(
                    extra.is_empty(),
                    "{file}: {lang:?} has {extra:?} that English lacks"
                );
                // Every message renders in its own language, not the English fallback.
                for key in &theirs {
                    let bundle = &bundles()[lang.index()];
                    assert!(
                        bundle.has_message(key),
                        "{file}: {lang:?} {key} did not parse"
                    );
                }
            }
        }
    }

    /// The three files share one bundle per language: one key must mean one thing.
    #[test]
    fn no_key_is_in_two_files() {
        let shop = keys(Lang::En);
        let console = console_keys(Lang::En);
        let artist = artist_keys(Lang::En);
        for (a, b, names) in [
            (&shop, &console, "shop/console"),
            (&shop, &artist, "shop/artist"),
            (&console, &artist, "console/artist"),
        ] {
            let clash: Vec<_> = a.iter().filter(|k| b.contains(k)).collect();
            assert!(
                clash.is_empty(),
                "{names}: one key, two meanings: {clash:?}"
            );
        }
    }

    /// Every machine-made translation says so in its first line, until someone who reads the
    /// language has gone through it (and removes the line).
    #[test]
    fn machine_made_translations_say_so() {
        for (name, source) in [
            ("de.ftl", SHOP[2].1),
            ("nb.ftl", SHOP[3].1),
            ("ps.ftl", SHOP[5].1),
            ("console.ps.ftl", CONSOLE[5]),
            ("artist.ps.ftl", ARTIST[5]),
        ] {
            let first = source.lines().next().unwrap_or("");
            assert!(
                first.starts_with('#') && first.contains("Machine-made"),
                "{name} starts {first:?}"
            );
        }
    }

    #[test]
    fn accept_language_picks_the_best_supported_one() {
        assert_eq!(
            Lang::from_accept_language("sv-SE,sv;q=0.9,en;q=0.8"),
            Some(Lang::Sv)
        );
        assert_eq!(
            Lang::from_accept_language("fr-FR, en;q=0.5, fa;q=0.7"),
            Some(Lang::Fa)
        );
        assert_eq!(Lang::from_accept_language("prs-AF"), Some(Lang::Fa));
        assert_eq!(Lang::from_accept_language("de, fr"), Some(Lang::De));
        assert_eq!(Lang::from_accept_language("fr, it"), None);
        assert_eq!(
            Lang::from_accept_language("no-NO, en;q=0.5"),
            Some(Lang::Nb)
        );
        assert_eq!(Lang::from_accept_language("ps-AF"), Some(Lang::Ps));
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
