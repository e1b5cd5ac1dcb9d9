//! PostgreSQL reads: each thread keeps one connection (tokio-postgres) with its statements
//! prepared; concurrent requests on the thread share it and their queries are pipelined.
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use sea_orm::sea_query::{Expr, SelectStatement, Value};
use sea_orm::{DbBackend, DbErr, Statement};

use super::{
    CardList, Keyset, MAX_COUNTS, PageStatements, ReadCards, count_key, remember, unsupported,
    values,
};

impl ReadCards for PgReads {
    fn page_statements(
        &self,
        mut rows: SelectStatement,
        mut count: SelectStatement,
    ) -> (Statement, Statement) {
        rows.expr(Expr::cust(PG_STATE));
        count.expr(Expr::cust(PG_STATE));
        (
            DbBackend::Postgres.build(&rows),
            DbBackend::Postgres.build(&count),
        )
    }

    fn keyset_statement(&self, mut after: SelectStatement) -> Option<Statement> {
        after.expr(Expr::cust(PG_STATE));
        Some(DbBackend::Postgres.build(&after))
    }

    fn page(
        &self,
        statements: PageStatements,
        cards: CardList,
    ) -> impl Future<Output = Result<(CardList, i64), DbErr>> {
        let PageStatements {
            rows,
            count,
            keyset,
        } = statements;
        self.read_page(rows, count, keyset, cards)
    }

    fn one(&self, query: &SelectStatement) -> impl Future<Output = Result<Option<String>, DbErr>> {
        let statement = DbBackend::Postgres.build(query);
        async move {
            let rows = self.rows(&statement).await?;
            rows.first()
                .map(|row| row.try_get::<_, String>(0).map_err(pg_error))
                .transpose()
        }
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
    pub(super) fn new(url: &str) -> Option<Self> {
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
    async fn read_page(
        &self,
        rows: Statement,
        count: Statement,
        keyset: Option<Keyset>,
        mut cards: CardList,
    ) -> Result<(CardList, i64), DbErr> {
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
