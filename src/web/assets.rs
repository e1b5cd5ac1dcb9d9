//! The pages' stylesheets and scripts, compiled into the binary and served under names that
//! carry a hash of their content, so a browser may keep them for a year and still never sees
//! a stale one after an upgrade.
use std::sync::OnceLock;

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, get, web};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    hashed: String,
    content_type: &'static str,
    body: &'static [u8],
}

const FILES: [(&str, &str, &[u8]); 4] = [
    (
        "shop.css",
        "text/css; charset=utf-8",
        include_bytes!("static/shop.css"),
    ),
    (
        "shop.js",
        "text/javascript; charset=utf-8",
        include_bytes!("static/shop.js"),
    ),
    (
        "console.css",
        "text/css; charset=utf-8",
        include_bytes!("static/console.css"),
    ),
    (
        "console.js",
        "text/javascript; charset=utf-8",
        include_bytes!("static/console.js"),
    ),
];

fn assets() -> &'static [Asset] {
    static ASSETS: OnceLock<Vec<Asset>> = OnceLock::new();
    ASSETS.get_or_init(|| {
        FILES
            .iter()
            .map(|(name, content_type, body)| {
                let hash: String = Sha256::digest(body)
                    .iter()
                    .take(6)
                    .map(|b| format!("{b:02x}"))
                    .collect();
                let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
                Asset {
                    name,
                    hashed: format!("{stem}.{hash}.{ext}"),
                    content_type,
                    body,
                }
            })
            .collect()
    })
}

/// The URL of `name` (e.g. `shop.css` → `/static/shop.3f2a….css`).
pub fn url(name: &str) -> String {
    assets()
        .iter()
        .find(|a| a.name == name)
        .map(|a| format!("/static/{}", a.hashed))
        .unwrap_or_default()
}

#[get("/static/{file}")]
pub async fn serve(file: web::Path<String>) -> HttpResponse {
    match assets().iter().find(|a| a.hashed == *file) {
        Some(asset) => HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, asset.content_type))
            .insert_header((CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(asset.body),
        None => super::html::not_found_bare(),
    }
}

/// Browsers ask for `/favicon.ico` whatever the page says; they get the same icon.
#[get("/favicon.ico")]
pub async fn favicon() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "image/svg+xml"))
        .insert_header((CACHE_CONTROL, "public, max-age=86400"))
        .body(&include_bytes!("static/favicon.svg")[..])
}
