//! The edge's side of the catalog cache (`hunar_core::catalog::cache`): its key for a request,
//! and emptying it when a coordinator changes something.
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

use crate::catalog::cache::CatalogCache;

/// Cache key: the path and the query string as sent.
pub fn key(req: &actix_web::HttpRequest) -> String {
    format!("{}?{}", req.path(), req.query_string())
}

/// Wraps the admin scope: every successful admin change empties this process's cache, so
/// a coordinator sees their own edit on the public pages at once.
pub async fn invalidate_on_write(
    cache: CatalogCache,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let writes = req.method() != Method::GET && req.method() != Method::HEAD;
    let res = next.call(req).await?;
    if writes && res.status().is_success() {
        cache.invalidate();
    }
    Ok(res)
}
