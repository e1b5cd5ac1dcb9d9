//! One's own account: password, time zone, the sessions open in one's name; and the other
//! coordinators, one of whom any signed-in coordinator may add.
use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use minijinja::context;
use serde::Deserialize;

use super::Console;
use super::session::Posted;
use crate::auth::accounts;
use crate::auth::coordinators::{self, Access, Reauthentication};
use crate::auth::service::AuthError;
use crate::client::Caller;
use crate::pagination::{MAX_PER_PAGE, Pagination};
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
        coordinators::list(db, every_coordinator()).await,
    ) {
        (Ok(s), Ok(a)) => (s, a.items),
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
            my_id => &console.identity.admin_id,
            second_factor => console.identity.second_factor,
            common_zones => COMMON_ZONES,
            zones => zones,
            errors => errors,
            typed_email => typed_email,
        },
    )
}

/// A campaign has a handful of coordinators; a hundred is far past any.
fn every_coordinator() -> Pagination {
    Pagination {
        page: 1,
        per_page: MAX_PER_PAGE,
    }
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
        AuthError::Unauthenticated => console.failed(&err),
        AuthError::RateLimited { .. } => {
            let errors = BTreeMap::from([(field, said(console, &err))]);
            account_page(console, StatusCode::TOO_MANY_REQUESTS, errors, typed_email).await
        }
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
pub async fn change_password(posted: Posted<PasswordForm>, Caller(client): Caller) -> HttpResponse {
    let Posted { console, form } = posted;
    let state = &console.state;
    let limiter = &state.core.login_limiter;
    let (current, new) = (form.current, form.new);
    match accounts::change_password(&state.db, limiter, client, &console.identity, current, new)
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
    #[serde(default)]
    current_password: String,
}

#[post("/admin/admins")]
pub async fn add_admin(posted: Posted<NewAdmin>, Caller(client): Caller) -> HttpResponse {
    let Posted { console, form } = posted;
    let state = &console.state;
    let proof = Reauthentication {
        identity: &console.identity,
        client,
        current_password: Some(form.current_password),
    };
    match coordinators::add(
        &state.db,
        &state.core.login_limiter,
        proof,
        &form.email,
        form.password,
    )
    .await
    {
        Ok(_) => console.done("/admin/account", "admin-added"),
        Err(err @ (AuthError::Db(_) | AuthError::Internal(_) | AuthError::Unauthenticated)) => {
            console.failed(&err)
        }
        Err(err) => {
            let (field, status) = match err {
                AuthError::ReauthenticationRequired(_) => {
                    ("admin_current_password", StatusCode::FORBIDDEN)
                }
                AuthError::RateLimited { .. } => {
                    ("admin_current_password", StatusCode::TOO_MANY_REQUESTS)
                }
                _ => ("new_admin", StatusCode::UNPROCESSABLE_ENTITY),
            };
            let errors = BTreeMap::from([(field, said(&console, &err))]);
            account_page(&console, status, errors, Some(&form.email)).await
        }
    }
}

/// A refusal in the coordinator's language where the console has words for it.
fn said(console: &Console, err: &AuthError) -> String {
    let key = match err {
        AuthError::ReauthenticationRequired(_) => "console-admin-refused-password",
        AuthError::RateLimited { .. } => "console-admin-refused-limited",
        AuthError::LastEnabledAdmin => "console-admin-refused-last",
        AuthError::EmailTaken => "console-admin-refused-taken",
        AuthError::InvalidEmail(_) => "console-admin-refused-email",
        AuthError::WeakPassword => "console-admin-refused-weak",
        other => return other.to_string(),
    };
    console.text(key)
}

async fn access_page(
    console: &Console,
    status: StatusCode,
    id: &str,
    access: Access,
    refusal: Option<String>,
) -> HttpResponse {
    let all = match coordinators::list(&console.state.db, every_coordinator()).await {
        Ok(page) => page.items,
        Err(err) => return console.failed(&err),
    };
    let Some(target) = all.into_iter().find(|c| c.id == id) else {
        return console.not_found();
    };
    console.render(
        status,
        "console/admin-access.html",
        context! {
            section => "account",
            target => target,
            action => access.name(),
            myself => target_is_me(console, id),
            refusal => refusal,
        },
    )
}

fn target_is_me(console: &Console, id: &str) -> bool {
    console.identity.admin_id == id
}

/// Asks for the coordinator's own password before disabling or enabling another.
#[get("/admin/admins/{id}/{action}")]
pub async fn access_form(console: Console, path: web::Path<(String, String)>) -> HttpResponse {
    let (id, action) = path.into_inner();
    match Access::parse(&action) {
        Some(access) => access_page(&console, StatusCode::OK, &id, access, None).await,
        None => console.not_found(),
    }
}

#[derive(Deserialize)]
pub struct Proof {
    #[serde(default)]
    current_password: String,
}

#[post("/admin/admins/{id}/{action}")]
pub async fn change_access(
    posted: Posted<Proof>,
    Caller(client): Caller,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let Posted { console, form } = posted;
    let (id, action) = path.into_inner();
    let Some(access) = Access::parse(&action) else {
        return console.not_found();
    };
    let state = &console.state;
    let proof = Reauthentication {
        identity: &console.identity,
        client,
        current_password: Some(form.current_password),
    };
    let limiter = &state.core.login_limiter;
    match coordinators::change_access(&state.db, limiter, proof, &id, access).await {
        // Disabling oneself ends this session too.
        Ok(_) if access == Access::Disable && target_is_me(&console, &id) => {
            super::page::see_other("/admin/sign-in")
        }
        Ok(_) => console.done(
            "/admin/account",
            match access {
                Access::Disable => "admin-disabled",
                Access::Enable => "admin-enabled",
            },
        ),
        Err(AuthError::NoSuchAdmin) => console.not_found(),
        Err(err @ (AuthError::Db(_) | AuthError::Internal(_) | AuthError::Unauthenticated)) => {
            console.failed(&err)
        }
        Err(err) => {
            let status = match err {
                AuthError::LastEnabledAdmin => StatusCode::CONFLICT,
                AuthError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::FORBIDDEN,
            };
            let refusal = said(&console, &err);
            access_page(&console, status, &id, access, Some(refusal)).await
        }
    }
}
