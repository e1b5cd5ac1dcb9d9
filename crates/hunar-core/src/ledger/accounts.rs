//! Reading the ledger: an artist's entries with the running balance, what is owed per
//! currency, and the totals across artists. All sums are integer minor units per currency.
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use entity::{admin, artist, ledger_entry};
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::terms::{self, TermsView};
use super::{Kind, LedgerError};
use crate::error::FieldErrors;
use crate::money::stored_amount;
use crate::orders::reference;

/// An artist's entries, oldest first (the order balances run in).
pub async fn entries_of(
    conn: &impl ConnectionTrait,
    artist_id: &str,
) -> Result<Vec<ledger_entry::Model>, DbErr> {
    ledger_entry::Entity::find()
        .filter(ledger_entry::Column::ArtistId.eq(artist_id))
        .order_by_asc(ledger_entry::Column::CreatedAt)
        .order_by_asc(ledger_entry::Column::Id)
        .all(conn)
        .await
}

/// What an artist is owed in `currency` now, from the entries committed so far.
pub async fn owed(
    conn: &impl ConnectionTrait,
    artist_id: &str,
    currency: &str,
) -> Result<i64, DbErr> {
    Ok(ledger_entry::Entity::find()
        .filter(ledger_entry::Column::ArtistId.eq(artist_id))
        .filter(ledger_entry::Column::Currency.eq(currency))
        .all(conn)
        .await?
        .iter()
        .fold(0i64, |owed, e| owed.saturating_add(e.amount_minor)))
}

/// A period of entry dates, both ends included (UTC days).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// First day, YYYY-MM-DD.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
}

/// A checked period.
#[derive(Debug, Clone, Copy, Default)]
pub struct Days {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

pub fn parse_day(errors: &mut FieldErrors, field: &str, value: &str) -> Option<NaiveDate> {
    let day = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .filter(|_| value.len() == 10);
    if day.is_none() {
        errors.add(field, "expected a date as YYYY-MM-DD, e.g. 2026-11-26");
    }
    day
}

impl Period {
    pub fn check(&self) -> Result<Days, FieldErrors> {
        let mut errors = FieldErrors::new();
        let from = self
            .from
            .as_deref()
            .and_then(|d| parse_day(&mut errors, "from", d));
        let to = self
            .to
            .as_deref()
            .and_then(|d| parse_day(&mut errors, "to", d));
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            errors.add("to", "must not be before `from`");
        }
        errors.into_result()?;
        Ok(Days { from, to })
    }
}

impl Days {
    pub fn before(&self, at: DateTime<Utc>) -> bool {
        self.from.is_some_and(|from| at.date_naive() < from)
    }

    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        !self.before(at) && self.to.is_none_or(|to| at.date_naive() <= to)
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BalanceView {
    #[schema(pattern = "^[A-Z]{3}$", example = "USD")]
    pub currency: String,
    /// What the artist is owed; negative after an advance, or a refund of a sale already
    /// paid out.
    #[schema(value_type = String, pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "120.00")]
    pub owed: Decimal,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntryView {
    pub id: String,
    pub kind: Kind,
    /// Signed: what this entry adds to (+) or takes from (−) what the artist is owed.
    #[schema(value_type = String, pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "-12.50")]
    pub amount: Decimal,
    #[schema(pattern = "^[A-Z]{3}$", example = "USD")]
    pub currency: String,
    /// What the artist is owed in this currency after this entry.
    #[schema(value_type = String, pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "107.50")]
    pub balance: Decimal,
    pub order_id: Option<String>,
    /// The order's reference as the buyer and coordinator know it (HN-…).
    pub order_reference: Option<String>,
    /// The entry this one undoes.
    pub reverses_id: Option<String>,
    /// The entry that undid this one.
    pub reversed_by: Option<String>,
    /// Payouts: how the money went.
    pub method: Option<String>,
    /// Payouts: the transfer's reference.
    pub reference: Option<String>,
    /// Payouts: the day the money was handed over.
    pub paid_on: Option<NaiveDate>,
    /// Payouts: units of `paid_currency` per unit of `currency`, as given.
    pub exchange_rate: Option<String>,
    /// Payouts: the amount in the currency paid out, when it differs.
    #[schema(value_type = Option<String>, example = "8600")]
    pub paid_amount: Option<Decimal>,
    pub paid_currency: Option<String>,
    /// Payouts: paid ahead of what was owed.
    pub advance: bool,
    pub note: Option<String>,
    /// Who made it: a coordinator's email, `stripe` or `system`.
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArtistLedger {
    pub artist_id: String,
    pub display_name: String,
    pub terms: TermsView,
    /// Owed now, per currency.
    pub balances: Vec<BalanceView>,
    /// Owed at the start of the period asked for (empty when there is no `from`).
    pub opening: Vec<BalanceView>,
    /// The period's entries, oldest first, each with the balance after it.
    pub entries: Vec<EntryView>,
}

/// Who made an entry, as people read it.
pub async fn authors(db: &impl ConnectionTrait) -> Result<HashMap<String, String>, DbErr> {
    Ok(admin::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|a| (format!("admin:{}", a.id), a.email))
        .collect())
}

pub fn author(created_by: &str, admins: &HashMap<String, String>) -> String {
    if let Some(email) = admins.get(created_by) {
        return email.clone();
    }
    match created_by.split_once(':') {
        Some(("stripe", _)) => "stripe".into(),
        Some(("admin", _)) => "a removed coordinator".into(),
        _ => created_by.to_string(),
    }
}

fn balances(totals: &BTreeMap<String, i64>) -> Vec<BalanceView> {
    totals
        .iter()
        .map(|(currency, minor)| BalanceView {
            currency: currency.clone(),
            owed: stored_amount(*minor, currency),
        })
        .collect()
}

/// Every entry with its running balance; `opening` is the balance before `days` begins.
pub struct Statement {
    pub opening: BTreeMap<String, i64>,
    pub closing: BTreeMap<String, i64>,
    pub entries: Vec<EntryView>,
}

pub fn statement(
    rows: Vec<ledger_entry::Model>,
    days: Days,
    admins: &HashMap<String, String>,
) -> Statement {
    let reversed_by: HashMap<String, String> = rows
        .iter()
        .filter_map(|e| e.reverses_id.clone().map(|r| (r, e.id.clone())))
        .collect();
    let mut running: BTreeMap<String, i64> = BTreeMap::new();
    let mut opening = BTreeMap::new();
    let mut entries = Vec::new();
    for e in rows {
        if !days.contains(e.created_at) && !days.before(e.created_at) {
            continue;
        }
        let balance = running.entry(e.currency.clone()).or_insert(0);
        *balance = balance.saturating_add(e.amount_minor);
        let balance = *balance;
        if days.before(e.created_at) {
            opening.insert(e.currency.clone(), balance);
            continue;
        }
        entries.push(EntryView {
            kind: Kind::parse(&e.kind).unwrap_or(Kind::Reversal),
            amount: stored_amount(e.amount_minor, &e.currency),
            balance: stored_amount(balance, &e.currency),
            order_reference: e.order_id.as_deref().map(reference),
            reversed_by: reversed_by.get(&e.id).cloned(),
            paid_amount: e
                .paid_amount_minor
                .zip(e.paid_currency.as_deref())
                .map(|(minor, currency)| stored_amount(minor, currency)),
            created_by: author(&e.created_by, admins),
            id: e.id,
            currency: e.currency,
            order_id: e.order_id,
            reverses_id: e.reverses_id,
            method: e.method,
            reference: e.reference,
            paid_on: e.paid_on,
            exchange_rate: e.exchange_rate,
            paid_currency: e.paid_currency,
            advance: e.advance,
            note: e.note,
            created_at: e.created_at,
        });
    }
    Statement {
        opening,
        closing: running,
        entries,
    }
}

pub async fn artist_ledger(
    db: &DatabaseConnection,
    artist_id: &str,
    days: Days,
) -> Result<ArtistLedger, LedgerError> {
    let a = artist::Entity::find_by_id(artist_id.to_string())
        .one(db)
        .await?
        .ok_or(LedgerError::NotFound("artist"))?;
    let rows = entries_of(db, artist_id).await?;
    let all = rows.clone();
    let admins = authors(db).await?;
    let period = statement(rows, days, &admins);
    let now = statement(all, Days::default(), &admins);
    Ok(ArtistLedger {
        artist_id: a.id.clone(),
        display_name: a.display_name,
        terms: terms::view(db, &a.id).await?,
        balances: balances(&now.closing),
        opening: if days.from.is_some() {
            balances(&period.opening)
        } else {
            Vec::new()
        },
        entries: period.entries,
    })
}

/// One artist's totals in one currency, reversals counted against what they reversed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub sales: i64,
    pub ngo_share: i64,
    pub costs: i64,
    pub paid_out: i64,
    pub owed: i64,
    pub sold: i64,
}

/// Folds entries into totals per (artist, currency). A reversal or refund counts in the
/// bucket of the entry it undoes, so a reversed payout is not "paid out".
pub fn fold<'a>(
    rows: impl IntoIterator<Item = &'a ledger_entry::Model> + Clone,
) -> BTreeMap<(String, String), Totals> {
    let kinds: HashMap<&str, Kind> = rows
        .clone()
        .into_iter()
        .map(|e| {
            (
                e.id.as_str(),
                Kind::parse(&e.kind).unwrap_or(Kind::Reversal),
            )
        })
        .collect();
    let mut out: BTreeMap<(String, String), Totals> = BTreeMap::new();
    for e in rows {
        let own = Kind::parse(&e.kind).unwrap_or(Kind::Reversal);
        let (kind, sign) = match e.reverses_id.as_deref().and_then(|r| kinds.get(r)) {
            Some(undone) => (*undone, -1),
            None => (own, 1),
        };
        let t = out
            .entry((e.artist_id.clone(), e.currency.clone()))
            .or_default();
        // Saturating: an absurd price must not turn a report into a panic.
        t.owed = t.owed.saturating_add(e.amount_minor);
        let amount = e.amount_minor;
        match kind {
            Kind::Sale => {
                t.sales = t.sales.saturating_add(amount);
                t.sold += sign;
            }
            Kind::NgoShare => t.ngo_share = t.ngo_share.saturating_sub(amount),
            Kind::CardFee | Kind::Shipping => t.costs = t.costs.saturating_sub(amount),
            Kind::Payout => t.paid_out = t.paid_out.saturating_sub(amount),
            Kind::Refund | Kind::Reversal => {}
        }
    }
    out
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryRow {
    pub artist_id: String,
    pub display_name: String,
    #[schema(pattern = "^[A-Z]{3}$", example = "USD")]
    pub currency: String,
    /// Paintings sold and not refunded.
    pub paintings_sold: i64,
    /// Sales less refunds.
    #[schema(value_type = String, pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "300.00")]
    pub sales: Decimal,
    #[schema(value_type = String, pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "30.00")]
    pub ngo_share: Decimal,
    /// Card fees and shipping.
    #[schema(value_type = String, pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "24.10")]
    pub costs: Decimal,
    #[schema(value_type = String, pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "200.00")]
    pub paid_out: Decimal,
    #[schema(value_type = String, pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "45.90")]
    pub owed: Decimal,
}

/// Every artist with entries, per currency, by name.
pub async fn summary(db: &DatabaseConnection) -> Result<Vec<SummaryRow>, LedgerError> {
    let rows = ledger_entry::Entity::find().all(db).await?;
    let names: HashMap<String, String> = artist::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.display_name))
        .collect();
    let mut out: Vec<SummaryRow> = fold(&rows)
        .into_iter()
        .map(|((artist_id, currency), t)| SummaryRow {
            display_name: names.get(&artist_id).cloned().unwrap_or_default(),
            paintings_sold: t.sold,
            sales: stored_amount(t.sales, &currency),
            ngo_share: stored_amount(t.ngo_share, &currency),
            costs: stored_amount(t.costs, &currency),
            paid_out: stored_amount(t.paid_out, &currency),
            owed: stored_amount(t.owed, &currency),
            artist_id,
            currency,
        })
        .collect();
    out.sort_by(|a, b| {
        (a.display_name.to_lowercase(), &a.artist_id, &a.currency).cmp(&(
            b.display_name.to_lowercase(),
            &b.artist_id,
            &b.currency,
        ))
    });
    Ok(out)
}

/// One entry as its artist's ledger shows it, with the artist's id.
pub async fn entry(
    db: &DatabaseConnection,
    entry_id: &str,
) -> Result<Option<(String, EntryView)>, LedgerError> {
    let Some(row) = ledger_entry::Entity::find_by_id(entry_id.to_string())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let admins = authors(db).await?;
    let view = statement(
        entries_of(db, &row.artist_id).await?,
        Days::default(),
        &admins,
    )
    .entries
    .into_iter()
    .find(|e| e.id == entry_id);
    Ok(view.map(|v| (row.artist_id, v)))
}

/// The shipping cost recorded against an order and not reversed, as the order page shows it.
pub async fn shipping_of(
    db: &DatabaseConnection,
    order_id: &str,
) -> Result<Option<BalanceView>, DbErr> {
    Ok(recorded_shipping(db, order_id).await?.map(|e| BalanceView {
        owed: stored_amount(e.amount_minor.saturating_neg(), &e.currency),
        currency: e.currency,
    }))
}

/// The order's shipping entry that no reversal has undone, if any.
pub async fn recorded_shipping(
    conn: &impl ConnectionTrait,
    order_id: &str,
) -> Result<Option<ledger_entry::Model>, DbErr> {
    let rows = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::OrderId.eq(order_id))
        .all(conn)
        .await?;
    let undone: Vec<String> = rows.iter().filter_map(|e| e.reverses_id.clone()).collect();
    Ok(rows
        .into_iter()
        .find(|e| e.kind == Kind::Shipping.as_str() && !undone.contains(&e.id)))
}
