//! The two statements of a page of cards (the page, and how many cards match), built with
//! sea-query once per kind of page and reader, then reused with the request's values.
//!
//! Building them per request (a tree of boxed expressions, cloned and rendered to text) was
//! a tenth of a catalog page's time. The text of a statement depends only on which filters
//! are set and on the sort, so it is built with placeholder values, and each request fills
//! in its own at the places the placeholders took.
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use entity::catalog_card::{self, Column};
use sea_orm::sea_query::{Expr, Func, Order, Query, QueryStatementBuilder, SelectStatement, Value};
use sea_orm::{ExprTrait, Statement};

use super::ArtworkStatus;
use super::reader::{CardReader, Keyset, PageStatements, ReadCards, ReaderKind};
use super::zones;
use crate::country::CountryCode;
use crate::pagination::Pagination;

/// The zone of the card for no destination: no `price`, every zone's in `prices`.
pub const EVERY_ZONE: &str = "";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sort {
    Newest,
    PriceAsc,
    PriceDesc,
}

/// What a page of cards is asked for.
pub struct Filter<'a> {
    pub country: Option<CountryCode>,
    pub status: ArtworkStatus,
    pub artist_slug: Option<&'a str>,
    pub size_tier: Option<&'a str>,
    pub sort: Sort,
}

/// What the text of a page's statements depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Kind {
    country: bool,
    artist: bool,
    tier: bool,
    sort: Sort,
    /// Past the first page of newest-first on PostgreSQL: the page starts at the card found
    /// by skipping through the index alone (see `rows`).
    from_boundary: bool,
    /// Newest first, read past the pool (SQLite or PostgreSQL): the page also returns its
    /// last card's place, and a second statement starts the next page there (see `Keyset`).
    keyset: bool,
}

/// A value that differs from request to request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Country,
    Status,
    Artist,
    Tier,
    Limit,
    Offset,
    /// Where a page starts, when the page before it was read (see `Keyset`).
    AfterCreatedAt,
    AfterArtworkId,
}

/// The placeholders of `LIMIT` and `OFFSET`.
const LIMIT: u64 = 1_000_000_001;
const OFFSET: u64 = 1_000_000_002;

impl Slot {
    const ALL: [Slot; 8] = [
        Slot::Country,
        Slot::Status,
        Slot::Artist,
        Slot::Tier,
        Slot::Limit,
        Slot::Offset,
        Slot::AfterCreatedAt,
        Slot::AfterArtworkId,
    ];

    /// What stands in for the value while the statement is built: nothing a statement binds
    /// of its own (`''`, `true`) looks like it.
    fn placeholder(self) -> Value {
        match self {
            Slot::Limit => Value::from(LIMIT),
            Slot::Offset => Value::from(OFFSET),
            other => Value::from(format!("\u{0}{other:?}")),
        }
    }

    fn value(self, filter: &Filter<'_>, page: Pagination) -> Value {
        let text = |s: Option<&str>| Value::from(s.unwrap_or_default().to_string());
        match self {
            Slot::Country => text(filter.country.as_ref().map(|c| c.as_str())),
            Slot::Status => text(Some(filter.status.as_str())),
            Slot::Artist => text(filter.artist_slug),
            Slot::Tier => text(filter.size_tier),
            Slot::Limit => Value::from(page.per_page),
            Slot::Offset => Value::from(page.offset()),
            // Filled in by the reader, which knows where the page before ended.
            Slot::AfterCreatedAt | Slot::AfterArtworkId => self.placeholder(),
        }
    }
}

/// A statement with the places of its request values.
struct Template {
    statement: Statement,
    slots: Vec<(usize, Slot)>,
}

impl Template {
    fn new(statement: Statement) -> Self {
        let placeholders = Slot::ALL.map(|slot| (slot.placeholder(), slot));
        let slots = statement
            .values
            .iter()
            .flat_map(|values| values.0.iter().enumerate())
            .filter_map(|(at, value)| {
                placeholders
                    .iter()
                    .find(|(placeholder, _)| placeholder == value)
                    .map(|(_, slot)| (at, *slot))
            })
            .collect();
        Self { statement, slots }
    }

    fn fill(&self, filter: &Filter<'_>, page: Pagination) -> Statement {
        let mut statement = self.statement.clone();
        if let Some(values) = statement.values.as_mut() {
            for (at, slot) in &self.slots {
                values.0[*at] = slot.value(filter, page);
            }
        }
        statement
    }

    fn position(&self, slot: Slot) -> Option<usize> {
        self.slots
            .iter()
            .find(|(_, s)| *s == slot)
            .map(|(at, _)| *at)
    }
}

struct Templates {
    rows: Template,
    count: Template,
    after: Option<Template>,
}

thread_local! {
    /// Per thread, so reading them takes no lock; there are at most 24 kinds per reader kind.
    static TEMPLATES: RefCell<HashMap<(ReaderKind, Kind), Rc<Templates>>> =
        RefCell::new(HashMap::new());
}

/// The page `filter` and `page` ask for and the count of every card `filter` matches, as
/// `reader` runs them.
pub fn page(reader: &CardReader, filter: &Filter<'_>, page: Pagination) -> PageStatements {
    let postgres = matches!(
        reader.kind(),
        ReaderKind::Postgres | ReaderKind::Orm { postgres: true }
    );
    let kind = Kind {
        country: filter.country.is_some(),
        artist: filter.artist_slug.is_some(),
        tier: filter.size_tier.is_some(),
        sort: filter.sort,
        from_boundary: postgres && filter.sort == Sort::Newest && page.offset() > 0,
        keyset: matches!(reader.kind(), ReaderKind::Sqlite | ReaderKind::Postgres)
            && filter.sort == Sort::Newest,
    };
    let key = (reader.kind(), kind);
    let templates = TEMPLATES.with_borrow_mut(|templates| {
        templates
            .entry(key)
            .or_insert_with(|| {
                let (rows, count) = reader.page_statements(rows(kind), count(kind));
                let after = kind
                    .keyset
                    .then(|| reader.keyset_statement(after(kind)))
                    .flatten()
                    .map(Template::new);
                Rc::new(Templates {
                    rows: Template::new(rows),
                    count: Template::new(count),
                    after,
                })
            })
            .clone()
    });
    let keyset = templates.after.as_ref().and_then(|after| {
        let at = [
            after.position(Slot::AfterCreatedAt)?,
            after.position(Slot::AfterArtworkId)?,
        ];
        Some(Keyset {
            after: after.fill(filter, page),
            at,
            page: page.page,
            per_page: page.per_page,
        })
    });
    PageStatements {
        rows: templates.rows.fill(filter, page),
        count: templates.count.fill(filter, page),
        keyset,
    }
}

/// `zone_id = <the zone shipping to country>`, or the card for no destination when none
/// does (or none was asked for), resolved inside the statement itself.
pub fn zone_condition(country: Option<Value>) -> sea_orm::sea_query::SimpleExpr {
    let zone: sea_orm::sea_query::SimpleExpr = match country {
        Some(country) => {
            let [listed, fallback] = zones::zone_id_for_country_values(country);
            Func::coalesce([listed, fallback, Expr::val(EVERY_ZONE)]).into()
        }
        None => Expr::val(EVERY_ZONE),
    };
    ExprTrait::eq(Expr::col(Column::ZoneId), zone)
}

fn matching(kind: Kind) -> SelectStatement {
    let mut query = Query::select();
    query
        .from(catalog_card::Entity)
        .and_where(zone_condition(
            kind.country.then(|| Slot::Country.placeholder()),
        ))
        .and_where(Expr::col(Column::Status).eq(Slot::Status.placeholder()));
    if kind.artist {
        query.and_where(Expr::col(Column::ArtistSlug).eq(Slot::Artist.placeholder()));
    }
    if kind.tier {
        query.and_where(Expr::col(Column::SizeTierId).eq(Slot::Tier.placeholder()));
    }
    query
}

fn count(kind: Kind) -> SelectStatement {
    let mut count = matching(kind);
    count.expr(Func::count(Expr::col(Column::ArtworkId)));
    count
}

/// Newest first from a given card on: `rows` without its `OFFSET`, for `Keyset`.
fn after(kind: Kind) -> SelectStatement {
    let mut rows = matching(kind);
    rows.column(Column::Card)
        .column(Column::CreatedAt)
        .column(Column::ArtworkId)
        .and_where(
            Expr::tuple([Expr::col(Column::CreatedAt), Expr::col(Column::ArtworkId)]).lt(
                Expr::tuple([
                    Expr::val(Slot::AfterCreatedAt.placeholder()),
                    Expr::val(Slot::AfterArtworkId.placeholder()),
                ]),
            ),
        )
        .order_by(Column::CreatedAt, Order::Desc)
        .order_by(Column::ArtworkId, Order::Desc)
        .limit(LIMIT);
    rows
}

fn rows(kind: Kind) -> SelectStatement {
    let mut rows = matching(kind);
    rows.column(Column::Card);
    if kind.keyset {
        // Where the page ends, for the next page's `Keyset`.
        rows.column(Column::CreatedAt).column(Column::ArtworkId);
    }
    if kind.from_boundary {
        // `OFFSET` on PostgreSQL fetches every skipped card from the table (the cards are
        // too large for the index), so page 20 cost three times page 1. Here the skipping is
        // an index-only scan that finds the page's first card, and the page is read from
        // there: `(created_at, artwork_id) <= (that card's)`, the same cards in the same
        // order as the `OFFSET`, in one statement and one snapshot. Past the last card the
        // boundary is NULL and the page empty, as before. Only newest first: a price order
        // ends in `artwork_id DESC` after an ascending price, which no row comparison reads.
        let mut boundary = matching(kind);
        boundary
            .column(Column::CreatedAt)
            .column(Column::ArtworkId)
            .order_by(Column::CreatedAt, Order::Desc)
            .order_by(Column::ArtworkId, Order::Desc)
            .limit(1)
            .offset(OFFSET);
        rows.and_where(
            Expr::tuple([Expr::col(Column::CreatedAt), Expr::col(Column::ArtworkId)]).lte(
                sea_orm::sea_query::SimpleExpr::SubQuery(
                    None,
                    Box::new(boundary.into_sub_query_statement()),
                ),
            ),
        );
    }
    // Each order has an index that reads in it (see the catalog_cards migrations). Where a
    // painting has no price for the zone, each database puts NULL where it always has
    // (SQLite first, PostgreSQL last in ascending order): the indexes serve the order as it
    // is, where NULLS LAST would sort every page.
    match kind.sort {
        Sort::Newest => rows.order_by(Column::CreatedAt, Order::Desc),
        Sort::PriceAsc => rows.order_by(Column::PriceMinor, Order::Asc),
        Sort::PriceDesc => rows.order_by(Column::PriceMinor, Order::Desc),
    };
    rows.order_by(Column::ArtworkId, Order::Desc);
    rows.limit(LIMIT);
    if !kind.from_boundary {
        rows.offset(OFFSET);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::DbBackend;

    #[test]
    fn each_request_value_takes_the_place_of_its_placeholder_and_nothing_else() {
        let filter = Filter {
            country: CountryCode::parse("SE").ok(),
            status: ArtworkStatus::Sold,
            artist_slug: Some("ahmad"),
            size_tier: Some("tier-1"),
            sort: Sort::PriceDesc,
        };
        let kind = Kind {
            country: true,
            artist: true,
            tier: true,
            sort: Sort::PriceDesc,
            from_boundary: false,
            keyset: false,
        };
        let page = Pagination::new(Some(3), Some(10)).expect("page 3 of 10");
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            let rows = Template::new(backend.build(&rows(kind)));
            let count = Template::new(backend.build(&count(kind)));
            let slots = |t: &Template| t.slots.iter().map(|(_, s)| *s).collect::<Vec<_>>();
            assert_eq!(slots(&rows), &Slot::ALL[..6]);
            assert_eq!(slots(&count), &Slot::ALL[..4]);
            let filled = rows.fill(&filter, page);
            let values = filled.values.map(|v| v.0).unwrap_or_default();
            // The statement's own values stay; each placeholder became the request's.
            assert_eq!(
                values,
                vec![
                    Value::from("SE".to_string()),
                    Value::from(true),
                    Value::from(EVERY_ZONE.to_string()),
                    Value::from("sold".to_string()),
                    Value::from("ahmad".to_string()),
                    Value::from("tier-1".to_string()),
                    Value::from(10_u64),
                    Value::from(20_u64),
                ],
                "{backend:?}"
            );
        }
    }

    #[test]
    fn a_keyset_page_starts_after_the_place_the_reader_fills_in() {
        let kind = Kind {
            country: true,
            artist: false,
            tier: false,
            sort: Sort::Newest,
            from_boundary: false,
            keyset: true,
        };
        let after = Template::new(DbBackend::Sqlite.build(&after(kind)));
        let slots: Vec<_> = after.slots.iter().map(|(_, s)| *s).collect();
        assert_eq!(
            slots,
            [
                Slot::Country,
                Slot::Status,
                Slot::AfterCreatedAt,
                Slot::AfterArtworkId,
                Slot::Limit
            ]
        );
        assert!(
            !after.statement.sql.contains("OFFSET"),
            "{}",
            after.statement.sql
        );
        let rows = DbBackend::Sqlite.build(&rows(kind)).sql;
        assert!(
            rows.starts_with(r#"SELECT "card", "created_at", "artwork_id" FROM"#),
            "{rows}"
        );
    }
}
