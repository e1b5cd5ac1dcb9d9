//! Backups the server takes itself: off unless `BACKUP_DIR` is set.
use std::path::PathBuf;
use std::time::Duration;

use super::media::MediaBackend;
use super::{ConfigError, Vars, invalid, parse_interval};

/// Where backups go: a folder on this machine, or (`s3:PREFIX`) the media bucket under a
/// prefix, so the photos and the backups live in one place that is not this disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupTarget {
    Dir(PathBuf),
    MediaBucket { prefix: String },
}

impl BackupTarget {
    /// `s3:PREFIX` or a folder path.
    pub fn parse(value: &str) -> Result<Self, String> {
        match value.strip_prefix("s3:") {
            Some(prefix) => {
                let prefix = prefix.trim_matches('/');
                if prefix.is_empty() {
                    return Err(
                        "expected s3:PREFIX with a non-empty prefix, e.g. s3:backups".into(),
                    );
                }
                Ok(Self::MediaBucket {
                    prefix: prefix.to_string(),
                })
            }
            None if value.trim().is_empty() => Err("expected a folder or s3:PREFIX".into()),
            None => Ok(Self::Dir(PathBuf::from(value))),
        }
    }
}

impl std::fmt::Display for BackupTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Dir(dir) => write!(f, "{}", dir.display()),
            Self::MediaBucket { prefix } => write!(f, "s3:{prefix}"),
        }
    }
}

/// Backups taken by the server itself; off unless BACKUP_DIR is set.
#[derive(Debug, Clone)]
pub struct BackupSchedule {
    pub target: BackupTarget,
    pub every: Duration,
    /// How many snapshots to keep; older ones (and photos only they needed) are removed.
    pub keep: u32,
}

pub fn read(vars: &Vars, media: &MediaBackend) -> Result<Option<BackupSchedule>, ConfigError> {
    let Some(dir) = vars.get("BACKUP_DIR") else {
        return Ok(None);
    };
    let target = BackupTarget::parse(&dir).map_err(|m| invalid("BACKUP_DIR", m))?;
    if matches!(target, BackupTarget::MediaBucket { .. })
        && !matches!(media, MediaBackend::S3 { .. })
    {
        return Err(invalid(
            "BACKUP_DIR",
            "s3:PREFIX needs MEDIA_BACKEND=s3 (backups go to the media bucket)",
        ));
    }
    Ok(Some(BackupSchedule {
        target,
        every: parse_interval("BACKUP_EVERY", &vars.or("BACKUP_EVERY", "24h"))?,
        keep: vars.number("BACKUP_KEEP", "7", 1, 1000)?,
    }))
}
