//! The artist hears of every payout recorded for them, in their language: the amount, how
//! it was sent and its reference, so they can collect it. Written with the payout.
use entity::{artist, ledger_entry};
use minijinja::context;
use sea_orm::{ConnectionTrait, DbErr};

use super::MailSettings;
use super::outbox::{self, NewEmail};
use super::render::render;
use crate::money::stored_amount;
use crate::vault::Open;

fn method_words(method: &str, language: &str) -> &'static str {
    match (method, language) {
        ("bank_transfer", "fa") => "حوالهٔ بانکی",
        ("hawala", "fa") => "حواله",
        ("remittance", "fa") => "انتقال پول (وسترن یونیون و مانند آن)",
        ("cash", "fa") => "پول نقد",
        (_, "fa") => "راه دیگر",
        ("bank_transfer", _) => "bank transfer",
        ("hawala", _) => "hawala",
        ("remittance", _) => "money transfer service (Western Union or similar)",
        ("cash", _) => "cash",
        _ => "another way",
    }
}

pub async fn on_payout(
    conn: &impl ConnectionTrait,
    mail: &MailSettings,
    a: &artist::Model,
    payout: &ledger_entry::Model,
) -> Result<(), DbErr> {
    let Some(recipient) = a.email.open()? else {
        return Ok(());
    };
    let language = a.preferred_language.as_str();
    let amount = stored_amount(-payout.amount_minor, &payout.currency);
    let paid = payout
        .paid_amount_minor
        .zip(payout.paid_currency.as_deref())
        .map(|(minor, currency)| format!("{} {currency}", stored_amount(minor, currency)));
    let ctx = context! {
        artist_name => &a.display_name,
        amount => format!("{amount} {}", payout.currency),
        paid_amount => paid,
        method => method_words(payout.method.as_deref().unwrap_or("other"), language),
        reference => &payout.reference,
        paid_on => payout.paid_on.map(|d| d.format("%Y-%m-%d").to_string()),
    };
    let rendered = render("payout_recorded_artist", language, ctx)
        .map_err(|e| DbErr::Custom(format!("rendering payout_recorded_artist: {e}")))?;
    let row = outbox::row(
        &mail.vault,
        NewEmail {
            dedupe_key: format!("payout:{}:artist", payout.id),
            order_id: None,
            kind: "payout_recorded_artist",
            recipient: &recipient,
            role: "artist",
            rendered,
        },
    );
    outbox::insert(conn, mail, row).await
}
