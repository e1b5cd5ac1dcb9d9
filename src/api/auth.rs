//! HTTP face of admin authentication: login, logout, and the guard on every admin route.
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{AdminIdentity, AuthError, service};
use crate::client::Caller;
use crate::error::{ApiError, DomainError};
use crate::extract::ValidJson;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(max_length = 254)]
    pub email: String,
    /// At most 1,024 bytes (UTF-8).
    #[schema(max_length = 1024)]
    pub password: String,
    /// With a second factor on: the six digits from the authenticator app, or a recovery
    /// code (each works once).
    #[schema(max_length = 64)]
    pub code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Exchange an admin's email and password for a bearer token.
#[utoipa::path(
    operation_id = "adminLogin",
    tag = "admin",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "invalid_credentials; second_factor_required: send `code`; second_factor_invalid"),
        (status = 429, description = "too many attempts; see Retry-After"),
    )
)]
#[post("/api/v1/admin/login")]
pub async fn login(
    state: web::Data<AppState>,
    Caller(client): Caller,
    body: ValidJson<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let token = service::login(
        &state.db,
        &state.core.login_limiter,
        &state.mail,
        state.config.admin_session_ttl,
        service::SignIn {
            client,
            kind: service::SessionKind::Api,
            email: &body.email,
            password: body.password,
            code: body.code,
        },
    )
    .await?;
    let service::SignedIn::Session(token) = token else {
        // Only the console's sign-in takes the code on a second page.
        return Err(DomainError::from(AuthError::SecondFactorRequired).into());
    };
    Ok(HttpResponse::Ok().json(LoginResponse {
        token: token.token,
        expires_at: token.expires_at,
    }))
}

/// Revoke the token this request carries.
#[utoipa::path(
    operation_id = "adminLogout",
    tag = "admin",
    security(("bearer" = [])),
    responses((status = 204, description = "token revoked"), (status = 401))
)]
#[post("/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
) -> Result<HttpResponse, ApiError> {
    service::logout(&state.db, &identity).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn bearer_token(req: &ServiceRequest) -> Option<String> {
    let value = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}

/// With `REQUIRE_SECOND_FACTOR=true`, all an account without one may do: set one up, or leave.
const OPEN_WITHOUT_SECOND_FACTOR: [&str; 3] = [
    "/api/v1/admin/account/second-factor",
    "/api/v1/admin/account/second-factor/confirm",
    "/api/v1/admin/logout",
];

/// Guards the whole admin scope: no valid token, no admin route (fails closed: a route
/// added to the scope is protected without anyone remembering to protect it).
pub async fn require_admin(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let token = bearer_token(&req).ok_or(ApiError::from(DomainError::Unauthenticated))?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| {
            ApiError::from(DomainError::Internal(anyhow::anyhow!("app state missing")))
        })?;
    let identity = service::authenticate(&state.db, service::SessionKind::Api, &token)
        .await
        .map_err(ApiError::from)?;
    if state.config.require_second_factor
        && !identity.second_factor
        && !OPEN_WITHOUT_SECOND_FACTOR.contains(&req.path())
    {
        return Err(ApiError::from(DomainError::from(AuthError::EnrolmentRequired)).into());
    }
    req.extensions_mut().insert(identity);
    next.call(req).await
}
