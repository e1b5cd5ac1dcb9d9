//! Backups taken by the server itself every BACKUP_EVERY, keeping BACKUP_KEEP. The first
//! is due one interval after the last good one (at once when there is none), so a restart
//! neither skips a backup nor takes an extra one.
use std::time::Duration;

use chrono::Utc;
use sea_orm::DatabaseConnection;

use super::{Repo, Trigger, backup, prune, runs};
use crate::config::{BackupSchedule, MediaBackend};
use crate::media::Media;

/// After a failure, try again sooner than a whole interval, but not in a tight loop.
const RETRY: Duration = Duration::from_secs(15 * 60);

pub fn spawn(
    db: DatabaseConnection,
    database_url: String,
    media: Media,
    media_backend: MediaBackend,
    schedule: BackupSchedule,
    mail: crate::notifications::MailSettings,
) {
    tokio::spawn(async move {
        let location = schedule.target.to_string();
        let mut wait = match runs::last_good(&db, Some(&location)).await {
            Ok(Some(good)) => {
                let since = (Utc::now() - good.finished_at).to_std().unwrap_or_default();
                schedule.every.saturating_sub(since)
            }
            _ => Duration::ZERO,
        };
        loop {
            tokio::time::sleep(wait).await;
            let outcome = match Repo::open(&schedule.target, &media_backend) {
                Ok(repo) => {
                    let taken = backup(&db, &database_url, &media, &repo, Trigger::Scheduled).await;
                    if taken.is_ok()
                        && let Err(err) = prune(&repo, schedule.keep as usize).await
                    {
                        tracing::warn!(error = %err, "old backups could not be removed");
                    }
                    taken.map(|_| ())
                }
                Err(err) => {
                    let run = runs::Finished {
                        started_at: Utc::now(),
                        trigger: Trigger::Scheduled,
                        location: &location,
                        outcome: Err(err.to_string()),
                    };
                    runs::record(&db, run).await.ok();
                    Err(err)
                }
            };
            if let Err(err) = &outcome {
                let last_good = runs::last_good(&db, Some(&location))
                    .await
                    .ok()
                    .flatten()
                    .map(|r| r.finished_at);
                let told = crate::notifications::alerts::backup_failed(
                    &db,
                    &mail,
                    &location,
                    &err.to_string(),
                    last_good,
                )
                .await;
                if let Err(e) = told {
                    tracing::warn!(error = %e, "the coordinator could not be told the backup failed");
                }
            }
            wait = match outcome {
                Ok(()) => schedule.every,
                Err(_) => schedule.every.min(RETRY),
            };
        }
    });
}
