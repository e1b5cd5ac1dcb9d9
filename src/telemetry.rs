//! Logging: pretty for development, JSON lines for production. Never personal data.
use std::io::IsTerminal;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the logger. Lines are written by a thread of their own, many to a system call
/// when they come fast: written by the request's thread, one `write` per request was a
/// tenth of a catalog page's time. Keep the guard until the end: dropping it writes out
/// what is still queued.
pub fn init(format: &LogFormat) -> WorkerGuard {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    // Not lossy: a request waits rather than a line being dropped when the queue is full.
    // The queue's slots are allocated up front: 4,096 lines (the default, 128,000, was
    // 4 MB of memory) is still far more than the writer falls behind by.
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(4096)
        .thread_name("hunar-log")
        .finish(std::io::BufWriter::new(std::io::stdout()));
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
