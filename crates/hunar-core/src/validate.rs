//! The field rules every input shares: the JSON API, and the shop's and console's forms, refuse
//! exactly the same things with the same messages because they all call these.
use crate::error::{FieldErrors, Rule};

/// Deserializes a field that may be absent (keep), `null` (clear) or a value (set):
/// PATCH bodies need all three.
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(de).map(Some)
}

/// A whole number as JSON Schema counts one: `223` and `223.0` alike (JSON has one kind of
/// number, and a client in JavaScript may well send the second), but not `223.5`.
pub fn whole<'de, D: serde::Deserializer<'de>>(de: D) -> Result<i32, D::Error> {
    let n = <f64 as serde::Deserialize>::deserialize(de)?;
    if n.fract() == 0.0 && n >= f64::from(i32::MIN) && n <= f64::from(i32::MAX) {
        // In range and whole: the cast is exact.
        #[allow(clippy::cast_possible_truncation)]
        Ok(n as i32)
    } else {
        Err(serde::de::Error::custom("expected a whole number"))
    }
}

/// `whole` for a field that may be absent or null.
pub fn optional_whole<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<i32>, D::Error> {
    #[derive(serde::Deserialize)]
    struct Whole(#[serde(deserialize_with = "whole")] i32);
    Ok(<Option<Whole> as serde::Deserialize>::deserialize(de)?.map(|w| w.0))
}

/// `whole` in a PATCH: absent keeps, null clears, a number sets.
pub fn patched_whole<'de, D: serde::Deserializer<'de>>(
    de: D,
) -> Result<Option<Option<i32>>, D::Error> {
    optional_whole(de).map(Some)
}

/// Trims a free-text field and checks its length in characters. The length is that of the
/// value as sent, so it is exactly the OpenAPI `maxLength` (see `schema`).
pub fn text_field(
    errors: &mut FieldErrors,
    field: &str,
    value: &str,
    required: bool,
    max_chars: usize,
) -> String {
    let trimmed = value.trim();
    if required && trimmed.is_empty() {
        errors.refuse(field, Rule::Required);
    } else if value.chars().count() > max_chars {
        errors.refuse(field, Rule::TooLong { max: max_chars });
    }
    trimmed.to_string()
}

/// A character that has no place in a one-line field: a line or paragraph break, a tab or
/// any other control character. A line break in a buyer's city would put a paragraph of
/// their words into the NGO's emails, where it reads as the NGO's own.
pub fn is_line_breaking(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// A one-line field (a name, a title, an address line, a phone number): `text_field`, and no
/// line breaks or other control characters anywhere in it, as sent.
pub fn line_field(
    errors: &mut FieldErrors,
    field: &str,
    value: &str,
    required: bool,
    max_chars: usize,
) -> String {
    let trimmed = text_field(errors, field, value, required, max_chars);
    if value.chars().any(is_line_breaking) && !errors.has(field) {
        errors.refuse(field, Rule::NotOneLine);
    }
    trimmed
}

/// An optional one-line field: `line_field`, and `None` when left blank.
pub fn optional_line(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    max_chars: usize,
) -> Option<String> {
    value
        .map(|v| line_field(errors, field, v, false, max_chars))
        .filter(|v| !v.is_empty())
}

/// An optional free-text field: trimmed, length-checked, and `None` when left blank.
pub fn optional_text(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    max_chars: usize,
) -> Option<String> {
    value
        .map(|v| text_field(errors, field, v, false, max_chars))
        .filter(|v| !v.is_empty())
}

/// An email address (already trimmed); blank is left to the caller's `required` rule.
pub fn email(errors: &mut FieldErrors, field: &str, value: &str) {
    if !value.is_empty() && !email_address::EmailAddress::is_valid(value) {
        errors.refuse(field, Rule::NotAnEmail);
    }
}

/// The one address an email is counted and remembered as: trimmed, lower-cased, without a
/// `+tag` in the local part (victim+1@ and victim+2@ reach one mailbox). Stored only as a
/// keyed hash (`Vault::email_hash`), never as it is.
pub fn email_identity(email: &str) -> String {
    let email = email.trim().to_lowercase();
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let local = local.split('+').next().unwrap_or(local);
            format!("{local}@{domain}")
        }
        None => email,
    }
}

/// A phone number as people write it: digits with spaces, `+`, `-` and brackets.
pub fn phone(errors: &mut FieldErrors, field: &str, value: Option<&str>) {
    if let Some(phone) = value
        && !phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')'))
    {
        errors.refuse(field, Rule::NotAPhone);
    }
}

/// The rules above as OpenAPI schemas, for `#[schema(schema_with = ...)]` on input fields, so
/// the document refuses exactly what the validators refuse.
pub mod schema {
    use utoipa::openapi::{Object, ObjectBuilder, Type, schema::SchemaType};

    /// Unicode White_Space, which `str::trim` removes, as the body of a regex class.
    macro_rules! white_space {
        () => {
            "\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000"
        };
    }

    /// No NUL anywhere (PostgreSQL text cannot hold it; `extract` refuses it in every body and
    /// URL). Every string the document describes without a pattern of its own gets this one.
    pub const NO_NUL: &str = "^[^\\u0000]*$";

    /// Not blank: at least one character that `str::trim` keeps (Unicode White_Space, spelled
    /// out because regex engines disagree on `\s`), and no NUL.
    pub const NOT_BLANK: &str = concat!("^[^\\u0000]*[^\\u0000", white_space!(), "][^\\u0000]*$");

    /// `schema_type`, or `[schema_type, null]` for a field that may be null.
    pub fn of_type(schema_type: Type, nullable: bool) -> SchemaType {
        if nullable {
            SchemaType::from_iter([schema_type, Type::Null])
        } else {
            SchemaType::Type(schema_type)
        }
    }

    fn string(max: usize, pattern: &str, nullable: bool) -> Object {
        ObjectBuilder::new()
            .schema_type(of_type(Type::String, nullable))
            .max_length(Some(max))
            .pattern(Some(pattern))
            .build()
    }

    /// `text_field(.., required: true, MAX)`.
    pub fn required_text<const MAX: usize>() -> Object {
        string(MAX, NOT_BLANK, false)
    }

    /// `text_field(.., required: false, MAX)` for a field that must be sent.
    pub fn text<const MAX: usize>() -> Object {
        string(MAX, NO_NUL, false)
    }

    /// `optional_text(.., MAX)`: may be absent or null.
    pub fn optional_text<const MAX: usize>() -> Object {
        string(MAX, NO_NUL, true)
    }

    /// A PATCH of a required text: absent keeps it; when sent, the same rule as on create.
    pub fn patched_text<const MAX: usize>() -> Object {
        string(MAX, NOT_BLANK, true)
    }

    pub const WHITE_SPACE: &str = white_space!();

    /// White space that keeps to one line (no break, no control character): what a blank
    /// one-line field may hold.
    pub const INLINE_SPACE: &str = " \\u00A0\\u1680\\u2000-\\u200A\\u202F\\u205F\\u3000";

    /// What `is_line_breaking` refuses, as the body of a regex class.
    macro_rules! line_breaking {
        () => {
            "\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029"
        };
    }

    /// One line: no control character or line break anywhere.
    pub const ONE_LINE: &str = concat!("^[^", line_breaking!(), "]*$");

    /// One line and not blank.
    pub const ONE_LINE_NOT_BLANK: &str = concat!(
        "^[^",
        line_breaking!(),
        "]*[^",
        line_breaking!(),
        white_space!(),
        "][^",
        line_breaking!(),
        "]*$"
    );

    /// One line with no digit (Western, Persian or Arabic) and no currency sign: a subject
    /// that must name no amount.
    pub const NO_AMOUNT_LINE: &str = concat!(
        "^[^",
        line_breaking!(),
        "0-9\\u06F0-\\u06F9\\u0660-\\u0669$€£]*$"
    );

    /// `optional_line(.., MAX)` that names no amount.
    pub fn optional_neutral_line<const MAX: usize>() -> Object {
        string(MAX, NO_AMOUNT_LINE, true)
    }

    /// `line_field(.., required: true, MAX)`.
    pub fn required_line<const MAX: usize>() -> Object {
        string(MAX, ONE_LINE_NOT_BLANK, false)
    }

    /// `optional_line(.., MAX)`: may be absent or null.
    pub fn optional_line<const MAX: usize>() -> Object {
        string(MAX, ONE_LINE, true)
    }

    /// An email address that may be left out: an address, or blank (none), or null.
    pub fn optional_email() -> utoipa::openapi::Schema {
        let blank = ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .pattern(Some(format!("^[{INLINE_SPACE}]*$")))
            .build();
        let mut address = string(254, NOT_BLANK, false);
        address.format = Some(utoipa::openapi::SchemaFormat::Custom("email".into()));
        utoipa::openapi::schema::AnyOfBuilder::new()
            .item(address)
            .item(blank)
            .item(ObjectBuilder::new().schema_type(SchemaType::Type(Type::Null)))
            .build()
            .into()
    }

    /// The id of a stored record: not blank (whether it names one is the server's to say).
    pub fn id() -> Object {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .pattern(Some(NOT_BLANK))
            .build()
    }

    /// An email address a message will be sent to: `format: email`, one line, at most 254
    /// characters (what SMTP carries).
    pub fn required_email() -> Object {
        let mut object = string(254, ONE_LINE_NOT_BLANK, false);
        object.format = Some(utoipa::openapi::SchemaFormat::Custom("email".into()));
        object
    }

    /// A PATCH of a required one-line field.
    pub fn patched_line<const MAX: usize>() -> Object {
        string(MAX, ONE_LINE_NOT_BLANK, true)
    }

    /// `phone` on an `optional_line`: after trimming, digits, spaces, `+`, `-` and brackets
    /// only, and around them only the white space that is not a control character.
    pub fn optional_phone() -> Object {
        let pattern = format!("^[{LINE_SPACE}]*[0-9+ ()\\-]*[{LINE_SPACE}]*$");
        string(40, &pattern, true)
    }

    /// The white space `str::trim` removes that a one-line field may hold.
    pub const LINE_SPACE: &str = " \\u00A0\\u1680\\u2000-\\u200A\\u202F\\u205F\\u3000";

    /// One of `values`; with `nullable`, also null (a field that may be left out).
    pub fn one_of<'a>(values: impl IntoIterator<Item = &'a str>, nullable: bool) -> Object {
        let mut allowed: Vec<serde_json::Value> = values.into_iter().map(Into::into).collect();
        if nullable {
            allowed.push(serde_json::Value::Null);
        }
        ObjectBuilder::new()
            .schema_type(of_type(Type::String, nullable))
            .enum_values(Some(allowed))
            .build()
    }

    /// An integer in `MIN..=MAX`, e.g. centimetres.
    pub fn integer<const MIN: i64, const MAX: i64>() -> Object {
        int_in(MIN, MAX, false)
    }

    /// The same in a PATCH: null or absent keeps the value.
    pub fn optional_integer<const MIN: i64, const MAX: i64>() -> Object {
        int_in(MIN, MAX, true)
    }

    pub fn int_in(min: i64, max: i64, nullable: bool) -> Object {
        ObjectBuilder::new()
            .schema_type(of_type(Type::Integer, nullable))
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int32,
            )))
            .minimum(Some(min as f64))
            .maximum(Some(max as f64))
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_measured_in_characters() {
        let mut errors = FieldErrors::new();
        assert_eq!(text_field(&mut errors, "a", "  هنر  ", true, 7), "هنر");
        assert!(errors.is_empty());
        // Measured as sent, as the document's maxLength is.
        text_field(&mut errors, "a2", "  هنر  ", true, 6);
        text_field(&mut errors, "b", "   ", true, 3);
        text_field(&mut errors, "c", "abcd", false, 3);
        assert_eq!(optional_text(&mut errors, "d", Some("  "), 3), None);
        email(&mut errors, "e", "not-an-address");
        email(&mut errors, "e2", "");
        phone(&mut errors, "f", Some("+46 (0) 70-123"));
        phone(&mut errors, "g", Some("call me"));
        assert_eq!(
            email_identity(" Anna+shop@Example.ORG "),
            email_identity("anna@example.org")
        );
        assert_ne!(
            email_identity("anna@example.org"),
            email_identity("anne@example.org")
        );
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["a2", "b", "c", "e", "g"]);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;
        use regex::Regex;

        /// Any text, and short text from the characters where the rules are subtle:
        /// Unicode spaces `trim` removes, separators it keeps (U+001C, U+200B), digits.
        fn text() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<String>(),
                "[ \\t\\n\\x{b}\\x{c}\\r\\x{85}\\x{a0}\\x{1680}\\x{2000}\\x{200a}\\x{200b}\\x{2028}\\x{3000}\\x{1c}\\x{1f}a0+()-]{0,8}",
            ]
            .prop_filter("NUL is refused before validation", |s| !s.contains('\0'))
        }

        proptest! {
            #[test]
            fn required_text_accepts_what_its_schema_accepts(value in text(), max in 0usize..10) {
                let pattern = Regex::new(schema::NOT_BLANK).expect("NOT_BLANK compiles");
                let mut errors = FieldErrors::new();
                text_field(&mut errors, "f", &value, true, max);
                let documented = pattern.is_match(&value) && value.chars().count() <= max;
                prop_assert_eq!(errors.is_empty(), documented, "{:?}", value);
            }

            #[test]
            fn a_line_is_accepted_as_its_schema_says(value in text(), max in 0usize..10) {
                let pattern = Regex::new(schema::ONE_LINE_NOT_BLANK).expect("the pattern compiles");
                let mut errors = FieldErrors::new();
                line_field(&mut errors, "f", &value, true, max);
                let documented = pattern.is_match(&value) && value.chars().count() <= max;
                prop_assert_eq!(errors.is_empty(), documented, "{:?}", value);
                let pattern = Regex::new(schema::ONE_LINE).expect("the pattern compiles");
                let mut errors = FieldErrors::new();
                optional_line(&mut errors, "f", Some(&value), max);
                let documented = pattern.is_match(&value) && value.chars().count() <= max;
                prop_assert_eq!(errors.is_empty(), documented, "{:?}", value);
            }

            #[test]
            fn a_phone_is_accepted_as_its_schema_says(value in text()) {
                let documented = schema::optional_phone();
                let pattern = Regex::new(documented.pattern.as_deref().expect("a pattern"))
                    .expect("the phone pattern compiles");
                let max = documented.max_length.expect("a maxLength");
                let mut errors = FieldErrors::new();
                let phone_value = optional_line(&mut errors, "p", Some(&value), max);
                phone(&mut errors, "p", phone_value.as_deref());
                let documented = pattern.is_match(&value) && value.chars().count() <= max;
                prop_assert_eq!(errors.is_empty(), documented, "{:?}", value);
            }
        }
    }
}
