//! Writing entries. The automatic ones (a sale, its share, its undoing) are written by the
//! order state machine inside the transaction that changes the order, so an order is paid
//! exactly when its artist is credited; each carries a key that makes a replay a no-op.
use chrono::{NaiveDate, Utc};
use entity::{ledger_entry, order};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use super::{Kind, terms};
use crate::db;

/// An entry about to be written.
pub struct NewEntry {
    pub artist_id: String,
    pub kind: Kind,
    pub amount_minor: i64,
    pub currency: String,
    pub order_id: Option<String>,
    pub reverses_id: Option<String>,
    pub dedupe_key: Option<String>,
    pub note: Option<String>,
    pub created_by: String,
    pub payout: Option<PayoutDetails>,
}

/// What only a payout has.
pub struct PayoutDetails {
    pub method: String,
    pub reference: String,
    pub paid_on: NaiveDate,
    pub exchange_rate: Option<String>,
    pub paid_amount_minor: Option<i64>,
    pub paid_currency: Option<String>,
    pub advance: bool,
}

impl NewEntry {
    pub fn new(
        artist_id: &str,
        kind: Kind,
        amount_minor: i64,
        currency: &str,
        created_by: String,
    ) -> Self {
        Self {
            artist_id: artist_id.to_string(),
            kind,
            amount_minor,
            currency: currency.to_string(),
            order_id: None,
            reverses_id: None,
            dedupe_key: None,
            note: None,
            created_by,
            payout: None,
        }
    }

    pub fn for_order(mut self, order_id: &str) -> Self {
        self.order_id = Some(order_id.to_string());
        self
    }

    pub fn key(mut self, key: String) -> Self {
        self.dedupe_key = Some(key);
        self
    }

    pub fn reverses(mut self, entry_id: &str) -> Self {
        self.reverses_id = Some(entry_id.to_string());
        self
    }

    pub fn note(mut self, note: Option<String>) -> Self {
        self.note = note;
        self
    }

    /// The row to write, and its id.
    pub fn into_row(self) -> (String, ledger_entry::ActiveModel) {
        let id = db::new_id();
        let payout = self.payout;
        let row = ledger_entry::ActiveModel {
            id: Set(id.clone()),
            artist_id: Set(self.artist_id),
            kind: Set(self.kind.as_str().to_string()),
            amount_minor: Set(self.amount_minor),
            currency: Set(self.currency),
            order_id: Set(self.order_id),
            reverses_id: Set(self.reverses_id),
            dedupe_key: Set(self.dedupe_key),
            method: Set(payout.as_ref().map(|p| p.method.clone())),
            reference: Set(payout.as_ref().map(|p| p.reference.clone())),
            paid_on: Set(payout.as_ref().map(|p| p.paid_on)),
            exchange_rate: Set(payout.as_ref().and_then(|p| p.exchange_rate.clone())),
            paid_amount_minor: Set(payout.as_ref().and_then(|p| p.paid_amount_minor)),
            paid_currency: Set(payout.as_ref().and_then(|p| p.paid_currency.clone())),
            advance: Set(payout.as_ref().is_some_and(|p| p.advance)),
            note: Set(self.note),
            created_by: Set(self.created_by),
            created_at: Set(Utc::now()),
        };
        (id, row)
    }
}

/// Writes `entry` unless one with its dedupe key, or one reversing the same entry, exists
/// already. Returns the new entry's id if it was written.
pub async fn insert_once(
    conn: &impl ConnectionTrait,
    entry: NewEntry,
) -> Result<Option<String>, DbErr> {
    let conflict = if entry.reverses_id.is_some() {
        ledger_entry::Column::ReversesId
    } else {
        ledger_entry::Column::DedupeKey
    };
    let (id, row) = entry.into_row();
    let written = ledger_entry::Entity::insert(row)
        .on_conflict(OnConflict::column(conflict).do_nothing().to_owned())
        .exec_without_returning(conn)
        .await?;
    Ok((written > 0).then_some(id))
}

/// `share_bp` basis points of `amount`, rounded half away from zero, in integers only.
pub fn share_of(amount_minor: i64, share_bp: i32) -> i64 {
    let product = i128::from(amount_minor) * i128::from(share_bp);
    let rounded = (product.abs() + 5_000) / 10_000 * product.signum();
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

fn sale_key(order_id: &str) -> String {
    format!("sale:{order_id}")
}

fn share_key(order_id: &str) -> String {
    format!("share:{order_id}")
}

/// The artists' accounts as the state machine moves orders (see `orders::state::Accounts`).
pub struct Ledger;

impl crate::orders::state::Accounts for Ledger {
    async fn sold(
        &self,
        conn: &impl ConnectionTrait,
        order: &order::Model,
        by: &str,
    ) -> Result<(), DbErr> {
        on_paid(conn, order, by).await
    }

    async fn unsold(
        &self,
        conn: &impl ConnectionTrait,
        order_id: &str,
        by: &str,
        why: &str,
    ) -> Result<(), DbErr> {
        on_unsold(conn, order_id, by, why).await
    }
}

/// An order became paid: its artist is credited the amount, less the NGO's agreed share.
pub async fn on_paid(conn: &impl ConnectionTrait, o: &order::Model, by: &str) -> Result<(), DbErr> {
    let by = by.to_string();
    let sale = NewEntry::new(
        &o.artist_id,
        Kind::Sale,
        o.amount_minor,
        &o.currency,
        by.clone(),
    )
    .for_order(&o.id)
    .key(sale_key(&o.id));
    if insert_once(conn, sale).await?.is_none() {
        return Ok(());
    }
    let share_bp = terms::of(conn, &o.artist_id).await?.ngo_share_bp;
    let share = share_of(o.amount_minor, share_bp);
    if share != 0 {
        let entry = NewEntry::new(&o.artist_id, Kind::NgoShare, -share, &o.currency, by)
            .for_order(&o.id)
            .key(share_key(&o.id))
            .note(Some(format!("{} % agreed share", terms::percent(share_bp))));
        insert_once(conn, entry).await?;
    }
    Ok(())
}

/// A paid order was refunded or cancelled: what its sale credited is taken back (the sale
/// and the NGO's share of it). Costs already paid (the card fee Stripe keeps, shipping)
/// stay. A second call, or one after a coordinator reversed the sale by hand, adds nothing.
pub async fn on_unsold(
    conn: &impl ConnectionTrait,
    order_id: &str,
    by: &str,
    why: &str,
) -> Result<(), DbErr> {
    let credited = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::DedupeKey.is_in([sale_key(order_id), share_key(order_id)]))
        .order_by_asc(ledger_entry::Column::CreatedAt)
        .order_by_asc(ledger_entry::Column::Id)
        .all(conn)
        .await?;
    for entry in credited {
        let undo = NewEntry::new(
            &entry.artist_id,
            Kind::Refund,
            entry.amount_minor.saturating_neg(),
            &entry.currency,
            by.to_string(),
        )
        .for_order(order_id)
        .reverses(&entry.id)
        .note(Some(why.to_string()));
        insert_once(conn, undo).await?;
    }
    Ok(())
}
