//! How a message reaches an artist: by email, by WhatsApp, or both, as the coordinator set
//! (`notify_by`). On WhatsApp alone the email is still written, held back, and goes out only
//! if the WhatsApp message fails for good; without WhatsApp configured, the email goes out at
//! once and the WhatsApp row says why it did not.
use entity::{artist, outbox};
use sea_orm::ActiveValue::Set;
use sea_orm::DbErr;

use super::MailSettings;
use super::outbox::{self as queue, NewEmail};
use super::render::Rendered;
use super::whatsapp::{self, TemplateMessage};
use crate::vault::Open;

/// One message to an artist, before it is split into channels.
pub struct ArtistLetter<'a> {
    pub kind: &'a str,
    /// Unique per event; the WhatsApp row adds `:whatsapp`.
    pub dedupe_key: String,
    pub order_id: Option<&'a str>,
    /// The painting the message is about, when it is about one.
    pub title: Option<&'a str>,
    pub page_link: &'a str,
    /// The email, rendered; none when the artist has no address.
    pub email: Option<Rendered>,
}

/// The outbox rows for `letter` to `a`.
pub fn rows(
    mail: &MailSettings,
    a: &artist::Model,
    letter: ArtistLetter<'_>,
) -> Result<Vec<outbox::ActiveModel>, DbErr> {
    let email_row = |rendered: Rendered, address: &str| {
        queue::row(
            &mail.vault,
            NewEmail {
                dedupe_key: letter.dedupe_key.clone(),
                order_id: letter.order_id,
                kind: letter.kind,
                recipient: address,
                role: "artist",
                rendered,
            },
        )
    };
    let address = a.email.open()?;
    let email = letter.email.clone().zip(address.as_deref());
    let number = a.phone.open()?.as_deref().and_then(whatsapp::wa_number);
    let by_whatsapp = matches!(a.notify_by.as_str(), "whatsapp" | "both");
    let Some(number) = number.filter(|_| by_whatsapp) else {
        return Ok(email.map(|(r, to)| email_row(r, to)).into_iter().collect());
    };
    let template = whatsapp::template_name(letter.kind, a.plain_messages);
    let message = TemplateMessage {
        name: template.to_string(),
        language: whatsapp::language_code(&a.preferred_language).to_string(),
        parameters: whatsapp::parameters(template, letter.title, letter.page_link),
    };
    let mut wa = whatsapp::row(
        &mail.vault,
        format!("{}:whatsapp", letter.dedupe_key),
        letter.order_id,
        letter.kind,
        &number,
        &a.preferred_language,
        &message,
    );
    let wa_id = match &wa.id {
        Set(id) => id.clone(),
        _ => String::new(),
    };
    let mut rows = Vec::with_capacity(2);
    if !mail.whatsapp_configured {
        let why = if email.is_some() {
            "WhatsApp is not configured on this server (WHATSAPP_PHONE_NUMBER_ID); sent by email instead"
        } else {
            "WhatsApp is not configured on this server (WHATSAPP_PHONE_NUMBER_ID), and the artist has no email"
        };
        wa.status = Set(queue::FAILED.into());
        wa.last_error = Set(Some(mail.vault.seal(why)));
        rows.push(wa);
        rows.extend(email.map(|(r, to)| email_row(r, to)));
        return Ok(rows);
    }
    rows.push(wa);
    if let Some((rendered, to)) = email {
        let mut row = email_row(rendered, to);
        if a.notify_by == "whatsapp" {
            row.status = Set(queue::HELD.into());
            row.fallback_for = Set(Some(wa_id));
        }
        rows.push(row);
    }
    Ok(rows)
}
