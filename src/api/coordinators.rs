//! The coordinators' accounts: list them, add one, disable or enable one. Adding and disabling
//! ask for the caller's own password again (403 `reauthentication_required` without it).
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::AdminIdentity;
use crate::auth::coordinators::{self, Access, Coordinator, Reauthentication};
use crate::catalog::public::PageQuery;
use crate::client::{Caller, Client};
use crate::error::ApiError;
use crate::extract::{ValidJson, ValidQuery};
use crate::pagination::{Page, Pagination};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCoordinator {
    #[schema(max_length = 254)]
    pub email: String,
    /// Their first password: at least 12 characters, at most 1,024 bytes.
    #[schema(min_length = 12, max_length = 1024)]
    pub password: String,
    /// The caller's own password, again.
    #[schema(max_length = 1024)]
    pub current_password: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reauthenticated {
    /// The caller's own password, again.
    #[schema(max_length = 1024)]
    pub current_password: Option<String>,
}

/// Every coordinator: second factor on or off, disabled or not, last sign-in.
#[utoipa::path(operation_id = "adminListAdmins", tag = "admin", security(("bearer" = [])), params(PageQuery), responses((status = 200, body = Page<Coordinator>), (status = 401), (status = 422)))]
#[get("/admins")]
pub async fn list(
    state: web::Data<AppState>,
    query: ValidQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let page = Pagination::new(query.page, query.per_page)?;
    Ok(HttpResponse::Ok().json(coordinators::list(&state.db, page).await?))
}

/// Add a coordinator, with a first password for them.
#[utoipa::path(operation_id = "adminAddAdmin", tag = "admin", security(("bearer" = [])), request_body = NewCoordinator, responses((status = 201, body = Coordinator), (status = 401), (status = 403, description = "reauthentication_required: the caller's current password is missing or wrong"), (status = 422), (status = 429)))]
#[post("/admins")]
pub async fn add(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    Caller(client): Caller,
    body: ValidJson<NewCoordinator>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let added = coordinators::add(
        &state.db,
        &state.core.login_limiter,
        Reauthentication {
            identity: &identity,
            client,
            current_password: body.current_password,
        },
        &body.email,
        body.password,
    )
    .await?;
    Ok(HttpResponse::Created().json(added))
}

/// Disable a coordinator: they cannot sign in, and every session and token of theirs ends now.
#[utoipa::path(operation_id = "adminDisableAdmin", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = Reauthenticated, responses((status = 200, body = Coordinator), (status = 401), (status = 403, description = "reauthentication_required"), (status = 404), (status = 409, description = "last_enabled_admin: nobody else could sign in"), (status = 429)))]
#[post("/admins/{id}/disable")]
pub async fn disable(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    Caller(client): Caller,
    id: web::Path<String>,
    body: ValidJson<Reauthenticated>,
) -> Result<HttpResponse, ApiError> {
    change(state, identity, client, &id, body, Access::Disable).await
}

/// Let a disabled coordinator sign in again, with the password they had.
#[utoipa::path(operation_id = "adminEnableAdmin", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = Reauthenticated, responses((status = 200, body = Coordinator), (status = 401), (status = 403, description = "reauthentication_required"), (status = 404), (status = 429)))]
#[post("/admins/{id}/enable")]
pub async fn enable(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    Caller(client): Caller,
    id: web::Path<String>,
    body: ValidJson<Reauthenticated>,
) -> Result<HttpResponse, ApiError> {
    change(state, identity, client, &id, body, Access::Enable).await
}

async fn change(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    client: Client,
    id: &str,
    body: ValidJson<Reauthenticated>,
    access: Access,
) -> Result<HttpResponse, ApiError> {
    let proof = Reauthentication {
        identity: &identity,
        client,
        current_password: body.into_inner().current_password,
    };
    let limiter = &state.core.login_limiter;
    let done = coordinators::change_access(&state.db, limiter, proof, id, access).await?;
    Ok(HttpResponse::Ok().json(done))
}
