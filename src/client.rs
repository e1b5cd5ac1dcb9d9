//! The edge's side of who is asking: finds the client once per request (see
//! `hunar_core::client` for the rule) and hands it to handlers and the audit log.
use std::future::{Ready, ready};
use std::net::IpAddr;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

pub use hunar_core::client::*;

/// Finds the client once per request (wraps the whole app): put in the request's
/// extensions for handlers, and in a task-local for the audit log.
pub async fn identify(
    trusted: TrustedProxies,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let peer = req
        .peer_addr()
        .map_or(IpAddr::from([0, 0, 0, 0]), |addr| addr.ip());
    let headers = req.headers();
    let client = Client(trusted.client(peer, |name| {
        headers.get_all(name).map(|v| v.as_bytes()).collect()
    }));
    req.extensions_mut().insert(client);
    scope(client, next.call(req)).await
}

/// The client as a handler's argument: `Caller(client): Caller`.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Client);

impl FromRequest for Caller {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let client = req
            .extensions()
            .get::<Client>()
            .copied()
            .unwrap_or_else(|| {
                Client(
                    req.peer_addr()
                        .map_or(IpAddr::from([0, 0, 0, 0]), |addr| canonical(addr.ip())),
                )
            });
        ready(Ok(Caller(client)))
    }
}
