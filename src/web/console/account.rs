//! One's own account: password, time zone, the sessions open in one's name; and the other
//! coordinators, one of whom any signed-in coordinator may add.
use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use minijinja::context;
use serde::Deserialize;

use super::Console;
use super::session::Posted;
use crate::audit;
use crate::auth::accounts;
use crate::auth::service::{self, AuthError};
use crate::web::console::forms::NoFields;

/// Time zones a coordinator of this campaign is likely in, offered first.
const COMMON_ZONES: [&str; 8] = [
    "UTC",
    "Asia/Kabul",
    "Europe/Stockholm",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tehran",
];

async fn account_page(
    console: &Console,
    status: StatusCode,
    errors: BTreeMap<&str, String>,
    typed_email: Option<&str>,
) -> HttpResponse {
    let db = &console.state.db;
    let (sessions, admins) = match (
        accounts::sessions(db, &console.identity).await,
        accounts::all(db).await,
    ) {
        (Ok(s), Ok(a)) => (s, a),
        (Err(err), _) | (_, Err(err)) => return console.failed(&err),
    };
    let zones: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
    console.render(
        status,
        "console/account.html",
        context! {
            section => "account",
            sessions => sessions,
            admins => admins,
            common_zones => COMMON_ZONES,
            zones => zones,
            errors => errors,
            typed_email => typed_email,
        },
    )
}

#[get("/admin/account")]
pub async fn show(console: Console) -> HttpResponse {
    account_page(&console, StatusCode::OK, BTreeMap::new(), None).await
}

/// A refusal a coordinator can act on is shown next to its field; anything else is ours.
async fn refused(
    console: &Console,
    field: &'static str,
    err: AuthError,
    typed_email: Option<&str>,
) -> HttpResponse {
    match err {
        AuthError::Db(_) | AuthError::Internal(_) => console.failed(&err),
        AuthError::Unauthenticated | AuthError::RateLimited { .. } => console.failed(&err),
        other => {
            let errors = BTreeMap::from([(field, other.to_string())]);
            account_page(
                console,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                typed_email,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
}

#[post("/admin/account/password")]
pub async fn change_password(posted: Posted<PasswordForm>) -> HttpResponse {
    let Posted { console, form } = posted;
    match accounts::change_password(&console.state.db, &console.identity, form.current, form.new)
        .await
    {
        Ok(()) => console.done("/admin/account", "password-changed"),
        Err(err) => refused(&console, "password", err, None).await,
    }
}

#[derive(Deserialize)]
pub struct ZoneForm {
    #[serde(default)]
    time_zone: String,
}

#[post("/admin/account/time-zone")]
pub async fn set_time_zone(posted: Posted<ZoneForm>) -> HttpResponse {
    let Posted { console, form } = posted;
    match accounts::set_time_zone(
        &console.state.db,
        &console.identity.admin_id,
        &form.time_zone,
    )
    .await
    {
        Ok(()) => console.done("/admin/account", "time-zone-saved"),
        Err(err) => refused(&console, "time_zone", err, None).await,
    }
}

#[post("/admin/account/sessions/{id}/revoke")]
pub async fn revoke_session(posted: Posted<NoFields>, id: web::Path<String>) -> HttpResponse {
    let console = posted.console;
    match accounts::revoke(&console.state.db, &console.identity, &id).await {
        // Ending the session in use is signing out.
        Ok(()) if *id == console.identity.session_id => super::page::see_other("/admin/sign-in"),
        Ok(()) => console.done("/admin/account", "session-revoked"),
        Err(AuthError::NoSuchSession) => console.not_found(),
        Err(err) => console.failed(&err),
    }
}

#[derive(Deserialize)]
pub struct NewAdmin {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

#[post("/admin/admins")]
pub async fn add_admin(posted: Posted<NewAdmin>) -> HttpResponse {
    let Posted { console, form } = posted;
    let db = &console.state.db;
    match service::create_admin(db, &form.email, form.password).await {
        Ok(admin) => {
            if let Err(err) = audit::record(
                db,
                &console.identity.admin_id,
                "admin.create",
                "admin",
                &admin.id,
                &[],
            )
            .await
            {
                return console.failed(&err);
            }
            console.done("/admin/account", "admin-added")
        }
        Err(err) => refused(&console, "new_admin", err, Some(&form.email)).await,
    }
}
