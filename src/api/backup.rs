//! The coordinator's view of backups.
use actix_web::{HttpResponse, get, web};

use crate::backup::runs::{self, BackupStatus};
use crate::error::ApiError;
use crate::state::AppState;

/// Backups: the schedule, the last run and the last good one, with a warning when the
/// last good one is older than twice the interval (or there is no schedule at all).
#[utoipa::path(operation_id = "adminBackupStatus", tag = "admin", security(("bearer" = [])), responses((status = 200, body = BackupStatus), (status = 401)))]
#[get("/backups")]
pub async fn status(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let status = runs::status(&state.db, state.config.backup.as_ref()).await?;
    Ok(HttpResponse::Ok().json(status))
}
