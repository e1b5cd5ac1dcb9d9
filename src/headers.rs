//! Headers every response carries, in one middleware: no MIME sniffing, no referrer leaves
//! with a link, and nothing that carries personal data or a secret is kept by a cache.
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

/// Paths whose answers carry personal data or secrets: the admin API (and its login token),
/// the buyer's order view and the answer to placing an order (the access token), and the
/// buyer's confirmation page, the console, and an artist's own page.
fn is_private(path: &str) -> bool {
    path == "/admin"
        || path.starts_with("/admin/")
        || path.starts_with("/api/v1/admin")
        || path.starts_with("/api/v1/orders")
        || path.starts_with("/orders/")
        || path == "/page"
        || path.starts_with("/lang/")
}

/// What a page may load: only this site, and photos from where media is served (a CDN or
/// bucket when configured). No inline script; no framing.
pub fn csp(media_origin: Option<&str>) -> String {
    let img = match media_origin {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".into(),
    };
    format!(
        "default-src 'self'; img-src {img}; style-src 'self'; script-src 'self'; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
}
/// `Strict-Transport-Security` for a site served over https (`PUBLIC_BASE_URL`): a year, so
/// a browser that has been here once never again asks over plain http, where a network in
/// between could read a session cookie's first request or rewrite a page.
const HSTS: &str = "max-age=31536000";

pub async fn security_headers(
    https: bool,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let private = is_private(req.path());
    let console = req.path() == "/admin" || req.path().starts_with("/admin/");
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // The console's forms need their Origin: with `no-referrer`, a browser that does not send
    // Sec-Fetch-Site says `Origin: null` and its coordinator could not sign in. `same-origin`
    // still lets no address leave the site.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static(if console {
            "same-origin"
        } else {
            "no-referrer"
        }),
    );
    if private {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    // Every HTML answer runs under the pages' policy, also one no page template made (the
    // API viewer's files): nothing from another origin, no inline script.
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html
        && !headers.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(csp) = HeaderValue::from_str(&csp(None))
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::is_private;

    #[test]
    fn private_paths_are_the_ones_with_personal_data() {
        for path in [
            "/api/v1/admin/login",
            "/api/v1/admin/orders/x",
            "/api/v1/orders",
            "/api/v1/orders/x",
            "/orders/x/confirm",
            "/admin",
            "/admin/orders/x",
        ] {
            assert!(is_private(path), "{path}");
        }
        for path in [
            "/api/v1/artworks",
            "/media/abc.jpg",
            "/health/live",
            "/api/openapi.json",
            "/administration-of-art",
        ] {
            assert!(!is_private(path), "{path}");
        }
    }
}
