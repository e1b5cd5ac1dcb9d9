//! Admin view of the outbox, and a retry for failed emails.
use actix_web::{HttpResponse, get, post, web};

use crate::error::ApiError;
use crate::extract::ValidQuery;
use crate::notifications::outbox::{self, OutboxFilter, OutboxView};
use crate::pagination::Page;
use crate::state::AppState;

/// Emails: pending, sending, sent and failed, with attempts and the last error.
#[utoipa::path(operation_id = "adminListOutbox", tag = "admin", security(("bearer" = [])), params(OutboxFilter), responses((status = 200, body = Page<OutboxView>), (status = 401), (status = 422)))]
#[get("/outbox")]
pub async fn list_outbox(
    state: web::Data<AppState>,
    query: ValidQuery<OutboxFilter>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(outbox::list(&state.db, query.into_inner()).await?))
}

/// Queue a failed email again, now.
#[utoipa::path(operation_id = "adminRetryEmail", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, body = OutboxView), (status = 401), (status = 404), (status = 409)))]
#[post("/outbox/{id}/retry")]
pub async fn retry_email(
    state: web::Data<AppState>,
    identity: web::ReqData<crate::auth::AdminIdentity>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(outbox::retry(&state.db, &identity.admin_id, &id).await?))
}
