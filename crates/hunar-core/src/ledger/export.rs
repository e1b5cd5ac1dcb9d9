//! The ledger as CSV for the NGO's bookkeeping: per artist or for all, for a period, with
//! each currency's opening balance first and the balance after every entry.
use entity::{artist, ledger_entry};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::LedgerError;
use super::accounts::{self, Days};
use crate::money::stored_amount;

const HEADER: [&str; 18] = [
    "date",
    "artist",
    "kind",
    "amount",
    "currency",
    "balance",
    "order_reference",
    "method",
    "reference",
    "paid_on",
    "exchange_rate",
    "paid_amount",
    "paid_currency",
    "advance",
    // Named so in the file itself: a note may say who collected the money and where
    // ("her cousin at the Herat hawaladar"), and a CSV travels to bookkeepers and inboxes.
    "private_note",
    "created_by",
    "entry_id",
    "reverses_id",
];

/// A spreadsheet runs a cell that starts with one of these as a formula (some after
/// leading spaces); text a coordinator or a buyer typed (a reference, a note, a name) is
/// kept as text. Numbers the ledger writes itself (a negative amount) are not text.
fn cell(text: &str) -> String {
    const FORMULA: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];
    if text.starts_with(FORMULA) || text.trim_start().starts_with(FORMULA) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// Every text cell in quotes: Excel in a Swedish or German locale splits a file on `;`,
/// so an unquoted `ok;=1+1;` would become three cells, the middle one a formula. Numbers
/// stay bare so they are read as numbers.
fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::NonNumeric)
        .from_writer(Vec::new())
}

fn csv_error(err: impl std::fmt::Display) -> LedgerError {
    LedgerError::Db(sea_orm::DbErr::Custom(format!("writing CSV: {err}")))
}

/// `artist_id` None: every artist, by name.
pub async fn csv(
    db: &DatabaseConnection,
    artist_id: Option<&str>,
    days: Days,
) -> Result<Vec<u8>, LedgerError> {
    let mut artists = artist::Entity::find().order_by_asc(artist::Column::DisplayName);
    if let Some(id) = artist_id {
        artists = artists.filter(artist::Column::Id.eq(id));
    }
    let artists = artists.all(db).await?;
    if artist_id.is_some() && artists.is_empty() {
        return Err(LedgerError::NotFound("artist"));
    }
    let admins = accounts::authors(db).await?;
    let mut out = writer();
    out.write_record(HEADER).map_err(csv_error)?;
    for a in artists {
        let rows = ledger_entry::Entity::find()
            .filter(ledger_entry::Column::ArtistId.eq(a.id.as_str()))
            .order_by_asc(ledger_entry::Column::CreatedAt)
            .order_by_asc(ledger_entry::Column::Id)
            .all(db)
            .await?;
        if rows.is_empty() {
            continue;
        }
        let statement = accounts::statement(rows, days, &admins);
        let name = cell(&a.display_name);
        if let Some(from) = days.from {
            for (currency, minor) in &statement.opening {
                let balance = stored_amount(*minor, currency).to_string();
                let mut record = vec![String::new(); HEADER.len()];
                record[0] = from.to_string();
                record[1] = name.clone();
                record[2] = "opening_balance".into();
                record[4] = currency.clone();
                record[5] = balance;
                out.write_record(&record).map_err(csv_error)?;
            }
        }
        for e in statement.entries {
            let opt = |v: Option<String>| v.map(|s| cell(&s)).unwrap_or_default();
            out.write_record([
                e.created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                name.clone(),
                serde_json::to_value(e.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                e.amount.to_string(),
                e.currency,
                e.balance.to_string(),
                opt(e.order_reference),
                opt(e.method),
                opt(e.reference),
                e.paid_on.map(|d| d.to_string()).unwrap_or_default(),
                e.exchange_rate.unwrap_or_default(),
                e.paid_amount.map(|d| d.to_string()).unwrap_or_default(),
                opt(e.paid_currency),
                if e.advance {
                    "yes".into()
                } else {
                    String::new()
                },
                opt(e.note),
                cell(&e.created_by),
                e.id,
                e.reverses_id.unwrap_or_default(),
            ])
            .map_err(csv_error)?;
        }
    }
    out.into_inner().map_err(csv_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_never_becomes_a_formula() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-1+2"), "'-1+2");
        assert_eq!(cell("  =1+1"), "'  =1+1");
        assert_eq!(cell("\t1"), "'\t1");
        assert_eq!(cell("K-7781"), "K-7781");
    }

    #[test]
    fn a_semicolon_cannot_split_a_cell_in_a_semicolon_locale() {
        let mut out = writer();
        out.write_record([cell("ok;=1+1;"), "-12.50".into(), cell("plain")])
            .expect("write");
        let text = String::from_utf8(out.into_inner().expect("bytes")).expect("utf-8");
        assert_eq!(text, "\"ok;=1+1;\",-12.50,\"plain\"\n");
        // Read as Swedish Excel does, splitting on `;`: the formula stays inside the quotes.
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .has_headers(false)
            .from_reader(text.as_bytes());
        let record = reader.records().next().expect("a row").expect("a record");
        assert!(
            record.iter().all(|field| !field.starts_with('=')),
            "{record:?}"
        );
    }
}
