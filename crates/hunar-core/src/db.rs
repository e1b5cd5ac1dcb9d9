//! Database connection: SQLite (embedded default) or PostgreSQL, one schema for both.
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use migration::MigratorTrait;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, SqlErr, Statement, TransactionOptions, TransactionTrait,
};

pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, None).await
}

pub async fn connect_with(
    url: &str,
    max_connections: Option<u32>,
) -> Result<DatabaseConnection, DbErr> {
    let default = if url.starts_with("sqlite:") {
        8
    } else {
        postgres_pool_size(std::thread::available_parallelism().map_or(1, |n| n.get()))
    };
    let max_connections = max_connections.unwrap_or(default);
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(10))
        .max_connections(max_connections)
        .min_connections(1)
        // WAL lets readers run beside the one writer; busy_timeout makes a second writer
        // wait for the lock instead of failing with "database is locked".
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // Erased and changed values are overwritten in the file, not left in free
                // pages for whoever copies the disk to read.
                .pragma("secure_delete", "ON")
        })
        .map_sqlx_sqlite_pool_opts(|pool| {
            pool.after_release(|conn, _| {
                Box::pin(async move {
                    // A rollback started when a failed transaction was dropped is queued
                    // to the connection's worker: the ping waits for it, in order.
                    sea_orm::sqlx::Connection::ping(conn).await?;
                    Ok(outside_any_transaction::<sea_orm::sqlx::Sqlite>(conn))
                })
            })
        })
        .map_sqlx_postgres_pool_opts(|pool| {
            // PostgreSQL's rollback on drop is counted at once; no round trip is needed.
            pool.after_release(|conn, _| {
                Box::pin(
                    async move { Ok(outside_any_transaction::<sea_orm::sqlx::Postgres>(conn)) },
                )
            })
        });
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // Made before this version (or by another tool) readable by everyone: tightened
        // here; SQLite gives its WAL and shared-memory files the database's own mode.
        let file = db
            .get_sqlite_connection_pool()
            .connect_options()
            .get_filename()
            .to_path_buf();
        crate::files::restrict_sqlite(&file);
    }
    Ok(db)
}

/// A database error that is not the request's fault nor a bug: the database cannot take a
/// write now, and a retry later may work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    /// The disk (or PostgreSQL's) is full.
    Full,
    /// An I/O error, a lock held too long, or the server going away.
    Unavailable,
}

/// What kind of trouble `err` is, if any (SQLite's result codes, PostgreSQL's SQLSTATE).
pub fn trouble(err: &DbErr) -> Option<Trouble> {
    use sea_orm::RuntimeErr;
    let sqlx = match err {
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        DbErr::ConnectionAcquire(_) => return Some(Trouble::Unavailable),
        _ => return None,
    };
    match sqlx.as_ref() {
        sea_orm::sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            match code.as_ref() {
                // SQLITE_FULL; PostgreSQL's disk_full.
                "13" | "53100" => Some(Trouble::Full),
                // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR (and its extended codes),
                // SQLITE_CANTOPEN; PostgreSQL's out of memory, too many connections,
                // shutting down, cannot connect now.
                "5" | "6" | "14" | "53200" | "53300" | "57P01" | "57P02" | "57P03" => {
                    Some(Trouble::Unavailable)
                }
                code if code.parse::<i32>().is_ok_and(|c| c & 0xff == 10) => {
                    Some(Trouble::Unavailable)
                }
                _ => None,
            }
        }
        sea_orm::sqlx::Error::Io(_)
        | sea_orm::sqlx::Error::PoolTimedOut
        | sea_orm::sqlx::Error::PoolClosed
        | sea_orm::sqlx::Error::WorkerCrashed => Some(Trouble::Unavailable),
        _ => None,
    }
}

/// Whether a connection coming back to the pool is outside any transaction. One that is
/// not is closed instead of kept: after a write fails for a full disk, an I/O error or a
/// busy lock, SQLite may end the transaction itself while the driver still counts it, and
/// its rollback then fails; kept, that connection began every later write as a savepoint
/// of a transaction it no longer had, held SQLite's lock, and every other writer answered
/// "database is locked" until the process restarted. Closed, the pool opens a fresh one.
fn outside_any_transaction<DB: sea_orm::sqlx::Database>(conn: &DB::Connection) -> bool {
    let inside = sea_orm::sqlx::Connection::is_in_transaction(conn);
    if inside {
        tracing::warn!(
            "a database connection came back inside a transaction; it is closed, not reused"
        );
    }
    !inside
}

/// PostgreSQL's default pool: four connections per core. A connection is a server process;
/// with 32 of them on a 2-core machine, 32 orders in flight ran as 32 processes taking turns
/// on two cores, each preempted while holding its locks, and the slowest order in a hundred
/// took 72–80 ms. Eight connections gave the same orders per second with p99 38–40 ms
/// (`scripts/bench-orders.sh`, docs/BENCHMARKS.md). Orders past the pool wait in its queue, in order.
fn postgres_pool_size(cores: usize) -> u32 {
    u32::try_from(cores.saturating_mul(4)).map_or(64, |n| n.clamp(4, 64))
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    migration::Migrator::up(db, None).await
}

/// One in-process queue per SQLite file: writers wait their turn here, in order, instead of
/// in SQLite's busy handler, whose sleeps (up to 100 ms at a time) made tail latencies of
/// half a second under bursts. Other processes on the same file still meet busy_timeout.
fn sqlite_write_lock(db: &DatabaseConnection) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let mut locks = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    locks.entry(file).or_default().clone()
}

/// A write transaction; on SQLite it also holds this process's write turn until it ends.
pub struct WriteTxn {
    // Field order matters: the transaction ends before the turn is handed on.
    txn: DatabaseTransaction,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }

    /// A savepoint: a statement refused inside it (a unique index) is undone alone, where on
    /// PostgreSQL it would otherwise end the whole transaction.
    pub async fn savepoint(&self) -> Result<DatabaseTransaction, DbErr> {
        use sea_orm::TransactionTrait;
        self.txn.begin().await
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

/// Starts a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`, taking the
/// write lock up front: a deferred transaction that reads and then writes can fail with
/// SQLITE_BUSY when another writer got there first, and busy_timeout does not help it.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let turn = sqlite_write_lock(db).lock_owned().await;
            let txn = db
                .begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                    ..Default::default()
                })
                .await?;
            Ok(WriteTxn {
                txn,
                _turn: Some(turn),
            })
        }
        _ => Ok(WriteTxn {
            txn: db.begin().await?,
            _turn: None,
        }),
    }
}

/// Selects every column of `E` as `{prefix}{column}`, so a joined row can be read back with
/// `E::Model::from_query_result(&row, prefix)`.
pub fn select_prefixed<E: sea_orm::EntityTrait + Default>(
    query: &mut sea_orm::sea_query::SelectStatement,
    prefix: &str,
) {
    use sea_orm::{IdenStatic, Iterable};
    for column in E::Column::iter() {
        query.expr_as(
            sea_orm::sea_query::Expr::col((E::default(), column)),
            format!("{prefix}{}", column.as_str()),
        );
    }
}

pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// A fresh random id: UUIDv7, so ids sort by creation time and index well.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// On SQLite, copies the write-ahead log's pages back into the file and empties the log, so
/// old frames (values since erased or sealed) do not stay in it; whether it did (readers can
/// keep a checkpoint from finishing, and the next one will). Nothing to do on PostgreSQL.
pub async fn empty_log(db: &DatabaseConnection) -> bool {
    if db.get_database_backend() != DbBackend::Sqlite {
        return true;
    }
    // SQLite answers a checkpoint readers kept from finishing with a row (busy = 1), not an
    // error.
    let result = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA wal_checkpoint(TRUNCATE)",
        ))
        .await;
    match &result {
        Ok(Some(row)) => row.try_get_by_index::<i64>(0).unwrap_or(1) == 0,
        Ok(None) => true,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::postgres_pool_size;

    #[test]
    fn the_postgres_pool_grows_with_the_cores_within_bounds() {
        assert_eq!(postgres_pool_size(1), 4);
        assert_eq!(postgres_pool_size(2), 8);
        assert_eq!(postgres_pool_size(8), 32);
        assert_eq!(postgres_pool_size(64), 64);
        assert_eq!(postgres_pool_size(usize::MAX), 64);
    }
}
