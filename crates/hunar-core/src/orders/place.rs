//! Placing an order: the request and its validation, then one read, one prepared write that
//! takes the painting, and (for a card) Stripe's checkout page.
use chrono::{DateTime, Utc};
use entity::{artwork, order};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use utoipa::ToSchema;

use super::OrderError;
use super::draft;
use super::holds::{self, Holder, Slots};
use super::idempotency::{self, KeptAnswer};
use super::precheck::{self, PriceSnapshot};
use super::reservation::{Reservation, Row, Written};
use super::state::{self, Actor};
use super::turns::{Outcome, Turn, Turns};
use super::views::{OrderSummary, manual_instructions, summary};
use crate::auth::token;
use crate::catalog::{ArtworkStatus, pricing};
use crate::client::Client;
use crate::config::Config;
use crate::db;
use crate::error::{FieldErrors, Rule};
use crate::notifications::{MailSettings, order_emails, outbox};
use crate::payments::checkout;

pub use super::request::{
    AddressInput, BUYER_LANGUAGES, BuyerInput, CONFIRM_WAITING_WITHIN_HOURS, OrderRequest,
    PaymentMethod, check,
};
use super::request::{NewOrder, validate};

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentInfo {
    pub method: PaymentMethod,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, required = false)]
    pub checkout_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, required = false)]
    pub instructions: Option<String>,
    /// A manual order's hold starts short (`order.expires_at`). When the buyer confirms their
    /// email address with the link sent to it, the hold runs until this time instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, format = DateTime, required = false)]
    pub hold_after_email_confirmation: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlacedOrder {
    pub order: OrderSummary,
    /// Shown once: the buyer's key to follow this order.
    pub access_token: String,
    pub payment: PaymentInfo,
}

/// Places an order: reserves the painting and freezes its price. What the order needs is
/// read in one query and everything is prepared first (price, emails, the answer); then one
/// write (`reservation`) takes the painting, inserts the order with its company and stores
/// the answer under the Idempotency-Key, all or nothing. Two buyers racing for one painting:
/// one conditional UPDATE wins, the other is refused; within this process the second waits
/// for the first one's write (`turns`) instead of repeating it.
pub async fn place(shop: Shop<'_>, order: PlaceOrder<'_>) -> Result<Placement, OrderError> {
    let Shop {
        db,
        turns,
        config,
        mail,
        cards,
    } = shop;
    let PlaceOrder {
        client,
        idempotency_key,
        request_hash,
        request: req,
    } = order;
    let new = validate(req, cards.is_some())?;
    let holder = Holder::new(mail, client, &new.buyer_email);
    let org = crate::organisation::load(db, &config.shop_name).await?;
    let card = match (new.method, cards) {
        (PaymentMethod::Stripe, Some(checkout)) => Some(checkout),
        _ => None,
    };
    // Another round only when the painting changed between the read and the write; the
    // next read then says why (taken: a 409), or brings its new price. Waiting for another
    // buyer's write is not a round: it ends in a refusal or a fresh read.
    const ROUNDS: usize = 3;
    let mut round = 0;
    // The last write was refused by a unique index while the painting stayed free: another
    // order of this client or address took the same hold slot at the same moment.
    let mut contended = false;
    while round < ROUNDS {
        let (seen, open_holds) = tokio::try_join!(
            precheck::precheck(db, &new.artwork_id, new.country, idempotency_key),
            async { Ok(holds::read(db, &holder).await?) },
        )?;
        let artwork = match orderable(db, &seen, (idempotency_key, request_hash)).await? {
            Ok(artwork) => artwork,
            Err(replay) => return Ok(replay),
        };
        let slots = open_holds.free_slots(&config.limits, new.method == PaymentMethod::Manual)?;
        // An order that waits for its buyer's confirmation takes nothing, so it waits for no
        // other buyer's write.
        let turn = match slots {
            Slots::Waiting { .. } => None,
            Slots::Hold { .. } => match turns.take(&artwork.id).await {
                Turn::Mine(turn) => Some(turn),
                Turn::After(Outcome::Reserved { key }) if key != idempotency_key => {
                    return Err(OrderError::ArtworkUnavailable(
                        ArtworkStatus::Reserved.as_str().into(),
                    ));
                }
                // Our own key took it (a concurrent retry), or nobody did: the next read says.
                Turn::After(_) => continue,
            },
        };
        round += 1;
        let snapshot = seen.snapshot.ok_or(OrderError::NotFound("size tier"))?;
        let prepared = prepare(
            db,
            (config, &org),
            mail,
            card.as_ref(),
            &new,
            (idempotency_key, request_hash),
            &artwork,
            snapshot,
            (&holder, slots),
        )
        .await?;
        match prepared.reservation.write(db).await? {
            Written::Reserved => {
                if let Some(turn) = turn {
                    turn.reserved(idempotency_key);
                }
                return finish(db, mail, card, idempotency_key, prepared).await;
            }
            Written::Stale => contended = false,
            Written::Conflict => {
                contended = true;
                drop(turn);
                if let Some(KeptAnswer { status, body }) =
                    idempotency::after_conflict(db, idempotency_key, request_hash).await?
                {
                    return Ok(Placement::Replay { status, body });
                }
                // The key is free: another order holds the painting; the next read says so.
            }
        }
    }
    Err(if contended {
        OrderError::Busy
    } else {
        OrderError::ArtworkUnavailable(ArtworkStatus::Reserved.as_str().into())
    })
}

/// What the read says of this request: its answer from before (perhaps it took the painting
/// itself), or the painting if it can be ordered.
async fn orderable(
    db: &DatabaseConnection,
    seen: &precheck::Seen,
    (idempotency_key, request_hash): (&str, &str),
) -> Result<Result<artwork::Model, Placement>, OrderError> {
    if let Some(KeptAnswer { status, body }) =
        idempotency::answer_in(seen.key.clone(), request_hash)?
    {
        return Ok(Err(Placement::Replay { status, body }));
    }
    if seen
        .key
        .as_ref()
        .is_some_and(|key| key.expires_at <= Utc::now())
    {
        idempotency::forget_expired(db, idempotency_key).await?;
    }
    let Some(artwork) = seen.artwork.clone() else {
        return Err(OrderError::NotFound("artwork"));
    };
    match ArtworkStatus::parse(&artwork.status) {
        Some(ArtworkStatus::Available) => Ok(Ok(artwork)),
        Some(status) if status.is_public() => Err(OrderError::ArtworkUnavailable(artwork.status)),
        _ => Err(OrderError::NotFound("artwork")),
    }
}

/// What placing an order runs against.
pub struct Shop<'a> {
    pub db: &'a DatabaseConnection,
    /// One order write per painting at a time in this process.
    pub turns: &'a Turns,
    pub config: &'a Config,
    pub mail: &'a MailSettings,
    /// Card payments, when they are configured.
    pub cards: Option<checkout::Checkout<'a>>,
}

/// One order to place: who asks, under which Idempotency-Key, and what they sent.
pub struct PlaceOrder<'a> {
    pub client: Client,
    pub idempotency_key: &'a str,
    /// The request as parsed, hashed: the same key with another request is refused.
    pub request_hash: &'a str,
    pub request: &'a OrderRequest,
}

/// A new order, ready to be written, and what to do once it is.
struct Prepared {
    model: order::Model,
    placed: PlacedOrder,
    /// The answer, when it is already known (manual payment).
    body: Option<String>,
    emails: Vec<entity::outbox::ActiveModel>,
    attempt: Option<entity::payment::Model>,
    image_url: Option<String>,
    reservation: Reservation,
}

#[allow(clippy::too_many_arguments)]
async fn prepare(
    db: &DatabaseConnection,
    (config, org): (&Config, &crate::organisation::Organisation),
    mail: &MailSettings,
    card: Option<&checkout::Checkout<'_>>,
    new: &NewOrder,
    (idempotency_key, request_hash): (&str, &str),
    artwork: &artwork::Model,
    snapshot: PriceSnapshot,
    (holder, slots): (&Holder, Slots),
) -> Result<Prepared, OrderError> {
    let (zone, price) = quoted(new, artwork, &snapshot)?;
    let now = Utc::now();
    let waiting = matches!(slots, Slots::Waiting { .. });
    let hold = draft::HoldPlan::new(config, new.method, slots, now);
    let (short_hold, full_hold, status) = (hold.short_hold, hold.full_hold, hold.status);
    let id = db::new_id();
    let access_token = mail.tokens.token(&id);
    let model = draft::order_row(
        &mail.vault,
        &id,
        token::digest(&access_token),
        new,
        (artwork, &snapshot),
        (&zone, price),
        &hold,
        holder,
        now,
    );
    let mut placed = PlacedOrder {
        order: summary(&model),
        access_token,
        payment: PaymentInfo {
            method: new.method,
            checkout_url: None,
            instructions: None,
            hold_after_email_confirmation: short_hold.map(|_| full_hold),
        },
    };
    let history = state::history_row(&id, None, status, &Actor::Buyer, None, now);
    let mut rows = vec![
        Row::new(order::ActiveModel::from(model.clone())),
        Row::new(history),
    ];
    let (mut body, mut emails, mut attempt, mut image_url) = (None, Vec::new(), None, None);
    match card {
        None => {
            let (letters, answer) = manual_answer(
                (config, org, mail),
                &model,
                &snapshot.artist,
                &mut placed,
                (&hold, waiting, now),
            )?;
            rows.extend(letters.iter().cloned().map(Row::new));
            emails = letters;
            body = Some(answer);
        }
        Some(card) => {
            // A price Stripe cannot charge is refused before anything is kept.
            checkout::unit_amount(&model)?;
            let new_attempt = checkout::new_attempt(&model);
            rows.push(Row::new(entity::payment::ActiveModel::from(
                new_attempt.clone(),
            )));
            attempt = Some(new_attempt);
            image_url = checkout::cover_image(db, card.media, &artwork.id).await?;
        }
    }
    // The key last; while a card payment is set up it is stored without an answer, and a
    // concurrent retry gets "in progress".
    rows.push(Row::new(idempotency::new_row(
        &mail.vault,
        idempotency_key,
        request_hash,
        body.as_deref().map(|b| (201, b)),
    )));
    Ok(Prepared {
        reservation: Reservation {
            takes_painting: !waiting,
            artwork_id: artwork.id.clone(),
            artwork_seen: artwork.updated_at,
            now,
            rows,
        },
        model,
        placed,
        body,
        emails,
        attempt,
        image_url,
    })
}

/// The zone serving the buyer's country and the painting's price there; refused when no
/// zone serves it or the size has no price there.
fn quoted(
    new: &NewOrder,
    artwork: &artwork::Model,
    snapshot: &PriceSnapshot,
) -> Result<(crate::catalog::zones::ZoneRef, crate::money::Money), FieldErrors> {
    let not_shipped = || {
        FieldErrors::single_rule(
            "shipping_address.country",
            Rule::NotShippedThere {
                country: new.country.to_string(),
            },
        )
    };
    let zone = snapshot.zone.clone().ok_or_else(not_shipped)?;
    let price = pricing::price_from(artwork, snapshot.tier_price).ok_or_else(not_shipped)?;
    Ok((zone, price))
}

/// A manual order's letters and its answer, both known before anything is written. An order
/// that waits holds nothing yet: its one email asks the buyer to confirm, and the payment
/// instructions follow once the painting is theirs.
fn manual_answer(
    (config, org, mail): (&Config, &crate::organisation::Organisation, &MailSettings),
    model: &order::Model,
    artist: &entity::artist::Model,
    placed: &mut PlacedOrder,
    (hold, waiting, now): (&draft::HoldPlan, bool, DateTime<Utc>),
) -> Result<(Vec<entity::outbox::ActiveModel>, String), OrderError> {
    let emails = if waiting {
        order_emails::on_waiting(mail, org, model, Some(artist), hold.full_hold - now)?
    } else {
        let instructions = manual_instructions(config, org, model);
        let full_hold = hold.short_hold.map(|_| hold.full_hold);
        let emails =
            order_emails::on_placed(mail, org, model, Some(artist), &instructions, full_hold)?;
        placed.payment.instructions = Some(instructions);
        emails
    };
    Ok((emails, to_json(placed)?))
}

/// After the write: a manual order is done; a card order asks Stripe for its Checkout
/// Session (the painting stays held meanwhile) and stores its answer.
async fn finish(
    db: &DatabaseConnection,
    mail: &MailSettings,
    card: Option<checkout::Checkout<'_>>,
    idempotency_key: &str,
    prepared: Prepared,
) -> Result<Placement, OrderError> {
    let Prepared {
        model,
        mut placed,
        body,
        emails,
        attempt,
        image_url,
        ..
    } = prepared;
    for email in &emails {
        outbox::log_kept(mail, email);
    }
    let (Some(card), Some(attempt)) = (card, attempt) else {
        tracing::info!(order_id = %model.id, artwork_id = %model.artwork_id, "order placed");
        let body = body.ok_or(OrderError::NotAllowed("order answer missing".into()))?;
        return Ok(Placement::Created {
            placed: Box::new(placed),
            body,
        });
    };
    let session =
        match checkout::create_session(card.gateway, &model, &placed.access_token, image_url).await
        {
            Ok(session) => session,
            Err(err) => {
                checkout::abandon(db, mail, &model, &attempt, idempotency_key).await?;
                return Err(err.into());
            }
        };
    placed.payment.checkout_url = Some(session.url.clone());
    let body = to_json(&placed)?;
    let txn = db::begin_write(db).await?;
    checkout::opened(&txn, &attempt, &session).await?;
    idempotency::store(&txn, &mail.vault, idempotency_key, 201, &body).await?;
    txn.commit().await?;
    tracing::info!(order_id = %model.id, artwork_id = %model.artwork_id, "card order placed");
    Ok(Placement::Created {
        placed: Box::new(placed),
        body,
    })
}

fn to_json(placed: &PlacedOrder) -> Result<String, OrderError> {
    serde_json::to_string(placed).map_err(|e| OrderError::NotAllowed(e.to_string()))
}

/// What `place` answers: a new order (and its JSON, as kept under the Idempotency-Key), or
/// the answer kept for an earlier request with the same key.
pub enum Placement {
    Created {
        placed: Box<PlacedOrder>,
        body: String,
    },
    Replay {
        status: u16,
        body: String,
    },
}
