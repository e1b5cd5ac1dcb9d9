//! The NGO that runs the shop, as buyers meet it: its name and how to reach it (email,
//! WhatsApp, phone), and how to pay it by hand (bank transfer with account or IBAN, Swish,
//! cash through the coordinator), per currency, with a note in each language. Kept by the
//! coordinators in the console; shown on every shop page, order page and email.
use std::collections::BTreeMap;

use chrono::Utc;
use entity::organisation_setting;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldErrors;
use crate::validate::{self, line_field, optional_line};

const CONTACT: &str = "contact";
const PAYMENT_OPTIONS: &str = "payment_options";
const ARTIST_MESSAGES: &str = "artist_messages";

mod artist_messages;
pub use artist_messages::ArtistMessages;
/// The languages a note may be written in: those buyers order in.
pub const NOTE_LANGUAGES: [&str; 3] = ["en", "sv", "fa"];

/// How the NGO is reached. Every field may be empty but the name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// The organisation's name as buyers know it.
    #[schema(schema_with = crate::validate::schema::required_line::<120>)]
    pub name: String,
    #[schema(schema_with = crate::validate::schema::optional_email)]
    pub email: Option<String>,
    /// A WhatsApp number with its country code (`+46 70 123 45 67`).
    #[schema(schema_with = crate::validate::schema::optional_phone)]
    pub whatsapp: Option<String>,
    #[schema(schema_with = crate::validate::schema::optional_phone)]
    pub phone: Option<String>,
}

impl Contact {
    /// `https://wa.me/46701234567`: a link that opens a chat (no script, nothing loaded).
    pub fn whatsapp_url(&self) -> Option<String> {
        // A trunk prefix written as "(0)" is not dialled from abroad.
        let digits: String = self
            .whatsapp
            .as_deref()?
            .replace("(0)", "")
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        (digits.len() >= 7).then(|| format!("https://wa.me/{digits}"))
    }

    fn validated(self) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = line_field(&mut errors, "name", &self.name, true, 120);
        let email = optional_line(&mut errors, "email", self.email.as_deref(), 254);
        validate::email(&mut errors, "email", email.as_deref().unwrap_or(""));
        let whatsapp = optional_line(&mut errors, "whatsapp", self.whatsapp.as_deref(), 40);
        validate::phone(&mut errors, "whatsapp", whatsapp.as_deref());
        let phone = optional_line(&mut errors, "phone", self.phone.as_deref(), 40);
        validate::phone(&mut errors, "phone", phone.as_deref());
        errors.into_result()?;
        Ok(Self {
            name,
            email,
            whatsapp,
            phone,
        })
    }
}

/// A way to pay by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    BankTransfer,
    Swish,
    Cash,
    Other,
}

impl Method {
    pub const ALL: [Method; 4] = [Self::BankTransfer, Self::Swish, Self::Cash, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BankTransfer => "bank_transfer",
            Self::Swish => "swish",
            Self::Cash => "cash",
            Self::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }
}

/// One way to pay, for one currency (or any): what a buyer needs to actually send money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentOption {
    /// Stable while the option is kept; made by the server.
    #[serde(default)]
    pub id: String,
    pub method: Method,
    /// The orders it is for (ISO 4217); null for every currency.
    #[schema(value_type = Option<crate::money::wire::CurrencyCode>)]
    pub currency: Option<String>,
    #[schema(schema_with = crate::validate::schema::optional_line::<120>)]
    pub account_holder: Option<String>,
    #[schema(schema_with = crate::validate::schema::optional_line::<60>)]
    pub iban: Option<String>,
    #[schema(schema_with = crate::validate::schema::optional_line::<20>)]
    pub bic: Option<String>,
    #[schema(schema_with = crate::validate::schema::optional_line::<120>)]
    pub bank: Option<String>,
    /// A national account number (with its clearing number) where there is no IBAN.
    #[schema(schema_with = crate::validate::schema::optional_line::<60>)]
    pub account_number: Option<String>,
    #[schema(schema_with = crate::validate::schema::optional_line::<30>)]
    pub swish_number: Option<String>,
    /// What to do, in each language (`en`, `sv`, `fa`): e.g. where to meet the coordinator.
    #[serde(default)]
    #[schema(schema_with = notes_schema)]
    pub notes: BTreeMap<String, String>,
}

/// `notes`: a text of up to 1,000 characters for each of `NOTE_LANGUAGES`, nothing else.
fn notes_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::{ObjectBuilder, Type, schema::SchemaType};
    NOTE_LANGUAGES
        .iter()
        .fold(
            ObjectBuilder::new().schema_type(SchemaType::Type(Type::Object)),
            |object, language| {
                object.property(
                    *language,
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Type(Type::String))
                        .max_length(Some(1000))
                        .pattern(Some(crate::validate::schema::NO_NUL)),
                )
            },
        )
        .additional_properties(Some(
            utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
        ))
        .build()
}

impl PaymentOption {
    /// The note in `language`, else in English, else the first written.
    pub fn note(&self, language: &str) -> Option<(&str, &str)> {
        self.notes
            .get_key_value(language)
            .or_else(|| self.notes.get_key_value("en"))
            .or_else(|| self.notes.iter().next())
            .map(|(lang, note)| (lang.as_str(), note.as_str()))
    }

    pub fn applies_to(&self, currency: &str) -> bool {
        self.currency.as_deref().is_none_or(|c| c == currency)
    }

    fn validated(mut self, at: usize) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let field = |name: &str| format!("payment_options[{at}].{name}");
        let mut line = |name: &str, value: Option<&str>, max: usize| {
            optional_line(&mut errors, &field(name), value, max)
        };
        let account_holder = line("account_holder", self.account_holder.as_deref(), 120);
        let iban = line("iban", self.iban.as_deref(), 60);
        let bic = line("bic", self.bic.as_deref(), 20);
        let bank = line("bank", self.bank.as_deref(), 120);
        let account_number = line("account_number", self.account_number.as_deref(), 60);
        let swish_number = line("swish_number", self.swish_number.as_deref(), 30);
        if let Some(code) = &self.currency
            && crate::money::Currency::parse(code).is_err()
        {
            errors.add(
                field("currency"),
                "not a currency with a minor unit (ISO 4217)",
            );
        }
        let needed = match self.method {
            Method::BankTransfer => iban.is_some() || account_number.is_some(),
            Method::Swish => swish_number.is_some(),
            Method::Cash | Method::Other => true,
        };
        if !needed {
            let what = match self.method {
                Method::Swish => "a Swish number",
                _ => "an IBAN or an account number",
            };
            errors.add(
                field("method"),
                format!("a buyer needs {what} to pay this way"),
            );
        }
        let mut notes = BTreeMap::new();
        for (language, note) in std::mem::take(&mut self.notes) {
            if !NOTE_LANGUAGES.contains(&language.as_str()) {
                errors.add(
                    field("notes"),
                    format!("`{language}`: expected en, sv or fa"),
                );
                continue;
            }
            let note = validate::text_field(
                &mut errors,
                &field(&format!("notes.{language}")),
                &note,
                false,
                1000,
            );
            if !note.is_empty() {
                notes.insert(language, note);
            }
        }
        if matches!(self.method, Method::Cash | Method::Other) && notes.is_empty() {
            errors.add(
                field("notes"),
                "say how to pay this way, in at least one language",
            );
        }
        errors.into_result()?;
        let id = if self.id.trim().is_empty() {
            crate::db::new_id()
        } else {
            self.id.trim().to_string()
        };
        Ok(Self {
            id,
            method: self.method,
            currency: self.currency,
            account_holder,
            iban: iban.map(|i| i.to_uppercase()),
            bic: bic.map(|b| b.to_uppercase()),
            bank,
            account_number,
            swish_number,
            notes,
        })
    }
}

/// Everything a buyer needs from the NGO, and how it writes to artists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    pub contact: Contact,
    pub payment_options: Vec<PaymentOption>,
    #[serde(default, deserialize_with = "object_only")]
    pub artist_messages: ArtistMessages,
}

/// A JSON object and nothing else: serde would also fill a struct from an array of its
/// fields in order, which the API's schema does not allow.
fn object_only<'de, D, T>(de: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error;
    let map = serde_json::Map::<String, serde_json::Value>::deserialize(de)?;
    T::deserialize(serde_json::Value::Object(map)).map_err(D::Error::custom)
}

impl Organisation {
    /// The ways to pay an order in `currency`, in the order the coordinators put them.
    pub fn options_for(&self, currency: &str) -> Vec<&PaymentOption> {
        self.payment_options
            .iter()
            .filter(|o| o.applies_to(currency))
            .collect()
    }

    fn validated(self) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let contact = errors.check_fields(self.contact.validated().map_err(|e| {
            FieldErrors(
                e.0.into_iter()
                    .map(|mut f| {
                        f.field = format!("contact.{}", f.field);
                        f
                    })
                    .collect(),
            )
        }));
        if self.payment_options.len() > 20 {
            errors.add("payment_options", "at most 20 ways to pay");
        }
        let options: Vec<Option<PaymentOption>> = self
            .payment_options
            .into_iter()
            .enumerate()
            .map(|(at, option)| errors.check_fields(option.validated(at)))
            .collect();
        let artist_messages = errors.check_fields(self.artist_messages.validated().map_err(|e| {
            FieldErrors(
                e.0.into_iter()
                    .map(|mut f| {
                        f.field = format!("artist_messages.{}", f.field);
                        f
                    })
                    .collect(),
            )
        }));
        errors.into_result()?;
        Ok(Self {
            contact: contact.unwrap_or_default(),
            payment_options: options.into_iter().flatten().collect(),
            artist_messages: artist_messages.unwrap_or_default(),
        })
    }
}

/// What the shop shows before a coordinator wrote anything: the name the server was given.
fn fallback(name: &str) -> Organisation {
    Organisation {
        contact: Contact {
            name: name.to_string(),
            ..Contact::default()
        },
        payment_options: Vec::new(),
        artist_messages: ArtistMessages::default(),
    }
}

/// The organisation as kept (or the fallback named `default_name`).
pub async fn load(conn: &impl ConnectionTrait, default_name: &str) -> Result<Organisation, DbErr> {
    let rows = organisation_setting::Entity::find().all(conn).await?;
    let mut org = fallback(default_name);
    for row in rows {
        match row.name.as_str() {
            CONTACT => {
                if let Ok(contact) = serde_json::from_str(&row.value) {
                    org.contact = contact;
                }
            }
            PAYMENT_OPTIONS => {
                if let Ok(options) = serde_json::from_str(&row.value) {
                    org.payment_options = options;
                }
            }
            ARTIST_MESSAGES => {
                if let Ok(messages) = serde_json::from_str(&row.value) {
                    org.artist_messages = messages;
                }
            }
            _ => {}
        }
    }
    Ok(org)
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error(transparent)]
    Invalid(#[from] FieldErrors),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Replaces the organisation's settings, with an audit record naming what changed.
pub async fn save(
    db: &sea_orm::DatabaseConnection,
    admin_id: &str,
    org: Organisation,
) -> Result<Organisation, SaveError> {
    let org = org.validated()?;
    let txn = crate::db::begin_write(db).await?;
    let changed = store(&txn, admin_id, &org).await?;
    crate::audit::record(
        &txn,
        admin_id,
        "organisation.update",
        "organisation",
        "",
        &changed,
    )
    .await?;
    txn.commit().await?;
    Ok(org)
}

/// The demo's invented organisation, written by the seed on an empty database.
pub async fn seed(conn: &impl ConnectionTrait, org: Organisation) -> Result<(), SaveError> {
    let org = org.validated()?;
    store(conn, "seed", &org).await?;
    Ok(())
}

/// Writes both settings; returns the names of those that changed.
async fn store(
    txn: &impl ConnectionTrait,
    by: &str,
    org: &Organisation,
) -> Result<Vec<&'static str>, DbErr> {
    let now = Utc::now();
    let before = load(txn, "").await?;
    let mut changed = Vec::new();
    for (name, value, differs) in [
        (
            CONTACT,
            serde_json::to_string(&org.contact),
            before.contact != org.contact,
        ),
        (
            PAYMENT_OPTIONS,
            serde_json::to_string(&org.payment_options),
            before.payment_options != org.payment_options,
        ),
        (
            ARTIST_MESSAGES,
            serde_json::to_string(&org.artist_messages),
            before.artist_messages != org.artist_messages,
        ),
    ] {
        let value = value.map_err(|e| DbErr::Custom(e.to_string()))?;
        organisation_setting::Entity::insert(organisation_setting::ActiveModel {
            name: Set(name.to_string()),
            value: Set(value),
            updated_at: Set(now),
            updated_by: Set(by.to_string()),
        })
        .on_conflict(
            OnConflict::column(organisation_setting::Column::Name)
                .update_columns([
                    organisation_setting::Column::Value,
                    organisation_setting::Column::UpdatedAt,
                    organisation_setting::Column::UpdatedBy,
                ])
                .to_owned(),
        )
        .exec(txn)
        .await?;
        if differs {
            changed.push(name);
        }
    }
    Ok(changed)
}

/// The organisation as every page shows it (footer, order pages): read from the database at
/// start, after every save in this process, and every 10 seconds (another process's save).
#[derive(Clone)]
pub struct Kept {
    current: std::sync::Arc<std::sync::RwLock<std::sync::Arc<Organisation>>>,
    default_name: String,
}

impl Kept {
    pub async fn load(db: &sea_orm::DatabaseConnection, default_name: &str) -> Result<Self, DbErr> {
        let org = load(db, default_name).await?;
        Ok(Self {
            current: std::sync::Arc::new(std::sync::RwLock::new(std::sync::Arc::new(org))),
            default_name: default_name.to_string(),
        })
    }

    pub fn get(&self) -> std::sync::Arc<Organisation> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub async fn refresh(&self, db: &sea_orm::DatabaseConnection) -> Result<(), DbErr> {
        let org = load(db, &self.default_name).await?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = std::sync::Arc::new(org);
        Ok(())
    }

    pub fn spawn_refresh(&self, db: sea_orm::DatabaseConnection) {
        let kept = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(10)).await;
                if let Err(err) = kept.refresh(&db).await {
                    tracing::warn!(error = %err, "the organisation's settings could not be read");
                }
            }
        });
    }
}

impl From<SaveError> for crate::error::DomainError {
    fn from(err: SaveError) -> Self {
        match err {
            SaveError::Invalid(errors) => crate::error::DomainError::Validation(errors),
            SaveError::Db(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bank() -> PaymentOption {
        PaymentOption {
            id: String::new(),
            method: Method::BankTransfer,
            currency: Some("SEK".into()),
            account_holder: Some("Föreningen Hunar".into()),
            iban: Some("se45 5000 0000 0583 9825 7466".into()),
            bic: Some("eseessess".into()),
            bank: None,
            account_number: None,
            swish_number: None,
            notes: BTreeMap::new(),
        }
    }

    #[test]
    fn a_way_to_pay_needs_what_a_buyer_needs_to_use_it() {
        let ok = bank().validated(0).expect("valid");
        assert_eq!(ok.iban.as_deref(), Some("SE45 5000 0000 0583 9825 7466"));
        assert!(!ok.id.is_empty());
        let mut swish = bank();
        swish.method = Method::Swish;
        let errors = swish.validated(1).expect_err("no number");
        assert_eq!(errors.0[0].field, "payment_options[1].method");
        let mut cash = bank();
        cash.method = Method::Cash;
        assert!(cash.clone().validated(0).is_err(), "cash needs a note");
        cash.notes
            .insert("sv".into(), "Betala kontant till samordnaren.".into());
        cash.notes.insert("xx".into(), "?".into());
        assert!(cash.validated(0).is_err(), "unknown language");
    }

    #[test]
    fn a_note_falls_back_to_english_then_to_any() {
        let mut option = bank();
        option.notes.insert("fa".into(), "یادداشت".into());
        assert_eq!(option.note("sv"), Some(("fa", "یادداشت")));
        option.notes.insert("en".into(), "Note".into());
        assert_eq!(option.note("sv"), Some(("en", "Note")));
        assert_eq!(option.note("fa"), Some(("fa", "یادداشت")));
    }

    #[test]
    fn whatsapp_is_a_link_made_of_the_numbers_digits() {
        let contact = Contact {
            name: "Hunar".into(),
            whatsapp: Some("+46 (0)70-123 45 67".into()),
            ..Contact::default()
        };
        assert_eq!(
            contact.whatsapp_url().as_deref(),
            Some("https://wa.me/46701234567")
        );
    }
}
