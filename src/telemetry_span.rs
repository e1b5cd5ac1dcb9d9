//! The span every request runs in: method, route pattern and a request id, closed by one
//! access line with the status; never the query string (it may carry an order's access
//! token) or any body.
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};

pub struct HunarRootSpan;

impl RootSpanBuilder for HunarRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request.extensions().get::<RequestId>().copied();
        let route = request.match_pattern();
        tracing::info_span!(
            "http_request",
            method = %request.method(),
            route = %route.as_deref().unwrap_or("unmatched"),
            request_id = tracing::field::display(DisplayOr(request_id)),
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let status = match outcome {
            Ok(response) => response.response().status().as_u16(),
            Err(err) => err.as_response_error().status_code().as_u16(),
        };
        // The status goes on the access line only: recorded on the span as well, every
        // line would say it twice and the span's fields would be formatted a second time.
        let _guard = span.enter();
        if status >= 500 {
            tracing::error!(status, "request failed");
        } else {
            tracing::info!(status, "request done");
        }
    }
}

/// The request id as it is written, or nothing: formatted straight into the log line
/// instead of into a string of its own first.
struct DisplayOr(Option<RequestId>);

impl std::fmt::Display for DisplayOr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(id) => id.fmt(f),
            None => Ok(()),
        }
    }
}
