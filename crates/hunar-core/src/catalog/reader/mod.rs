//! How public catalog pages read the read model: one statement per page, run where the
//! request already is.
//!
//! Through SeaORM (sqlx), every read hops threads: on SQLite to one of sqlx's worker threads
//! and back, on PostgreSQL through the pool. For a page whose statement takes 30 µs those
//! hops were most of the cost (the catalog reached 4 % of a bare actix-web server). So the
//! catalog's reads, and only they, go past the pool:
//!
//! - **SQLite**: each thread keeps its own read-only connection to the file and runs the
//!   statement in place. In WAL mode a reader never waits for the writer and sees every
//!   transaction committed before its statement started, so a page is never older than the
//!   last commit.
//! - **PostgreSQL**: each thread keeps one connection (tokio-postgres) with its statements
//!   prepared; concurrent requests on the thread share it and their queries are pipelined.
//! - Anything else reads through SeaORM as before: an in-memory SQLite database, or a
//!   PostgreSQL server elsewhere whose URL does not say `sslmode=disable` (this client is
//!   built without TLS; the pool negotiates it).
//!
//! Statements are built with sea-query as everywhere else; only their execution is here, one
//! engine per file behind one trait ([`ReadCards`]), with SeaORM's as the reference.
mod orm;
mod postgres;
mod sqlite;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use sea_orm::sea_query::{SelectStatement, Value};
use sea_orm::{DatabaseConnection, DbBackend, DbErr, Statement};

pub use orm::OrmReads;
pub use postgres::PgReads;
pub use sqlite::SqliteReads;

/// A page's statements as a reader runs them.
pub struct PageStatements {
    /// The page by `OFFSET`.
    pub rows: Statement,
    /// How many cards the filter matches.
    pub count: Statement,
    /// Newest first, read past the pool: `rows` also returns each card's `created_at` and
    /// `artwork_id`, and `Keyset::after` reads a page from where the page before it ended.
    pub keyset: Option<Keyset>,
}

/// `OFFSET` makes SQLite step over every card before the page, comparing each against the
/// filter's end of the index: over the catalog mix those comparisons were a sixth of a
/// page's instructions. PostgreSQL skips through the index to the page's first card, and
/// page 20 still served half the requests a second that page 1 did. A reader that read the
/// page before at the same state of the database knows where it ended, and starts this one
/// there instead: the same cards in the same order, since nothing has committed in between.
pub struct Keyset {
    /// CardList after `(created_at, artwork_id)`, whose values are at `at`.
    pub after: Statement,
    pub at: [usize; 2],
    /// Which page this is, of how many cards each.
    pub page: u64,
    pub per_page: u64,
}

/// CardList as they are stored, one after another with a comma between (a page's `items`
/// without its brackets), behind whatever the caller wrote first. Each card is copied once,
/// from the database's row into here: read as a `String` each, then copied into the body,
/// the copies, allocations and UTF-8 checks were a twentieth of a page's time.
#[derive(Debug, Default)]
pub struct CardList {
    bytes: Vec<u8>,
    /// Where the first card starts.
    start: usize,
    len: usize,
}

impl CardList {
    /// An empty list behind `prefix`.
    pub fn after(prefix: &[u8]) -> Self {
        let mut bytes = Vec::with_capacity(16 * 1024);
        bytes.extend_from_slice(prefix);
        Self {
            start: bytes.len(),
            bytes,
            len: 0,
        }
    }

    #[cfg(test)]
    pub fn from_test(prefix: &[u8], cards: &[&str]) -> Self {
        let mut list = Self::after(prefix);
        for card in cards {
            list.push(card.as_bytes());
        }
        list
    }

    /// Adds a card. CardList are JSON the writers made from `String`s: they are UTF-8.
    pub(super) fn push(&mut self, card: &[u8]) {
        if self.len > 0 {
            self.bytes.push(b',');
        }
        self.bytes.extend_from_slice(card);
        self.len += 1;
    }

    /// The cards, comma-separated.
    pub fn joined(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    /// The prefix and the cards, for the caller to finish.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// How many counts (and, on PostgreSQL, prepared statements) one connection keeps at most:
/// past it the counts start over and new statements are not kept.
pub(super) const MAX_COUNTS: usize = 1024;

/// Keeps `value` under `key`, starting over once `map` holds `MAX_COUNTS` entries.
pub(super) fn remember<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, key: K, value: V) {
    if map.len() >= MAX_COUNTS {
        map.clear();
    }
    map.insert(key, value);
}

/// One way of running the catalog's statements. Every engine answers a page with the same
/// bytes (`tests/api/catalog_cards.rs` compares each with [`OrmReads`], the reference).
pub trait ReadCards {
    /// `rows` (a page of cards, one column) and `count` (how many there are) as this reader
    /// runs them: on PostgreSQL each also returns the snapshot it read, and through SeaORM
    /// the count rides along with the page. Built once per kind of page and kept (see
    /// `page_statements::page`): the values in the statements are placeholders to fill in.
    fn page_statements(
        &self,
        rows: SelectStatement,
        count: SelectStatement,
    ) -> (Statement, Statement);

    /// `after` (see `Keyset`) as this reader runs it, if it reads pages from where the page
    /// before ended.
    fn keyset_statement(&self, after: SelectStatement) -> Option<Statement>;

    /// The cards and the count of statements from `page_statements`.
    ///
    /// Counting every card of a filter costs more than reading a page of them (600 index
    /// entries against 24 rows), so the fast readers remember a count with the state of the
    /// database it was taken in (SQLite's `data_version`, read in the page's own transaction;
    /// PostgreSQL's snapshot, returned beside the page's rows): while no transaction has
    /// committed since, the remembered count is the count, and it is asked again as soon as
    /// one has.
    fn page(
        &self,
        statements: PageStatements,
        cards: CardList,
    ) -> impl Future<Output = Result<(CardList, i64), DbErr>>;

    /// The card `query` selects, if any.
    fn one(&self, query: &SelectStatement) -> impl Future<Output = Result<Option<String>, DbErr>>;
}

/// The reader the server uses: the fastest its database allows.
#[derive(Clone)]
pub enum CardReader {
    Sqlite(SqliteReads),
    Postgres(Arc<PgReads>),
    Orm(OrmReads),
}

/// Which way a reader runs statements: each builds them a little differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReaderKind {
    Sqlite,
    Postgres,
    Orm { postgres: bool },
}

impl CardReader {
    pub fn kind(&self) -> ReaderKind {
        match self {
            Self::Sqlite(_) => ReaderKind::Sqlite,
            Self::Postgres(_) => ReaderKind::Postgres,
            Self::Orm(orm) => ReaderKind::Orm {
                postgres: orm.0.get_database_backend() == DbBackend::Postgres,
            },
        }
    }

    /// The fastest reader `db`'s database allows.
    pub fn new(db: &DatabaseConnection, url: &str) -> Self {
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                let file = db
                    .get_sqlite_connection_pool()
                    .connect_options()
                    .get_filename()
                    .to_path_buf();
                let in_memory = file.as_os_str().is_empty() || file.to_string_lossy() == ":memory:";
                if in_memory {
                    Self::reference(db)
                } else {
                    Self::Sqlite(SqliteReads(Arc::from(file)))
                }
            }
            DbBackend::Postgres => match PgReads::new(url) {
                Some(reads) => Self::Postgres(Arc::new(reads)),
                None => {
                    tracing::info!(
                        "catalog reads go through the pool: the database is not on this \
                         machine and sslmode is not disable"
                    );
                    Self::reference(db)
                }
            },
            _ => Self::reference(db),
        }
    }

    /// Reads through SeaORM's pool: slower, and what the others must answer alike.
    pub fn reference(db: &DatabaseConnection) -> Self {
        Self::Orm(OrmReads(db.clone()))
    }
}

impl ReadCards for CardReader {
    fn page_statements(
        &self,
        rows: SelectStatement,
        count: SelectStatement,
    ) -> (Statement, Statement) {
        match self {
            Self::Sqlite(r) => r.page_statements(rows, count),
            Self::Postgres(r) => r.page_statements(rows, count),
            Self::Orm(r) => r.page_statements(rows, count),
        }
    }

    fn keyset_statement(&self, after: SelectStatement) -> Option<Statement> {
        match self {
            Self::Sqlite(r) => r.keyset_statement(after),
            Self::Postgres(r) => r.keyset_statement(after),
            Self::Orm(r) => r.keyset_statement(after),
        }
    }

    async fn page(
        &self,
        statements: PageStatements,
        cards: CardList,
    ) -> Result<(CardList, i64), DbErr> {
        match self {
            Self::Sqlite(r) => r.page(statements, cards).await,
            Self::Postgres(r) => r.page(statements, cards).await,
            Self::Orm(r) => r.page(statements, cards).await,
        }
    }

    async fn one(&self, query: &SelectStatement) -> Result<Option<String>, DbErr> {
        match self {
            Self::Sqlite(r) => r.one(query).await,
            Self::Postgres(r) => r.one(query).await,
            Self::Orm(r) => r.one(query).await,
        }
    }
}

pub(super) fn values(statement: &Statement) -> &[Value] {
    statement.values.as_ref().map_or(&[], |v| v.0.as_slice())
}

/// What a remembered count is filed under: its statement and the values bound to it.
pub(super) fn count_key(count: &Statement) -> String {
    format!("{}\u{1f}{:?}", count.sql, values(count))
}

pub(super) fn unsupported(value: &Value) -> DbErr {
    DbErr::Custom(format!("a catalog read cannot bind {value:?}"))
}
