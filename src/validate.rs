//! The field rules every input shares: the JSON API, and the shop's and console's forms, refuse
//! exactly the same things with the same messages because they all call these.
use crate::error::FieldErrors;

/// Deserializes a field that may be absent (keep), `null` (clear) or a value (set):
/// PATCH bodies need all three.
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(de).map(Some)
}

/// Trims a free-text field and checks its length in characters.
pub fn text_field(
    errors: &mut FieldErrors,
    field: &str,
    value: &str,
    required: bool,
    max_chars: usize,
) -> String {
    let value = value.trim();
    if required && value.is_empty() {
        errors.add(field, "must not be empty");
    } else if value.chars().count() > max_chars {
        errors.add(field, format!("must be at most {max_chars} characters"));
    }
    value.to_string()
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
        errors.add(field, "not a valid email address");
    }
}

/// The key an email address is counted and remembered by: trimmed, lower-cased, without a
/// `+tag` in the local part (victim+1@ and victim+2@ reach one mailbox), and hashed, so the
/// counting tables hold no address and every key has the same short length.
pub fn email_key(email: &str) -> String {
    use sha2::{Digest, Sha256};
    let email = email.trim().to_lowercase();
    let email = match email.rsplit_once('@') {
        Some((local, domain)) => {
            let local = local.split('+').next().unwrap_or(local);
            format!("{local}@{domain}")
        }
        None => email,
    };
    Sha256::digest(email.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A phone number as people write it: digits with spaces, `+`, `-` and brackets.
pub fn phone(errors: &mut FieldErrors, field: &str, value: Option<&str>) {
    if let Some(phone) = value
        && !phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')'))
    {
        errors.add(field, "use digits, spaces, +, -, ( and ) only");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_measured_in_characters() {
        let mut errors = FieldErrors::new();
        assert_eq!(text_field(&mut errors, "a", "  هنر  ", true, 3), "هنر");
        assert!(errors.is_empty());
        text_field(&mut errors, "b", "   ", true, 3);
        text_field(&mut errors, "c", "abcd", false, 3);
        assert_eq!(optional_text(&mut errors, "d", Some("  "), 3), None);
        email(&mut errors, "e", "not-an-address");
        email(&mut errors, "e2", "");
        phone(&mut errors, "f", Some("+46 (0) 70-123"));
        phone(&mut errors, "g", Some("call me"));
        assert_eq!(
            email_key(" Anna+shop@Example.ORG "),
            email_key("anna@example.org")
        );
        assert_ne!(email_key("anna@example.org"), email_key("anne@example.org"));
        assert_eq!(email_key("x").len(), 64);
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["b", "c", "e", "g"]);
    }
}
