//! Whether the shop can still save anything: the free space of the disks the database and
//! the photos live on, and a small write to the database, checked at most every few seconds.
//! A shop that runs unattended must say so when it cannot take an order (readiness 503 for
//! the load balancer, a line on the console's Today page, one email to the coordinator) and
//! warn before it happens.
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde::Serialize;
use utoipa::ToSchema;

/// How long one check is trusted: readiness may be asked many times a second.
const FRESH: Duration = Duration::from_secs(5);
/// How often the watch looks by itself, between requests.
const WATCH_EVERY: Duration = Duration::from_secs(30);
/// Below this much free space on the database's disk it takes no write, whatever a small
/// probe manages (SQLite may still have room inside a write-ahead log it grew earlier).
const FLOOR_BYTES: u64 = 1024 * 1024;

/// One disk as an operator needs it: which part of the shop, how full.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Disk {
    /// `database` or `media`.
    #[schema(pattern = "^(database|media)$")]
    pub holds: &'static str,
    pub free_bytes: u64,
    pub total_bytes: u64,
    /// Free space in percent of the disk, rounded down.
    pub free_percent: u8,
    /// Below `DISK_WARN_PERCENT`.
    pub low: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// The database took the probe's write, and its disk has room.
    pub writable: bool,
    pub disks: Vec<Disk>,
    #[serde(skip)]
    checked_at: Option<Instant>,
}

impl Status {
    pub fn low_disks(&self) -> impl Iterator<Item = &Disk> {
        self.disks.iter().filter(|d| d.low)
    }
}

struct Inner {
    db: DatabaseConnection,
    /// What each watched path holds; a path is its folder, so the disk it is on is found.
    paths: Vec<(&'static str, PathBuf)>,
    warn_percent: u8,
    status: Mutex<Status>,
    /// One check at a time; the others read its result.
    checking: tokio::sync::Mutex<()>,
    alert: Option<Alert>,
    /// Whether the coordinator has been told of the trouble that is going on.
    told: std::sync::atomic::AtomicBool,
}

/// Told directly, not through the outbox: the outbox is in the database that cannot write.
pub struct Alert {
    pub mailer: crate::notifications::worker::Mailer,
    pub coordinator: String,
    pub console_url: String,
}

#[derive(Clone)]
pub struct StorageWatch(Arc<Inner>);

impl StorageWatch {
    pub fn new(
        db: DatabaseConnection,
        database_url: &str,
        media_dir: Option<&Path>,
        warn_percent: u8,
        alert: Option<Alert>,
    ) -> Self {
        let mut paths = Vec::new();
        if let Some(file) = sqlite_file(database_url) {
            paths.push(("database", folder_of(&file)));
        }
        if let Some(dir) = media_dir {
            paths.push(("media", dir.to_path_buf()));
        }
        Self(Arc::new(Inner {
            db,
            paths,
            warn_percent,
            status: Mutex::new(Status {
                writable: true,
                disks: Vec::new(),
                checked_at: None,
            }),
            checking: tokio::sync::Mutex::new(()),
            alert,
            told: std::sync::atomic::AtomicBool::new(false),
        }))
    }

    /// The last check, however old (the console's pages must not wait for a write).
    pub fn last(&self) -> Status {
        self.0
            .status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A check no older than a few seconds: made now when the last one is older.
    pub async fn current(&self) -> Status {
        let fresh = |status: &Status| status.checked_at.is_some_and(|at| at.elapsed() < FRESH);
        let last = self.last();
        if fresh(&last) {
            return last;
        }
        let _turn = self.0.checking.lock().await;
        let last = self.last();
        if fresh(&last) {
            return last;
        }
        let status = self.check().await;
        *self.0.status.lock().unwrap_or_else(|e| e.into_inner()) = status.clone();
        // Whoever looked first (the watch, a load balancer) sets off the email; it is sent
        // beside the answer, not before it.
        let watch = self.clone();
        let told = status.clone();
        tokio::spawn(async move { watch.tell(&told).await });
        status
    }

    async fn check(&self) -> Status {
        let disks: Vec<Disk> = self
            .0
            .paths
            .iter()
            .filter_map(|(holds, path)| disk(holds, path, self.0.warn_percent))
            .collect();
        let room = disks
            .iter()
            .filter(|d| d.holds == "database")
            .all(|d| d.free_bytes >= FLOOR_BYTES);
        let probe = probe(&self.0.db).await;
        if let Err(err) = &probe {
            tracing::error!(error = %err, "the database cannot take a write");
        }
        Status {
            writable: room && probe.is_ok(),
            disks,
            checked_at: Some(Instant::now()),
        }
    }

    /// Looks every 30 seconds: warns in the log below the threshold, and tells the
    /// coordinator once when the shop cannot save anything (again once after it recovered).
    pub fn spawn(&self) -> tokio::task::JoinHandle<()> {
        let watch = self.clone();
        tokio::spawn(async move {
            let mut warned = false;
            loop {
                let status = watch.current().await;
                let low: Vec<String> = status
                    .low_disks()
                    .map(|d| format!("{} {} % free", d.holds, d.free_percent))
                    .collect();
                if !low.is_empty() && !warned {
                    tracing::warn!(disks = %low.join(", "), "a disk of the shop is nearly full");
                }
                warned = !low.is_empty();
                tokio::time::sleep(WATCH_EVERY).await;
            }
        })
    }

    async fn tell(&self, status: &Status) {
        use std::sync::atomic::Ordering;
        if status.writable {
            if self.0.told.swap(false, Ordering::SeqCst) {
                tracing::info!("the database takes writes again");
            }
            return;
        }
        let Some(alert) = &self.0.alert else {
            return;
        };
        if self.0.told.swap(true, Ordering::SeqCst) {
            return;
        }
        let disks: Vec<String> = status
            .disks
            .iter()
            .map(|d| {
                format!(
                    "- {}: {} % free ({} bytes)",
                    d.holds, d.free_percent, d.free_bytes
                )
            })
            .collect();
        let text = format!(
            "Hunar cannot save anything right now: its database does not take writes, most \
             likely because its disk is full.\n\nNo order can be placed and no change can be \
             saved until there is room again. Nothing already saved is lost. Ask whoever runs \
             the server to free space on the disk (old backups or logs), or to give it a larger \
             one. The shop starts saving again by itself as soon as there is room; no restart \
             is needed.\n\n{}\n\nToday page: {}\n",
            disks.join("\n"),
            alert.console_url
        );
        match alert
            .mailer
            .send_now(
                &alert.coordinator,
                "Hunar cannot save orders: its disk is full",
                &text,
            )
            .await
        {
            Ok(()) => tracing::warn!("the coordinator was told the database cannot write"),
            Err(err) => {
                // Tried again at the next look.
                self.0.told.store(false, Ordering::SeqCst);
                tracing::error!(error = %err, "the coordinator could not be told the database cannot write");
            }
        }
    }
}

/// A write that changes nothing anyone reads, in a transaction of its own.
async fn probe(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    let txn = crate::db::begin_write(db).await?;
    txn.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "UPDATE health_probe SET writes = writes + 1 WHERE id = 1",
    ))
    .await?;
    txn.commit().await
}

fn sqlite_file(database_url: &str) -> Option<PathBuf> {
    let rest = database_url.strip_prefix("sqlite:")?;
    let path = rest.trim_start_matches("//");
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty() && !path.starts_with(':')).then(|| PathBuf::from(path))
}

fn folder_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The disk `path` is on (its nearest existing folder's).
fn disk(holds: &'static str, path: &Path, warn_percent: u8) -> Option<Disk> {
    let mut at = path;
    while !at.exists() {
        at = at.parent()?;
    }
    #[cfg(unix)]
    {
        let stats = rustix::fs::statvfs(at).ok()?;
        let block = stats.f_frsize.max(1);
        let total_bytes = stats.f_blocks.saturating_mul(block);
        let free_bytes = stats.f_bavail.saturating_mul(block);
        let free_percent = free_bytes
            .saturating_mul(100)
            .checked_div(total_bytes)
            .map_or(0, |p| u8::try_from(p).unwrap_or(100));
        Some(Disk {
            holds,
            free_bytes,
            total_bytes,
            free_percent,
            low: free_percent < warn_percent,
        })
    }
    #[cfg(not(unix))]
    {
        let _ = (holds, warn_percent);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_file_is_found_in_its_url() {
        assert_eq!(
            sqlite_file("sqlite:///var/lib/hunar/hunar.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/hunar/hunar.db"))
        );
        assert_eq!(
            sqlite_file("sqlite://hunar.db?mode=rwc"),
            Some(PathBuf::from("hunar.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://u@h/db"), None);
        assert_eq!(folder_of(Path::new("hunar.db")), PathBuf::from("."));
    }

    #[test]
    fn a_disk_is_measured_and_called_low_below_the_threshold() {
        let here = disk("database", Path::new("."), 101).expect("a disk");
        assert!(here.total_bytes > 0 && here.free_bytes <= here.total_bytes);
        assert!(here.low, "every disk is below 101 %");
        let nowhere = disk("media", Path::new("/no/such/folder/at/all"), 0).expect("its root");
        assert!(!nowhere.low);
    }
}
