//! The organisation's settings: its name and how buyers reach it, and its ways to be paid by
//! hand. What buyers read on every order page and email, kept by the coordinators here.
use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::Console;
use super::session::Posted;
use crate::organisation::{self, Contact, Method, Organisation, PaymentOption, SaveError};
use crate::web::console::forms::NoFields;

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ContactForm {
    name: String,
    email: String,
    whatsapp: String,
    phone: String,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct OptionForm {
    method: String,
    currency: String,
    account_holder: String,
    iban: String,
    bic: String,
    bank: String,
    account_number: String,
    swish_number: String,
    note_en: String,
    note_sv: String,
    note_fa: String,
}

fn blank_is_none(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_string())
}

impl OptionForm {
    fn of(o: &PaymentOption) -> Self {
        let note = |lang: &str| o.notes.get(lang).cloned().unwrap_or_default();
        Self {
            method: o.method.as_str().into(),
            currency: o.currency.clone().unwrap_or_default(),
            account_holder: o.account_holder.clone().unwrap_or_default(),
            iban: o.iban.clone().unwrap_or_default(),
            bic: o.bic.clone().unwrap_or_default(),
            bank: o.bank.clone().unwrap_or_default(),
            account_number: o.account_number.clone().unwrap_or_default(),
            swish_number: o.swish_number.clone().unwrap_or_default(),
            note_en: note("en"),
            note_sv: note("sv"),
            note_fa: note("fa"),
        }
    }

    /// The option as typed (`id` kept when editing). An unknown method is refused by name.
    fn option(&self, id: &str) -> Result<PaymentOption, BTreeMap<String, String>> {
        let method = Method::parse(&self.method).ok_or_else(|| {
            BTreeMap::from([("method".to_string(), "choose a way to pay".to_string())])
        })?;
        let notes = [
            ("en", &self.note_en),
            ("sv", &self.note_sv),
            ("fa", &self.note_fa),
        ]
        .into_iter()
        .filter_map(|(lang, note)| blank_is_none(note).map(|n| (lang.to_string(), n)))
        .collect();
        Ok(PaymentOption {
            id: id.to_string(),
            method,
            currency: blank_is_none(&self.currency).map(|c| c.to_uppercase()),
            account_holder: blank_is_none(&self.account_holder),
            iban: blank_is_none(&self.iban),
            bic: blank_is_none(&self.bic),
            bank: blank_is_none(&self.bank),
            account_number: blank_is_none(&self.account_number),
            swish_number: blank_is_none(&self.swish_number),
            notes,
        })
    }
}

/// The domain's field names (`contact.email`, `payment_options[2].iban`, `notes.sv`) as the
/// forms call them (`email`, `iban`, `note_sv`).
fn form_errors(err: &crate::error::FieldErrors) -> BTreeMap<String, String> {
    err.0
        .iter()
        .map(|e| {
            let field = e.field.rsplit(['.', ']']).next().unwrap_or(&e.field);
            let field = match e.field.as_str() {
                f if f.contains(".notes.") => format!("note_{field}"),
                f if f.ends_with(".notes") => "note_en".to_string(),
                _ => field.to_string(),
            };
            (field, e.message.clone())
        })
        .collect()
}

async fn saved_or_page(
    console: &Console,
    org: Organisation,
    done: &str,
    page: impl FnOnce(BTreeMap<String, String>) -> HttpResponse,
) -> HttpResponse {
    let state = &console.state;
    match organisation::save(&state.db, &console.identity.admin_id, org).await {
        Ok(_) => {
            if let Err(err) = state.organisation.refresh(&state.db).await {
                tracing::warn!(error = %err, "the organisation's settings could not be read again");
            }
            console.done("/admin/settings", done)
        }
        Err(SaveError::Invalid(errors)) => page(form_errors(&errors)),
        Err(SaveError::Db(err)) => console.failed(&err),
    }
}

fn settings_page(
    console: &Console,
    status: StatusCode,
    org: &Organisation,
    form: &ContactForm,
    errors: BTreeMap<String, String>,
) -> HttpResponse {
    console.render(
        status,
        "console/settings.html",
        context! { section => "settings", org => org, form => form, errors => errors },
    )
}

async fn kept(console: &Console) -> Result<Organisation, HttpResponse> {
    organisation::load(&console.state.db, &console.state.config.shop_name)
        .await
        .map_err(|err| console.failed(&err))
}

#[get("/admin/settings")]
pub async fn show(console: Console) -> HttpResponse {
    let org = match kept(&console).await {
        Ok(org) => org,
        Err(res) => return res,
    };
    let c = &org.contact;
    let form = ContactForm {
        name: c.name.clone(),
        email: c.email.clone().unwrap_or_default(),
        whatsapp: c.whatsapp.clone().unwrap_or_default(),
        phone: c.phone.clone().unwrap_or_default(),
    };
    settings_page(&console, StatusCode::OK, &org, &form, BTreeMap::new())
}

#[post("/admin/settings/contact")]
pub async fn save_contact(posted: Posted<ContactForm>) -> HttpResponse {
    let Posted { console, form } = posted;
    let mut org = match kept(&console).await {
        Ok(org) => org,
        Err(res) => return res,
    };
    let before = org.clone();
    org.contact = Contact {
        name: form.name.clone(),
        email: blank_is_none(&form.email),
        whatsapp: blank_is_none(&form.whatsapp),
        phone: blank_is_none(&form.phone),
    };
    saved_or_page(&console, org, "saved", |errors| {
        settings_page(
            &console,
            StatusCode::UNPROCESSABLE_ENTITY,
            &before,
            &form,
            errors,
        )
    })
    .await
}

fn option_page(
    console: &Console,
    status: StatusCode,
    id: Option<&str>,
    form: &OptionForm,
    errors: BTreeMap<String, String>,
) -> HttpResponse {
    console.render(
        status,
        "console/payment-option.html",
        context! {
            section => "settings", id => id, form => form, errors => errors,
            methods => Method::ALL.map(Method::as_str),
        },
    )
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ArtistMessagesForm {
    am_sender_name: String,
    am_subject: String,
}

/// The sender's name and subject of every message to an artist.
#[post("/admin/settings/artist-messages")]
pub async fn save_artist_messages(posted: Posted<ArtistMessagesForm>) -> HttpResponse {
    let Posted { console, form } = posted;
    let mut org = match kept(&console).await {
        Ok(org) => org,
        Err(res) => return res,
    };
    let before = org.clone();
    org.artist_messages = organisation::ArtistMessages {
        sender_name: blank_is_none(&form.am_sender_name),
        subject: blank_is_none(&form.am_subject),
    };
    let c = &before.contact;
    let contact = ContactForm {
        name: c.name.clone(),
        email: c.email.clone().unwrap_or_default(),
        whatsapp: c.whatsapp.clone().unwrap_or_default(),
        phone: c.phone.clone().unwrap_or_default(),
    };
    saved_or_page(&console, org, "saved", |errors| {
        let errors = errors
            .into_iter()
            .map(|(field, message)| {
                let field = field.trim_start_matches("artist_messages.").to_string();
                (format!("am_{field}"), message)
            })
            .collect();
        settings_page(
            &console,
            StatusCode::UNPROCESSABLE_ENTITY,
            &before,
            &contact,
            errors,
        )
    })
    .await
}

#[get("/admin/settings/payment-options/new")]
pub async fn new_option(console: Console) -> HttpResponse {
    let form = OptionForm {
        method: Method::BankTransfer.as_str().into(),
        ..OptionForm::default()
    };
    option_page(&console, StatusCode::OK, None, &form, BTreeMap::new())
}

#[get("/admin/settings/payment-options/{id}")]
pub async fn edit_option(console: Console, id: web::Path<String>) -> HttpResponse {
    let org = match kept(&console).await {
        Ok(org) => org,
        Err(res) => return res,
    };
    match org.payment_options.iter().find(|o| o.id == *id) {
        Some(option) => option_page(
            &console,
            StatusCode::OK,
            Some(&id),
            &OptionForm::of(option),
            BTreeMap::new(),
        ),
        None => console.not_found(),
    }
}

/// Adds a way to pay (`id` "new") or replaces one.
#[post("/admin/settings/payment-options/{id}")]
pub async fn save_option(posted: Posted<OptionForm>, id: web::Path<String>) -> HttpResponse {
    let Posted { console, form } = posted;
    let mut org = match kept(&console).await {
        Ok(org) => org,
        Err(res) => return res,
    };
    let editing = (id.as_str() != "new").then_some(id.as_str());
    let refused = |errors| {
        option_page(
            &console,
            StatusCode::UNPROCESSABLE_ENTITY,
            editing,
            &form,
            errors,
        )
    };
    let option = match form.option(editing.unwrap_or_default()) {
        Ok(option) => option,
        Err(errors) => return refused(errors),
    };
    match editing {
        Some(id) => match org.payment_options.iter_mut().find(|o| o.id == id) {
            Some(kept) => *kept = option,
            None => return console.not_found(),
        },
        None => org.payment_options.push(option),
    }
    saved_or_page(&console, org, "saved", refused).await
}

#[post("/admin/settings/payment-options/{id}/delete")]
pub async fn delete_option(posted: Posted<NoFields>, id: web::Path<String>) -> HttpResponse {
    let console = posted.console;
    let mut org = match kept(&console).await {
        Ok(org) => org,
        Err(res) => return res,
    };
    let before = org.payment_options.len();
    org.payment_options.retain(|o| o.id != *id);
    if org.payment_options.len() == before {
        return console.not_found();
    }
    saved_or_page(&console, org, "deleted", |_| {
        console.failed(&"a kept setting could not be saved again")
    })
    .await
}
