//! What a coordinator enters: a payout, the shipping the NGO paid, a reversal. Each is one
//! transaction holding the artist's row, so two payouts for one artist are checked against
//! the balance one after the other, never both against the same balance.
use std::str::FromStr;

use chrono::{NaiveDate, Utc};
use entity::{artist, ledger_entry, order};
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QuerySelect};
use serde::Deserialize;
use utoipa::ToSchema;

use super::accounts::{self, EntryView, parse_day};
use super::entries::{self, NewEntry, PayoutDetails};
use super::{Kind, LedgerError, PayoutMethod};
use crate::error::FieldErrors;
use crate::money::{Currency, Money, stored_amount};
use crate::notifications::{MailSettings, payout_emails};
use crate::orders::OrderStatus;
use crate::validate::{line_field, optional_text, text_field};
use crate::{audit, db};

/// Takes the artist's row for the rest of the transaction. On SQLite every write
/// transaction already runs alone; PostgreSQL needs the row lock.
pub async fn lock_artist(
    conn: &impl ConnectionTrait,
    artist_id: &str,
) -> Result<artist::Model, LedgerError> {
    let mut query = artist::Entity::find_by_id(artist_id.to_string());
    if conn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query
        .one(conn)
        .await?
        .ok_or(LedgerError::NotFound("artist"))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutInput {
    /// What is paid against the balance, in `currency`.
    #[schema(value_type = String, pattern = "^([1-9][0-9]{0,8}(\\.[0-9]{1,3})?|0\\.([1-9][0-9]{0,2}|0[1-9][0-9]?|00[1-9]))$", example = "120.00")]
    #[serde(deserialize_with = "crate::money::wire::amount")]
    pub amount: Decimal,
    /// The balance's currency (ISO 4217).
    #[schema(value_type = crate::money::wire::CurrencyCode)]
    pub currency: String,
    #[schema(schema_with = PayoutMethod::schema)]
    pub method: String,
    /// The transfer's reference (hawala code, MTCN, bank reference, receipt number).
    #[schema(schema_with = crate::validate::schema::required_line::<200>)]
    pub reference: String,
    /// The day the money was handed over, YYYY-MM-DD.
    #[schema(value_type = String, format = Date, example = "2026-11-20")]
    pub paid_on: String,
    /// Units of `paid_currency` per unit of `currency` when paid in another currency, as a
    /// decimal ("71.25"); stored exactly as given.
    #[schema(value_type = Option<String>, pattern = "^([1-9][0-9]{0,8}(\\.[0-9]{1,9})?|0\\.0{0,8}[1-9][0-9]{0,8})$", example = "71.25")]
    #[serde(default, deserialize_with = "crate::money::wire::optional_rate")]
    pub exchange_rate: Option<Decimal>,
    /// The currency handed over, with `exchange_rate`.
    #[schema(value_type = Option<crate::money::wire::CurrencyCode>, example = "AFN")]
    pub paid_currency: Option<String>,
    /// Pay more than is owed (an advance against future sales).
    pub advance: Option<bool>,
    /// Pay although a sold painting's shipping cost is not entered yet: the balance then
    /// still counts that shipping as the artist's, and the artist may end up owing it.
    /// Without it such a payout is refused (409 `shipping_cost_missing`), naming the orders.
    pub before_shipping: Option<bool>,
    #[schema(schema_with = crate::validate::schema::optional_text::<1000>)]
    pub note: Option<String>,
}

/// The largest amount one entry may carry, in minor units (ten billion dollars): far above
/// any real payment, and far enough below i64's limit that sums of entries never overflow.
const LARGEST: i64 = 1_000_000_000_000;

fn positive_money(
    errors: &mut FieldErrors,
    amount: Decimal,
    currency: &str,
    field: &str,
) -> Option<Money> {
    let currency = errors.check("currency", Currency::parse(currency))?;
    let money = errors.check(field, Money::from_decimal(amount, currency))?;
    if money.minor() == 0 {
        errors.add(field, "must be more than zero");
        return None;
    }
    if money.minor() > LARGEST {
        errors.add(
            field,
            "is larger than any payment Hunar keeps; check the amount",
        );
        return None;
    }
    Some(money)
}

struct ValidPayout {
    money: Money,
    details: PayoutDetails,
    note: Option<String>,
}

fn validate_payout(input: PayoutInput, today: NaiveDate) -> Result<ValidPayout, FieldErrors> {
    let mut errors = FieldErrors::new();
    let money = positive_money(&mut errors, input.amount, &input.currency, "amount");
    let method = PayoutMethod::parse(&input.method);
    if method.is_none() {
        errors.add(
            "method",
            "expected bank_transfer, hawala, remittance, cash or other",
        );
    }
    let reference = line_field(&mut errors, "reference", &input.reference, true, 200);
    let paid_on = parse_day(&mut errors, "paid_on", &input.paid_on);
    // Kabul is ahead of UTC: its today may be UTC's tomorrow.
    if paid_on.is_some_and(|d| d > today + chrono::Days::new(1)) {
        errors.add("paid_on", "must not be in the future");
    }
    let note = optional_text(&mut errors, "note", input.note.as_deref(), 1000);
    let mut exchange = None;
    match (input.exchange_rate, input.paid_currency.as_deref()) {
        (None, None) => {}
        (Some(rate), Some(code)) => {
            let paid_currency = errors.check("paid_currency", Currency::parse(code));
            if rate <= Decimal::ZERO {
                errors.add("exchange_rate", "must be more than zero");
            }
            if let (Some(paid), Some(money)) = (paid_currency, money) {
                if paid == money.currency() {
                    errors.add("paid_currency", "give a rate only for another currency");
                }
                let paid_amount = money
                    .to_decimal()
                    .checked_mul(rate)
                    .map(|a| {
                        a.round_dp_with_strategy(
                            paid.exponent(),
                            RoundingStrategy::MidpointAwayFromZero,
                        )
                    })
                    .and_then(|a| Money::from_decimal(a, paid).ok());
                match paid_amount {
                    Some(p) if rate > Decimal::ZERO => {
                        exchange = Some((rate.normalize().to_string(), p));
                    }
                    Some(_) => {}
                    None => errors.add("exchange_rate", "gives an amount too large to keep"),
                }
            }
        }
        (Some(_), None) => errors.add("paid_currency", "required with exchange_rate"),
        (None, Some(_)) => errors.add("exchange_rate", "required with paid_currency"),
    }
    errors.into_result()?;
    let (Some(money), Some(method), Some(paid_on)) = (money, method, paid_on) else {
        return Err(FieldErrors::single("body", "invalid payout"));
    };
    Ok(ValidPayout {
        money,
        note,
        details: PayoutDetails {
            method: method.as_str().to_string(),
            reference,
            paid_on,
            exchange_rate: exchange.as_ref().map(|(rate, _)| rate.clone()),
            paid_amount_minor: exchange.as_ref().map(|(_, p)| p.minor()),
            paid_currency: exchange.map(|(_, p)| p.currency().code().to_string()),
            advance: input.advance.unwrap_or(false),
        },
    })
}

/// The view of one entry as it stands after the transaction that wrote it.
async fn view_of(db: &DatabaseConnection, entry_id: &str) -> Result<EntryView, LedgerError> {
    accounts::entry(db, entry_id)
        .await?
        .map(|(_, view)| view)
        .ok_or(LedgerError::NotFound("ledger entry"))
}

/// Records money handed to an artist. More than is owed is refused unless it is an advance.
pub async fn record_payout(
    db: &DatabaseConnection,
    mail: &MailSettings,
    admin_id: &str,
    artist_id: &str,
    input: PayoutInput,
) -> Result<EntryView, LedgerError> {
    let before_shipping = input.before_shipping.unwrap_or(false);
    let payout = validate_payout(input, Utc::now().date_naive())?;
    let currency = payout.money.currency().code();
    let by = format!("admin:{admin_id}");
    let txn = db::begin_write(db).await?;
    let a = lock_artist(&txn, artist_id).await?;
    let owed = accounts::owed(&txn, artist_id, currency).await?;
    if payout.money.minor() > owed && !payout.details.advance {
        return Err(LedgerError::OverBalance {
            owed_minor: owed,
            currency: currency.to_string(),
            message: format!(
                "{} is owed {} {currency}; paying {} {currency} needs `advance: true`",
                a.display_name,
                stored_amount(owed, currency),
                payout.money.to_decimal(),
            ),
        });
    }
    if !before_shipping {
        let waiting = unshipped_sales(&txn, artist_id, currency).await?;
        if !waiting.is_empty() {
            let references: Vec<String> = waiting
                .iter()
                .map(|id| crate::orders::reference(id))
                .collect();
            return Err(LedgerError::ShippingMissing {
                message: format!(
                    "the shipping cost of {} is not entered yet, so what {} is owed still \
                     counts it as theirs: enter it on the order first, or send \
                     `before_shipping: true` (the artist may then owe it)",
                    references.join(", "),
                    a.display_name
                ),
                references,
            });
        }
    }
    let mut entry = NewEntry::new(artist_id, Kind::Payout, -payout.money.minor(), currency, by)
        .note(payout.note);
    entry.payout = Some(payout.details);
    let (id, row) = entry.into_row();
    let written = sea_orm::ActiveModelTrait::insert(row, &txn).await?;
    payout_emails::on_payout(&txn, mail, &a, &written).await?;
    audit::record(&txn, admin_id, "ledger.payout", "artist", artist_id, &[]).await?;
    txn.commit().await?;
    view_of(db, &id).await
}

/// The artist's sold orders in `currency` whose shipping cost is not entered: a sale that no
/// refund or reversal undid, and no shipping entry that stands. Oldest first.
async fn unshipped_sales(
    conn: &impl ConnectionTrait,
    artist_id: &str,
    currency: &str,
) -> Result<Vec<String>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let rows = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::ArtistId.eq(artist_id))
        .filter(ledger_entry::Column::Currency.eq(currency))
        .filter(ledger_entry::Column::OrderId.is_not_null())
        .order_by_asc(ledger_entry::Column::CreatedAt)
        .all(conn)
        .await?;
    let undone: std::collections::HashSet<&str> = rows
        .iter()
        .filter_map(|e| e.reverses_id.as_deref())
        .collect();
    let standing = |kind: Kind, order: &str| {
        rows.iter().any(|e| {
            e.kind == kind.as_str()
                && e.order_id.as_deref() == Some(order)
                && !undone.contains(e.id.as_str())
        })
    };
    let mut waiting: Vec<String> = Vec::new();
    for sale in rows.iter().filter(|e| e.kind == Kind::Sale.as_str()) {
        let Some(order) = sale.order_id.as_deref() else {
            continue;
        };
        if !undone.contains(sale.id.as_str())
            && !standing(Kind::Refund, order)
            && !standing(Kind::Shipping, order)
            && !waiting.iter().any(|w| w == order)
        {
            waiting.push(order.to_string());
        }
    }
    Ok(waiting)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingCostInput {
    /// What the NGO paid to send the painting.
    #[schema(value_type = String, pattern = "^([1-9][0-9]{0,8}(\\.[0-9]{1,3})?|0\\.([1-9][0-9]{0,2}|0[1-9][0-9]?|00[1-9]))$", example = "35.00")]
    #[serde(deserialize_with = "crate::money::wire::amount")]
    pub amount: Decimal,
    #[schema(value_type = crate::money::wire::CurrencyCode)]
    pub currency: String,
    #[schema(schema_with = crate::validate::schema::optional_text::<1000>)]
    pub note: Option<String>,
}

/// A checked shipping cost, ready to be written in a transaction.
pub struct ShippingCost {
    money: Money,
    note: Option<String>,
}

pub fn validate_shipping(input: &ShippingCostInput) -> Result<ShippingCost, FieldErrors> {
    let mut errors = FieldErrors::new();
    let money = positive_money(&mut errors, input.amount, &input.currency, "amount");
    let note = optional_text(&mut errors, "note", input.note.as_deref(), 1000);
    errors.into_result()?;
    let money = money.ok_or_else(|| FieldErrors::single("amount", "invalid"))?;
    Ok(ShippingCost { money, note })
}

/// Writes a shipping cost against a sold order inside the caller's transaction. One per
/// order: a wrong one is reversed, then entered again.
pub async fn shipping_in(
    conn: &impl ConnectionTrait,
    admin_id: &str,
    o: &order::Model,
    cost: ShippingCost,
) -> Result<String, LedgerError> {
    let sold = matches!(
        OrderStatus::parse(&o.status),
        Some(OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered)
    );
    if !sold {
        return Err(LedgerError::NotAllowed(format!(
            "the order is {}: shipping is recorded for paid orders",
            o.status
        )));
    }
    if cost.money.currency().code() != o.currency {
        return Err(FieldErrors::single(
            "currency",
            format!(
                "enter the cost in the sale's currency, {}; note what was paid in another",
                o.currency
            ),
        )
        .into());
    }
    lock_artist(conn, &o.artist_id).await?;
    if accounts::recorded_shipping(conn, &o.id).await?.is_some() {
        return Err(LedgerError::NotAllowed(
            "this order's shipping cost is recorded already; reverse it to enter another".into(),
        ));
    }
    let entry = NewEntry::new(
        &o.artist_id,
        Kind::Shipping,
        -cost.money.minor(),
        cost.money.currency().code(),
        format!("admin:{admin_id}"),
    )
    .for_order(&o.id)
    .note(cost.note);
    let (id, row) = entry.into_row();
    sea_orm::ActiveModelTrait::insert(row, conn).await?;
    audit::record(conn, admin_id, "ledger.shipping", "order", &o.id, &[]).await?;
    Ok(id)
}

pub async fn record_shipping(
    db: &DatabaseConnection,
    admin_id: &str,
    order_id: &str,
    input: ShippingCostInput,
) -> Result<EntryView, LedgerError> {
    let cost = validate_shipping(&input)?;
    let txn = db::begin_write(db).await?;
    let o = order::Entity::find_by_id(order_id.to_string())
        .one(&txn)
        .await?
        .ok_or(LedgerError::NotFound("order"))?;
    let id = shipping_in(&txn, admin_id, &o, cost).await?;
    txn.commit().await?;
    view_of(db, &id).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReversalInput {
    /// Why the entry was wrong; kept with the reversal.
    #[schema(schema_with = crate::validate::schema::required_text::<1000>)]
    pub reason: String,
}

/// Undoes an entry made by mistake with an entry of the opposite amount. An entry is undone
/// once; reversals and refunds are not undone (a refund follows its order).
pub async fn reverse(
    db: &DatabaseConnection,
    admin_id: &str,
    entry_id: &str,
    input: ReversalInput,
) -> Result<EntryView, LedgerError> {
    let mut errors = FieldErrors::new();
    let reason = text_field(&mut errors, "reason", &input.reason, true, 1000);
    errors.into_result()?;
    let txn = db::begin_write(db).await?;
    let original = ledger_entry::Entity::find_by_id(entry_id.to_string())
        .one(&txn)
        .await?
        .ok_or(LedgerError::NotFound("ledger entry"))?;
    if matches!(
        Kind::parse(&original.kind),
        Some(Kind::Reversal | Kind::Refund)
    ) {
        return Err(LedgerError::NotAllowed(format!(
            "a {} entry cannot be reversed",
            original.kind
        )));
    }
    lock_artist(&txn, &original.artist_id).await?;
    let mut entry = NewEntry::new(
        &original.artist_id,
        Kind::Reversal,
        original.amount_minor.saturating_neg(),
        &original.currency,
        format!("admin:{admin_id}"),
    )
    .reverses(&original.id)
    .note(Some(reason));
    entry.order_id = original.order_id.clone();
    let Some(id) = entries::insert_once(&txn, entry).await? else {
        return Err(LedgerError::AlreadyReversed(
            "this entry is reversed already".into(),
        ));
    };
    audit::record(
        &txn,
        admin_id,
        "ledger.reverse",
        "artist",
        &original.artist_id,
        &[],
    )
    .await?;
    txn.commit().await?;
    view_of(db, &id).await
}

/// Parses an exchange rate given as text (the console's form).
pub fn parse_rate(text: &str) -> Option<Decimal> {
    Decimal::from_str(text.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(amount: &str, rate: Option<&str>, paid: Option<&str>) -> PayoutInput {
        PayoutInput {
            amount: Decimal::from_str(amount).expect("amount"),
            currency: "USD".into(),
            method: "hawala".into(),
            reference: "K-7781".into(),
            paid_on: "2026-11-20".into(),
            exchange_rate: rate.map(|r| Decimal::from_str(r).expect("rate")),
            paid_currency: paid.map(str::to_string),
            advance: None,
            before_shipping: None,
            note: None,
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).expect("a day")
    }

    #[test]
    fn a_rate_converts_exactly_to_the_paid_currency_minor_unit() {
        let p =
            validate_payout(input("120.00", Some("71.255"), Some("AFN")), today()).expect("valid");
        assert_eq!(p.money.minor(), 12_000);
        // 120 × 71.255 = 8550.60 AFN (AFN has two decimals).
        assert_eq!(p.details.paid_amount_minor, Some(855_060));
        assert_eq!(p.details.exchange_rate.as_deref(), Some("71.255"));
        let p = validate_payout(input("0.01", Some("0.5"), Some("EUR")), today()).expect("valid");
        // Half a cent rounds away from zero.
        assert_eq!(p.details.paid_amount_minor, Some(1));
    }

    #[test]
    fn payouts_refuse_what_cannot_be_kept_exactly() {
        for bad in [
            input("0", None, None),
            input("10.001", None, None),
            input("10", Some("70"), None),
            input("10", None, Some("AFN")),
            input("10", Some("0"), Some("AFN")),
            input("10", Some("1"), Some("USD")),
            input("10", Some("70"), Some("XXX")),
        ] {
            assert!(validate_payout(bad, today()).is_err());
        }
        let mut future = input("10", None, None);
        future.paid_on = "2026-11-28".into();
        assert!(validate_payout(future, today()).is_err());
        let mut odd = input("10", None, None);
        odd.paid_on = "2026-2-3".into();
        assert!(validate_payout(odd, today()).is_err());
    }
}
