//! The artist hears of every payout recorded for them, in their language: that something was
//! sent and how. The amount and the code or reference to collect it are on their own page,
//! never in a message a stranger could read on their phone. Written with the payout.
use entity::{artist, ledger_entry};
use minijinja::context;
use sea_orm::{ConnectionTrait, DbErr};

use super::MailSettings;
use super::artist_messages::ArtistLetter;
use super::outbox;
use super::render::render;
use crate::vault::Open;

fn method_words(method: &str, language: &str) -> &'static str {
    match (method, language) {
        ("bank_transfer", "fa") => "انتقال بانکی",
        ("hawala", "fa") => "حواله",
        ("remittance", "fa") => "انتقال پول (وسترن یونیون و مانند آن)",
        ("cash", "fa") => "پول نقد",
        (_, "fa") => "راه دیگر",
        ("bank_transfer", "ps") => "بانکي حواله",
        ("hawala", "ps") => "حواله",
        ("remittance", "ps") => "د پیسو لېږد (وسټرن یونین او داسې نور)",
        ("cash", "ps") => "نغدې",
        (_, "ps") => "بله لاره",
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
    let language = a.preferred_language.as_str();
    let org = crate::organisation::load(conn, &mail.shop_name).await?;
    let for_artist = super::order_emails::artist_context(conn, mail, &org, a).await?;
    let page_link = for_artist
        .get_attr("page_link")
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let ctx = context! {
        artist_name => &a.display_name,
        method => method_words(payout.method.as_deref().unwrap_or("other"), language),
        paid_on => payout.paid_on.map(|d| d.format("%Y-%m-%d").to_string()),
        ..for_artist
    };
    let email = match a.email.open()? {
        Some(_) => Some(
            render("payout_recorded_artist", language, ctx)
                .map_err(|e| DbErr::Custom(format!("rendering payout_recorded_artist: {e}")))?,
        ),
        None => None,
    };
    let letter = ArtistLetter {
        kind: "payout_recorded_artist",
        dedupe_key: format!("payout:{}:artist", payout.id),
        order_id: None,
        title: None,
        page_link: &page_link,
        email,
    };
    for row in super::artist_messages::rows(mail, a, letter)? {
        outbox::insert(conn, mail, row).await?;
    }
    Ok(())
}
