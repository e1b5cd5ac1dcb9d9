//! The public report: for each artist who agreed, paintings sold and what was paid out to
//! them, by quarter; for the campaign, totals per currency. Nothing in it names a buyer or
//! an order, gives a single sale's amount, or dates a payout closer than its quarter.
//! Only quarters that have ended are counted: were the running quarter shown, someone
//! reading the page every minute would see each sale and payout arrive, with its amount.
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate, NaiveTime, Utc};
use entity::{artist, payout_terms};
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    Statement, Value,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::Kind;
use crate::money::stored_amount;

#[derive(Debug, Serialize, ToSchema)]
pub struct Amount {
    #[schema(value_type = String, pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "250.00")]
    pub amount: Decimal,
    #[schema(pattern = "^[A-Z]{3}$", example = "USD")]
    pub currency: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignTotal {
    #[schema(pattern = "^[A-Z]{3}$", example = "USD")]
    pub currency: String,
    /// Paid to artists.
    #[schema(value_type = String, pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "1250.00")]
    pub paid_out: Decimal,
    /// Still owed to artists.
    #[schema(value_type = String, pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "310.00")]
    pub owed: Decimal,
    /// Card fees and shipping the NGO paid.
    #[schema(value_type = String, pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "96.40")]
    pub costs: Decimal,
    /// The NGO's agreed shares.
    #[schema(value_type = String, pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "0.00")]
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

/// The first day of the quarter `today` is in.
fn quarter_start(today: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(today.year(), today.month0() / 3 * 3 + 1, 1).unwrap_or(today)
}

/// `sql` with `?` placeholders, numbered (`$1` …) for PostgreSQL.
fn statement(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => {
            let mut numbered = String::with_capacity(sql.len() + 8);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    numbered.push_str(&format!("${n}"));
                } else {
                    numbered.push(c);
                }
            }
            numbered
        }
        _ => sql.to_string(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// An entry counted in the report: made before the running quarter began, and a payout
/// paid before it. `{t}` is the table's alias; two values, the quarter's first moment and day.
fn closed(t: &str) -> String {
    format!("{t}.created_at < ? AND ({t}.paid_on IS NULL OR {t}.paid_on < ?)")
}

/// The report, summed by the database: campaign totals per kind and currency, and each
/// consenting artist's sales and payouts per day (folded into quarters here), so a page
/// view reads a few grouped rows however long the ledger grows.
pub async fn report(db: &DatabaseConnection) -> Result<Transparency, DbErr> {
    let backend = db.get_database_backend();
    let open_since = quarter_start(Utc::now().date_naive());
    let open_at = open_since.and_time(NaiveTime::MIN).and_utc();
    let window = || -> [Value; 2] { [open_at.into(), open_since.into()] };

    // A reversal or refund counts in the bucket of the entry it undoes (as `fold` does), and
    // only when that entry is counted too.
    let totals_sql = format!(
        "SELECT COALESCE(u.kind, e.kind), e.currency, \
                CAST(SUM(e.amount_minor) AS BIGINT), \
                CAST(SUM(CASE WHEN u.id IS NULL THEN 1 ELSE -1 END) AS BIGINT) \
         FROM ledger_entries e \
         LEFT JOIN ledger_entries u ON u.id = e.reverses_id AND {} \
         WHERE {} \
         GROUP BY COALESCE(u.kind, e.kind), e.currency",
        closed("u"),
        closed("e")
    );
    let values = window().into_iter().chain(window()).collect();
    let mut totals: BTreeMap<String, (i64, i64, i64, i64)> = BTreeMap::new();
    let mut sold = 0;
    for row in db
        .query_all_raw(statement(backend, &totals_sql, values))
        .await?
    {
        let kind: String = row.try_get_by_index(0)?;
        let currency: String = row.try_get_by_index(1)?;
        let amount: i64 = row.try_get_by_index(2)?;
        let count: i64 = row.try_get_by_index(3)?;
        let t = totals.entry(currency).or_default();
        // Saturating: an absurd price must not turn a report into a panic.
        t.1 = t.1.saturating_add(amount);
        match Kind::parse(&kind) {
            Some(Kind::Sale) => sold += count,
            Some(Kind::Payout) => t.0 = t.0.saturating_sub(amount),
            Some(Kind::CardFee | Kind::Shipping) => t.2 = t.2.saturating_sub(amount),
            Some(Kind::NgoShare) => t.3 = t.3.saturating_sub(amount),
            _ => {}
        }
    }

    let artists = artist_reports(db, Whose::Consenting, window).await?;
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

/// Whose sales and payouts a report shows.
#[derive(Clone, Copy)]
enum Whose<'a> {
    /// Every artist who agreed to be named: the public page.
    Consenting,
    /// One artist, agreed or not: the console's preview of what naming her would show.
    One(&'a str),
}

/// The artists a report names, by name.
async fn named_artists(
    db: &DatabaseConnection,
    whose: Whose<'_>,
) -> Result<Vec<artist::Model>, DbErr> {
    let named: HashSet<String> = match whose {
        // Named only with her consent recorded (terms from before it was recorded are not).
        Whose::Consenting => payout_terms::Entity::find()
            .filter(payout_terms::Column::Transparency.eq(true))
            .filter(payout_terms::Column::ConsentHow.is_not_null())
            .all(db)
            .await?
            .into_iter()
            .map(|t| t.artist_id)
            .collect(),
        Whose::One(id) => HashSet::from([id.to_string()]),
    };
    let mut artists: Vec<artist::Model> = artist::Entity::find()
        .filter(artist::Column::Id.is_in(named))
        .all(db)
        .await?;
    artists.sort_by_key(|a| (a.display_name.to_lowercase(), a.id.clone()));
    Ok(artists)
}

/// The artists named, each with her ended quarters' sales and payouts.
async fn artist_reports(
    db: &DatabaseConnection,
    whose: Whose<'_>,
    window: impl Fn() -> [Value; 2],
) -> Result<Vec<ArtistReport>, DbErr> {
    let backend = db.get_database_backend();
    let artists = named_artists(db, whose).await?;

    // Sales and payouts by day; an entry undone (a refunded sale, a reversed payout) leaves
    // the report together with what undid it.
    let day = match backend {
        DbBackend::Postgres => {
            "to_char(COALESCE(e.paid_on, (e.created_at AT TIME ZONE 'UTC')::date), 'YYYY-MM-DD')"
        }
        _ => "COALESCE(e.paid_on, date(e.created_at))",
    };
    let whose_join = match whose {
        Whose::Consenting => {
            "JOIN payout_terms t ON t.artist_id = e.artist_id AND t.transparency = ? \
             AND t.consent_how IS NOT NULL"
        }
        Whose::One(_) => "JOIN artists a ON a.id = e.artist_id AND a.id = ?",
    };
    let per_day_sql = format!(
        "SELECT e.artist_id, e.kind, e.currency, {day}, \
                CAST(COUNT(*) AS BIGINT), CAST(SUM(e.amount_minor) AS BIGINT) \
         FROM ledger_entries e \
         {whose_join} \
         WHERE e.kind IN ('sale', 'payout') AND e.reverses_id IS NULL AND {} \
           AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE r.reverses_id = e.id AND {}) \
         GROUP BY e.artist_id, e.kind, e.currency, {day}",
        closed("e"),
        closed("r")
    );
    let values = std::iter::once(match whose {
        Whose::Consenting => true.into(),
        Whose::One(id) => id.into(),
    })
    .chain(window())
    .chain(window())
    .collect();
    let mut per_artist: HashMap<String, BTreeMap<String, QuarterSums>> = HashMap::new();
    for row in db
        .query_all_raw(statement(backend, &per_day_sql, values))
        .await?
    {
        let artist_id: String = row.try_get_by_index(0)?;
        let kind: String = row.try_get_by_index(1)?;
        let currency: String = row.try_get_by_index(2)?;
        let day: String = row.try_get_by_index(3)?;
        let count: i64 = row.try_get_by_index(4)?;
        let amount: i64 = row.try_get_by_index(5)?;
        let Ok(day) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") else {
            continue;
        };
        let quarter = per_artist
            .entry(artist_id)
            .or_default()
            .entry(quarter_of(day))
            .or_default();
        match Kind::parse(&kind) {
            Some(Kind::Sale) => quarter.0 += count,
            Some(Kind::Payout) => {
                let paid = quarter.1.entry(currency).or_default();
                *paid = paid.saturating_sub(amount);
            }
            _ => {}
        }
    }
    Ok(artists
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
        .collect())
}

/// What the transparency page would show for artist `artist_id` were she named there:
/// what a coordinator shows her before she agrees.
pub async fn preview(
    db: &DatabaseConnection,
    artist_id: &str,
) -> Result<Option<ArtistReport>, DbErr> {
    let open_since = quarter_start(Utc::now().date_naive());
    let open_at = open_since.and_time(NaiveTime::MIN).and_utc();
    let window = || -> [Value; 2] { [open_at.into(), open_since.into()] };
    Ok(artist_reports(db, Whose::One(artist_id), window)
        .await?
        .into_iter()
        .next())
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
