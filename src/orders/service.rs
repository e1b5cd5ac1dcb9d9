//! Placing orders and the admin actions on them.
use chrono::{DateTime, Utc};
use entity::{artist, artwork, order, order_history, shipping_zone, size_tier, size_tier_price};
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    TryIntoModel,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::OrderError;
use super::idempotency::{self, Claim};
use super::state::{self, Actor, Change, OrderStatus, status_of};
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

/// Places an order: reserves the painting and freezes its price, all in one transaction
/// together with the stored idempotent answer. Two buyers racing for one painting: one
/// conditional UPDATE wins, the other gets `ArtworkUnavailable`.
pub async fn place(
    db: &DatabaseConnection,
    config: &Config,
    mail: &MailSettings,
    cards: Option<checkout::Checkout<'_>>,
    idempotency_key: &str,
    request_hash: &str,
    req: &OrderRequest,
) -> Result<Placement, OrderError> {
    let new = validate(req, cards.is_some())?;
    // A painting already taken is refused without opening a write transaction, with one
    // read that also brings this key's earlier answer: under a rush for one painting, a loser
    // costs one query. The conditional UPDATE below is still what decides.
    let (status, key_row) = precheck(db, &new.artwork_id, idempotency_key).await?;
    if status != Some(ArtworkStatus::Available) {
        // Taken, perhaps by this very request's first attempt: the order and its stored
        // answer commit together, so the answer is visible whenever the painting is taken.
        if let Some(Claim::Replay { status, body }) = idempotency::answer_in(key_row, request_hash)?
        {
            return Ok(Placement::Replay { status, body });
        }
        return Err(match status {
            Some(s) if s.is_public() => OrderError::ArtworkUnavailable(s.as_str().into()),
            _ => OrderError::NotFound("artwork"),
        });
    }
    let txn = db::begin_write(db).await?;
    let now = Utc::now();
    // The guard against a double sale: only one transaction can move the painting out of
    // `available`; RETURNING hands back the row so it is not read twice.
    let reserved = artwork::Entity::update_many()
        .col_expr(
            artwork::Column::Status,
            Expr::value(ArtworkStatus::Reserved.as_str()),
        )
        .col_expr(artwork::Column::UpdatedAt, Expr::value(now))
        .filter(artwork::Column::Id.eq(new.artwork_id.as_str()))
        .filter(artwork::Column::Status.eq(ArtworkStatus::Available.as_str()))
        .exec_with_returning(&txn)
        .await?;
    let Some(artwork) = reserved.into_iter().next() else {
        let existing = artwork::Entity::find_by_id(new.artwork_id.clone())
            .one(&txn)
            .await?;
        txn.rollback().await?;
        // Taken while we waited for its row, perhaps by this same request sent twice at once:
        // that one's answer is committed with it.
        if let Some(Claim::Replay { status, body }) =
            idempotency::lookup(db, idempotency_key, request_hash).await?
        {
            return Ok(Placement::Replay { status, body });
        }
        return Err(match existing {
            Some(a) if ArtworkStatus::parse(&a.status).is_some_and(ArtworkStatus::is_public) => {
                OrderError::ArtworkUnavailable(a.status)
            }
            _ => OrderError::NotFound("artwork"),
        });
    };

    let not_shipped = || {
        FieldErrors::single(
            "shipping_address.country",
            format!("this painting cannot be shipped to {} yet", new.country),
        )
    };
    let snapshot = price_snapshot(&txn, &artwork, new.country).await?;
    let zone = snapshot.zone.clone().ok_or_else(not_shipped)?;
    let price = pricing::price_from(&artwork, snapshot.tier_price).ok_or_else(not_shipped)?;

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
    let model = order::ActiveModel {
        id: Set(id.clone()),
        artwork_id: Set(artwork.id.clone()),
        status: Set(OrderStatus::PendingPayment.as_str().into()),
        payment_method: Set(new.method.as_str().into()),
        access_token_hash: Set(token::digest(&access_token)),
        buyer_name: Set(new.buyer_name),
        buyer_email: Set(new.buyer_email),
        buyer_phone: Set(new.buyer_phone),
        ship_line1: Set(new.line1),
        ship_line2: Set(new.line2),
        ship_city: Set(new.city),
        ship_postal_code: Set(new.postal_code),
        ship_region: Set(new.region),
        ship_country: Set(new.country.to_string()),
        note: Set(new.note),
        amount_minor: Set(price.minor()),
        currency: Set(price.currency().code().into()),
        zone_id: Set(zone.id.clone()),
        zone_name: Set(zone.name.clone()),
        tier_id: Set(artwork.size_tier_id.clone()),
        tier_name: Set(snapshot.tier_name),
        artwork_title: Set(artwork.title.clone()),
        artist_id: Set(artwork.artist_id.clone()),
        artist_name: Set(snapshot.artist.display_name.clone()),
        payment_reference: Set(None),
        carrier: Set(None),
        tracking_number: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        expires_at: Set(expires_at),
        paid_at: Set(None),
        shipped_at: Set(None),
        delivered_at: Set(None),
        closed_at: Set(None),
    };
    let model = model.clone().try_into_model()?;
    order::Entity::insert(order::ActiveModel::from(model.clone()))
        .exec_without_returning(&txn)
        .await
        .map_err(|e| {
            // The partial unique index: another order already holds this painting.
            if db::is_unique_violation(&e) {
                OrderError::ArtworkUnavailable(ArtworkStatus::Reserved.as_str().into())
            } else {
                e.into()
            }
        })?;
    state::record(
        &txn,
        &id,
        None,
        OrderStatus::PendingPayment,
        &Actor::Buyer,
        None,
    )
    .await?;

    let mut placed = PlacedOrder {
        order: summary(&model),
        access_token,
        payment: PaymentInfo {
            method: new.method,
            checkout_url: None,
            instructions: None,
        },
    };
    let cards = match (new.method, cards) {
        (PaymentMethod::Stripe, Some(checkout)) => Some(checkout),
        _ => None,
    };
    let Some(card) = cards else {
        let instructions = manual_instructions(config, &model);
        order_emails::on_placed(&txn, mail, &model, Some(&snapshot.artist), &instructions).await?;
        placed.payment.instructions = Some(instructions);
        let body = to_json(&placed)?;
        if let Claim::Replay { status, body } =
            idempotency::claim(&txn, idempotency_key, request_hash, Some((201, &body))).await?
        {
            txn.rollback().await?;
            return Ok(Placement::Replay { status, body });
        }
        txn.commit().await?;
        tracing::info!(order_id = %id, artwork_id = %artwork.id, "order placed");
        return Ok(Placement::Created { body });
    };

    // A price Stripe cannot charge is refused before anything is kept.
    checkout::unit_amount(&model)?;
    let attempt = checkout::open_attempt(&txn, &model).await?;
    let image_url = checkout::cover_image(&txn, card.media, &artwork.id).await?;
    // The painting stays held while Stripe is asked; the key stays claimed without an answer
    // (a concurrent retry gets "in progress") until the answer is stored below.
    if let Claim::Replay { status, body } =
        idempotency::claim(&txn, idempotency_key, request_hash, None).await?
    {
        txn.rollback().await?;
        return Ok(Placement::Replay { status, body });
    }
    txn.commit().await?;
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
    tracing::info!(order_id = %id, artwork_id = %artwork.id, "card order placed");
    Ok(Placement::Created { body })
}

fn to_json(placed: &PlacedOrder) -> Result<String, OrderError> {
    serde_json::to_string(placed).map_err(|e| OrderError::NotAllowed(e.to_string()))
}

/// The painting's status and the stored row of this Idempotency-Key, in one query.
async fn precheck(
    db: &DatabaseConnection,
    artwork_id: &str,
    key: &str,
) -> Result<
    (
        Option<ArtworkStatus>,
        Option<entity::idempotency_key::Model>,
    ),
    OrderError,
> {
    use entity::idempotency_key as k;
    use sea_orm::sea_query::JoinType;
    use sea_orm::{ConnectionTrait, FromQueryResult};
    let mut query = Query::select();
    query.expr_as(
        Expr::col((artwork::Entity, artwork::Column::Status)),
        "artwork_status",
    );
    db::select_prefixed::<k::Entity>(&mut query, "key_");
    query
        .from(artwork::Entity)
        .join(
            JoinType::LeftJoin,
            k::Entity,
            Expr::col((k::Entity, k::Column::Key)).eq(key),
        )
        .and_where(Expr::col((artwork::Entity, artwork::Column::Id)).eq(artwork_id));
    let Some(row) = db.query_one(&query).await? else {
        // No such painting; a stored refusal for this key says the same.
        let key_row = k::Entity::find_by_id(key.to_string()).one(db).await?;
        return Ok((None, key_row));
    };
    let status: String = row.try_get("", "artwork_status")?;
    let has_key: Option<String> = row.try_get("", "key_key")?;
    let key_row = match has_key {
        Some(_) => Some(k::Model::from_query_result(&row, "key_")?),
        None => None,
    };
    Ok((ArtworkStatus::parse(&status), key_row))
}

/// What an order freezes, read in one query: the destination's zone, the tier's name and
/// price there, and the artist (for the emails).
struct PriceSnapshot {
    zone: Option<zones::ZoneRef>,
    tier_name: String,
    tier_price: Option<Money>,
    artist: artist::Model,
}

async fn price_snapshot(
    conn: &impl sea_orm::ConnectionTrait,
    artwork: &artwork::Model,
    country: CountryCode,
) -> Result<PriceSnapshot, OrderError> {
    use sea_orm::FromQueryResult;
    use sea_orm::sea_query::{Alias, Condition, JoinType, SimpleExpr};
    let zone = Alias::new("zone");
    let mut zone_id = zones::zone_for_country_query(country);
    zone_id.clear_selects();
    zone_id.column((shipping_zone::Entity, shipping_zone::Column::Id));
    let mut query = Query::select();
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
        );
    db::select_prefixed::<artist::Entity>(&mut query, "artist_");
    query
        .from(size_tier::Entity)
        .join(
            JoinType::InnerJoin,
            artist::Entity,
            Expr::col((artist::Entity, artist::Column::Id)).eq(artwork.artist_id.as_str()),
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
        .and_where(
            Expr::col((size_tier::Entity, size_tier::Column::Id)).eq(artwork.size_tier_id.as_str()),
        );
    let row = conn
        .query_one(&query)
        .await?
        .ok_or(OrderError::NotFound("size tier"))?;
    let currency: String = row.try_get("", "currency")?;
    let amount: Option<i64> = row.try_get("", "amount_minor")?;
    let zone_id: Option<String> = row.try_get("", "zone_id")?;
    let zone_name: Option<String> = row.try_get("", "zone_name")?;
    Ok(PriceSnapshot {
        zone: zone_id
            .zip(zone_name)
            .map(|(id, name)| zones::ZoneRef { id, name }),
        tier_name: row.try_get("", "tier_name")?,
        tier_price: amount
            .zip(Currency::parse(&currency).ok())
            .map(|(m, c)| Money::from_minor(m, c)),
        artist: artist::Model::from_query_result(&row, "artist_")?,
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
