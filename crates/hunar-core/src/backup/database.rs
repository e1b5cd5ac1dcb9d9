//! The database half of a backup: a consistent copy taken without stopping writers, the
//! facts a manifest records about it, and putting a copy back.
//!
//! SQLite: `VACUUM INTO` reads one snapshot (WAL lets writers go on) into a compact new
//! file. PostgreSQL: a REPEATABLE READ transaction exports its snapshot and `pg_dump`
//! dumps exactly that snapshot, so the row counts and photo keys read in the transaction
//! describe the dump to the row.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DbBackend, IsolationLevel, Statement,
    TransactionTrait,
};

use super::BackupError;

/// What a manifest says about the database it holds.
pub struct Facts {
    pub last_migration: String,
    pub data_key: Option<String>,
    pub tables: BTreeMap<String, u64>,
    pub media_keys: BTreeSet<String>,
}

/// Bookkeeping the server makes for itself on any start: a database holding only these
/// holds no data worth refusing a restore for.
const BOOKKEEPING: [&str; 6] = [
    "seaql_migrations",
    "read_models",
    "catalog_cards",
    "app_secrets",
    "health_probe",
    "backup_runs",
];

pub fn backend_name(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Sqlite => "sqlite",
        _ => "postgres",
    }
}

pub fn file_name(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Sqlite => "database.sqlite",
        _ => "database.pgdump",
    }
}

/// The database file's name for a manifest's `backend`.
pub fn file_name_for(backend: &str) -> &'static str {
    match backend {
        "sqlite" => file_name(DbBackend::Sqlite),
        _ => file_name(DbBackend::Postgres),
    }
}

fn sqlite_file(database_url: &str) -> Result<PathBuf, BackupError> {
    let options = SqliteConnectOptions::from_str(database_url)
        .map_err(|e| BackupError::Incompatible(format!("DATABASE_URL: {e}")))?;
    Ok(options.get_filename().to_path_buf())
}

async fn open_sqlite(file: &Path, read_only: bool) -> Result<DatabaseConnection, BackupError> {
    let options = SqliteConnectOptions::new()
        .filename(file)
        .read_only(read_only)
        .foreign_keys(false);
    let pool = sea_orm::sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| BackupError::Storage(format!("cannot open {}: {e}", file.display())))?;
    Ok(sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// Copies the live database into `out` and describes the copy.
pub async fn snapshot(
    db: &DatabaseConnection,
    database_url: &str,
    out: &Path,
) -> Result<Facts, BackupError> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let target = out.display().to_string().replace('\'', "''");
            db.execute_unprepared(&format!("VACUUM INTO '{target}'"))
                .await?;
            crate::files::restrict(out)?;
            let copy = open_sqlite(out, true).await?;
            let facts = facts(&copy).await;
            copy.close().await.ok();
            facts
        }
        _ => {
            let txn = db
                .begin_with_config(
                    Some(IsolationLevel::RepeatableRead),
                    Some(AccessMode::ReadOnly),
                )
                .await?;
            let row = txn
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT pg_export_snapshot() AS id",
                ))
                .await?
                .ok_or_else(|| BackupError::Tool("PostgreSQL exported no snapshot".into()))?;
            let id: String = row.try_get("", "id")?;
            let (mut pg_dump, url) = libpq("pg_dump", database_url)?;
            pg_dump
                .arg("--no-owner")
                .arg("--no-privileges")
                .arg(format!("--dbname={url}"))
                .arg("--format=custom")
                .arg(format!("--snapshot={id}"))
                .arg(format!("--file={}", out.display()));
            run_tool(pg_dump, "pg_dump").await?;
            crate::files::restrict(out)?;
            let facts = facts(&txn).await;
            txn.commit().await?;
            facts
        }
    }
}

/// A PostgreSQL client tool for this database: the URL without its password, which goes in
/// the tool's environment.
fn libpq(name: &str, database_url: &str) -> Result<(tokio::process::Command, String), BackupError> {
    let (url, password) = without_password(database_url)?;
    let mut command = tokio::process::Command::new(name);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    Ok((command, url))
}

/// The URL for libpq without its password (which goes in PGPASSWORD, not in argv where any
/// user of the machine could read it).
fn without_password(database_url: &str) -> Result<(String, Option<String>), BackupError> {
    let mut url = url::Url::parse(database_url)
        .map_err(|e| BackupError::Incompatible(format!("DATABASE_URL: {e}")))?;
    let password = url.password().map(percent_decode);
    let _ = url.set_password(None);
    Ok((url.to_string(), password))
}

fn percent_decode(value: &str) -> String {
    form_urlencoded::parse(format!("p={}", value.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn not_started(name: &str, e: std::io::Error) -> BackupError {
    BackupError::Tool(format!(
        "{name} could not be started ({e}); install PostgreSQL's client tools \
         (apt-get install postgresql-client) in the same major version as the server"
    ))
}

fn failed(name: &str, output: &std::process::Output) -> Result<(), BackupError> {
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(BackupError::Tool(format!(
        "{name} failed ({}): {}",
        output.status,
        stderr.trim()
    )))
}

async fn run_tool(mut command: tokio::process::Command, name: &str) -> Result<(), BackupError> {
    let output = command
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| not_started(name, e))?;
    failed(name, &output)
}

async fn tables(db: &impl ConnectionTrait) -> Result<Vec<String>, BackupError> {
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' \
             ESCAPE '\\' ORDER BY name"
        }
        _ => {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    Ok(rows
        .iter()
        .filter_map(|row| row.try_get::<String>("", "name").ok())
        .collect())
}

async fn count(db: &impl ConnectionTrait, table: &str) -> Result<u64, BackupError> {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM \"{}\"",
        table.replace('"', "\"\"")
    );
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    let n: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

pub async fn facts(db: &impl ConnectionTrait) -> Result<Facts, BackupError> {
    let backend = db.get_database_backend();
    let counts = table_counts(db).await?;
    let last_migration = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT version FROM seaql_migrations ORDER BY version DESC LIMIT 1",
        ))
        .await?
        .map(|row| row.try_get::<String>("", "version"))
        .transpose()?
        .unwrap_or_default();
    let media_keys = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT variants FROM images",
        ))
        .await?
        .iter()
        .filter_map(|row| row.try_get::<String>("", "variants").ok())
        .flat_map(|variants| crate::media::images::variant_keys(&variants))
        .filter(|key| !key.is_empty())
        .collect();
    let data_key = crate::vault::state::key_of_database(db).await?;
    Ok(Facts {
        last_migration,
        data_key,
        tables: counts,
        media_keys,
    })
}

/// Which tables of the configured database hold data ("orders: 12, artists: 3"); None
/// when it holds none (missing, new, or only what any start creates).
pub async fn data_in(database_url: &str) -> Result<Option<String>, BackupError> {
    let counts = if database_url.starts_with("sqlite:") {
        let file = sqlite_file(database_url)?;
        if !tokio::fs::try_exists(&file).await? {
            return Ok(None);
        }
        let db = open_sqlite(&file, true).await?;
        let counts = table_counts(&db).await;
        db.close().await.ok();
        counts?
    } else {
        let db = sea_orm::Database::connect(database_url).await?;
        let counts = table_counts(&db).await;
        db.close().await.ok();
        counts?
    };
    let holding: Vec<String> = counts
        .into_iter()
        .filter(|(table, n)| *n > 0 && !BOOKKEEPING.contains(&table.as_str()))
        .map(|(table, n)| format!("{table}: {n}"))
        .collect();
    Ok((!holding.is_empty()).then(|| holding.join(", ")))
}

async fn table_counts(db: &impl ConnectionTrait) -> Result<BTreeMap<String, u64>, BackupError> {
    let mut counts = BTreeMap::new();
    for table in tables(db).await? {
        let n = count(db, &table).await?;
        counts.insert(table, n);
    }
    Ok(counts)
}

/// Where a restore puts the database file it verifies: for SQLite beside the database, so
/// putting it in place is one rename on the same disk; for PostgreSQL any scratch path.
pub async fn staging(database_url: &str, scratch: PathBuf) -> Result<PathBuf, BackupError> {
    if !database_url.starts_with("sqlite:") {
        return Ok(scratch);
    }
    let target = sqlite_file(database_url)?;
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(parent).await?;
    }
    let mut staged = target.into_os_string();
    staged.push(".restoring");
    Ok(PathBuf::from(staged))
}

/// Puts a verified copy (made by `staging`) in place of the configured database. The
/// server must be stopped.
pub async fn install(database_url: &str, copy: &Path) -> Result<(), BackupError> {
    if database_url.starts_with("sqlite:") {
        let target = sqlite_file(database_url)?;
        // A write-ahead log left beside the old file would be replayed into the new one.
        for suffix in ["-wal", "-shm"] {
            let mut side = target.clone().into_os_string();
            side.push(suffix);
            match tokio::fs::remove_file(PathBuf::from(side)).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        crate::files::restrict(copy)?;
        tokio::fs::rename(copy, &target).await?;
        return Ok(());
    }
    // One transaction: the old schema goes and the dump comes in, or nothing changes.
    // pg_restore turns the archive into SQL; psql runs it after the reset, all or nothing.
    let mut pg_restore = tokio::process::Command::new("pg_restore");
    pg_restore
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg("--file=-")
        .arg(copy)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut script = pg_restore
        .spawn()
        .map_err(|e| not_started("pg_restore", e))?;
    let sql: std::process::Stdio = script
        .stdout
        .take()
        .ok_or_else(|| BackupError::Tool("pg_restore gave no output".into()))?
        .try_into()?;
    let (mut psql, url) = libpq("psql", database_url)?;
    psql.arg("--no-psqlrc")
        .arg("--quiet")
        .arg("--single-transaction")
        .arg("--set=ON_ERROR_STOP=1")
        .arg("--command=DROP SCHEMA public CASCADE")
        .arg("--command=CREATE SCHEMA public")
        .arg("--file=-")
        .arg(format!("--dbname={url}"))
        .stdin(sql)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let applied = psql
        .spawn()
        .map_err(|e| not_started("psql", e))?
        .wait_with_output()
        .await?;
    let converted = script.wait_with_output().await?;
    failed("pg_restore", &converted)?;
    failed("psql", &applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_and_is_decoded() {
        let (url, password) =
            without_password("postgres://hunar:p%40ss%2Bw@db:5432/hunar?sslmode=disable")
                .expect("url");
        assert_eq!(url, "postgres://hunar@db:5432/hunar?sslmode=disable");
        assert_eq!(password.as_deref(), Some("p@ss+w"));
        let (url, password) = without_password("postgres://postgres@127.0.0.1/x").expect("url");
        assert_eq!(url, "postgres://postgres@127.0.0.1/x");
        assert_eq!(password, None);
    }
}
