//! Logging: pretty for development, JSON lines for production. Never personal data.
use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;
use crate::log_writer::{self, FlushGuard};

/// Installs the logger. Lines are written by a thread of their own, many to a system call
/// when they come fast (see `log_writer`): written by the request's thread, one `write` per
/// request was a tenth of a catalog page's time. Keep the guard until the end: dropping it
/// writes out what is still waiting.
pub fn init(format: &LogFormat) -> FlushGuard {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let (writer, guard) = log_writer::batched(std::io::stdout(), log_writer::WINDOW);
    // Colours only for a person at a terminal: in a file or a log collector they are noise
    // (and formatting them was a twentieth of a cached page's time).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal())
        .with_writer(writer);
    // try_init: a second call (tests start many apps in one process) is not an error.
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    guard
}
