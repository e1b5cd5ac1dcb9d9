//! Which emails an order change calls for, to whom, in which language. Called inside the
//! transaction that makes the change, so the emails exist exactly when the change does.
use crate::vault::Open;
use entity::{artist, order};
use minijinja::{Value, context};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use super::MailSettings;
use super::artist_messages::ArtistLetter;
use super::outbox::{self, NewEmail};
use super::render::render;
use crate::orders::reference;
use crate::orders::state::{OrderStatus, Transitioned};
use crate::organisation::Organisation;

/// The organisation's name and how to reach it, as the last lines of a buyer's email, in
/// their language.
fn contact_line(org: &Organisation, language: &str) -> String {
    let ctx = context! {
        name => &org.contact.name,
        email => &org.contact.email,
        whatsapp => org.contact.whatsapp_url(),
        phone => &org.contact.phone,
    };
    super::render::render_text("contact", language, ctx)
        .unwrap_or_else(|_| org.contact.name.clone())
}

fn base_context(
    mail: &MailSettings,
    org: &Organisation,
    o: &order::Model,
    a: Option<&artist::Model>,
) -> Result<Value, DbErr> {
    Ok(context! {
        shop_name => &org.contact.name,
        contact_line => contact_line(org, &o.language),
        expires_local => super::render::local_time(o.expires_at, o.time_zone.as_deref()),
        reference => reference(&o.id),
        title => &o.artwork_title,
        artist_name => &o.artist_name,
        artist_email => a.map(|a| a.email.open()).transpose()?.flatten(),
        artist_phone => a.map(|a| a.phone.open()).transpose()?.flatten(),
        artist_language => a.map(|a| a.preferred_language.clone()).unwrap_or_else(|| "en".into()),
        tier_name => &o.tier_name,
        amount => crate::money::stored_amount(o.amount_minor, &o.currency).to_string(),
        currency => &o.currency,
        zone => &o.zone_name,
        payment_method => &o.payment_method,
        payment_reference => &o.payment_reference,
        buyer_name => o.buyer_name.open()?,
        buyer_email => o.buyer_email.open()?,
        buyer_phone => o.buyer_phone.open()?,
        line1 => o.ship_line1.open()?,
        line2 => o.ship_line2.open()?,
        city => o.ship_city.open()?,
        postal_code => o.ship_postal_code.open()?,
        region => o.ship_region.open()?,
        country => &o.ship_country,
        country_name => crate::country::name(&o.ship_country, "en"),
        note => o.note.open()?,
        carrier => &o.carrier,
        tracking_number => &o.tracking_number,
        tracking_link => o
            .carrier
            .as_deref()
            .zip(o.tracking_number.as_deref())
            .and_then(|(carrier, number)| crate::orders::carriers::tracking_url(carrier, number)),
        expires => o.expires_at.format("%Y-%m-%d").to_string(),
        status => &o.status,
        admin_link => mail.admin_order_url.replace("{id}", &o.id),
    })
}

/// What every message to an artist adds: the link to their own page (made if they have
/// none), whether they asked for plainer messages, and the neutral sender and subject.
pub(crate) async fn artist_context(
    conn: &impl ConnectionTrait,
    mail: &MailSettings,
    org: &Organisation,
    a: &artist::Model,
) -> Result<Value, DbErr> {
    let link =
        crate::artist_page::link::current(conn, &mail.tokens, &mail.public_base_url, &a.id).await?;
    Ok(context! {
        page_link => link.url,
        plain => a.plain_messages,
        artist_subject => artist_subject(org, &a.preferred_language),
        artist_sender => org.artist_messages.sender(),
    })
}

/// The subject of every message to an artist: the NGO's, else "A new message" in their
/// language. Never a word about a sale, money or an amount.
pub fn artist_subject(org: &Organisation, language: &str) -> String {
    if let Some(subject) = &org.artist_messages.subject {
        return subject.clone();
    }
    match language {
        "fa" => "پیام تازه",
        "ps" => "نوی پیغام",
        _ => "A new message",
    }
    .to_string()
}

enum To<'a> {
    Buyer,
    Artist(&'a artist::Model),
    Coordinator,
}

/// The outbox rows for one order event: each `(template, recipient)` rendered from one
/// context, skipping recipients with no address (an artist without email, no coordinator).
fn compose(
    mail: &MailSettings,
    o: &order::Model,
    event: &str,
    ctx: &Value,
    letters: Vec<(&str, To<'_>)>,
) -> Result<Vec<entity::outbox::ActiveModel>, DbErr> {
    let mut rows = Vec::with_capacity(letters.len());
    for (kind, to) in letters {
        let (recipient, role, language) = match &to {
            // An erased buyer is not written to again, and no email names them.
            To::Buyer if o.buyer_erased_at.is_some() => continue,
            To::Buyer => (Some(o.buyer_email.open()?), "buyer", o.language.clone()),
            To::Artist(a) => (a.email.open()?, "artist", a.preferred_language.clone()),
            To::Coordinator => (mail.coordinator.clone(), "coordinator", "en".to_string()),
        };
        // The destination named in the reader's language ("Sverige" in a Swedish email).
        let ctx = context! {
            country_name => crate::country::name(&o.ship_country, &language),
            ..ctx.clone()
        };
        let render_it = || {
            render(kind, &language, ctx.clone())
                .map_err(|e| DbErr::Custom(format!("rendering {kind}: {e}")))
        };
        if let To::Artist(a) = &to {
            // Email, WhatsApp or both, as the artist is told.
            let page_link = ctx
                .get_attr("page_link")
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let letter = ArtistLetter {
                kind,
                dedupe_key: format!("order:{}:{event}:{role}", o.id),
                order_id: Some(&o.id),
                title: Some(&o.artwork_title),
                page_link: &page_link,
                email: recipient.as_ref().map(|_| render_it()).transpose()?,
            };
            rows.extend(super::artist_messages::rows(mail, a, letter)?);
            continue;
        }
        let Some(recipient) = recipient else {
            continue;
        };
        let rendered = render_it()?;
        rows.push(outbox::row(
            &mail.vault,
            NewEmail {
                dedupe_key: format!("order:{}:{event}:{role}", o.id),
                order_id: Some(&o.id),
                kind,
                recipient: &recipient,
                role,
                rendered,
            },
        ));
    }
    Ok(rows)
}

/// What a sale brings its artist, as the ledger books it in the same transaction: the price,
/// the NGO's agreed share, and the part that is the artist's before shipping is entered.
async fn sale_breakdown(
    conn: &impl ConnectionTrait,
    o: &order::Model,
) -> Result<minijinja::Value, DbErr> {
    use crate::ledger::{entries::share_of, terms};
    let share_bp = terms::of(conn, &o.artist_id).await?.ngo_share_bp;
    let share = share_of(o.amount_minor, share_bp);
    let money = |minor: i64| {
        format!(
            "{} {}",
            crate::money::stored_amount(minor, &o.currency),
            o.currency
        )
    };
    Ok(context! {
        price => money(o.amount_minor),
        share_percent => terms::percent(share_bp).to_string(),
        share => money(share),
        part => money(o.amount_minor - share),
    })
}

async fn artist_of(
    conn: &impl ConnectionTrait,
    o: &order::Model,
) -> Result<Option<artist::Model>, DbErr> {
    artist::Entity::find_by_id(o.artist_id.clone())
        .one(conn)
        .await
}

/// A manual-payment order was placed: instructions to the buyer (with their private link),
/// a heads-up to the coordinator. Rendered before the order is written and written with it,
/// so the write holds its locks for no longer than the writing.
///
/// `full_hold`: the hold is short until the buyer confirms their address; the email carries
/// the link that does, and says until when the painting is held then.
pub fn on_placed(
    mail: &MailSettings,
    org: &Organisation,
    o: &order::Model,
    artist: Option<&artist::Model>,
    instructions: &str,
    full_hold: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Vec<entity::outbox::ActiveModel>, DbErr> {
    let order_link = mail.order_link(&o.id);
    let tz = o.time_zone.as_deref();
    let ctx = context! { ..base_context(mail, org, o, artist)?, ..context! {
        order_link => order_link, instructions => instructions,
        confirm_link => full_hold.map(|_| mail.confirm_link(&o.id)),
        confirm_hours => (o.expires_at - o.created_at).num_hours().max(1),
        pay_by => super::render::local_time(full_hold.unwrap_or(o.expires_at), tz),
    }};
    compose(
        mail,
        o,
        "placed",
        &ctx,
        vec![
            ("order_placed_buyer", To::Buyer),
            ("order_placed_coordinator", To::Coordinator),
        ],
    )
}

/// The one email of an order that waits for its buyer's confirmation: the link that makes
/// it hold the painting. Nothing to the coordinator yet (nothing is held, nothing to pay);
/// confirming sends what `on_placed` sends.
pub fn on_waiting(
    mail: &MailSettings,
    org: &Organisation,
    o: &order::Model,
    artist: Option<&artist::Model>,
    hold: chrono::Duration,
) -> Result<Vec<entity::outbox::ActiveModel>, DbErr> {
    let ctx = context! { ..base_context(mail, org, o, artist)?, ..context! {
        order_link => mail.order_link(&o.id),
        confirm_link => mail.confirm_link(&o.id),
        confirm_hours => (o.expires_at - o.created_at).num_hours().max(1),
        hold_days => hold.num_days().max(1),
    }};
    compose(
        mail,
        o,
        "waiting",
        &ctx,
        vec![("order_waiting_buyer", To::Buyer)],
    )
}

/// The emails that follow a status change, written in the transaction that made it (so
/// they exist exactly when the change does). A quiet change calls for none.
pub async fn on_transition(
    conn: &impl ConnectionTrait,
    mail: &MailSettings,
    change: &Transitioned,
) -> Result<(), DbErr> {
    if !change.notify {
        return Ok(());
    }
    let (o, to, reason) = (&change.order, change.to, change.reason.as_deref());
    let artist = artist_of(conn, o).await?;
    let org = crate::organisation::load(conn, &mail.shop_name).await?;
    let status_word = match to {
        OrderStatus::Expired => "expired",
        OrderStatus::Refunded => "refunded",
        _ => "cancelled",
    };
    let sale = match to {
        OrderStatus::Paid => Some(sale_breakdown(conn, o).await?),
        _ => None,
    };
    let for_artist = match (&artist, to) {
        (Some(a), OrderStatus::Paid | OrderStatus::Shipped) => {
            Some(artist_context(conn, mail, &org, a).await?)
        }
        _ => None,
    };
    let ctx = context! { ..base_context(mail, &org, o, artist.as_ref())?, ..context! {
        reason => reason, status_word => status_word, order_link => mail.order_link(&o.id),
        sale => sale,
    }};
    let ctx = match for_artist {
        Some(extra) => context! { ..extra, ..ctx },
        None => ctx,
    };
    let to_artist = |kind| artist.as_ref().map(|a| (kind, To::Artist(a)));
    let letters: Vec<(&str, To<'_>)> = match to {
        OrderStatus::Paid => to_artist("order_paid_artist")
            .into_iter()
            .chain([
                ("order_paid_coordinator", To::Coordinator),
                ("order_paid_buyer", To::Buyer),
            ])
            .collect(),
        OrderStatus::Shipped => std::iter::once(("order_shipped_buyer", To::Buyer))
            .chain(to_artist("order_shipped_artist"))
            .collect(),
        OrderStatus::Cancelled | OrderStatus::Refunded | OrderStatus::Expired => vec![
            ("order_closed_buyer", To::Buyer),
            ("order_closed_coordinator", To::Coordinator),
        ],
        OrderStatus::Delivered => vec![("order_delivered_buyer", To::Buyer)],
        // Confirming a waiting order sends its first emails itself (`holds::confirm`).
        OrderStatus::PendingPayment | OrderStatus::AwaitingConfirmation => Vec::new(),
    };
    for row in compose(mail, o, to.as_str(), &ctx, letters)? {
        outbox::insert(conn, mail, row).await?;
    }
    Ok(())
}

/// One letter about `o` outside a status change, written in the caller's transaction.
async fn one_letter(
    conn: &impl ConnectionTrait,
    mail: &MailSettings,
    o: &order::Model,
    event: &str,
    letter: (&str, To<'_>),
) -> Result<(), DbErr> {
    let artist = artist_of(conn, o).await?;
    let org = crate::organisation::load(conn, &mail.shop_name).await?;
    let ctx = context! { ..base_context(mail, &org, o, artist.as_ref())?, ..context! {
        order_link => mail.order_link(&o.id),
    }};
    for row in compose(mail, o, event, &ctx, vec![letter])? {
        outbox::insert(conn, mail, row).await?;
    }
    Ok(())
}

/// The buyer said they paid: the coordinator is told which order, with its link.
pub async fn on_paid_claimed(
    conn: &impl ConnectionTrait,
    mail: &MailSettings,
    o: &order::Model,
) -> Result<(), DbErr> {
    let letter = ("order_paid_claimed_coordinator", To::Coordinator);
    one_letter(conn, mail, o, "paid_claimed", letter).await
}

/// A day before a manual order's hold ends: the buyer is reminded, in their language, with
/// how to pay and the one deadline.
pub async fn on_hold_ending(
    conn: &impl ConnectionTrait,
    mail: &MailSettings,
    o: &order::Model,
) -> Result<(), DbErr> {
    one_letter(
        conn,
        mail,
        o,
        "hold_ending",
        ("order_hold_ending_buyer", To::Buyer),
    )
    .await
}
