//! Small pieces of HTML written outside the templates.
use actix_web::HttpResponse;

pub use crate::markup::escape;

/// A plain 404 for a page path nobody rendered a frame for (a stale asset name).
pub fn not_found_bare() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .body("not found")
}
