//! The public report: for each artist who agreed, paintings sold and what was paid out to
//! them, by quarter; for the campaign, totals per currency. Nothing in it names a buyer or
//! an order, gives a single sale's amount, or dates a payout closer than its quarter.
//! Only quarters that have ended are counted: were the running quarter shown, someone
//! reading the page every minute would see each sale and payout arrive, with its amount.
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{artist, ledger_entry, payout_terms};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;

use super::Kind;
use super::accounts::fold;
use crate::money::stored_amount;

#[derive(Debug, Serialize, ToSchema)]
pub struct Amount {
    #[schema(value_type = String, example = "250.00")]
    pub amount: Decimal,
    #[schema(example = "USD")]
    pub currency: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignTotal {
    pub currency: String,
    /// Paid to artists.
    #[schema(value_type = String, example = "1250.00")]
    pub paid_out: Decimal,
    /// Still owed to artists.
    #[schema(value_type = String, example = "310.00")]
    pub owed: Decimal,
    /// Card fees and shipping the NGO paid.
    #[schema(value_type = String, example = "96.40")]
    pub costs: Decimal,
    /// The NGO's agreed shares.
    #[schema(value_type = String, example = "0.00")]
    pub ngo_share: Decimal,
}

/// Up to the end of the last quarter that has ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct Campaign {
    /// Paintings sold and not refunded, all artists.
    pub paintings_sold: i64,
    pub totals: Vec<CampaignTotal>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Quarter {
    /// e.g. `2026-Q4`.
    #[schema(example = "2026-Q4")]
    pub quarter: String,
    pub paintings_sold: i64,
    pub paid_out: Vec<Amount>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArtistReport {
    pub slug: String,
    pub display_name: String,
    /// Quarters that have ended, oldest first; only those with a sale or a payout.
    pub quarters: Vec<Quarter>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Transparency {
    pub campaign: Campaign,
    /// Artists who agreed to be shown, by name.
    pub artists: Vec<ArtistReport>,
}

/// One quarter of one artist: paintings sold, and paid out per currency.
type QuarterSums = (i64, BTreeMap<String, i64>);

fn quarter_of(day: NaiveDate) -> String {
    format!("{}-Q{}", day.year(), day.month0() / 3 + 1)
}

fn day_of(at: DateTime<Utc>) -> NaiveDate {
    at.date_naive()
}

/// The first day of the quarter `today` is in.
fn quarter_start(today: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(today.year(), today.month0() / 3 * 3 + 1, 1).unwrap_or(today)
}

pub async fn report(db: &DatabaseConnection) -> Result<Transparency, DbErr> {
    let open_since = quarter_start(Utc::now().date_naive());
    let rows: Vec<ledger_entry::Model> = ledger_entry::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter(|e| {
            day_of(e.created_at) < open_since && e.paid_on.is_none_or(|day| day < open_since)
        })
        .collect();
    let mut totals: BTreeMap<String, (i64, i64, i64, i64)> = BTreeMap::new();
    let mut sold = 0;
    for ((_, currency), t) in fold(&rows) {
        let c = totals.entry(currency).or_default();
        c.0 = c.0.saturating_add(t.paid_out);
        c.1 = c.1.saturating_add(t.owed);
        c.2 = c.2.saturating_add(t.costs);
        c.3 = c.3.saturating_add(t.ngo_share);
        sold += t.sold;
    }
    let consenting: HashSet<String> = payout_terms::Entity::find()
        .filter(payout_terms::Column::Transparency.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.artist_id)
        .collect();
    let mut artists: Vec<artist::Model> = artist::Entity::find()
        .filter(artist::Column::Id.is_in(consenting))
        .all(db)
        .await?;
    artists.sort_by_key(|a| (a.display_name.to_lowercase(), a.id.clone()));

    // Undone pairs (a refunded sale, a reversed payout) leave the report together.
    let undone: HashSet<&str> = rows
        .iter()
        .filter_map(|e| e.reverses_id.as_deref())
        .collect();
    let mut per_artist: HashMap<&str, BTreeMap<String, QuarterSums>> = HashMap::new();
    for e in &rows {
        if e.reverses_id.is_some() || undone.contains(e.id.as_str()) {
            continue;
        }
        let quarters = per_artist.entry(e.artist_id.as_str()).or_default();
        match Kind::parse(&e.kind) {
            Some(Kind::Sale) => {
                quarters
                    .entry(quarter_of(day_of(e.created_at)))
                    .or_default()
                    .0 += 1
            }
            Some(Kind::Payout) => {
                let day = e.paid_on.unwrap_or_else(|| day_of(e.created_at));
                let paid = quarters
                    .entry(quarter_of(day))
                    .or_default()
                    .1
                    .entry(e.currency.clone())
                    .or_default();
                *paid = paid.saturating_sub(e.amount_minor);
            }
            _ => {}
        }
    }
    let artists = artists
        .into_iter()
        .map(|a| ArtistReport {
            quarters: per_artist
                .remove(a.id.as_str())
                .unwrap_or_default()
                .into_iter()
                .map(|(quarter, (sold, paid))| Quarter {
                    quarter,
                    paintings_sold: sold,
                    paid_out: paid
                        .into_iter()
                        .map(|(currency, minor)| Amount {
                            amount: stored_amount(minor, &currency),
                            currency,
                        })
                        .collect(),
                })
                .collect(),
            slug: a.slug,
            display_name: a.display_name,
        })
        .collect();
    Ok(Transparency {
        campaign: Campaign {
            paintings_sold: sold,
            totals: totals
                .into_iter()
                .map(|(currency, (paid_out, owed, costs, share))| CampaignTotal {
                    paid_out: stored_amount(paid_out, &currency),
                    owed: stored_amount(owed, &currency),
                    costs: stored_amount(costs, &currency),
                    ngo_share: stored_amount(share, &currency),
                    currency,
                })
                .collect(),
        },
        artists,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_running_quarter_starts_on_its_first_day() {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).expect("a day");
        assert_eq!(quarter_start(day(11, 26)), day(10, 1));
        assert_eq!(quarter_start(day(1, 1)), day(1, 1));
        assert_eq!(quarter_start(day(6, 30)), day(4, 1));
    }

    #[test]
    fn quarters_are_named_by_calendar_quarter() {
        let q = |m| quarter_of(NaiveDate::from_ymd_opt(2026, m, 15).expect("a day"));
        assert_eq!(
            [q(1), q(3), q(4), q(7), q(12)],
            ["2026-Q1", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
        );
    }
}
