//! Placing an order: the request and its validation, then one read, one prepared write that
//! takes the painting, and (for a card) Stripe's checkout page.
use chrono::{DateTime, Utc};
use entity::{artwork, order};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::OrderError;
use super::holds::{self, Holder, Slots};
use super::idempotency::{self, Answer};
use super::precheck::{self, PriceSnapshot};
use super::reservation::{Reservation, Row, Written};
use super::state::{self, Actor, OrderStatus};
use super::turns::{Outcome, Turn, Turns};
use super::views::{OrderSummary, manual_instructions, summary};
use crate::auth::token;
use crate::catalog::{ArtworkStatus, pricing};
use crate::client::Client;
use crate::config::Config;
use crate::country::CountryCode;
use crate::db;
use crate::error::{FieldErrors, Rule};
use crate::notifications::{MailSettings, order_emails, outbox};
use crate::payments::checkout;
use crate::validate::{self, line_field, optional_line, optional_text};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuyerInput {
    #[schema(schema_with = crate::validate::schema::required_line::<200>)]
    pub name: String,
    #[schema(schema_with = crate::validate::schema::required_email)]
    pub email: String,
    #[schema(schema_with = crate::validate::schema::optional_phone)]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    #[schema(schema_with = crate::validate::schema::required_line::<200>)]
    pub line1: String,
    #[schema(schema_with = crate::validate::schema::optional_line::<200>)]
    pub line2: Option<String>,
    #[schema(schema_with = crate::validate::schema::required_line::<100>)]
    pub city: String,
    #[schema(schema_with = crate::validate::schema::optional_line::<20>)]
    pub postal_code: Option<String>,
    #[schema(schema_with = crate::validate::schema::optional_line::<100>)]
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[schema(schema_with = crate::country::schema)]
    pub country: String,
}

fn payment_method_schema() -> utoipa::openapi::Object {
    crate::validate::schema::one_of(
        [PaymentMethod::Stripe, PaymentMethod::Manual].map(PaymentMethod::as_str),
        false,
    )
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    #[schema(schema_with = crate::validate::schema::id)]
    pub artwork_id: String,
    /// stripe or manual.
    #[schema(schema_with = payment_method_schema)]
    pub payment_method: String,
    pub buyer: BuyerInput,
    pub shipping_address: AddressInput,
    /// A message to the artist.
    #[schema(schema_with = crate::validate::schema::optional_text::<1000>)]
    pub note: Option<String>,
    /// The language the buyer reads: their emails and order page are in it (`en` when left
    /// out).
    #[serde(default)]
    #[schema(schema_with = buyer_language_schema)]
    pub language: Option<String>,
    /// The buyer's IANA time zone (`Europe/Stockholm`), for the times in their emails; the
    /// shipping country's main one when left out.
    #[serde(default)]
    #[schema(schema_with = crate::validate::schema::optional_line::<64>)]
    pub time_zone: Option<String>,
}

/// How long an order placed beyond its client's holds waits for its buyer to confirm their
/// email address before it ends (it holds nothing meanwhile).
pub const CONFIRM_WAITING_WITHIN_HOURS: i64 = 24;

/// The languages a buyer's emails and order page can be in.
pub const BUYER_LANGUAGES: [&str; 3] = ["en", "sv", "fa"];

fn buyer_language_schema() -> utoipa::openapi::Object {
    crate::validate::schema::one_of(BUYER_LANGUAGES, true)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Stripe,
    Manual,
}

impl PaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stripe => "stripe",
            Self::Manual => "manual",
        }
    }
}

struct NewOrder {
    artwork_id: String,
    method: PaymentMethod,
    buyer_name: String,
    buyer_email: String,
    buyer_phone: Option<String>,
    line1: String,
    line2: Option<String>,
    city: String,
    postal_code: Option<String>,
    region: Option<String>,
    country: CountryCode,
    note: Option<String>,
    language: &'static str,
    time_zone: Option<String>,
}

/// The request's fields checked by the rules `place` applies, without placing anything: the
/// shop sends a form back for a typo before it counts as an order attempt.
pub fn check(req: &OrderRequest, cards: bool) -> Result<(), FieldErrors> {
    validate(req, cards).map(|_| ())
}

fn validate(req: &OrderRequest, cards: bool) -> Result<NewOrder, FieldErrors> {
    let mut errors = FieldErrors::new();
    let method = match req.payment_method.as_str() {
        "manual" => Some(PaymentMethod::Manual),
        "stripe" if cards => Some(PaymentMethod::Stripe),
        "stripe" => {
            // Without a Stripe key, say so plainly rather than take an order nobody can pay.
            errors.add(
                "payment_method",
                "card payments are not configured; use manual",
            );
            None
        }
        _ => {
            errors.add("payment_method", "expected stripe or manual");
            None
        }
    };
    let buyer_name = line_field(&mut errors, "buyer.name", &req.buyer.name, true, 200);
    let buyer_email = line_field(&mut errors, "buyer.email", &req.buyer.email, true, 254);
    validate::email(&mut errors, "buyer.email", &buyer_email);
    let buyer_phone = optional_line(&mut errors, "buyer.phone", req.buyer.phone.as_deref(), 40);
    validate::phone(&mut errors, "buyer.phone", buyer_phone.as_deref());
    let a = &req.shipping_address;
    let line1 = line_field(&mut errors, "shipping_address.line1", &a.line1, true, 200);
    let line2 = optional_line(
        &mut errors,
        "shipping_address.line2",
        a.line2.as_deref(),
        200,
    );
    let city = line_field(&mut errors, "shipping_address.city", &a.city, true, 100);
    let postal_code = optional_line(
        &mut errors,
        "shipping_address.postal_code",
        a.postal_code.as_deref(),
        20,
    );
    let region = optional_line(
        &mut errors,
        "shipping_address.region",
        a.region.as_deref(),
        100,
    );
    let country = CountryCode::parse(&a.country)
        .map_err(|e| errors.refuse("shipping_address.country", Rule::NotACountry(e.to_string())))
        .ok();
    if line1.chars().filter(|c| !c.is_whitespace()).count() < 3
        && !errors.has("shipping_address.line1")
    {
        errors.refuse("shipping_address.line1", Rule::StreetTooShort);
    }
    if let Some(rule) = country.as_ref().and_then(CountryCode::postal_code)
        && !errors.has("shipping_address.postal_code")
    {
        let example = rule.example.to_string();
        match &postal_code {
            None => errors.refuse(
                "shipping_address.postal_code",
                Rule::PostalCodeNeeded { example },
            ),
            Some(code) if !rule.fits(code) => errors.refuse(
                "shipping_address.postal_code",
                Rule::PostalCodeInvalid { example },
            ),
            Some(_) => {}
        }
    }
    let note = optional_text(&mut errors, "note", req.note.as_deref(), 1000);
    let language = match req.language.as_deref() {
        None => Some("en"),
        Some(code) => {
            let known = BUYER_LANGUAGES.into_iter().find(|l| *l == code);
            if known.is_none() {
                errors.add("language", "expected en, sv or fa");
            }
            known
        }
    };
    let time_zone = optional_line(&mut errors, "time_zone", req.time_zone.as_deref(), 64);
    if let Some(zone) = &time_zone
        && zone.parse::<chrono_tz::Tz>().is_err()
    {
        errors.add("time_zone", "not an IANA time zone (e.g. Europe/Stockholm)");
    }
    if req.artwork_id.trim().is_empty() {
        errors.refuse("artwork_id", Rule::Required);
    }
    errors.into_result()?;
    let (Some(method), Some(country), Some(language)) = (method, country, language) else {
        return Err(FieldErrors::single("body", "invalid"));
    };
    let time_zone = time_zone.or_else(|| country.main_time_zone().map(str::to_string));
    Ok(NewOrder {
        artwork_id: req.artwork_id.trim().to_string(),
        method,
        buyer_name,
        buyer_email,
        buyer_phone,
        line1,
        line2,
        city,
        postal_code,
        region,
        country,
        note,
        language,
        time_zone,
    })
}

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
#[allow(clippy::too_many_arguments)]
pub async fn place(
    db: &DatabaseConnection,
    turns: &Turns,
    config: &Config,
    mail: &MailSettings,
    cards: Option<checkout::Checkout<'_>>,
    client: Client,
    idempotency_key: &str,
    request_hash: &str,
    req: &OrderRequest,
) -> Result<Placement, OrderError> {
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
        // This very request, answered before (perhaps it took the painting itself).
        if let Some(Answer { status, body }) =
            idempotency::answer_in(seen.key.clone(), request_hash)?
        {
            return Ok(Placement::Replay { status, body });
        }
        if seen
            .key
            .as_ref()
            .is_some_and(|key| key.expires_at <= Utc::now())
        {
            idempotency::forget_expired(db, idempotency_key).await?;
        }
        let Some(artwork) = seen.artwork else {
            return Err(OrderError::NotFound("artwork"));
        };
        match ArtworkStatus::parse(&artwork.status) {
            Some(ArtworkStatus::Available) => {}
            Some(status) if status.is_public() => {
                return Err(OrderError::ArtworkUnavailable(artwork.status));
            }
            _ => return Err(OrderError::NotFound("artwork")),
        }
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
                if let Some(Answer { status, body }) =
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
    let now = Utc::now();
    let full_hold = now + chrono::Duration::days(i64::from(config.manual_reservation_days));
    let waiting = matches!(slots, Slots::Waiting { .. });
    // Until the buyer shows the address is theirs (the link in this order's email), a manual
    // hold is short: a script naming strangers cannot keep paintings off the shop for days.
    let short_hold = (new.method == PaymentMethod::Manual && !waiting).then(|| {
        now + chrono::Duration::from_std(config.limits.unconfirmed_hold)
            .unwrap_or(chrono::Duration::hours(6))
    });
    let (status, client_slot, email_slot) = match slots {
        Slots::Hold { client, email } => (OrderStatus::PendingPayment, client, Some(email)),
        Slots::Waiting { client } => (OrderStatus::AwaitingConfirmation, client, None),
    };
    let expires_at = match new.method {
        // The confirmation link works this long; the painting stays for sale meanwhile.
        PaymentMethod::Manual if waiting => {
            now + chrono::Duration::hours(CONFIRM_WAITING_WITHIN_HOURS)
        }
        PaymentMethod::Manual => short_hold.unwrap_or(full_hold),
        // The Checkout Session closes at the same moment. The extra minute keeps it inside
        // Stripe's 30-minute minimum however long the request to Stripe takes.
        PaymentMethod::Stripe => {
            now + chrono::Duration::minutes(i64::from(config.card_reservation_minutes))
                + chrono::Duration::minutes(1)
        }
    };
    let id = db::new_id();
    let access_token = mail.tokens.token(&id);
    let model = order::Model {
        id: id.clone(),
        artwork_id: artwork.id.clone(),
        status: status.as_str().into(),
        payment_method: new.method.as_str().into(),
        access_token_hash: token::digest(&access_token),
        buyer_name: new.buyer_name.clone(),
        buyer_email: new.buyer_email.clone(),
        buyer_phone: new.buyer_phone.clone(),
        ship_line1: new.line1.clone(),
        ship_line2: new.line2.clone(),
        ship_city: new.city.clone(),
        ship_postal_code: new.postal_code.clone(),
        ship_region: new.region.clone(),
        ship_country: new.country.to_string(),
        note: new.note.clone(),
        amount_minor: price.minor(),
        currency: price.currency().code().into(),
        zone_id: zone.id.clone(),
        zone_name: zone.name.clone(),
        tier_id: artwork.size_tier_id.clone(),
        tier_name: snapshot.tier_name.clone(),
        artwork_title: artwork.title.clone(),
        artist_id: artwork.artist_id.clone(),
        artist_name: snapshot.artist.display_name.clone(),
        payment_reference: None,
        carrier: None,
        tracking_number: None,
        created_at: now,
        updated_at: now,
        expires_at,
        paid_at: None,
        shipped_at: None,
        delivered_at: None,
        closed_at: None,
        client_key: Some(holder.client_key.clone()),
        client_slot: Some(client_slot),
        email_key: Some(holder.email_key.clone()),
        email_slot,
        hold_confirmed_at: None,
        language: new.language.to_string(),
        time_zone: new.time_zone.clone(),
        paid_claimed_at: None,
        reminded_at: None,
        late_payment_reference: None,
        late_payment_at: None,
    };
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
    let mut rows = vec![
        Row::new(order::ActiveModel::from(model.clone())),
        Row::new(state::history_row(
            &id,
            None,
            status,
            &Actor::Buyer,
            None,
            now,
        )),
    ];
    let (mut body, mut emails, mut attempt, mut image_url) = (None, Vec::new(), None, None);
    match card {
        // Nothing to pay yet: the painting is not held. Its one email asks the buyer to
        // confirm; the instructions follow once the painting is theirs.
        None if waiting => {
            emails = order_emails::on_waiting(
                mail,
                org,
                &model,
                Some(&snapshot.artist),
                full_hold - now,
            )?;
            body = Some(to_json(&placed)?);
            rows.extend(emails.iter().cloned().map(Row::new));
        }
        None => {
            let instructions = manual_instructions(config, org, &model);
            let full_hold = short_hold.map(|_| full_hold);
            emails = order_emails::on_placed(
                mail,
                org,
                &model,
                Some(&snapshot.artist),
                &instructions,
                full_hold,
            )?;
            placed.payment.instructions = Some(instructions);
            body = Some(to_json(&placed)?);
            rows.extend(emails.iter().cloned().map(Row::new));
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
        return Ok(Placement::Created { body });
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
    idempotency::store(&txn, idempotency_key, 201, &body).await?;
    txn.commit().await?;
    tracing::info!(order_id = %model.id, artwork_id = %model.artwork_id, "card order placed");
    Ok(Placement::Created { body })
}

fn to_json(placed: &PlacedOrder) -> Result<String, OrderError> {
    serde_json::to_string(placed).map_err(|e| OrderError::NotAllowed(e.to_string()))
}

/// What `place` answers: a new order's JSON, or the stored answer to an earlier request
/// with the same Idempotency-Key.
pub enum Placement {
    Created { body: String },
    Replay { status: u16, body: String },
}
