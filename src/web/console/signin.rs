//! Signing in and out. The same accounts, password checks and sign-in limits as the API's
//! login; the session is a cookie the browser keeps from script and from other sites.
use actix_web::http::StatusCode;
use actix_web::http::header::RETRY_AFTER;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::context;
use serde::Deserialize;

use super::page::see_other;
use super::session::{self, Posted, console_lang};
use crate::auth::service::{self, AuthError, SessionKind, SignedIn};
use crate::client::Caller;
use crate::state::AppState;
use crate::web::console::forms::NoFields;
use crate::web::frame::frame;
use crate::web::i18n::Lang;
use crate::web::origin::same_origin;
use crate::web::visitor::Visitor;

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// Only a console page: never another site, never the shop.
fn console_path(next: Option<&str>) -> String {
    let path = crate::web::visitor::local_path(next);
    if path == "/admin" || path.starts_with("/admin/") || path.starts_with("/admin?") {
        path
    } else {
        "/admin".to_string()
    }
}

fn visitor(req: &HttpRequest, lang: Lang) -> Visitor {
    let mut v = Visitor::of(req);
    v.lang = lang;
    v.country = None;
    v
}

fn page(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    next: &str,
    email: &str,
    error: Option<&str>,
    minutes: Option<u64>,
) -> HttpResponse {
    let ctx = context! { next => next, email => email, error => error, minutes => minutes };
    signed_out_page(state, req, status, "console/sign-in.html", ctx)
}

/// A page before the session exists, in the console's languages with their switch.
fn signed_out_page(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    template: &str,
    ctx: minijinja::Value,
) -> HttpResponse {
    let lang = console_lang(req);
    let v = visitor(req, lang);
    frame(state, &v).render(
        status,
        template,
        context! {
            ..ctx,
            ..context! {
                console_langs => Lang::AFGHAN.map(|l| context! {
                    code => l.code(), name => l.native_name(), current => l == lang,
                }),
            }
        },
    )
}

#[get("/admin/sign-in")]
pub async fn sign_in_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<Next>,
) -> HttpResponse {
    let next = console_path(query.next.as_deref());
    page(&state, &req, StatusCode::OK, &next, "", None, None)
}

#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

#[post("/admin/sign-in")]
pub async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    Caller(client): Caller,
    form: web::Form<Credentials>,
) -> HttpResponse {
    let form = form.into_inner();
    let next = console_path(form.next.as_deref());
    // No session yet, so no form token: only this site's own page may sign anybody in.
    if !same_origin(&req) {
        return actix_web::ResponseError::error_response(&session::Refusal::Forged {
            lang: console_lang(&req),
        });
    }
    let attempt = service::login(
        &state.db,
        &state.core.login_limiter,
        &state.mail,
        state.config.admin_session_ttl,
        service::SignIn {
            client,
            kind: SessionKind::Console,
            email: &form.email,
            password: form.password,
            code: None,
        },
    )
    .await;
    let refused = |status, error, minutes| {
        page(
            &state,
            &req,
            status,
            &next,
            &form.email,
            Some(error),
            minutes,
        )
    };
    match attempt {
        Ok(SignedIn::Session(token)) => signed_in(&state, &next, &token.token),
        Ok(SignedIn::CodeNeeded(pending)) => code_page(
            &state,
            &req,
            StatusCode::OK,
            &next,
            &pending.token,
            None,
            None,
        ),
        Err(AuthError::InvalidCredentials) => {
            refused(StatusCode::UNAUTHORIZED, "console-signin-wrong", None)
        }
        // No account has such an address or password; the oversized text is not sent back.
        Err(AuthError::TooLong { .. }) => page(
            &state,
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            &next,
            "",
            Some("console-signin-wrong"),
            None,
        ),
        Err(AuthError::RateLimited { retry_after_secs }) => with_retry_after(
            refused(
                StatusCode::TOO_MANY_REQUESTS,
                "console-signin-limited",
                Some(retry_after_secs.div_ceil(60).max(1)),
            ),
            retry_after_secs,
        ),
        Err(err) => {
            tracing::error!(error = %err, "a console sign-in failed");
            refused(StatusCode::INTERNAL_SERVER_ERROR, "error-text", None)
        }
    }
}

fn with_retry_after(mut res: HttpResponse, retry_after_secs: u64) -> HttpResponse {
    if let Ok(v) = retry_after_secs.to_string().parse() {
        res.headers_mut().insert(RETRY_AFTER, v);
    }
    res
}

fn signed_in(state: &AppState, next: &str, token: &str) -> HttpResponse {
    let mut res = see_other(next);
    if let Err(err) = res.add_cookie(&session::session_cookie(state, token)) {
        tracing::error!(error = %err, "the session cookie could not be set");
    }
    res
}

/// The second step: a code from the authenticator app (or a recovery code). The first step's
/// token rides in the form, not in a cookie: it opens nothing else, and only for minutes.
fn code_page(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    next: &str,
    pending: &str,
    error: Option<&str>,
    minutes: Option<u64>,
) -> HttpResponse {
    let ctx = context! { next => next, pending => pending, error => error, minutes => minutes };
    signed_out_page(state, req, status, "console/sign-in-code.html", ctx)
}

#[derive(Deserialize)]
pub struct SecondStep {
    #[serde(default)]
    pending: String,
    #[serde(default)]
    code: String,
    next: Option<String>,
}

#[post("/admin/sign-in/code")]
pub async fn sign_in_code(
    state: web::Data<AppState>,
    req: HttpRequest,
    Caller(client): Caller,
    form: web::Form<SecondStep>,
) -> HttpResponse {
    let form = form.into_inner();
    let next = console_path(form.next.as_deref());
    if !same_origin(&req) {
        return actix_web::ResponseError::error_response(&session::Refusal::Forged {
            lang: console_lang(&req),
        });
    }
    let finished = service::finish_sign_in(
        &state.db,
        &state.core.login_limiter,
        &state.mail,
        client,
        state.config.admin_session_ttl,
        &form.pending,
        &form.code,
    )
    .await;
    let again = |status, error, minutes| {
        code_page(
            &state,
            &req,
            status,
            &next,
            &form.pending,
            Some(error),
            minutes,
        )
    };
    match finished {
        Ok(token) => signed_in(&state, &next, &token.token),
        Err(AuthError::SecondFactorInvalid) => {
            again(StatusCode::UNAUTHORIZED, "console-signin-code-wrong", None)
        }
        // Too slow, or the page was sent twice after success: the password again.
        Err(AuthError::Unauthenticated) => page(
            &state,
            &req,
            StatusCode::UNAUTHORIZED,
            &next,
            "",
            Some("console-signin-code-expired"),
            None,
        ),
        Err(AuthError::RateLimited { retry_after_secs }) => with_retry_after(
            again(
                StatusCode::TOO_MANY_REQUESTS,
                "console-signin-limited",
                Some(retry_after_secs.div_ceil(60).max(1)),
            ),
            retry_after_secs,
        ),
        Err(err) => {
            tracing::error!(error = %err, "a console sign-in's second step failed");
            again(StatusCode::INTERNAL_SERVER_ERROR, "error-text", None)
        }
    }
}

#[post("/admin/sign-out")]
pub async fn sign_out(posted: Posted<NoFields>) -> HttpResponse {
    let console = posted.console;
    if let Err(err) = service::logout(&console.state.db, &console.identity).await {
        return console.failed(&err);
    }
    let mut res = see_other("/admin/sign-in");
    if let Err(err) = res.add_cookie(&session::removal_cookie(&console.state)) {
        tracing::error!(error = %err, "the session cookie could not be removed");
    }
    res
}

#[cfg(test)]
mod tests {
    use super::console_path;

    #[test]
    fn after_signing_in_only_console_pages_are_followed() {
        assert_eq!(
            console_path(Some("/admin/orders?status=paid")),
            "/admin/orders?status=paid"
        );
        assert_eq!(console_path(Some("/admin")), "/admin");
        assert_eq!(console_path(Some("/administrator")), "/admin");
        assert_eq!(console_path(Some("//evil.example/admin")), "/admin");
        assert_eq!(console_path(Some("https://evil.example/admin/")), "/admin");
        assert_eq!(console_path(Some("/")), "/admin");
        assert_eq!(console_path(None), "/admin");
    }
}
