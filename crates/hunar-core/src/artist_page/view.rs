//! What an artist's own page shows: their paintings and where each stands, what sold and
//! when, what to hand to the NGO, and their account from the payout ledger. Built from its
//! own types, and no buyer field is read: the page cannot show a buyer by accident.
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{artist, artwork, ledger_entry, order};
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;

use crate::ledger::Kind;
use crate::ledger::accounts::{entries_of, fold};
use crate::money::stored_amount;

#[derive(Debug, Serialize)]
pub struct Painting {
    pub title: String,
    /// draft, available, reserved, sold or withdrawn.
    pub status: String,
}

/// Where a sold painting is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SaleState {
    /// Paid: the artist hands it to the coordinator.
    HandOver,
    /// Sent to the buyer.
    OnItsWay,
    Arrived,
    /// Refunded or cancelled after it was paid.
    Undone,
}

#[derive(Debug, Serialize)]
pub struct Sale {
    pub title: String,
    pub sold_on: NaiveDate,
    pub state: SaleState,
    /// The order's reference (HN-…), as the coordinator knows it.
    pub reference: String,
}

#[derive(Debug, Serialize)]
pub struct Account {
    pub currency: String,
    /// What buyers paid for the paintings.
    pub sold: Decimal,
    /// The NGO's agreed share.
    pub ngo_share: Decimal,
    /// Shipping and card fees the NGO paid for the artist.
    pub costs: Decimal,
    pub paid: Decimal,
    /// Negative after an advance.
    pub owed: Decimal,
    /// Paid ahead of sales: `owed` is below zero.
    pub in_advance: bool,
    pub owed_abs: Decimal,
    pub has_costs: bool,
}

#[derive(Debug, Serialize)]
pub struct Payout {
    pub paid_on: Option<NaiveDate>,
    pub amount: Decimal,
    pub currency: String,
    /// The amount handed over when it was paid in another currency.
    pub paid_amount: Option<Decimal>,
    pub paid_currency: Option<String>,
    /// bank_transfer, hawala, remittance, cash or other.
    pub method: Option<String>,
    /// The transfer's reference or pickup code: shown here, never in a message.
    pub reference: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ArtistPage {
    pub display_name: String,
    pub language: String,
    pub paintings: Vec<Painting>,
    /// Newest first.
    pub sales: Vec<Sale>,
    pub accounts: Vec<Account>,
    /// Newest first.
    pub payouts: Vec<Payout>,
    pub link_expires_at: Option<DateTime<Utc>>,
}

impl ArtistPage {
    /// The paintings the artist still has to hand over.
    pub fn to_hand_over(&self) -> impl Iterator<Item = &Sale> {
        self.sales.iter().filter(|s| s.state == SaleState::HandOver)
    }
}

fn state_of(status: &str) -> SaleState {
    match status {
        "paid" => SaleState::HandOver,
        "shipped" => SaleState::OnItsWay,
        "delivered" => SaleState::Arrived,
        _ => SaleState::Undone,
    }
}

/// The page of `a`, read now.
pub async fn page(conn: &impl ConnectionTrait, a: &artist::Model) -> Result<ArtistPage, DbErr> {
    let paintings = artwork::Entity::find()
        .filter(artwork::Column::ArtistId.eq(a.id.as_str()))
        .order_by_desc(artwork::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(|w| Painting {
            title: w.title,
            status: w.status,
        })
        .collect();
    // Only the columns the page shows: no buyer field is even read.
    let sold: Vec<(String, String, String, Option<DateTime<Utc>>)> = order::Entity::find()
        .select_only()
        .columns([
            order::Column::Id,
            order::Column::ArtworkTitle,
            order::Column::Status,
            order::Column::PaidAt,
        ])
        .filter(order::Column::ArtistId.eq(a.id.as_str()))
        .filter(order::Column::PaidAt.is_not_null())
        .order_by_desc(order::Column::PaidAt)
        .into_tuple()
        .all(conn)
        .await?;
    let sales = sold
        .into_iter()
        .filter_map(|(id, title, status, paid_at)| {
            Some(Sale {
                title,
                sold_on: paid_at?.date_naive(),
                state: state_of(&status),
                reference: crate::orders::reference(&id),
            })
        })
        .collect();
    let entries = entries_of(conn, &a.id).await?;
    let accounts = fold(entries.iter())
        .into_iter()
        .map(|((_, currency), t)| Account {
            sold: stored_amount(t.sales, &currency),
            ngo_share: stored_amount(t.ngo_share, &currency),
            costs: stored_amount(t.costs, &currency),
            paid: stored_amount(t.paid_out, &currency),
            owed: stored_amount(t.owed, &currency),
            in_advance: t.owed < 0,
            owed_abs: stored_amount(t.owed.saturating_abs(), &currency),
            has_costs: t.costs != 0,
            currency,
        })
        .collect();
    let reversed: HashMap<&str, ()> = entries
        .iter()
        .filter_map(|e| e.reverses_id.as_deref().map(|r| (r, ())))
        .collect();
    let mut payouts: Vec<Payout> = entries
        .iter()
        .filter(|e| e.kind == Kind::Payout.as_str() && !reversed.contains_key(e.id.as_str()))
        .map(|e: &ledger_entry::Model| Payout {
            paid_on: e.paid_on,
            amount: stored_amount(-e.amount_minor, &e.currency),
            currency: e.currency.clone(),
            paid_amount: e
                .paid_amount_minor
                .zip(e.paid_currency.as_deref())
                .map(|(minor, currency)| stored_amount(minor, currency)),
            paid_currency: e.paid_currency.clone(),
            method: e.method.clone(),
            reference: e.reference.clone(),
        })
        .collect();
    payouts.reverse();
    Ok(ArtistPage {
        display_name: a.display_name.clone(),
        language: a.preferred_language.clone(),
        paintings,
        sales,
        accounts,
        payouts,
        link_expires_at: a.page_token_hash.as_ref().and(a.page_expires_at),
    })
}
