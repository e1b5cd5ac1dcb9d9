//! Read models of an order: the summary every answer carries and the admin list and detail
//! (the buyer's private view is in `buyer_view`). Nothing here changes an order.
use chrono::{DateTime, Utc};
use entity::{artist, order, order_history};
use sea_orm::ExprTrait;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::OrderError;
use super::reference::reference;
use super::state::{OrderStatus, status_of};
use crate::config::Config;
use crate::error::FieldErrors;
use crate::notifications::outbox;
use crate::organisation::Organisation;
use crate::pagination::{self, Page, Pagination};
use crate::payments::records;
use crate::vault::Open;
use sea_orm::DbErr;

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderSummary {
    pub id: String,
    pub status: OrderStatus,
    pub artwork_id: String,
    #[schema(value_type = String, pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "50.00")]
    pub amount: rust_decimal::Decimal,
    #[schema(pattern = "^[A-Z]{3}$", example = "USD")]
    pub currency: String,
    pub zone: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

fn amount_of(o: &order::Model) -> rust_decimal::Decimal {
    crate::money::stored_amount(o.amount_minor, &o.currency)
}

pub(super) fn summary(o: &order::Model) -> OrderSummary {
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

/// The one deadline a buyer who pays by hand is given: the full hold's end, also while the
/// hold is still the short one (that one is said as "confirm within N hours").
pub fn pay_by(config: &Config, o: &order::Model) -> DateTime<Utc> {
    if o.hold_confirmed_at.is_none() && o.payment_method == "manual" {
        let full = o.created_at + chrono::Duration::days(i64::from(config.manual_reservation_days));
        std::cmp::max(full, o.expires_at)
    } else {
        o.expires_at
    }
}

/// How to pay a manual order, in the buyer's language: the organisation's ways to pay in the
/// order's currency, with the amount, the reference and the one deadline filled in. Without
/// any kept in the console, the server's `MANUAL_PAYMENT_INSTRUCTIONS`.
pub fn manual_instructions(config: &Config, org: &Organisation, o: &order::Model) -> String {
    let deadline =
        crate::notifications::render::local_time(pay_by(config, o), o.time_zone.as_deref());
    let fallback = config
        .manual_payment_instructions
        .replace("{reference}", &reference(&o.id))
        .replace("{amount}", &format!("{} {}", amount_of(o), o.currency))
        .replace("{expires}", &deadline);
    let options: Vec<minijinja::Value> = org
        .options_for(&o.currency)
        .into_iter()
        .map(|option| {
            minijinja::context! {
                method => option.method.as_str(),
                account_holder => &option.account_holder,
                iban => &option.iban,
                bic => &option.bic,
                bank => &option.bank,
                account_number => &option.account_number,
                swish_number => &option.swish_number,
                note => option.note(&o.language).map(|(_, note)| note),
            }
        })
        .collect();
    let ctx = minijinja::context! {
        options => options,
        fallback => &fallback,
        amount => amount_of(o).to_string(),
        currency => &o.currency,
        reference => reference(&o.id),
        deadline => &deadline,
    };
    crate::notifications::render::render_text("payment_instructions", &o.language, ctx)
        .unwrap_or(fallback)
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
    #[schema(schema_with = payment_method_schema)]
    pub payment_method: String,
    pub payment_reference: Option<String>,
    /// Null once the buyer's data was erased (`buyer_erased_at`).
    pub buyer: Option<BuyerView>,
    /// Null once the buyer's data was erased; `country` stays.
    pub shipping_address: Option<AddressView>,
    /// ISO 3166-1 alpha-2: where the painting went (kept after erasure, for the accounts).
    pub country: String,
    pub note: Option<String>,
    /// When the buyer's name, contact, address and note were erased.
    pub buyer_erased_at: Option<DateTime<Utc>>,
    pub artwork_title: String,
    pub artist_id: String,
    pub artist_name: String,
    pub size_tier: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    /// The carrier's page for the parcel, for a carrier Hunar knows.
    pub tracking_url: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// The language the buyer ordered in.
    pub language: String,
    /// The buyer's time zone, when known.
    pub time_zone: Option<String>,
    /// When the buyer said they had paid.
    pub paid_claimed_at: Option<DateTime<Utc>>,
    /// A payment recorded after the hold ended, the painting sold meanwhile: until the
    /// buyer is refunded or given another painting.
    pub late_payment_reference: Option<String>,
    pub late_payment_at: Option<DateTime<Utc>>,
}

impl AdminOrderView {
    /// The order as a coordinator sees it, the buyer's data opened (none once erased).
    pub fn open(o: order::Model) -> Result<Self, DbErr> {
        let erased = o.buyer_erased_at.is_some();
        Ok(Self {
            order: summary(&o),
            reference: reference(&o.id),
            payment_method: o.payment_method,
            payment_reference: o.payment_reference,
            buyer: match erased {
                true => None,
                false => Some(BuyerView {
                    name: o.buyer_name.open()?,
                    email: o.buyer_email.open()?,
                    phone: o.buyer_phone.open()?,
                }),
            },
            shipping_address: match erased {
                true => None,
                false => Some(AddressView {
                    line1: o.ship_line1.open()?,
                    line2: o.ship_line2.open()?,
                    city: o.ship_city.open()?,
                    postal_code: o.ship_postal_code.open()?,
                    region: o.ship_region.open()?,
                    country: o.ship_country.clone(),
                }),
            },
            country: o.ship_country,
            note: o.note.open()?,
            buyer_erased_at: o.buyer_erased_at,
            artwork_title: o.artwork_title,
            artist_id: o.artist_id,
            artist_name: o.artist_name,
            size_tier: o.tier_name,
            tracking_url: o
                .carrier
                .as_deref()
                .zip(o.tracking_number.as_deref())
                .and_then(|(carrier, number)| super::carriers::tracking_url(carrier, number)),
            carrier: o.carrier,
            tracking_number: o.tracking_number,
            paid_at: o.paid_at,
            shipped_at: o.shipped_at,
            delivered_at: o.delivered_at,
            closed_at: o.closed_at,
            updated_at: o.updated_at,
            language: o.language,
            time_zone: o.time_zone,
            paid_claimed_at: o.paid_claimed_at,
            late_payment_reference: o.late_payment_reference,
            late_payment_at: o.late_payment_at,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    #[schema(value_type = Option<OrderStatus>)]
    pub from: Option<String>,
    #[schema(value_type = OrderStatus)]
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
    #[param(schema_with = order_status_schema)]
    pub status: Option<String>,
    /// Artist id or slug.
    pub artist: Option<String>,
    /// `stripe` or `manual`.
    #[param(schema_with = payment_method_schema)]
    pub payment_method: Option<String>,
    /// The order's reference (`HN-789ABCDE`, or its last characters).
    #[param(schema_with = reference_schema)]
    pub reference: Option<String>,
    /// The buyer's email address, whole (any case; a `+tag` is ignored). Found by its keyed
    /// hash: the database holds no address it could be matched against in the clear.
    #[param(schema_with = crate::validate::schema::optional_email)]
    pub buyer_email: Option<String>,
    /// Placed on or after this day (`YYYY-MM-DD`).
    #[param(value_type = Option<String>, format = Date)]
    pub placed_from: Option<chrono::NaiveDate>,
    /// Placed on or before this day (`YYYY-MM-DD`).
    #[param(value_type = Option<String>, format = Date)]
    pub placed_to: Option<chrono::NaiveDate>,
    #[param(schema_with = crate::pagination::page_schema)]
    pub page: Option<u64>,
    #[param(schema_with = crate::pagination::per_page_schema)]
    pub per_page: Option<u64>,
    /// The zone the days are in (the console passes its coordinator's; the API means UTC).
    #[serde(skip)]
    #[param(ignore)]
    pub time_zone: Option<chrono_tz::Tz>,
}

/// Where a day in `zone` starts, in UTC (the earliest instant of that date there).
fn start_of(day: chrono::NaiveDate, zone: chrono_tz::Tz) -> DateTime<Utc> {
    use chrono::TimeZone;
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    zone.from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        // A zone that skips midnight that day: an hour later exists.
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
}

/// What the `reference` filter takes: blank (no filter), or up to 32 letters and digits of an
/// order's reference, after an optional `HN`, `HN-` or `HN ` (any case), around ASCII spaces.
/// `reference_tail` reads exactly this.
pub const REFERENCE_PATTERN: &str =
    "^[\\t\\n\\f\\r ]*(([Hh][Nn][- ]?)?[A-Za-z0-9]{1,32}[\\t\\n\\f\\r ]*)?$";

fn order_status_schema() -> utoipa::openapi::Object {
    crate::validate::schema::one_of(OrderStatus::ALL.map(OrderStatus::as_str), false)
}

pub(super) fn payment_method_schema() -> utoipa::openapi::Object {
    crate::validate::schema::one_of(["stripe", "manual"], false)
}

fn reference_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .pattern(Some(REFERENCE_PATTERN))
        .build()
}

fn is_blank(text: &str) -> bool {
    text.trim_matches(|c: char| c.is_ascii_whitespace())
        .is_empty()
}

/// The reference's distinctive tail, lower-cased as ids are (`HN-789ABCDE` → `789abcde`).
/// Ids are hex, so a leading `hn` is always the prefix when what follows is a tail.
fn reference_tail(reference: &str) -> Option<String> {
    let r = reference.trim_matches(|c: char| c.is_ascii_whitespace());
    let is_tail =
        |t: &str| (1..=32).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric());
    let after_prefix = r
        .get(..2)
        .filter(|p| p.eq_ignore_ascii_case("hn"))
        .map(|_| {
            let rest = &r[2..];
            rest.strip_prefix(['-', ' ']).unwrap_or(rest)
        });
    let tail = after_prefix
        .filter(|t| is_tail(t))
        .or(Some(r).filter(|t| is_tail(t)))?;
    Some(tail.to_ascii_lowercase())
}

pub async fn list(
    db: &DatabaseConnection,
    vault: &crate::vault::Vault,
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
    if let Some(method) = filter.payment_method.as_deref()
        && !["stripe", "manual"].contains(&method)
    {
        errors.add("payment_method", "expected stripe or manual");
    }
    let reference = filter.reference.as_deref().filter(|r| !is_blank(r));
    let tail = reference.and_then(reference_tail);
    if reference.is_some() && tail.is_none() {
        errors.add("reference", "expected a reference such as HN-789ABCDE");
    }
    let buyer_email = filter
        .buyer_email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    if let Some(email) = buyer_email {
        if email.chars().count() > 254 {
            errors.refuse("buyer_email", crate::error::Rule::TooLong { max: 254 });
        } else {
            crate::validate::email(&mut errors, "buyer_email", email);
        }
    }
    errors.into_result()?;
    let page = page.ok_or_else(|| FieldErrors::single("page", "invalid"))?;
    let zone = filter.time_zone.unwrap_or(chrono_tz::UTC);
    let mut query = order::Entity::find()
        .order_by_desc(order::Column::CreatedAt)
        .order_by_desc(order::Column::Id);
    if let Some(status) = status {
        query = query.filter(order::Column::Status.eq(status.as_str()));
    }
    if let Some(method) = filter.payment_method {
        query = query.filter(order::Column::PaymentMethod.eq(method));
    }
    if let Some(tail) = tail {
        query = query.filter(order::Column::Id.ends_with(tail.as_str()));
    }
    if let Some(email) = buyer_email {
        query = query.filter(order::Column::EmailKey.is_in(vault.email_hashes(email)));
    }
    if let Some(day) = filter.placed_from {
        query = query.filter(order::Column::CreatedAt.gte(start_of(day, zone)));
    }
    if let Some(day) = filter.placed_to.and_then(|d| d.succ_opt()) {
        query = query.filter(order::Column::CreatedAt.lt(start_of(day, zone)));
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
    Ok(pagination::fetch_opened(db, query, page, AdminOrderView::open).await?)
}

pub(super) async fn find(
    conn: &impl sea_orm::ConnectionTrait,
    id: &str,
) -> Result<order::Model, OrderError> {
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
        order: AdminOrderView::open(o)?,
        history,
        emails: outbox::for_order(db, id)
            .await?
            .into_iter()
            .map(|e| serde_json::to_value(e).unwrap_or_default())
            .collect(),
        payments: records::for_order(db, id).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_is_searched_by_its_tail() {
        assert_eq!(reference_tail("HN-789ABCDE").as_deref(), Some("789abcde"));
        assert_eq!(reference_tail(" hn-9abcde ").as_deref(), Some("9abcde"));
        assert_eq!(reference_tail("'; drop"), None);
        assert_eq!(reference_tail("HN-789A BCDE"), None);
        assert_eq!(reference_tail("HN 789ABCDE").as_deref(), Some("789abcde"));
        assert_eq!(reference_tail("hn789abcde").as_deref(), Some("789abcde"));
        assert_eq!(reference_tail("HN").as_deref(), Some("hn"));
        assert_eq!(reference_tail("HN-"), None);
        assert_eq!(reference_tail("  "), None);
    }

    proptest::proptest! {
        /// The filter takes exactly what the document's pattern for it allows.
        #[test]
        fn the_reference_filter_takes_what_its_pattern_says(
            reference in proptest::prop_oneof![
                proptest::prelude::any::<String>(),
                "[ \\t\\n\\x{a0}HhNn0-9a-z'-]{0,12}",
                "[ ]?(HN-|hn-|Hn-|HN |hN|HN)?[A-Za-z0-9]{0,34}[ ]?",
                "[ ]?[Hh][Nn][- ]{0,2}[A-Za-z0-9 -]{0,3}",
            ]
        ) {
            let pattern = regex::Regex::new(REFERENCE_PATTERN).expect("the pattern compiles");
            let accepted = is_blank(&reference) || reference_tail(&reference).is_some();
            proptest::prop_assert_eq!(accepted, pattern.is_match(&reference), "{:?}", reference);
        }
    }

    #[test]
    fn a_day_starts_at_local_midnight() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("a date");
        assert_eq!(
            start_of(day, chrono_tz::Asia::Kabul).to_rfc3339(),
            "2026-11-24T19:30:00+00:00"
        );
        assert_eq!(
            start_of(day, chrono_tz::UTC).to_rfc3339(),
            "2026-11-25T00:00:00+00:00"
        );
    }
}
