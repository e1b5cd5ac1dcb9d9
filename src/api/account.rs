//! The caller's own second factor: start setting it up, confirm it with a first code (the ten
//! recovery codes come back once), or turn it off with the password and a code.
use actix_web::{HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AdminIdentity;
use crate::auth::second_factor::{self, Enrolment};
use crate::client::Caller;
use crate::error::ApiError;
use crate::extract::ValidJson;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Code {
    /// Six digits from the authenticator app.
    #[schema(max_length = 32)]
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Ten codes, each good for one sign-in without the phone. Shown this once.
    pub recovery_codes: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TurnOff {
    #[schema(max_length = 1024)]
    pub password: String,
    /// From the authenticator app, or a recovery code.
    #[schema(max_length = 32)]
    pub code: String,
}

/// Start setting up a second factor (TOTP, RFC 6238: SHA-1, six digits, 30 s). Starting again
/// replaces a secret not yet confirmed.
#[utoipa::path(operation_id = "adminStartSecondFactor", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Enrolment), (status = 401), (status = 409, description = "second_factor_on")))]
#[post("/account/second-factor")]
pub async fn start(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
) -> Result<HttpResponse, ApiError> {
    let enrolment = second_factor::start(
        &state.db,
        &state.core.vault,
        &identity,
        &state.config.shop_name,
    )
    .await?;
    Ok(HttpResponse::Ok().json(enrolment))
}

/// Confirm with a first code: from then on sign-in needs a code too.
#[utoipa::path(operation_id = "adminConfirmSecondFactor", tag = "admin", security(("bearer" = [])), request_body = Code, responses((status = 200, body = RecoveryCodes), (status = 401), (status = 403, description = "second_factor_invalid: the code is not right or was used"), (status = 409, description = "second_factor_on or second_factor_not_started"), (status = 422), (status = 429)))]
#[post("/account/second-factor/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    Caller(client): Caller,
    body: ValidJson<Code>,
) -> Result<HttpResponse, ApiError> {
    let limiter = &state.core.login_limiter;
    let codes = second_factor::confirm(
        &state.db,
        limiter,
        client,
        &identity,
        &body.into_inner().code,
    )
    .await?;
    Ok(HttpResponse::Ok().json(RecoveryCodes {
        recovery_codes: codes,
    }))
}

/// Turn the second factor off, with the password and a code.
#[utoipa::path(operation_id = "adminDisableSecondFactor", tag = "admin", security(("bearer" = [])), request_body = TurnOff, responses((status = 204, description = "off"), (status = 401), (status = 403, description = "reauthentication_required: the password is not right; second_factor_invalid: the code is not"), (status = 409, description = "second_factor_off"), (status = 422), (status = 429)))]
#[post("/account/second-factor/disable")]
pub async fn disable(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    Caller(client): Caller,
    body: ValidJson<TurnOff>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let limiter = &state.core.login_limiter;
    second_factor::turn_off(
        &state.db,
        limiter,
        client,
        &identity,
        body.password,
        &body.code,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
