//! The database, how the server's threads share the machine with it, and the demo data.
use super::{ConfigError, Vars, invalid};
use crate::vault::KeySource;

/// How the server's threads are scheduled (see `threads`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadScheduling {
    /// Linux's SCHED_BATCH: woken by a reply, a thread waits for the running process (the
    /// database's backend that sent it) to pause instead of cutting in.
    Batch,
    /// As the server was started (the system's default unless started under `chrt`).
    Normal,
}

pub struct Database {
    pub url: String,
    /// Pool size; None picks 8 for SQLite and 32 for PostgreSQL.
    pub max_connections: Option<u32>,
    pub thread_scheduling: ThreadScheduling,
    pub seed_demo: bool,
    pub seed_pictures: bool,
    /// What seals the personal data in the database.
    pub data_key: KeySource,
}

/// `DATA_KEY` (base64 of 32 bytes) or `DATA_KEY_FILE` (default `./hunar.key`), not both: a
/// server must not guess which one the database was written under.
fn data_key(vars: &Vars) -> Result<KeySource, ConfigError> {
    match (vars.get("DATA_KEY"), vars.get("DATA_KEY_FILE")) {
        (Some(_), Some(_)) => Err(invalid(
            "DATA_KEY",
            "set DATA_KEY or DATA_KEY_FILE, not both",
        )),
        (Some(key), None) => crate::vault::parse_key(&key)
            .map(KeySource::Inline)
            .ok_or_else(|| {
                invalid(
                    "DATA_KEY",
                    "expected base64 of 32 random bytes (e.g. `openssl rand -base64 32`)",
                )
            }),
        (None, file) => Ok(KeySource::File(
            file.unwrap_or_else(|| "./hunar.key".into()).into(),
        )),
    }
}

pub fn read(vars: &Vars) -> Result<Database, ConfigError> {
    let url = vars.or("DATABASE_URL", "sqlite://hunar.db?mode=rwc");
    if !(url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://"))
    {
        return Err(invalid(
            "DATABASE_URL",
            "expected sqlite://FILE?mode=rwc or postgres://USER@HOST/DB",
        ));
    }
    let max_connections = vars
        .get("DATABASE_MAX_CONNECTIONS")
        .map(|v| super::parse_number("DATABASE_MAX_CONNECTIONS", &v, 1, 1000))
        .transpose()?;
    // `auto`: batch with PostgreSQL, where it measured 36 % more catalog pages a second
    // with the database on the same two cores (as in docker-compose); SQLite runs inside
    // the server, with nothing to make way for (its pages measured slower so, beside
    // wrk). Off Linux there is no SCHED_BATCH to choose.
    let thread_scheduling = match vars.or("THREAD_SCHEDULING", "auto").as_str() {
        "auto" if url.starts_with("sqlite:") || !cfg!(target_os = "linux") => {
            ThreadScheduling::Normal
        }
        "auto" | "batch" => ThreadScheduling::Batch,
        "normal" => ThreadScheduling::Normal,
        _ => {
            return Err(invalid(
                "THREAD_SCHEDULING",
                "expected `auto`, `batch` or `normal`",
            ));
        }
    };
    Ok(Database {
        url,
        max_connections,
        thread_scheduling,
        seed_demo: vars.flag("SEED_DEMO", "true")?,
        seed_pictures: vars.flag("SEED_PICTURES", "true")?,
        data_key: data_key(vars)?,
    })
}
