//! Placing orders and the admin actions on them.
use chrono::{DateTime, Utc};
use entity::{artist, artwork, order, order_history, shipping_zone, size_tier, size_tier_price};
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::OrderError;
use super::idempotency::{self, Answer};
use super::reservation::{Reservation, Row, Written};
use super::state::{self, Actor, Change, OrderStatus, status_of};
use super::turns::{Outcome, Turn, Turns};
use crate::auth::token;
use crate::catalog::{ArtworkStatus, pricing, text_field, zones};
use crate::config::Config;
use crate::country::CountryCode;
use crate::error::FieldErrors;
use crate::money::{Currency, Money};
use crate::notifications::{MailSettings, order_emails, outbox};
use crate::pagination::{self, Page, Pagination};
use crate::payments::{StripeGateway, checkout, records, refunds};
use crate::{audit, db};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuyerInput {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: Option<String>,
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    pub artwork_id: String,
    /// stripe or manual.
    pub payment_method: String,
    pub buyer: BuyerInput,
    pub shipping_address: AddressInput,
    /// A message to the artist.
    pub note: Option<String>,
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
}

fn optional(
    errors: &mut FieldErrors,
    field: &str,
    value: &Option<String>,
    max: usize,
) -> Option<String> {
    value
        .as_deref()
        .map(|v| text_field(errors, field, v, false, max))
        .filter(|v| !v.is_empty())
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
    let buyer_name = text_field(&mut errors, "buyer.name", &req.buyer.name, true, 200);
    let buyer_email = text_field(&mut errors, "buyer.email", &req.buyer.email, true, 254);
    if !buyer_email.is_empty() && !email_address::EmailAddress::is_valid(&buyer_email) {
        errors.add("buyer.email", "not a valid email address");
    }
    let buyer_phone = optional(&mut errors, "buyer.phone", &req.buyer.phone, 40);
    if let Some(phone) = &buyer_phone
        && !phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')'))
    {
        errors.add("buyer.phone", "use digits, spaces, +, -, ( and ) only");
    }
    let a = &req.shipping_address;
    let line1 = text_field(&mut errors, "shipping_address.line1", &a.line1, true, 200);
    let line2 = optional(&mut errors, "shipping_address.line2", &a.line2, 200);
    let city = text_field(&mut errors, "shipping_address.city", &a.city, true, 100);
    let postal_code = optional(
        &mut errors,
        "shipping_address.postal_code",
        &a.postal_code,
        20,
    );
    let region = optional(&mut errors, "shipping_address.region", &a.region, 100);
    let country = errors.check("shipping_address.country", CountryCode::parse(&a.country));
    let note = optional(&mut errors, "note", &req.note, 1000);
    if req.artwork_id.trim().is_empty() {
        errors.add("artwork_id", "must not be empty");
    }
    errors.into_result()?;
    let (Some(method), Some(country)) = (method, country) else {
        return Err(FieldErrors::single("body", "invalid"));
    };
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
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderSummary {
    pub id: String,
    pub status: OrderStatus,
    pub artwork_id: String,
    #[schema(value_type = String, example = "50.00")]
    pub amount: rust_decimal::Decimal,
    pub currency: String,
    pub zone: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentInfo {
    pub method: PaymentMethod,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkout_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlacedOrder {
    pub order: OrderSummary,
    /// Shown once: the buyer's key to follow this order.
    pub access_token: String,
    pub payment: PaymentInfo,
}

/// Short reference for payments and letters: from the random end of the id.
pub fn reference(order_id: &str) -> String {
    let tail: String = order_id.chars().filter(|c| *c != '-').collect();
    format!("HN-{}", tail[tail.len().saturating_sub(8)..].to_uppercase())
}

fn amount_of(o: &order::Model) -> rust_decimal::Decimal {
    crate::money::stored_amount(o.amount_minor, &o.currency)
}

fn summary(o: &order::Model) -> OrderSummary {
    OrderSummary {
        id: o.id.clone(),
        status: status_of(o),
        artwork_id: o.artwork_id.clone(),
        amount: amount_of(o),
        currency: o.currency.clone(),
        zone: o.zone_name.clone(),
        created_at: o.created_at,
        expires_at: o.expires_at,
    }
}

pub fn manual_instructions(config: &Config, o: &order::Model) -> String {
    config
        .manual_payment_instructions
        .replace("{reference}", &reference(&o.id))
        .replace("{amount}", &format!("{} {}", amount_of(o), o.currency))
        .replace("{expires}", &o.expires_at.format("%Y-%m-%d").to_string())
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
    idempotency_key: &str,
    request_hash: &str,
    req: &OrderRequest,
) -> Result<Placement, OrderError> {
    let new = validate(req, cards.is_some())?;
    let card = match (new.method, cards) {
        (PaymentMethod::Stripe, Some(checkout)) => Some(checkout),
        _ => None,
    };
    // Another round only when the painting changed between the read and the write; the
    // next read then says why (taken: a 409), or brings its new price. Waiting for another
    // buyer's write is not a round: it ends in a refusal or a fresh read.
    const ROUNDS: usize = 3;
    let mut round = 0;
    while round < ROUNDS {
        let seen = precheck(db, &new, idempotency_key).await?;
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
        let turn = match turns.take(&artwork.id).await {
            Turn::Mine(turn) => turn,
            Turn::After(Outcome::Reserved { key }) if key != idempotency_key => {
                return Err(OrderError::ArtworkUnavailable(
                    ArtworkStatus::Reserved.as_str().into(),
                ));
            }
            // Our own key took it (a concurrent retry), or nobody did: the next read says.
            Turn::After(_) => continue,
        };
        round += 1;
        let snapshot = seen.snapshot.ok_or(OrderError::NotFound("size tier"))?;
        let prepared = prepare(
            db,
            config,
            mail,
            card.as_ref(),
            &new,
            (idempotency_key, request_hash),
            &artwork,
            snapshot,
        )
        .await?;
        match prepared.reservation.write(db).await? {
            Written::Reserved => {
                turn.reserved(idempotency_key);
                return finish(db, mail, card, idempotency_key, prepared).await;
            }
            Written::Stale => {}
            Written::Conflict => {
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
    Err(OrderError::ArtworkUnavailable(
        ArtworkStatus::Reserved.as_str().into(),
    ))
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
    config: &Config,
    mail: &MailSettings,
    card: Option<&checkout::Checkout<'_>>,
    new: &NewOrder,
    (idempotency_key, request_hash): (&str, &str),
    artwork: &artwork::Model,
    snapshot: PriceSnapshot,
) -> Result<Prepared, OrderError> {
    let not_shipped = || {
        FieldErrors::single(
            "shipping_address.country",
            format!("this painting cannot be shipped to {} yet", new.country),
        )
    };
    let zone = snapshot.zone.clone().ok_or_else(not_shipped)?;
    let price = pricing::price_from(artwork, snapshot.tier_price).ok_or_else(not_shipped)?;
    let now = Utc::now();
    let expires_at = match new.method {
        PaymentMethod::Manual => {
            now + chrono::Duration::days(i64::from(config.manual_reservation_days))
        }
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
        status: OrderStatus::PendingPayment.as_str().into(),
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
    };
    let mut placed = PlacedOrder {
        order: summary(&model),
        access_token,
        payment: PaymentInfo {
            method: new.method,
            checkout_url: None,
            instructions: None,
        },
    };
    let mut rows = vec![
        Row::new(order::ActiveModel::from(model.clone())),
        Row::new(state::history_row(
            &id,
            None,
            OrderStatus::PendingPayment,
            &Actor::Buyer,
            None,
            now,
        )),
    ];
    let (mut body, mut emails, mut attempt, mut image_url) = (None, Vec::new(), None, None);
    match card {
        None => {
            let instructions = manual_instructions(config, &model);
            emails = order_emails::on_placed(mail, &model, Some(&snapshot.artist), &instructions)?;
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

/// What placing an order needs to know, read in one query: the painting, this
/// Idempotency-Key's stored row, and what the order would freeze. Under a rush for one
/// painting a loser costs this one query; the conditional UPDATE is still what decides.
struct Seen {
    artwork: Option<artwork::Model>,
    key: Option<entity::idempotency_key::Model>,
    snapshot: Option<PriceSnapshot>,
}

/// What an order freezes: the destination's zone, the tier's name and price there, and the
/// artist (for the emails).
struct PriceSnapshot {
    zone: Option<zones::ZoneRef>,
    tier_name: String,
    tier_price: Option<Money>,
    artist: artist::Model,
}

async fn precheck(db: &DatabaseConnection, new: &NewOrder, key: &str) -> Result<Seen, OrderError> {
    use entity::idempotency_key as k;
    use sea_orm::sea_query::{Alias, Condition, JoinType, SimpleExpr};
    use sea_orm::{ConnectionTrait, FromQueryResult};
    let zone = Alias::new("zone");
    let mut zone_id = zones::zone_for_country_query(new.country);
    zone_id.clear_selects();
    zone_id.column((shipping_zone::Entity, shipping_zone::Column::Id));
    let mut query = Query::select();
    db::select_prefixed::<artwork::Entity>(&mut query, "artwork_");
    db::select_prefixed::<k::Entity>(&mut query, "key_");
    db::select_prefixed::<artist::Entity>(&mut query, "artist_");
    query
        .expr_as(
            Expr::col((size_tier::Entity, size_tier::Column::Name)),
            "tier_name",
        )
        .expr_as(
            Expr::col((size_tier::Entity, size_tier::Column::Currency)),
            "currency",
        )
        .expr_as(
            Expr::col((
                size_tier_price::Entity,
                size_tier_price::Column::AmountMinor,
            )),
            "amount_minor",
        )
        .expr_as(
            Expr::col((zone.clone(), shipping_zone::Column::Id)),
            "zone_id",
        )
        .expr_as(
            Expr::col((zone.clone(), shipping_zone::Column::Name)),
            "zone_name",
        )
        .from(artwork::Entity)
        .join(
            JoinType::LeftJoin,
            k::Entity,
            Expr::col((k::Entity, k::Column::Key)).eq(key),
        )
        .join(
            JoinType::LeftJoin,
            size_tier::Entity,
            Expr::col((size_tier::Entity, size_tier::Column::Id))
                .equals((artwork::Entity, artwork::Column::SizeTierId)),
        )
        .join(
            JoinType::LeftJoin,
            artist::Entity,
            Expr::col((artist::Entity, artist::Column::Id))
                .equals((artwork::Entity, artwork::Column::ArtistId)),
        )
        .join_as(
            JoinType::LeftJoin,
            shipping_zone::Entity,
            zone.clone(),
            Expr::col((zone.clone(), shipping_zone::Column::Id))
                .eq(SimpleExpr::SubQuery(None, Box::new(zone_id.into()))),
        )
        .join(
            JoinType::LeftJoin,
            size_tier_price::Entity,
            Condition::all()
                .add(
                    Expr::col((size_tier_price::Entity, size_tier_price::Column::TierId))
                        .equals((size_tier::Entity, size_tier::Column::Id)),
                )
                .add(
                    Expr::col((size_tier_price::Entity, size_tier_price::Column::ZoneId))
                        .equals((zone.clone(), shipping_zone::Column::Id)),
                ),
        )
        .and_where(Expr::col((artwork::Entity, artwork::Column::Id)).eq(new.artwork_id.as_str()));
    let Some(row) = db.query_one(&query).await? else {
        // No such painting; a stored refusal for this key says the same.
        let key_row = k::Entity::find_by_id(key.to_string()).one(db).await?;
        return Ok(Seen {
            artwork: None,
            key: key_row,
            snapshot: None,
        });
    };
    let has_key: Option<String> = row.try_get("", "key_key")?;
    let tier_name: Option<String> = row.try_get("", "tier_name")?;
    let artist_id: Option<String> = row.try_get("", "artist_id")?;
    let snapshot = match (tier_name, artist_id) {
        (Some(tier_name), Some(_)) => {
            let currency: String = row.try_get("", "currency")?;
            let amount: Option<i64> = row.try_get("", "amount_minor")?;
            let zone_id: Option<String> = row.try_get("", "zone_id")?;
            let zone_name: Option<String> = row.try_get("", "zone_name")?;
            Some(PriceSnapshot {
                zone: zone_id
                    .zip(zone_name)
                    .map(|(id, name)| zones::ZoneRef { id, name }),
                tier_name,
                tier_price: amount
                    .zip(Currency::parse(&currency).ok())
                    .map(|(m, c)| Money::from_minor(m, c)),
                artist: artist::Model::from_query_result(&row, "artist_")?,
            })
        }
        _ => None,
    };
    Ok(Seen {
        artwork: Some(artwork::Model::from_query_result(&row, "artwork_")?),
        key: match has_key {
            Some(_) => Some(k::Model::from_query_result(&row, "key_")?),
            None => None,
        },
        snapshot,
    })
}

/// What `place` answers: a new order's JSON, or the stored answer to an earlier request
/// with the same Idempotency-Key.
pub enum Placement {
    Created { body: String },
    Replay { status: u16, body: String },
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Tracking {
    pub carrier: String,
    pub tracking_number: String,
}

/// The buyer's view: no address (it stays in admin responses and emails).
#[derive(Debug, Serialize, ToSchema)]
pub struct BuyerOrderView {
    #[serde(flatten)]
    pub order: OrderSummary,
    pub reference: String,
    pub artwork_title: String,
    pub artist: String,
    pub payment_method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// While a card order waits for payment: Stripe's page, to finish paying.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkout_url: Option<String>,
    pub tracking: Option<Tracking>,
    pub paid_at: Option<DateTime<Utc>>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A wrong token looks exactly like a missing order.
pub async fn for_buyer(
    db: &DatabaseConnection,
    config: &Config,
    id: &str,
    access_token: &str,
) -> Result<BuyerOrderView, OrderError> {
    let o = order::Entity::find_by_id(id.to_string())
        .filter(order::Column::AccessTokenHash.eq(token::digest(access_token)))
        .one(db)
        .await?
        .ok_or(OrderError::NotFound("order"))?;
    let status = status_of(&o);
    let pending_manual = status == OrderStatus::PendingPayment && o.payment_method == "manual";
    let checkout_url = if status == OrderStatus::PendingPayment {
        records::open_checkout_url(db, &o.id).await?
    } else {
        None
    };
    Ok(BuyerOrderView {
        checkout_url,
        order: summary(&o),
        reference: reference(&o.id),
        instructions: pending_manual.then(|| manual_instructions(config, &o)),
        tracking: match (&o.carrier, &o.tracking_number) {
            (Some(carrier), Some(number)) => Some(Tracking {
                carrier: carrier.clone(),
                tracking_number: number.clone(),
            }),
            _ => None,
        },
        artwork_title: o.artwork_title,
        artist: o.artist_name,
        payment_method: o.payment_method,
        paid_at: o.paid_at,
        shipped_at: o.shipped_at,
        delivered_at: o.delivered_at,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddressView {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: Option<String>,
    pub region: Option<String>,
    pub country: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BuyerView {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
}

/// Admin-only: buyer contact and address.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminOrderView {
    #[serde(flatten)]
    pub order: OrderSummary,
    pub reference: String,
    pub payment_method: String,
    pub payment_reference: Option<String>,
    pub buyer: BuyerView,
    pub shipping_address: AddressView,
    pub note: Option<String>,
    pub artwork_title: String,
    pub artist_id: String,
    pub artist_name: String,
    pub size_tier: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl From<order::Model> for AdminOrderView {
    fn from(o: order::Model) -> Self {
        Self {
            order: summary(&o),
            reference: reference(&o.id),
            payment_method: o.payment_method,
            payment_reference: o.payment_reference,
            buyer: BuyerView {
                name: o.buyer_name,
                email: o.buyer_email,
                phone: o.buyer_phone,
            },
            shipping_address: AddressView {
                line1: o.ship_line1,
                line2: o.ship_line2,
                city: o.ship_city,
                postal_code: o.ship_postal_code,
                region: o.ship_region,
                country: o.ship_country,
            },
            note: o.note,
            artwork_title: o.artwork_title,
            artist_id: o.artist_id,
            artist_name: o.artist_name,
            size_tier: o.tier_name,
            carrier: o.carrier,
            tracking_number: o.tracking_number,
            paid_at: o.paid_at,
            shipped_at: o.shipped_at,
            delivered_at: o.delivered_at,
            closed_at: o.closed_at,
            updated_at: o.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub from: Option<String>,
    pub to: String,
    pub actor: String,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminOrderDetail {
    #[serde(flatten)]
    pub order: AdminOrderView,
    pub history: Vec<HistoryEntry>,
    /// Emails sent for this order (filled by the notifications outbox).
    pub emails: Vec<serde_json::Value>,
    /// Card payment attempts, with Stripe's ids and any flag for an admin.
    pub payments: Vec<records::PaymentView>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminOrderFilter {
    pub status: Option<String>,
    /// Artist id or slug.
    pub artist: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

pub async fn list(
    db: &DatabaseConnection,
    filter: AdminOrderFilter,
) -> Result<Page<AdminOrderView>, OrderError> {
    let mut errors = FieldErrors::new();
    let page = errors.check_fields(Pagination::new(filter.page, filter.per_page));
    let status = filter.status.as_deref().and_then(|s| {
        let status = OrderStatus::parse(s);
        if status.is_none() {
            errors.add("status", "expected pending_payment, paid, shipped, delivered, expired, cancelled or refunded");
        }
        status
    });
    errors.into_result()?;
    let page = page.ok_or_else(|| FieldErrors::single("page", "invalid"))?;
    let mut query = order::Entity::find()
        .order_by_desc(order::Column::CreatedAt)
        .order_by_desc(order::Column::Id);
    if let Some(status) = status {
        query = query.filter(order::Column::Status.eq(status.as_str()));
    }
    if let Some(artist) = filter.artist {
        let by_slug = Query::select()
            .column(artist::Column::Id)
            .from(artist::Entity)
            .and_where(artist::Column::Slug.eq(artist.as_str()))
            .to_owned();
        query = query.filter(
            order::Column::ArtistId
                .eq(artist.as_str())
                .or(order::Column::ArtistId.in_subquery(by_slug)),
        );
    }
    Ok(pagination::fetch_views(db, query, page).await?)
}

async fn find(conn: &impl sea_orm::ConnectionTrait, id: &str) -> Result<order::Model, OrderError> {
    order::Entity::find_by_id(id.to_string())
        .one(conn)
        .await?
        .ok_or(OrderError::NotFound("order"))
}

pub async fn detail(db: &DatabaseConnection, id: &str) -> Result<AdminOrderDetail, OrderError> {
    let o = find(db, id).await?;
    let history = order_history::Entity::find()
        .filter(order_history::Column::OrderId.eq(id))
        .order_by_asc(order_history::Column::CreatedAt)
        .order_by_asc(order_history::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|h| HistoryEntry {
            from: h.from_status,
            to: h.to_status,
            actor: h.actor,
            reason: h.reason,
            at: h.created_at,
        })
        .collect();
    Ok(AdminOrderDetail {
        order: o.into(),
        history,
        emails: outbox::for_order(db, id)
            .await?
            .into_iter()
            .map(|e| serde_json::to_value(e).unwrap_or_default())
            .collect(),
        payments: records::for_order(db, id).await?,
    })
}

/// An admin action: one transaction for the change and its audit record.
async fn admin_change(
    db: &DatabaseConnection,
    mail: &MailSettings,
    admin_id: &str,
    id: &str,
    action: &str,
    check: impl FnOnce(&order::Model) -> Result<(), OrderError>,
    change: Change,
) -> Result<AdminOrderDetail, OrderError> {
    let txn = db::begin_write(db).await?;
    let current = find(&txn, id).await?;
    check(&current)?;
    state::transition(&txn, mail, &current, change).await?;
    audit::record(&txn, admin_id, action, "order", id, &[]).await?;
    txn.commit().await?;
    detail(db, id).await
}

pub async fn confirm_payment(
    db: &DatabaseConnection,
    mail: &MailSettings,
    admin_id: &str,
    id: &str,
    payment_reference: &str,
) -> Result<AdminOrderDetail, OrderError> {
    let mut errors = FieldErrors::new();
    let payment_reference = text_field(&mut errors, "reference", payment_reference, true, 200);
    errors.into_result()?;
    let change = Change::new(OrderStatus::Paid, Actor::Admin(admin_id.into()))
        .reason(format!("manual payment confirmed: {payment_reference}"))
        .set(order::Column::PaymentReference, payment_reference)
        .set(order::Column::PaidAt, Utc::now());
    admin_change(
        db,
        mail,
        admin_id,
        id,
        "order.confirm_payment",
        |o| {
            if o.payment_method != PaymentMethod::Manual.as_str() {
                return Err(OrderError::NotAllowed(
                    "card orders are marked paid by Stripe, not by hand".into(),
                ));
            }
            // Only Stripe may pay an expired order (money that arrived in the last second).
            let from = status_of(o);
            if from != OrderStatus::PendingPayment {
                return Err(OrderError::IllegalTransition {
                    from,
                    to: OrderStatus::Paid,
                });
            }
            Ok(())
        },
        change,
    )
    .await
}

pub async fn ship(
    db: &DatabaseConnection,
    mail: &MailSettings,
    admin_id: &str,
    id: &str,
    carrier: &str,
    tracking_number: &str,
) -> Result<AdminOrderDetail, OrderError> {
    let mut errors = FieldErrors::new();
    let carrier = text_field(&mut errors, "carrier", carrier, true, 100);
    let tracking_number = text_field(&mut errors, "tracking_number", tracking_number, true, 100);
    errors.into_result()?;
    let change = Change::new(OrderStatus::Shipped, Actor::Admin(admin_id.into()))
        .set(order::Column::Carrier, carrier)
        .set(order::Column::TrackingNumber, tracking_number)
        .set(order::Column::ShippedAt, Utc::now());
    admin_change(db, mail, admin_id, id, "order.ship", |_| Ok(()), change).await
}

pub async fn deliver(
    db: &DatabaseConnection,
    mail: &MailSettings,
    admin_id: &str,
    id: &str,
) -> Result<AdminOrderDetail, OrderError> {
    let change = Change::new(OrderStatus::Delivered, Actor::Admin(admin_id.into()))
        .set(order::Column::DeliveredAt, Utc::now());
    admin_change(db, mail, admin_id, id, "order.deliver", |_| Ok(()), change).await
}

/// Cancels a pending or paid order. A card payment that took money is refunded at Stripe
/// first (the order becomes `refunded` when Stripe confirms). The painting of a pending order
/// is always released; that of a paid order only when the admin asks.
pub async fn cancel(
    db: &DatabaseConnection,
    mail: &MailSettings,
    cards: Option<&StripeGateway>,
    admin_id: &str,
    id: &str,
    reason: Option<String>,
    release_artwork: Option<bool>,
) -> Result<AdminOrderDetail, OrderError> {
    let mut errors = FieldErrors::new();
    let reason = reason.map(|r| text_field(&mut errors, "reason", &r, false, 1000));
    errors.into_result()?;
    let mut change = Change::new(OrderStatus::Cancelled, Actor::Admin(admin_id.into()));
    change.reason = reason.filter(|r| !r.is_empty());
    change.release_artwork = release_artwork.unwrap_or(false);

    let current = find(db, id).await?;
    let status = status_of(&current);
    if current.payment_method == PaymentMethod::Stripe.as_str()
        && let Some(payment) = records::captured(db, id).await?
    {
        // Money was taken: a paid order, or one paid too late (expired or cancelled).
        let change = match status {
            OrderStatus::Paid => Some(change),
            OrderStatus::Expired | OrderStatus::Cancelled => None,
            other => {
                return Err(OrderError::IllegalTransition {
                    from: other,
                    to: OrderStatus::Cancelled,
                });
            }
        };
        let gateway = cards.ok_or_else(|| {
            OrderError::NotAllowed(
                "card payments are not configured here; refund in the Stripe dashboard".into(),
            )
        })?;
        refunds::refund(db, mail, gateway, admin_id, &current, &payment, change).await?;
        return detail(db, id).await;
    }

    let detail = admin_change(db, mail, admin_id, id, "order.cancel", |_| Ok(()), change).await?;
    if status == OrderStatus::PendingPayment
        && let Some(gateway) = cards
    {
        // So the buyer cannot pay for a cancelled order; if this fails and they still pay,
        // the payment is flagged for a refund when Stripe reports it.
        for p in records::for_order(db, id).await? {
            if let (Some(session), "open" | "creating") = (&p.session_id, p.status.as_str())
                && let Err(err) = gateway.expire_session(session).await
            {
                tracing::warn!(order_id = %id, error = %err, "could not close the Stripe session");
            }
        }
    }
    Ok(detail)
}
