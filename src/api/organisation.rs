//! The organisation's settings over HTTP: read and replaced by coordinators; its name and
//! contact read by anyone (a web client shows them as the shop does).
use actix_web::{HttpResponse, get, put, web};

use crate::auth::AdminIdentity;
use crate::error::ApiError;
use crate::extract::ValidJson;
use crate::organisation::{Contact, Organisation};
use crate::state::AppState;

/// Who runs the shop and how to reach them.
#[utoipa::path(operation_id = "getContact", tag = "catalog", responses((status = 200, body = Contact)))]
#[get("/contact")]
pub async fn contact(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(&state.organisation.get().contact)
}

/// The organisation's name, contact and ways to pay by hand.
#[utoipa::path(operation_id = "adminGetOrganisation", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Organisation), (status = 401)))]
#[get("/organisation")]
pub async fn show(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let org = crate::organisation::load(&state.db, &state.config.shop_name).await?;
    Ok(HttpResponse::Ok().json(org))
}

/// Replace the organisation's name, contact and ways to pay. A way to pay keeps its `id`
/// when sent back with it; one without gets a new one.
#[utoipa::path(operation_id = "adminSetOrganisation", tag = "admin", security(("bearer" = [])), request_body = Organisation, responses((status = 200, body = Organisation), (status = 401), (status = 422)))]
#[put("/organisation")]
pub async fn replace(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    body: ValidJson<Organisation>,
) -> Result<HttpResponse, ApiError> {
    let saved = crate::organisation::save(&state.db, &identity.admin_id, body.into_inner()).await?;
    state.organisation.refresh(&state.db).await?;
    Ok(HttpResponse::Ok().json(saved))
}
