//! One's own second factor in the console: set it up (a QR code drawn on the server and the
//! secret to type in, then a first code), see the recovery codes once, or turn it off.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post};
use minijinja::context;
use minijinja::value::Value;
use serde::Deserialize;

use super::Console;
use super::session::Posted;
use crate::auth::second_factor::{self, Enrolment};
use crate::auth::service::AuthError;
use crate::client::Caller;
use crate::web::console::forms::NoFields;

/// The secret in groups of four, as authenticator apps show it and people type it.
fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn page(console: &Console, status: StatusCode, error: Option<String>) -> HttpResponse {
    let db = &console.state.db;
    let issuer = &console.state.config.shop_name;
    let on = match second_factor::status(db, &console.identity).await {
        Ok(on) => on,
        Err(err) => return console.failed(&err),
    };
    let pending = if on {
        None
    } else {
        match second_factor::pending_enrolment(db, &console.identity, issuer).await {
            Ok(pending) => pending,
            Err(err) => return console.failed(&err),
        }
    };
    let qr = match pending.as_ref().map(Enrolment::qr_svg).transpose() {
        Ok(qr) => qr.map(Value::from_safe_string),
        Err(err) => return console.failed(&err),
    };
    console.render(
        status,
        "console/second-factor.html",
        context! {
            section => "account",
            on => on,
            required => console.state.config.require_second_factor,
            secret => pending.as_ref().map(|p| grouped(&p.secret)),
            otpauth_url => pending.as_ref().map(|p| p.otpauth_url.clone()),
            qr => qr,
            error => error,
        },
    )
}

#[get("/admin/account/second-factor")]
pub async fn show(console: Console) -> HttpResponse {
    page(&console, StatusCode::OK, None).await
}

/// A new secret (a second press replaces one not yet confirmed).
#[post("/admin/account/second-factor")]
pub async fn start(posted: Posted<NoFields>) -> HttpResponse {
    let console = posted.console;
    let issuer = &console.state.config.shop_name;
    match second_factor::start(
        &console.state.db,
        &console.state.core.vault,
        &console.identity,
        issuer,
    )
    .await
    {
        Ok(_) | Err(AuthError::SecondFactorAlreadyOn) => {
            super::page::see_other("/admin/account/second-factor")
        }
        Err(err) => console.failed(&err),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// The first code: on success the recovery codes, shown this once and never again.
#[post("/admin/account/second-factor/confirm")]
pub async fn confirm(posted: Posted<CodeForm>, Caller(client): Caller) -> HttpResponse {
    let Posted { console, form } = posted;
    let state = &console.state;
    let limiter = &state.core.login_limiter;
    match second_factor::confirm(&state.db, limiter, client, &console.identity, &form.code).await {
        Ok(codes) => console.render(
            StatusCode::OK,
            "console/second-factor.html",
            context! { section => "account", on => true, recovery_codes => codes },
        ),
        Err(err) => refused(&console, err).await,
    }
}

#[derive(Deserialize)]
pub struct TurnOffForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

#[post("/admin/account/second-factor/disable")]
pub async fn turn_off(posted: Posted<TurnOffForm>, Caller(client): Caller) -> HttpResponse {
    let Posted { console, form } = posted;
    let state = &console.state;
    let limiter = &state.core.login_limiter;
    let identity = &console.identity;
    match second_factor::turn_off(
        &state.db,
        limiter,
        client,
        identity,
        form.password,
        &form.code,
    )
    .await
    {
        Ok(()) => console.done("/admin/account", "second-factor-off"),
        Err(err) => refused(&console, err).await,
    }
}

async fn refused(console: &Console, err: AuthError) -> HttpResponse {
    let (status, key) = match err {
        AuthError::CodeNotRight => (StatusCode::UNPROCESSABLE_ENTITY, "console-2fa-code-wrong"),
        AuthError::ReauthenticationRequired(_) => {
            (StatusCode::FORBIDDEN, "console-admin-refused-password")
        }
        AuthError::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "console-admin-refused-limited",
        ),
        AuthError::SecondFactorNotStarted => (StatusCode::CONFLICT, "console-2fa-not-started"),
        AuthError::SecondFactorAlreadyOn | AuthError::SecondFactorOff => {
            return super::page::see_other("/admin/account/second-factor");
        }
        other => return console.failed(&other),
    };
    page(console, status, Some(console.text(key))).await
}
