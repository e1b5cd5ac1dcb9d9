//! How the NGO writes to artists: a sender's name and subject that tell an onlooker nothing.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldErrors;
use crate::validate::optional_line;

/// How every message to an artist presents itself. A phone in Kabul may be looked at by
/// anyone, at a checkpoint or at home: the sender's name and the subject say nothing of a
/// sale, money or where it comes from. Empty: "Messages", and the subject "A new message" in
/// the artist's language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtistMessages {
    /// The sender's name on emails to artists (the address stays MAIL_FROM's).
    #[schema(schema_with = crate::validate::schema::optional_neutral_line::<60>)]
    #[serde(default)]
    pub sender_name: Option<String>,
    /// The subject of every email to an artist. No number, no currency, and none of the
    /// words that give a message away (sold, sale, money, paid, payment, the shop's name).
    #[schema(schema_with = crate::validate::schema::optional_neutral_line::<80>)]
    #[serde(default)]
    pub subject: Option<String>,
}

/// Words a neutral subject or sender must not carry: they tell an onlooker what the message
/// is about.
const TELLING_WORDS: [&str; 10] = [
    "sold", "sale", "money", "paid", "payment", "hunar", "usd", "eur", "sek", "پول",
];

fn names_an_amount(text: &str) -> bool {
    text.chars().any(|c| {
        c.is_ascii_digit()
            || ('\u{6F0}'..='\u{6F9}').contains(&c)
            || ('\u{660}'..='\u{669}').contains(&c)
            || matches!(c, '$' | '€' | '£')
    })
}

impl ArtistMessages {
    pub const DEFAULT_SENDER: &str = "Messages";

    pub fn sender(&self) -> &str {
        self.sender_name.as_deref().unwrap_or(Self::DEFAULT_SENDER)
    }

    pub(super) fn validated(self) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let sender_name =
            optional_line(&mut errors, "sender_name", self.sender_name.as_deref(), 60);
        let subject = optional_line(&mut errors, "subject", self.subject.as_deref(), 80);
        for (field, value) in [("sender_name", &sender_name), ("subject", &subject)] {
            let lower = value.as_deref().unwrap_or("").to_lowercase();
            if let Some(word) = TELLING_WORDS.iter().find(|w| lower.contains(*w)) {
                errors.add(
                    field,
                    format!("must not say what the message is about (it says `{word}`)"),
                );
            } else if names_an_amount(&lower) {
                errors.add(field, "must not carry numbers or currency signs");
            }
        }
        errors.into_result()?;
        Ok(Self {
            sender_name,
            subject,
        })
    }
}
