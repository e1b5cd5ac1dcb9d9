//! Who is at the console: a signed-in coordinator, known by a session cookie that holds an
//! opaque token (only its SHA-256 is stored, as for the API's tokens). Every form that changes
//! something carries a token derived from the session's own secret and must come from this
//! site; anything else is refused before the form is read.
use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::page::Console;
use crate::auth::accounts;
use crate::auth::service::{self, AuthError, SessionKind};
use crate::state::AppState;
use crate::web::frame::Frame;
use crate::web::i18n::{self, Lang};
use crate::web::origin::same_origin;
use crate::web::visitor::Visitor;

/// The cookie's name. Over https it takes the `__Host-` prefix: the browser then refuses it
/// unless it is Secure, for this host only, and for the whole site.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-hunar_console"
    } else {
        "hunar_console"
    }
}

fn secure(state: &AppState) -> bool {
    state.config.public_base_url.starts_with("https://")
}

/// The session cookie for a fresh sign-in: script cannot read it, other sites never send it.
pub fn session_cookie(state: &AppState, token: &str) -> Cookie<'static> {
    let secure = secure(state);
    let max_age = time::Duration::seconds(
        i64::try_from(state.config.admin_session_ttl.as_secs()).unwrap_or(86_400),
    );
    Cookie::build(cookie_name(secure), token.to_string())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .max_age(max_age)
        .finish()
}

/// The cookie that ends the session in the browser.
pub fn removal_cookie(state: &AppState) -> Cookie<'static> {
    let mut cookie = session_cookie(state, "");
    cookie.make_removal();
    cookie
}

/// The token every form of this session carries. Derived from the session's secret, which
/// only this browser holds (the database keeps a different digest of it), so another site
/// cannot know it and a leaked database cannot forge it.
pub fn form_token(session_token: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"hunar console form\0")
        .chain_update(session_token.as_bytes())
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

use crate::auth::token::same_secret;

/// The console speaks English, Dari and Pashto; a visitor who chose Swedish in the shop
/// reads English.
pub fn console_lang(req: &HttpRequest) -> Lang {
    match Visitor::of(req).lang {
        lang @ (Lang::Fa | Lang::Ps) => lang,
        _ => Lang::En,
    }
}

/// Why a console request was not let through.
#[derive(Debug)]
pub enum Refusal {
    /// No valid session: to the sign-in page, then back to `next`.
    SignIn { next: String },
    /// A link followed from another site (the order link in an email): the browser kept the
    /// SameSite=Strict cookie back. The page reloads itself, now from this site, with it.
    FromElsewhere { here: String, lang: Lang },
    /// From another site, or without this session's form token: nothing changed.
    Forged { lang: Lang },
    /// A body that is not a form this page sends.
    BadForm { lang: Lang },
    /// The database could not be asked.
    Unavailable { lang: Lang },
    /// `REQUIRE_SECOND_FACTOR`: to the page that sets one up, and nowhere else until then.
    SecondFactorFirst,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::SignIn { .. } => "sign in first",
            Self::FromElsewhere { .. } => "followed from another site",
            Self::Forged { .. } => "refused: not from this site's own form",
            Self::BadForm { .. } => "not a form this page sends",
            Self::Unavailable { .. } => "the database could not be reached",
            Self::SecondFactorFirst => "set up a second factor first",
        })
    }
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn { .. } | Self::SecondFactorFirst => StatusCode::SEE_OTHER,
            Self::FromElsewhere { .. } => StatusCode::OK,
            Self::Forged { .. } => StatusCode::FORBIDDEN,
            Self::BadForm { .. } => StatusCode::BAD_REQUEST,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (lang, title, text) = match self {
            Self::SecondFactorFirst => {
                return HttpResponse::SeeOther()
                    .insert_header((LOCATION, SECOND_FACTOR_PAGE))
                    .finish();
            }
            Self::SignIn { next } => {
                let to = format!(
                    "/admin/sign-in?next={}",
                    form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                return HttpResponse::SeeOther()
                    .insert_header((LOCATION, to))
                    .finish();
            }
            Self::FromElsewhere { here, lang } => {
                let visitor = Visitor {
                    lang: *lang,
                    chose_lang: true,
                    country: None,
                    here: here.clone(),
                };
                return Frame {
                    visitor: &visitor,
                    public_base_url: "",
                    media_origin: None,
                    contact: None,
                }
                .render(
                    StatusCode::OK,
                    "console/continue.html",
                    minijinja::context! { to => here },
                );
            }
            Self::Forged { lang } => (*lang, "forbidden-title", "console-forged-text"),
            Self::BadForm { lang } => (*lang, "console-badform-title", "console-badform-text"),
            Self::Unavailable { lang } => (*lang, "error-title", "error-text"),
        };
        let visitor = Visitor {
            lang,
            chose_lang: true,
            country: None,
            here: "/admin".into(),
        };
        Frame {
            visitor: &visitor,
            public_base_url: "",
            media_origin: None,
            contact: None,
        }
        .render(
            self.status_code(),
            "console/message.html",
            minijinja::context! {
                title_key => title,
                text => i18n::text(lang, text, &[]),
                console_langs => Lang::AFGHAN.map(|l| minijinja::context! {
                    code => l.code(), name => l.native_name(), current => l == lang,
                }),
            },
        )
    }
}

fn state_of(req: &HttpRequest) -> Option<web::Data<AppState>> {
    req.app_data::<web::Data<AppState>>().cloned()
}

/// The session token the browser sent, if any.
fn session_token(req: &HttpRequest, state: &AppState) -> Option<String> {
    req.cookie(cookie_name(secure(state)))
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
}

pub const SECOND_FACTOR_PAGE: &str = "/admin/account/second-factor";

/// With `REQUIRE_SECOND_FACTOR=true`, the console pages an account without one may open.
const OPEN_WITHOUT_SECOND_FACTOR: [&str; 3] = [
    SECOND_FACTOR_PAGE,
    "/admin/account/second-factor/confirm",
    "/admin/sign-out",
];

/// The signed-in coordinator behind this request, or the way to the sign-in page.
pub async fn load(req: &HttpRequest) -> Result<Console, Refusal> {
    let lang = console_lang(req);
    let Some(state) = state_of(req) else {
        return Err(Refusal::Unavailable { lang });
    };
    let next = match req.method() {
        &actix_web::http::Method::GET => Visitor::of(req).here,
        _ => "/admin".to_string(),
    };
    let from_elsewhere = req.method() == actix_web::http::Method::GET
        && req
            .headers()
            .get("sec-fetch-site")
            .is_some_and(|v| v == "cross-site" || v == "same-site");
    let Some(token) = session_token(req, &state) else {
        if from_elsewhere {
            return Err(Refusal::FromElsewhere { here: next, lang });
        }
        return Err(Refusal::SignIn { next });
    };
    let identity = match service::authenticate(&state.db, SessionKind::Console, &token).await {
        Ok(identity) => identity,
        Err(AuthError::Unauthenticated) => return Err(Refusal::SignIn { next }),
        Err(err) => {
            tracing::error!(error = %err, "a console session could not be checked");
            return Err(Refusal::Unavailable { lang });
        }
    };
    if state.config.require_second_factor
        && !identity.second_factor
        && !OPEN_WITHOUT_SECOND_FACTOR.contains(&req.path())
    {
        return Err(Refusal::SecondFactorFirst);
    }
    let account = match accounts::account(&state.db, &identity.admin_id).await {
        Ok(account) => account,
        Err(AuthError::Unauthenticated) => return Err(Refusal::SignIn { next }),
        Err(err) => {
            tracing::error!(error = %err, "a console account could not be read");
            return Err(Refusal::Unavailable { lang });
        }
    };
    Ok(Console::new(
        state,
        req,
        lang,
        identity,
        account,
        form_token(&token),
    ))
}

impl FromRequest for Console {
    type Error = Refusal;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { load(&req).await })
    }
}

#[derive(Deserialize)]
struct FormToken {
    #[serde(default)]
    csrf: String,
}

/// A form posted by a signed-in coordinator from this site's own page: the console and the
/// form's fields. The body is only read once the session, the origin and the token are right.
pub struct Posted<T> {
    pub console: Console,
    pub form: T,
}

/// Forms are small; photo uploads have their own route.
const FORM_LIMIT: usize = 64 * 1024;

impl<T: DeserializeOwned + 'static> FromRequest for Posted<T> {
    type Error = Refusal;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let lang = console_lang(&req);
            let console = load(&req).await?;
            if !same_origin(&req) {
                return Err(Refusal::Forged { lang });
            }
            let body = body.await.map_err(|_| Refusal::BadForm { lang })?;
            if body.len() > FORM_LIMIT {
                return Err(Refusal::BadForm { lang });
            }
            let token: FormToken =
                serde_urlencoded::from_bytes(&body).map_err(|_| Refusal::Forged { lang })?;
            if !same_secret(&token.csrf, console.csrf()) {
                return Err(Refusal::Forged { lang });
            }
            let form = serde_urlencoded::from_bytes(&body).map_err(|err| {
                tracing::info!(error = %err, "a console form did not parse");
                Refusal::BadForm { lang }
            })?;
            Ok(Posted { console, form })
        })
    }
}

/// A multipart form (photo upload) carries its token in the query string, so the token is
/// checked before any part of the upload is read.
pub async fn check_upload(req: &HttpRequest) -> Result<Console, Refusal> {
    let lang = console_lang(req);
    let console = load(req).await?;
    if !same_origin(req) {
        return Err(Refusal::Forged { lang });
    }
    let token: FormToken =
        serde_urlencoded::from_str(req.query_string()).map_err(|_| Refusal::Forged { lang })?;
    if !same_secret(&token.csrf, console.csrf()) {
        return Err(Refusal::Forged { lang });
    }
    Ok(console)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_tokens_belong_to_one_session() {
        assert_eq!(form_token("a"), form_token("a"));
        assert_ne!(form_token("a"), form_token("b"));
        // Not the digest the database keeps for the session.
        assert_ne!(form_token("a"), crate::auth::token::digest("a"));
        assert!(same_secret("x", "x"));
        assert!(!same_secret("x", "y"));
        assert!(!same_secret("", "y"));
    }
}
