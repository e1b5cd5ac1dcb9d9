//! SQLite reads: each thread keeps its own read-only connection to the file and runs the
//! statement in place. In WAL mode a reader never waits for the writer and sees every
//! transaction committed before its statement started.
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, types::Value as Sql};
use sea_orm::sea_query::{SelectStatement, Value};
use sea_orm::{DbBackend, DbErr, Statement};

use super::{
    CardList, Keyset, PageStatements, ReadCards, count_key, remember, unsupported, values,
};

/// Reads the catalog from one SQLite file.
#[derive(Clone)]
pub struct SqliteReads(pub Arc<Path>);

impl ReadCards for SqliteReads {
    fn page_statements(
        &self,
        rows: SelectStatement,
        count: SelectStatement,
    ) -> (Statement, Statement) {
        (
            DbBackend::Sqlite.build(&rows),
            DbBackend::Sqlite.build(&count),
        )
    }

    fn keyset_statement(&self, after: SelectStatement) -> Option<Statement> {
        Some(DbBackend::Sqlite.build(&after))
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
        // Run here, on the request's own thread: the point of this reader.
        std::future::ready(page(&self.0, rows, count, keyset, cards))
    }

    fn one(&self, query: &SelectStatement) -> impl Future<Output = Result<Option<String>, DbErr>> {
        std::future::ready(one(&self.0, &DbBackend::Sqlite.build(query)))
    }
}

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

fn page(
    file: &Path,
    rows: Statement,
    count: Statement,
    keyset: Option<Keyset>,
    mut cards: CardList,
) -> Result<(CardList, i64), DbErr> {
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

fn one(file: &Path, query: &Statement) -> Result<Option<String>, DbErr> {
    // The statement selects by key: one card at most.
    with_reader(file, |reader| {
        let mut found = None;
        let keep = |card: &[u8]| found = Some(String::from_utf8_lossy(card).into_owned());
        each_card(&reader.conn, &query.sql, &params(query)?, keep, false)?;
        Ok(found)
    })
}
