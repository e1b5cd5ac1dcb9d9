//! A console page: the coordinator, their language and time zone, the form token, and the
//! ways a console handler answers (a page, a redirect after a change, a refusal).
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::{Value, context};

use crate::auth::AdminIdentity;
use crate::auth::accounts::Account;
use crate::state::AppState;
use crate::web::frame::frame;
use crate::web::i18n::{self, Lang};
use crate::web::visitor::Visitor;

pub struct Console {
    pub state: web::Data<AppState>,
    pub identity: AdminIdentity,
    pub account: Account,
    visitor: Visitor,
    csrf: String,
    /// What the last change did, said once on the page it led to (`?done=shipped`).
    done: Option<String>,
}

/// The notes a page may show after a change; anything else in `?done=` is ignored.
const DONE: &[&str] = &[
    "signed-in",
    "payment-confirmed",
    "shipped",
    "delivered",
    "cancelled",
    "hold-extended",
    "email-queued",
    "password-changed",
    "time-zone-saved",
    "session-revoked",
    "admin-added",
    "admin-disabled",
    "admin-enabled",
    "second-factor-off",
    "buyer-erased",
    "saved",
    "created",
    "created-as-draft",
    "deleted",
    "photos-added",
    "payout-recorded",
    "reversed",
    "shipping-recorded",
];

impl Console {
    pub(super) fn new(
        state: web::Data<AppState>,
        req: &HttpRequest,
        lang: Lang,
        identity: AdminIdentity,
        account: Account,
        csrf: String,
    ) -> Self {
        let mut visitor = Visitor::of(req);
        visitor.lang = lang;
        visitor.country = None;
        if req.method() != actix_web::http::Method::GET {
            visitor.here = page_of(req.path());
        }
        let done = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.iter().find(|(k, _)| k == "done").map(|(_, v)| v.clone()))
            .filter(|d| DONE.contains(&d.as_str()));
        Self {
            state,
            identity,
            account,
            visitor,
            csrf,
            done,
        }
    }

    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    pub fn lang(&self) -> Lang {
        self.visitor.lang
    }

    pub fn text(&self, key: &str) -> String {
        i18n::text(self.lang(), key, &[])
    }

    /// `template` with `ctx`, the frame, and what every console page knows.
    pub fn render(&self, status: StatusCode, template: &str, ctx: Value) -> HttpResponse {
        let ctx = context! {
            ..ctx,
            ..context! {
                me => &self.account.email,
                csrf => &self.csrf,
                tz => &self.account.time_zone,
                done => self.done.as_ref().map(|d| format!("console-done-{d}")),
                console_langs => Lang::AFGHAN.map(|l| context! {
                    code => l.code(), name => l.native_name(), current => l == self.lang(),
                }),
            }
        };
        frame(&self.state, &self.visitor).render(status, template, ctx)
    }

    pub fn page(&self, template: &str, ctx: Value) -> HttpResponse {
        self.render(StatusCode::OK, template, ctx)
    }

    /// A page with a title and a sentence, both message keys.
    pub fn message(&self, status: StatusCode, title_key: &str, text_key: &str) -> HttpResponse {
        self.render(
            status,
            "console/message.html",
            context! { title_key => title_key, text => self.text(text_key) },
        )
    }

    pub fn not_found(&self) -> HttpResponse {
        self.message(
            StatusCode::NOT_FOUND,
            "notfound-title",
            "console-notfound-text",
        )
    }

    /// Something broke on our side: logged with its cause, said plainly, nothing else shown.
    pub fn failed(&self, err: &dyn std::fmt::Display) -> HttpResponse {
        tracing::error!(error = %err, "a console page failed");
        self.message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "error-title",
            "error-text",
        )
    }

    /// After a change: to the page that shows it (Post/Redirect/Get), with a note. The public
    /// catalog's cache is emptied, as after an API change, so the shop shows the edit at once.
    pub fn done(&self, to: &str, what: &str) -> HttpResponse {
        self.state.catalog_cache.invalidate();
        let sep = if to.contains('?') { '&' } else { '?' };
        see_other(&format!("{to}{sep}done={what}"))
    }
}

/// The page a form was posted from, for the language switch on the answer to a refused post:
/// never the post's own url (no page answers a GET there, and an upload's carries its token).
fn page_of(posted_to: &str) -> String {
    let parts: Vec<&str> = posted_to.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["admin", "artists", id, "payouts" | "payout-terms"] => {
            format!("/admin/artists/{id}/ledger")
        }
        ["admin", "ledger", "entries", id, "reverse"] => {
            format!("/admin/ledger/entries/{id}/reverse")
        }
        ["admin", "paintings" | "artists", id, ..] if *id != "new" => {
            format!("/admin/{}/{id}", parts[1])
        }
        ["admin", "orders", id, "erase-buyer"] => format!("/admin/orders/{id}"),
        ["admin", "orders", id, action] => format!("/admin/orders/{id}/{action}"),
        ["admin", "admins", id, action] => format!("/admin/admins/{id}/{action}"),
        ["admin", "prices", "tiers", id] => format!("/admin/prices/tiers/{id}"),
        ["admin", "account", ..] | ["admin", "admins"] => "/admin/account".into(),
        ["admin", "emails", ..] => "/admin/emails".into(),
        ["admin", room @ ("paintings" | "artists")] => format!("/admin/{room}/new"),
        _ => "/admin".into(),
    }
}

pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, to.to_string()))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::page_of;

    #[test]
    fn a_refused_post_switches_language_on_its_form_page() {
        assert_eq!(page_of("/admin/paintings/p1/photos"), "/admin/paintings/p1");
        assert_eq!(
            page_of("/admin/paintings/p1/photos/i1/delete"),
            "/admin/paintings/p1"
        );
        assert_eq!(page_of("/admin/artists/a1/portrait"), "/admin/artists/a1");
        assert_eq!(page_of("/admin/paintings"), "/admin/paintings/new");
        assert_eq!(page_of("/admin/orders/o1/ship"), "/admin/orders/o1/ship");
        assert_eq!(page_of("/admin/account/password"), "/admin/account");
        assert_eq!(page_of("/admin/admins"), "/admin/account");
        assert_eq!(page_of("/admin/emails/e1/retry"), "/admin/emails");
        assert_eq!(page_of("/admin/sign-out"), "/admin");
        assert_eq!(
            page_of("/admin/artists/a1/payouts"),
            "/admin/artists/a1/ledger"
        );
        assert_eq!(
            page_of("/admin/ledger/entries/e1/reverse"),
            "/admin/ledger/entries/e1/reverse"
        );
        assert_eq!(
            page_of("/admin/orders/o1/shipping-cost"),
            "/admin/orders/o1/shipping-cost"
        );
    }
}
