//! Where a posted form comes from. A form on another site must not place orders in a
//! visitor's name nor act in a coordinator's.
use actix_web::HttpRequest;

/// Browsers say where a form comes from (`Sec-Fetch-Site`, `Origin`); a client that says
/// nothing is not a browser somebody else's page could steer.
pub fn same_origin(req: &HttpRequest) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return site == "same-origin" || site == "none";
    }
    match (header("origin"), header("host")) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, origin_host)| origin_host == host),
        (Some(_), None) => false,
        (None, _) => true,
    }
}
