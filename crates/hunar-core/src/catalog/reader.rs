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
//! Statements are built with sea-query as everywhere else; only their execution is here.
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::sea_query::{Expr, SelectStatement, SimpleExpr, Value};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};

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
    /// Cards after `(created_at, artwork_id)`, whose values are at `at`.
    pub after: Statement,
    pub at: [usize; 2],
    /// Which page this is, of how many cards each.
    pub page: u64,
    pub per_page: u64,
}

/// Cards as they are stored, one after another with a comma between (a page's `items`
/// without its brackets), behind whatever the caller wrote first. Each card is copied once,
/// from the database's row into here: read as a `String` each, then copied into the body,
/// the copies, allocations and UTF-8 checks were a twentieth of a page's time.
#[derive(Debug, Default)]
pub struct Cards {
    bytes: Vec<u8>,
    /// Where the first card starts.
    start: usize,
    len: usize,
}

impl Cards {
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

    /// Adds a card. Cards are JSON the writers made from `String`s: they are UTF-8.
    fn push(&mut self, card: &[u8]) {
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
const MAX_COUNTS: usize = 1024;

/// Keeps `value` under `key`, starting over once `map` holds `MAX_COUNTS` entries.
fn remember<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, key: K, value: V) {
    if map.len() >= MAX_COUNTS {
        map.clear();
    }
    map.insert(key, value);
}

#[derive(Clone)]
pub enum CardReader {
    Sqlite(Arc<Path>),
    Postgres(Arc<PgReads>),
    Orm(DatabaseConnection),
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
            Self::Orm(db) => ReaderKind::Orm {
                postgres: db.get_database_backend() == DbBackend::Postgres,
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
                    Self::Orm(db.clone())
                } else {
                    Self::Sqlite(Arc::from(file))
                }
            }
            DbBackend::Postgres => match PgReads::new(url) {
                Some(reads) => Self::Postgres(Arc::new(reads)),
                None => {
                    tracing::info!(
                        "catalog reads go through the pool: the database is not on this \
                         machine and sslmode is not disable"
                    );
                    Self::Orm(db.clone())
                }
            },
            _ => Self::Orm(db.clone()),
        }
    }

    /// `rows` (a page of cards, one column) and `count` (how many there are) as this reader
    /// runs them: on PostgreSQL each also returns the snapshot it read, and through SeaORM
    /// the count rides along with the page. Built once per kind of page and kept (see
    /// `page_statements::page`): the values in the statements are placeholders to fill in.
    pub fn page_statements(
        &self,
        mut rows: SelectStatement,
        mut count: SelectStatement,
    ) -> (Statement, Statement) {
        match self {
            Self::Sqlite(_) => (
                DbBackend::Sqlite.build(&rows),
                DbBackend::Sqlite.build(&count),
            ),
            Self::Postgres(_) => {
                rows.expr(Expr::cust(PG_STATE));
                count.expr(Expr::cust(PG_STATE));
                (
                    DbBackend::Postgres.build(&rows),
                    DbBackend::Postgres.build(&count),
                )
            }
            Self::Orm(db) => {
                let backend = db.get_database_backend();
                // The count rides along as an uncorrelated subquery: one round trip a page.
                rows.expr(SimpleExpr::SubQuery(None, Box::new(count.clone().into())));
                (backend.build(&rows), backend.build(&count))
            }
        }
    }

    /// `after` (see `Keyset`) as this reader runs it: on PostgreSQL it also returns the
    /// snapshot it read. None where pages are read through SeaORM.
    pub fn keyset_statement(&self, mut after: SelectStatement) -> Option<Statement> {
        match self {
            Self::Sqlite(_) => Some(DbBackend::Sqlite.build(&after)),
            Self::Postgres(_) => {
                after.expr(Expr::cust(PG_STATE));
                Some(DbBackend::Postgres.build(&after))
            }
            Self::Orm(_) => None,
        }
    }

    /// The cards and the count of statements from `page_statements`.
    ///
    /// Counting every card of a filter costs more than reading a page of them (600 index
    /// entries against 24 rows), so each connection remembers the count with the state of the
    /// database it was taken in (SQLite's `data_version`, read in the page's own transaction;
    /// PostgreSQL's snapshot, returned beside the page's rows): while no transaction has
    /// committed since, the remembered count is the count, and it is asked again as soon as
    /// one has.
    pub async fn page(
        &self,
        statements: PageStatements,
        mut cards: Cards,
    ) -> Result<(Cards, i64), DbErr> {
        let PageStatements {
            rows,
            count,
            keyset,
        } = statements;
        match self {
            Self::Sqlite(file) => sqlite::page(file, rows, count, keyset, cards),
            Self::Postgres(reads) => reads.page(rows, count, keyset, cards).await,
            Self::Orm(db) => {
                let found = db.query_all_raw(rows).await?;
                let total = match found.first() {
                    Some(row) => row.try_get_by_index::<i64>(1)?,
                    // Past the last page (or nothing matches): the count on its own.
                    None => match db.query_one_raw(count).await? {
                        Some(row) => row.try_get_by_index::<i64>(0)?,
                        None => 0,
                    },
                };
                for row in &found {
                    cards.push(row.try_get_by_index::<String>(0)?.as_bytes());
                }
                Ok((cards, total))
            }
        }
    }

    /// The card `query` selects, if any.
    pub async fn one(&self, query: &SelectStatement) -> Result<Option<String>, DbErr> {
        match self {
            Self::Sqlite(file) => sqlite::one(file, &DbBackend::Sqlite.build(query)),
            Self::Postgres(reads) => {
                let rows = reads.rows(&DbBackend::Postgres.build(query)).await?;
                rows.first()
                    .map(|row| row.try_get::<_, String>(0).map_err(pg_error))
                    .transpose()
            }
            Self::Orm(db) => match db.query_one(query).await? {
                Some(row) => Ok(Some(row.try_get_by_index::<String>(0)?)),
                None => Ok(None),
            },
        }
    }
}

fn values(statement: &Statement) -> &[Value] {
    statement.values.as_ref().map_or(&[], |v| v.0.as_slice())
}

/// What a remembered count is filed under: its statement and the values bound to it.
fn count_key(count: &Statement) -> String {
    format!("{}\u{1f}{:?}", count.sql, values(count))
}

fn unsupported(value: &Value) -> DbErr {
    DbErr::Custom(format!("a catalog read cannot bind {value:?}"))
}

mod sqlite {
    use super::*;
    use rusqlite::{Connection, OpenFlags, types::Value as Sql};

    /// Which state of the database this connection reads: it changes with every commit by
    /// another connection (and this one only reads). Asked as a statement of its own: as a
    /// column of the page's statement (`pragma_data_version()`) it had SQLite parse the whole
    /// statement again on every run.
    const STATE: &str = "PRAGMA data_version";
    /// Connections per thread are few: one per database file this thread has read.
    const MAX_FILES_PER_THREAD: usize = 4;
    /// Statements kept prepared per connection: every page shape, with room to spare.
    const PREPARED: usize = 64;

    struct Reader {
        file: PathBuf,
        conn: Connection,
        /// count statement → (data_version it was taken at, count)
        counts: HashMap<String, (i64, i64)>,
        /// (count statement, per_page, page) → (data_version, where that page starts: the
        /// `created_at` and `artwork_id` of the last card of the page before)
        starts: HashMap<(String, u64, u64), (i64, [Sql; 2])>,
    }

    thread_local! {
        static READERS: RefCell<Vec<Reader>> = const { RefCell::new(Vec::new()) };
    }

    fn open(file: &Path) -> rusqlite::Result<Reader> {
        let conn = Connection::open_with_flags(
            file,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // A checkpoint or WAL recovery can hold a reader back for a moment.
        conn.busy_timeout(Duration::from_secs(5))?;
        // Plans stay as prepared. Without it SQLite 3.51 prepares a statement again whenever
        // a value it planned with changes (the OFFSET of every other page): a third of a
        // page's time went to parsing.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        conn.set_prepared_statement_cache_capacity(PREPARED);
        Ok(Reader {
            file: file.to_path_buf(),
            conn,
            counts: HashMap::new(),
            starts: HashMap::new(),
        })
    }

    fn with_reader<R>(
        file: &Path,
        read: impl FnOnce(&mut Reader) -> Result<R, DbErr>,
    ) -> Result<R, DbErr> {
        READERS.with_borrow_mut(|readers| {
            let at = match readers.iter().position(|r| r.file == file) {
                Some(at) => at,
                None => {
                    if readers.len() >= MAX_FILES_PER_THREAD {
                        readers.clear();
                    }
                    readers.push(open(file).map_err(sql_error)?);
                    readers.len() - 1
                }
            };
            let result = read(&mut readers[at]);
            // A connection that failed is not trusted with the next read.
            if result.is_err() {
                readers.remove(at);
            }
            result
        })
    }

    fn sql_error(e: rusqlite::Error) -> DbErr {
        DbErr::Custom(format!("reading the catalog: {e}"))
    }

    fn params(statement: &Statement) -> Result<Vec<Sql>, DbErr> {
        values(statement)
            .iter()
            .map(|value| {
                Ok(match value {
                    Value::String(Some(s)) => Sql::Text(s.clone()),
                    Value::Bool(Some(b)) => Sql::Integer(i64::from(*b)),
                    Value::Int(Some(n)) => Sql::Integer(i64::from(*n)),
                    Value::BigInt(Some(n)) => Sql::Integer(*n),
                    Value::Unsigned(Some(n)) => Sql::Integer(i64::from(*n)),
                    Value::BigUnsigned(Some(n)) => {
                        Sql::Integer(i64::try_from(*n).map_err(|_| unsupported(value))?)
                    }
                    other => return Err(unsupported(other)),
                })
            })
            .collect()
    }

    /// Where a page of newest-first cards ends: the last card's `created_at` and
    /// `artwork_id`.
    type Place = [Sql; 2];

    /// Runs `sql` with `params` and hands each row's card, as SQLite holds it, to `each`.
    /// With `place`, the rows' second and third columns are each card's place in the
    /// newest-first order, and the last row's is returned.
    fn each_card(
        conn: &Connection,
        sql: &str,
        params: &[Sql],
        mut each: impl FnMut(&[u8]),
        place: bool,
    ) -> Result<Option<Place>, DbErr> {
        let mut run = || -> rusqlite::Result<Option<Place>> {
            let mut prepared = conn.prepare_cached(sql)?;
            let mut rows = prepared.query(rusqlite::params_from_iter(params.iter()))?;
            // The last row's place, in two buffers reused row after row.
            let (mut created_at, mut artwork_id) = (String::new(), String::new());
            let mut any = false;
            while let Some(row) = rows.next()? {
                each(row.get_ref(0)?.as_bytes()?);
                if place {
                    created_at.clear();
                    created_at.push_str(row.get_ref(1)?.as_str()?);
                    artwork_id.clear();
                    artwork_id.push_str(row.get_ref(2)?.as_str()?);
                    any = true;
                }
            }
            Ok(any.then_some([Sql::Text(created_at), Sql::Text(artwork_id)]))
        };
        run().map_err(sql_error)
    }

    fn execute(conn: &Connection, sql: &str) -> Result<(), DbErr> {
        let mut prepared = conn.prepare_cached(sql).map_err(sql_error)?;
        prepared.execute([]).map(drop).map_err(sql_error)
    }

    fn number(conn: &Connection, sql: &str, params: &[Sql]) -> Result<i64, DbErr> {
        let mut prepared = conn.prepare_cached(sql).map_err(sql_error)?;
        prepared
            .query_row(rusqlite::params_from_iter(params.iter()), |row| row.get(0))
            .map_err(sql_error)
    }

    pub fn page(
        file: &Path,
        rows: Statement,
        count: Statement,
        keyset: Option<Keyset>,
        mut cards: Cards,
    ) -> Result<(Cards, i64), DbErr> {
        with_reader(file, |reader| {
            // One read transaction for the state, the page and the count: each statement
            // on its own took and released the database's shared lock (two system calls).
            // Should anything fail, the connection is closed and the transaction with it.
            execute(&reader.conn, "BEGIN")?;
            // The state the page is read in. The transaction's first statement starts its
            // snapshot, and every statement after it reads that same snapshot.
            let state = number(&reader.conn, STATE, &[])?;
            let key = count_key(&count);
            let push = |card: &[u8]| cards.push(card);
            match &keyset {
                None => {
                    each_card(&reader.conn, &rows.sql, &params(&rows)?, push, false)?;
                }
                Some(keyset) => {
                    let this = (key.clone(), keyset.per_page, keyset.page);
                    let start = reader
                        .starts
                        .get(&this)
                        .filter(|(at, _)| *at == state)
                        .map(|(_, place)| place.clone());
                    let end = match start {
                        Some([created_at, artwork_id]) => {
                            let mut params = params(&keyset.after)?;
                            params[keyset.at[0]] = created_at;
                            params[keyset.at[1]] = artwork_id;
                            each_card(&reader.conn, &keyset.after.sql, &params, push, true)?
                        }
                        None => each_card(&reader.conn, &rows.sql, &params(&rows)?, push, true)?,
                    };
                    if let Some(end) = end {
                        let next = (this.0, this.1, this.2 + 1);
                        remember(&mut reader.starts, next, (state, end));
                    }
                }
            }
            let total = match reader.counts.get(&key) {
                Some((at, n)) if *at == state => *n,
                _ => {
                    let n = number(&reader.conn, &count.sql, &params(&count)?)?;
                    remember(&mut reader.counts, key, (state, n));
                    n
                }
            };
            execute(&reader.conn, "COMMIT")?;
            Ok((cards, total))
        })
    }

    pub fn one(file: &Path, query: &Statement) -> Result<Option<String>, DbErr> {
        // The statement selects by key: one card at most.
        with_reader(file, |reader| {
            let mut found = None;
            let keep = |card: &[u8]| found = Some(String::from_utf8_lossy(card).into_owned());
            each_card(&reader.conn, &query.sql, &params(query)?, keep, false)?;
            Ok(found)
        })
    }
}

/// PostgreSQL's counterpart of SQLite's `data_version`: the statement's snapshot. Two
/// statements with the same snapshot saw the same committed data, on the primary these
/// reads go to. Not on a hot standby: there `pg_current_snapshot()` leaves the running
/// transactions out of its text, so a commit can leave the text as it was. Remembered
/// counts and pages' starting places rely on it; reads moved to a replica need another
/// token (or none of either).
const PG_STATE: &str = "(SELECT pg_current_snapshot()::text)";

/// PostgreSQL reads: one connection per thread, its statements prepared once.
pub struct PgReads {
    config: tokio_postgres::Config,
    /// Which reader this is, so one thread can hold connections to several databases (tests).
    id: usize,
}

struct PgConnection {
    client: tokio_postgres::Client,
    prepared: Mutex<HashMap<String, tokio_postgres::Statement>>,
    /// count statement → (snapshot it was taken in, count)
    counts: Mutex<HashMap<String, (String, i64)>>,
    /// (count statement, per_page, page) → where that page starts, as seen in a snapshot
    starts: Mutex<HashMap<(String, u64, u64), PgStart>>,
    /// The snapshot of the latest page this connection read.
    latest: Mutex<String>,
}

/// Where a newest-first page starts: the `created_at` (as PostgreSQL sent it, with its
/// type) and `artwork_id` of the last card of the page before, in the snapshot it was read.
#[derive(Clone)]
struct PgStart {
    snapshot: String,
    created_at: Raw,
    artwork_id: String,
}

thread_local! {
    static PG_CONNECTIONS: RefCell<HashMap<usize, Arc<PgConnection>>> = RefCell::new(HashMap::new());
}

impl PgReads {
    /// None unless `url` allows a connection without TLS: `sslmode=disable`, or the
    /// default `prefer` to this machine itself (nobody on the way to listen).
    fn new(url: &str) -> Option<Self> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio_postgres::config::{Host, SslMode};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let config: tokio_postgres::Config = url.parse().ok()?;
        let local = config.get_hosts().iter().all(|host| match host {
            Host::Tcp(name) => {
                name == "localhost"
                    || name
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            }
            Host::Unix(_) => true,
        });
        let plain = match config.get_ssl_mode() {
            SslMode::Disable => true,
            SslMode::Prefer => local,
            _ => false,
        };
        if !plain {
            return None;
        }
        Some(Self {
            config,
            id: NEXT.fetch_add(1, Ordering::Relaxed),
        })
    }

    async fn connection(&self) -> Result<Arc<PgConnection>, DbErr> {
        let open = PG_CONNECTIONS.with_borrow(|c| c.get(&self.id).cloned());
        if let Some(conn) = open.filter(|c| !c.client.is_closed()) {
            return Ok(conn);
        }
        let (client, connection) = self
            .config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(pg_error)?;
        // On an actix worker this is the worker's own runtime: the connection lives on the
        // thread whose requests use it.
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "a catalog read connection closed");
            }
        });
        // Every catalog statement is written for its index, so the one plan made at prepare
        // time is the right one for any value. Left to choose, PostgreSQL planned each
        // execution again (the country and the OFFSET make a custom plan look cheaper): half
        // of a page's time on the server. A server that refuses the setting (before
        // PostgreSQL 12) still reads, only slower.
        if let Err(e) = client
            .batch_execute("SET plan_cache_mode = force_generic_plan")
            .await
        {
            tracing::warn!(error = %e, "catalog reads keep PostgreSQL's own choice of plans");
        }
        let conn = Arc::new(PgConnection {
            client,
            prepared: Mutex::new(HashMap::new()),
            counts: Mutex::new(HashMap::new()),
            starts: Mutex::new(HashMap::new()),
            latest: Mutex::new(String::new()),
        });
        PG_CONNECTIONS.with_borrow_mut(|c| c.insert(self.id, conn.clone()));
        Ok(conn)
    }

    /// Forgets this thread's connection when it is `conn`, so the next read opens another.
    fn forget(&self, conn: &Arc<PgConnection>) {
        PG_CONNECTIONS.with_borrow_mut(|c| {
            if c.get(&self.id).is_some_and(|open| Arc::ptr_eq(open, conn)) {
                c.remove(&self.id);
            }
        });
    }

    /// Runs `read` on this thread's connection and, should the connection have ended, once
    /// more on a new one.
    /// A connection the server ended (a restart, a fail-over, `pg_terminate_backend`) only
    /// says so when it is next used: `is_closed` is still false when it is handed out, and
    /// the first read after the end fails. Catalog reads change nothing, so reading again
    /// is safe, and the visitor sees the page instead of a 500. A second failure is real.
    async fn with_connection<T, F>(&self, read: F) -> Result<T, DbErr>
    where
        F: AsyncFn(&PgConnection) -> Result<T, DbErr>,
    {
        let conn = self.connection().await?;
        match read(&conn).await {
            // Only a connection that ended: a statement that fails on a live one (a bad
            // value, a timeout) would fail again, and its connection is kept.
            Err(e) if matches!(e, DbErr::Conn(_)) || conn.client.is_closed() => {
                tracing::warn!(error = %e, "a catalog read's connection ended; reading again on a new one");
                self.forget(&conn);
                let conn = self.connection().await?;
                read(&conn).await
            }
            other => other,
        }
    }

    async fn rows(&self, statement: &Statement) -> Result<Vec<tokio_postgres::Row>, DbErr> {
        self.with_connection(async |conn| conn.rows(statement).await)
            .await
    }

    /// Newest first, a page is read from where the page before ended when this connection
    /// read that page in the snapshot it saw last (so nothing has committed since, as far
    /// as it knows), and the page's own snapshot says so; otherwise (something committed,
    /// or the page came back empty and cannot say) by `rows`. A page read just after a
    /// commit the connection has not seen yet costs one statement more; under steady writes
    /// that is most deep pages, and the rest read as without the place.
    async fn page(
        &self,
        rows: Statement,
        count: Statement,
        keyset: Option<Keyset>,
        mut cards: Cards,
    ) -> Result<(Cards, i64), DbErr> {
        let (found, total) = self
            .with_connection(async |conn| conn.page(&rows, &count, keyset.as_ref()).await)
            .await?;
        for row in &found {
            cards.push(row.try_get::<_, Text>(0).map_err(pg_error)?.0);
        }
        Ok((cards, total))
    }
}

impl PgConnection {
    /// A page's rows and the count of all it is one page of (see `PgReads::page`).
    async fn page(
        &self,
        rows: &Statement,
        count: &Statement,
        keyset: Option<&Keyset>,
    ) -> Result<(Vec<tokio_postgres::Row>, i64), DbErr> {
        let conn = self;
        let key = count_key(count);
        let this = keyset.as_ref().map(|k| (key.clone(), k.per_page, k.page));
        let mut found = None;
        if let (Some(keyset), Some(this)) = (keyset, &this)
            && let Some(start) = conn.start(this)
        {
            // The place is a shortcut: should its statement fail, the page is read as
            // without it.
            match conn.rows_after(keyset, &start).await {
                Ok(after) => {
                    let snapshot = after.first().map(pg_snapshot).transpose()?;
                    if snapshot.as_ref() == Some(&start.snapshot) {
                        found = Some(after);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "a catalog page from its place failed; reading it by offset");
                }
            }
        }
        let found = match found {
            Some(found) => found,
            None => conn.rows(rows).await?,
        };
        let snapshot = found.first().map(pg_snapshot).transpose()?;
        if let Some(snapshot) = &snapshot {
            snapshot.clone_into(&mut conn.latest.lock().unwrap_or_else(|p| p.into_inner()));
        }
        if let (Some((key, per_page, page)), Some(last), Some(snapshot)) =
            (this, found.last(), &snapshot)
        {
            let start = PgStart {
                snapshot: snapshot.clone(),
                created_at: last.try_get(1).map_err(pg_error)?,
                artwork_id: last.try_get(2).map_err(pg_error)?,
            };
            let mut starts = conn.starts.lock().unwrap_or_else(|p| p.into_inner());
            remember(&mut starts, (key.clone(), per_page, page + 1), start);
        }
        let remembered = snapshot.as_ref().and_then(|snapshot| {
            conn.counts
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&key)
                .filter(|(at, _)| at == snapshot)
                .map(|(_, n)| *n)
        });
        let total = match remembered {
            Some(n) => n,
            None => {
                let counted = conn.rows(count).await?;
                let row = counted
                    .first()
                    .ok_or_else(|| DbErr::Custom("a count without a row".into()))?;
                let n: i64 = row.try_get(0).map_err(pg_error)?;
                let mut counts = conn.counts.lock().unwrap_or_else(|p| p.into_inner());
                remember(&mut counts, key, (pg_snapshot(row)?, n));
                n
            }
        };
        Ok((found, total))
    }
}

/// The snapshot a row was read in: the statement's last column.
fn pg_snapshot(row: &tokio_postgres::Row) -> Result<String, DbErr> {
    row.try_get(row.len() - 1).map_err(pg_error)
}

impl PgConnection {
    /// Where the page `this` starts, if this connection read the page before it in the
    /// snapshot it saw last.
    fn start(&self, this: &(String, u64, u64)) -> Option<PgStart> {
        let latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        self.starts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(this)
            .filter(|start| start.snapshot == *latest)
            .cloned()
    }

    async fn rows_after(
        &self,
        keyset: &Keyset,
        start: &PgStart,
    ) -> Result<Vec<tokio_postgres::Row>, DbErr> {
        let mut params = pg_params(values(&keyset.after))?;
        params[keyset.at[0]] = (
            Box::new(start.created_at.clone()),
            start.created_at.ty.clone(),
        );
        params[keyset.at[1]] = (
            Box::new(start.artwork_id.clone()),
            tokio_postgres::types::Type::TEXT,
        );
        self.run(&keyset.after, params).await
    }

    async fn rows(&self, statement: &Statement) -> Result<Vec<tokio_postgres::Row>, DbErr> {
        self.run(statement, pg_params(values(statement))?).await
    }

    async fn run(
        &self,
        statement: &Statement,
        params: Vec<PgParam>,
    ) -> Result<Vec<tokio_postgres::Row>, DbErr> {
        let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
            params.iter().map(|p| p.0.as_ref() as _).collect();
        let prepared = self.prepared(statement, &params, false).await?;
        match self.client.query(&prepared, &refs).await {
            Ok(rows) => Ok(rows),
            // A statement prepared before the tables changed (a new release migrated them
            // while this one still runs) is refused from then on: prepare it again, once.
            Err(e) if !self.client.is_closed() => {
                tracing::warn!(error = %e, "a prepared catalog statement failed; preparing it again");
                let prepared = self.prepared(statement, &params, true).await?;
                self.client.query(&prepared, &refs).await.map_err(pg_error)
            }
            Err(e) => Err(pg_error(e)),
        }
    }

    async fn prepared(
        &self,
        statement: &Statement,
        params: &[PgParam],
        again: bool,
    ) -> Result<tokio_postgres::Statement, DbErr> {
        let cached = {
            let mut cache = self.prepared.lock().unwrap_or_else(|p| p.into_inner());
            if again {
                cache.remove(&statement.sql);
            }
            cache.get(&statement.sql).cloned()
        };
        if let Some(prepared) = cached {
            return Ok(prepared);
        }
        let types: Vec<_> = params.iter().map(|p| p.1.clone()).collect();
        let prepared = self
            .client
            .prepare_typed(&statement.sql, &types)
            .await
            .map_err(pg_error)?;
        let mut cache = self.prepared.lock().unwrap_or_else(|p| p.into_inner());
        // Statement shapes are few; anything past this is not worth keeping.
        if cache.len() < MAX_COUNTS {
            cache.insert(statement.sql.clone(), prepared.clone());
        }
        Ok(prepared)
    }
}

/// A text column's bytes as the server sent them: tokio-postgres has the server send text
/// as UTF-8 (`client_encoding`), so a card is copied into the page without a check of its own.
struct Text<'a>(&'a [u8]);

impl<'a> tokio_postgres::types::FromSql<'a> for Text<'a> {
    fn from_sql(
        _: &tokio_postgres::types::Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Text(raw))
    }

    fn accepts(ty: &tokio_postgres::types::Type) -> bool {
        <&str as tokio_postgres::types::FromSql>::accepts(ty)
    }
}

/// A value as PostgreSQL sent it, in its binary form, to send back as it came.
#[derive(Debug, Clone)]
struct Raw {
    bytes: Vec<u8>,
    ty: tokio_postgres::types::Type,
}

impl<'a> tokio_postgres::types::FromSql<'a> for Raw {
    fn from_sql(
        ty: &tokio_postgres::types::Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Self {
            bytes: raw.to_vec(),
            ty: ty.clone(),
        })
    }

    fn accepts(_: &tokio_postgres::types::Type) -> bool {
        true
    }
}

impl tokio_postgres::types::ToSql for Raw {
    fn to_sql(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        if *ty != self.ty {
            return Err(format!("{} sent back as {ty}", self.ty).into());
        }
        out.extend_from_slice(&self.bytes);
        Ok(tokio_postgres::types::IsNull::No)
    }

    fn accepts(_: &tokio_postgres::types::Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

type PgParam = (
    Box<dyn tokio_postgres::types::ToSql + Sync + Send>,
    tokio_postgres::types::Type,
);

fn pg_params(values: &[Value]) -> Result<Vec<PgParam>, DbErr> {
    use tokio_postgres::types::Type;
    values
        .iter()
        .map(|value| -> Result<PgParam, DbErr> {
            Ok(match value {
                Value::String(Some(s)) => (Box::new(s.clone()), Type::TEXT),
                Value::Bool(Some(b)) => (Box::new(*b), Type::BOOL),
                Value::Int(Some(n)) => (Box::new(*n), Type::INT4),
                Value::BigInt(Some(n)) => (Box::new(*n), Type::INT8),
                Value::Unsigned(Some(n)) => (Box::new(i64::from(*n)), Type::INT8),
                Value::BigUnsigned(Some(n)) => (
                    Box::new(i64::try_from(*n).map_err(|_| unsupported(value))?),
                    Type::INT8,
                ),
                other => return Err(unsupported(other)),
            })
        })
        .collect()
}

/// A connection the server ended (a restart, `pg_terminate_backend`, a broken socket) is a
/// `DbErr::Conn`, which `with_connection` reads again on a new connection; anything else
/// (a bad statement, a timeout) is not, and fails as it is.
fn pg_error(e: tokio_postgres::Error) -> DbErr {
    use std::error::Error as _;
    use tokio_postgres::error::SqlState;
    let ended = e.is_closed()
        || e.code().is_some_and(|code| {
            [
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
            ]
            .contains(code)
        })
        || e.source().is_some_and(|s| s.is::<std::io::Error>());
    let message = format!("reading the catalog: {e}");
    if ended {
        DbErr::Conn(sea_orm::RuntimeErr::Internal(message))
    } else {
        DbErr::Custom(message)
    }
}

#[cfg(test)]
mod tests {
    use super::PgReads;

    #[test]
    fn postgres_reads_go_without_tls_only_where_nobody_can_listen() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/hunar",
            "postgres://postgres@localhost/hunar",
            "postgres://u:p@[::1]:5432/hunar",
            "postgres://u:p@db.internal/hunar?sslmode=disable",
        ] {
            assert!(PgReads::new(url).is_some(), "{url}");
        }
        for url in [
            "postgres://u:p@db.example.org/hunar",
            "postgres://u:p@10.0.0.5/hunar?sslmode=prefer",
            "postgres://u:p@127.0.0.1/hunar?sslmode=require",
            // Options only sqlx understands: the pool reads, as it always did.
            "postgres://u:p@127.0.0.1/hunar?statement-cache-capacity=10",
        ] {
            assert!(PgReads::new(url).is_none(), "{url}");
        }
    }
}
