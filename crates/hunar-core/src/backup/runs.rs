//! The record of backups (`backup_runs`) and what the coordinator is shown about them.
use chrono::{DateTime, Utc};
use entity::backup_run;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::manifest::Manifest;
use crate::config::BackupSchedule;

/// What set a backup off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Manual,
    Scheduled,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Scheduled => "scheduled",
        }
    }
}

pub struct Finished<'a> {
    pub started_at: DateTime<Utc>,
    pub trigger: Trigger,
    pub location: &'a str,
    pub outcome: Result<&'a Manifest, String>,
}

pub async fn record(db: &DatabaseConnection, run: Finished<'_>) -> Result<(), DbErr> {
    let (outcome, snapshot, bytes, files, error) = match run.outcome {
        Ok(manifest) => (
            "ok",
            Some(manifest.snapshot.clone()),
            i64::try_from(manifest.bytes()).unwrap_or(i64::MAX),
            i64::try_from(manifest.files.len()).unwrap_or(i64::MAX),
            None,
        ),
        Err(error) => ("failed", None, 0, 0, Some(error)),
    };
    match &error {
        None => tracing::info!(
            location = run.location,
            snapshot = snapshot.as_deref().unwrap_or(""),
            bytes,
            files,
            "backup finished"
        ),
        Some(error) => tracing::error!(location = run.location, error = %error, "backup failed"),
    }
    backup_run::Model {
        id: crate::db::new_id(),
        started_at: run.started_at,
        finished_at: Utc::now(),
        outcome: outcome.to_string(),
        trigger: run.trigger.as_str().to_string(),
        location: run.location.to_string(),
        snapshot,
        bytes,
        files,
        error,
    }
    .into_active_model()
    .insert(db)
    .await?;
    Ok(())
}

/// One backup as the coordinator sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// `ok` or `failed`.
    pub outcome: String,
    /// `manual` (the `hunar backup` command) or `scheduled`.
    pub trigger: String,
    pub location: String,
    pub snapshot: Option<String>,
    /// Database and photos, in bytes.
    pub bytes: i64,
    pub files: i64,
    pub error: Option<String>,
}

impl From<backup_run::Model> for RunView {
    fn from(m: backup_run::Model) -> Self {
        Self {
            started_at: m.started_at,
            finished_at: m.finished_at,
            outcome: m.outcome,
            trigger: m.trigger,
            location: m.location,
            snapshot: m.snapshot,
            bytes: m.bytes,
            files: m.files,
            error: m.error,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleView {
    pub location: String,
    pub every_seconds: u64,
    pub keep: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BackupStatus {
    /// None when the server takes no backups itself (BACKUP_DIR unset).
    pub schedule: Option<ScheduleView>,
    pub last: Option<RunView>,
    pub last_good: Option<RunView>,
    /// Scheduled, and no good backup within twice the interval.
    pub overdue: bool,
    /// What the coordinator should know, in a sentence; None when all is well.
    pub warning: Option<String>,
    /// The newest runs first (at most 20).
    pub recent: Vec<RunView>,
}

/// The newest good backup, into `location` when given (the schedule's folder: a manual
/// backup elsewhere neither delays the schedule nor hides that it is late).
pub async fn last_good(
    db: &DatabaseConnection,
    location: Option<&str>,
) -> Result<Option<backup_run::Model>, DbErr> {
    let mut query = backup_run::Entity::find().filter(backup_run::Column::Outcome.eq("ok"));
    if let Some(location) = location {
        query = query.filter(backup_run::Column::Location.eq(location));
    }
    query
        .order_by_desc(backup_run::Column::FinishedAt)
        .one(db)
        .await
}

pub async fn status(
    db: &DatabaseConnection,
    schedule: Option<&BackupSchedule>,
) -> Result<BackupStatus, DbErr> {
    let recent: Vec<backup_run::Model> = backup_run::Entity::find()
        .order_by_desc(backup_run::Column::FinishedAt)
        .limit(20)
        .all(db)
        .await?;
    let location = schedule.map(|s| s.target.to_string());
    let last_good = last_good(db, location.as_deref()).await?;
    let now = Utc::now();
    let overdue = schedule.is_some_and(|s| {
        let limit = chrono::Duration::from_std(s.every * 2).unwrap_or(chrono::Duration::MAX);
        last_good
            .as_ref()
            .is_none_or(|good| now - good.finished_at > limit)
    });
    let warning = match (schedule, &last_good, recent.first()) {
        (None, _, _) => Some(
            "The server takes no backups itself: set BACKUP_DIR (see docs/OPERATIONS.md, Backups)."
                .to_string(),
        ),
        (Some(_), None, _) if overdue => Some("No backup has succeeded yet.".to_string()),
        (Some(_), Some(good), _) if overdue => Some(format!(
            "The last good backup is from {}, more than twice the interval ago.",
            good.finished_at.format("%Y-%m-%d %H:%M UTC")
        )),
        (Some(_), _, Some(last)) if last.outcome != "ok" => Some(format!(
            "The last backup failed: {}",
            last.error.as_deref().unwrap_or("unknown error")
        )),
        _ => None,
    };
    Ok(BackupStatus {
        schedule: schedule.map(|s| ScheduleView {
            location: s.target.to_string(),
            every_seconds: s.every.as_secs(),
            keep: s.keep,
        }),
        last: recent.first().cloned().map(RunView::from),
        last_good: last_good.map(RunView::from),
        overdue,
        warning,
        recent: recent.into_iter().map(RunView::from).collect(),
    })
}
