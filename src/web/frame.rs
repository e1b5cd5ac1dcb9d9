//! The frame every page is drawn in: language, direction, the destination, the switches,
//! asset urls, and the headers a page is sent with.
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use minijinja::Value;
use minijinja::context;
use serde::Serialize;

use super::i18n::{self, Lang};
use super::visitor::Visitor;
use super::{assets, templates};
use crate::state::AppState;

pub use crate::headers::csp;

/// The origin of a URL (`https://cdn.example.org/media` → `https://cdn.example.org`).
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next()?;
    (!host.is_empty()).then(|| format!("{scheme}://{host}"))
}

#[derive(Serialize)]
struct LangLink {
    code: &'static str,
    name: &'static str,
    current: bool,
}

/// The frame for a page of this installation.
pub fn frame<'a>(state: &'a AppState, visitor: &'a Visitor) -> Frame<'a> {
    let base_origin = origin_of(&state.config.public_base_url);
    let media_origin =
        origin_of(&state.config.media.public_url).filter(|o| Some(o) != base_origin.as_ref());
    Frame {
        visitor,
        public_base_url: &state.config.public_base_url,
        media_origin,
        contact: Some(state.organisation.get()),
    }
}

/// What every page knows: language, direction, destination, the switches, asset urls.
pub struct Frame<'a> {
    pub visitor: &'a Visitor,
    pub public_base_url: &'a str,
    pub media_origin: Option<String>,
    /// Who runs the shop, for the footer (none on the console's pages before sign-in).
    pub contact: Option<std::sync::Arc<crate::organisation::Organisation>>,
}

impl Frame<'_> {
    fn base(&self) -> Value {
        let v = self.visitor;
        let langs: Vec<LangLink> = Lang::ALL
            .into_iter()
            .map(|l| LangLink {
                code: l.code(),
                name: l.native_name(),
                current: l == v.lang,
            })
            .collect();
        let path = v.here.split('?').next().unwrap_or("/");
        context! {
            lang => v.lang.code(),
            dir => v.lang.dir(),
            langs => langs,
            here => &v.here,
            country => v.country.map(|c| c.to_string()),
            css => assets::url("shop.css"),
            js => assets::url("shop.js"),
            console_css => assets::url("console.css"),
            console_js => assets::url("console.js"),
            icon => assets::url("favicon.svg"),
            canonical => format!("{}{}", self.public_base_url.trim_end_matches('/'), path),
            contact => self.contact.as_ref().map(|org| context! {
                name => &org.contact.name,
                email => &org.contact.email,
                whatsapp => org.contact.whatsapp_url(),
                phone => &org.contact.phone,
            }),
            base_url => self.public_base_url.trim_end_matches('/'),
        }
    }

    /// Renders `template` with `ctx` (plus the frame) as a whole response.
    pub fn render(&self, status: StatusCode, template: &str, ctx: Value) -> HttpResponse {
        match self.html(template, ctx) {
            Ok(html) => self.page(status, html),
            Err(err) => Self::render_failed(template, &err),
        }
    }

    /// A template that did not render: logged, and a plain 500 (a page could fail again).
    pub fn render_failed(template: &str, err: &minijinja::Error) -> HttpResponse {
        tracing::error!(template, error = %err, "a page failed to render");
        HttpResponse::InternalServerError()
            .content_type("text/plain; charset=utf-8")
            .insert_header(("Content-Security-Policy", csp(None)))
            .body("Something went wrong on our side; please try again.")
    }

    /// `template` with `ctx` (plus the frame), as HTML to send or keep.
    pub fn html(&self, template: &str, ctx: Value) -> Result<String, minijinja::Error> {
        let ctx = context! { ..ctx, ..self.base() };
        templates::env()
            .get_template(template)
            .and_then(|t| t.render(ctx))
    }

    /// HTML made by `html` as a response, with the headers every page is sent with.
    pub fn page(
        &self,
        status: StatusCode,
        html: impl actix_web::body::MessageBody + 'static,
    ) -> HttpResponse {
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header(("Content-Security-Policy", csp(self.media_origin.as_deref())))
            .insert_header(("Vary", "Cookie, Accept-Language"))
            .body(html)
    }

    /// A page with a title and a line of text (not found, errors, limits).
    pub fn message(&self, status: StatusCode, title_key: &str, text: String) -> HttpResponse {
        self.render(
            status,
            "message.html",
            context! { title_key => title_key, text => text },
        )
    }
}

/// The shop's 404 for any path outside the API: in the shop's look and the visitor's language.
pub fn not_found_page(req: &HttpRequest, public_base_url: &str) -> HttpResponse {
    let visitor = Visitor::of(req);
    let frame = Frame {
        visitor: &visitor,
        public_base_url,
        media_origin: None,
        contact: None,
    };
    frame.message(
        StatusCode::NOT_FOUND,
        "notfound-title",
        i18n::text(visitor.lang, "notfound-text", &[]),
    )
}
