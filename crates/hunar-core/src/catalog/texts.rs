//! A painting's words in the shop's languages. The description and medium are written once,
//! in one language (`text_lang`); a coordinator may add them in the others. A visitor reads
//! their own language when it is there, else the text as written, marked with its language
//! so a browser and a screen reader read it right (never Dari words under a Swedish label
//! as if they were Swedish).
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldErrors;
use crate::validate::{line_field, text_field};

/// The languages a painting's words can be given in: the shop's.
pub const LANGUAGES: [&str; 3] = ["en", "sv", "fa"];

pub fn language_schema() -> utoipa::openapi::Object {
    crate::validate::schema::one_of(LANGUAGES, true)
}

/// A description and a medium in one language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtworkText {
    #[serde(default)]
    #[schema(schema_with = crate::validate::schema::optional_text::<5000>)]
    pub description: String,
    #[serde(default)]
    #[schema(schema_with = crate::validate::schema::optional_line::<200>)]
    pub medium: String,
}

/// The words in the other languages, by language; as sent by a coordinator. Only the shop's
/// languages are fields, so any other is refused as an unknown field.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TranslationsInput {
    pub en: Option<ArtworkText>,
    pub sv: Option<ArtworkText>,
    pub fa: Option<ArtworkText>,
}

/// As kept and shown: by language, only those with words.
pub type Translations = BTreeMap<String, ArtworkText>;

impl From<TranslationsInput> for Translations {
    fn from(input: TranslationsInput) -> Self {
        [("en", input.en), ("sv", input.sv), ("fa", input.fa)]
            .into_iter()
            .filter_map(|(lang, text)| Some((lang.to_string(), text?)))
            .collect()
    }
}

/// The stored column; a value that does not read (written by hand) counts as none.
pub fn read(stored: &str) -> Translations {
    serde_json::from_str(stored).unwrap_or_default()
}

pub fn write(translations: &Translations) -> String {
    serde_json::to_string(translations).unwrap_or_else(|_| "{}".into())
}

/// Checks the language of the text as written and every translation's words, field by
/// field; drops a translation into the text's own language and any left empty.
pub fn check(
    errors: &mut FieldErrors,
    text_lang: &str,
    translations: Translations,
) -> (String, Translations) {
    let text_lang = if LANGUAGES.contains(&text_lang) {
        text_lang.to_string()
    } else {
        errors.add("text_lang", "expected en, sv or fa");
        "en".to_string()
    };
    let kept = translations
        .into_iter()
        .filter(|(lang, _)| *lang != text_lang)
        .map(|(lang, text)| {
            let description = text_field(
                errors,
                &format!("translations.{lang}.description"),
                &text.description,
                false,
                5000,
            );
            let medium = line_field(
                errors,
                &format!("translations.{lang}.medium"),
                &text.medium,
                false,
                200,
            );
            (
                lang,
                ArtworkText {
                    description,
                    medium,
                },
            )
        })
        .filter(|(_, text)| !text.description.is_empty() || !text.medium.is_empty())
        .collect();
    (text_lang, kept)
}

/// One of a painting's words as a reader of `lang` gets it, and the language it is in.
pub struct Shown<'a> {
    pub text: &'a str,
    pub lang: &'a str,
}

/// The words in `lang` when given, else as written.
pub fn shown<'a>(
    lang: &'a str,
    text_lang: &'a str,
    written: &'a str,
    translations: &'a Translations,
    field: fn(&ArtworkText) -> &str,
) -> Shown<'a> {
    match translations.get(lang).map(field) {
        Some(text) if lang != text_lang && !text.is_empty() => Shown { text, lang },
        _ => Shown {
            text: written,
            lang: text_lang,
        },
    }
}

pub fn description(text: &ArtworkText) -> &str {
    &text.description
}

pub fn medium(text: &ArtworkText) -> &str {
    &text.medium
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_gets_their_language_else_the_words_as_written_with_their_language() {
        let mut translations = Translations::new();
        translations.insert(
            "sv".into(),
            ArtworkText {
                description: "Snö över Kabul.".into(),
                medium: String::new(),
            },
        );
        let sv = shown("sv", "fa", "برف بر کابل.", &translations, description);
        assert_eq!((sv.text, sv.lang), ("Snö över Kabul.", "sv"));
        // No Swedish medium: the Dari one, marked Dari.
        let medium_sv = shown("sv", "fa", "رنگ روغن", &translations, medium);
        assert_eq!((medium_sv.text, medium_sv.lang), ("رنگ روغن", "fa"));
        let en = shown("en", "fa", "برف بر کابل.", &translations, description);
        assert_eq!(en.lang, "fa");
    }

    #[test]
    fn translations_into_the_texts_own_language_or_empty_are_dropped() {
        let mut errors = FieldErrors::new();
        let given: Translations = [
            ("en", "Written", "Oil"),
            ("sv", "", ""),
            ("fa", "نوشته", "روغن"),
        ]
        .into_iter()
        .map(|(l, d, m)| {
            (
                l.to_string(),
                ArtworkText {
                    description: d.into(),
                    medium: m.into(),
                },
            )
        })
        .collect();
        let (lang, kept) = check(&mut errors, "en", given);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(lang, "en");
        assert_eq!(kept.keys().collect::<Vec<_>>(), ["fa"]);
        let mut errors = FieldErrors::new();
        check(&mut errors, "de", Translations::new());
        assert!(errors.has("text_lang"));
    }
}
