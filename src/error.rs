//! The one place where errors become HTTP responses: RFC 9457 problem+json documents. The
//! core says what was refused ([`DomainError`] and each domain's own error); this file says
//! which status and headers that is.
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use http_api_problem::HttpApiProblem;

pub use hunar_core::error::{DomainError, FieldCode, FieldError, FieldErrors, Rule};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// What the HTTP layer answers: a domain's refusal, or a request no route takes.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Domain(DomainError),
    #[error("no such route")]
    RouteNotFound,
    /// A known path asked with a method it does not have; `allow` lists the ones it has.
    #[error("{method} is not allowed here; use {}", .allow.join(", "))]
    MethodNotAllowed { method: String, allow: Vec<String> },
}

/// Everything the domains return converts into an answer through [`DomainError`].
macro_rules! answered_as_domain_error {
    ($($error:ty),* $(,)?) => {$(
        impl From<$error> for ApiError {
            fn from(err: $error) -> Self {
                Self::Domain(DomainError::from(err))
            }
        }
    )*};
}

answered_as_domain_error!(
    DomainError,
    sea_orm::DbErr,
    hunar_core::db::Trouble,
    FieldErrors,
    anyhow::Error,
    hunar_core::catalog::CatalogError,
    &hunar_core::catalog::CatalogError,
    hunar_core::orders::OrderError,
    hunar_core::ledger::LedgerError,
    hunar_core::media::MediaError,
    hunar_core::auth::AuthError,
    hunar_core::organisation::SaveError,
);

impl ApiError {
    /// Machine-readable error code, stable across releases (clients switch on it).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Domain(err) => err.code(),
            Self::RouteNotFound => "route_not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Self::Domain(err) => err.title(),
            Self::RouteNotFound => "Not found",
            Self::MethodNotAllowed { .. } => "Method not allowed",
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::Domain(err) => err.detail(),
            other => other.to_string(),
        }
    }
}

/// The status a domain's refusal is answered with.
fn status_of(err: &DomainError) -> StatusCode {
    match err {
        DomainError::BadRequest(_) => StatusCode::BAD_REQUEST,
        DomainError::Unauthenticated | DomainError::InvalidCredentials => StatusCode::UNAUTHORIZED,
        DomainError::Forbidden { .. } => StatusCode::FORBIDDEN,
        DomainError::Refused { .. } => StatusCode::UNAUTHORIZED,
        DomainError::NotFound(_) => StatusCode::NOT_FOUND,
        DomainError::Conflict { .. } => StatusCode::CONFLICT,
        DomainError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        DomainError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        DomainError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        DomainError::TooManyRequests { .. } | DomainError::Limited { .. } => {
            StatusCode::TOO_MANY_REQUESTS
        }
        DomainError::Unavailable(_) | DomainError::DatabaseUnavailable => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        DomainError::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
        DomainError::BadGateway(_) => StatusCode::BAD_GATEWAY,
        DomainError::InvalidWebhook(_) => StatusCode::BAD_REQUEST,
        DomainError::UnsignedWebhook(_) => StatusCode::UNAUTHORIZED,
        DomainError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Builds a problem document. `code` names the problem type: `/problems/{code}`.
pub fn problem_response(
    status: StatusCode,
    code: &str,
    title: &str,
    detail: &str,
    errors: Option<&[FieldError]>,
) -> HttpResponse {
    let mut problem = HttpApiProblem::try_new(status.as_u16())
        .unwrap_or_else(|_| {
            HttpApiProblem::new(http_api_problem::StatusCode::INTERNAL_SERVER_ERROR)
        })
        .type_url(format!("/problems/{code}"))
        .title(title)
        .detail(detail)
        .value("code", &code);
    if let Some(errors) = errors {
        problem = problem.value("errors", &errors);
    }
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
        .body(problem.json_bytes())
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Domain(err) => status_of(err),
            Self::RouteNotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let domain = match self {
            Self::Domain(err) => Some(err),
            _ => None,
        };
        if let Some(err) = domain {
            if let Some(trouble) = err.with_trouble() {
                if let DomainError::Internal(cause) = err {
                    tracing::error!(error = ?cause, "the database refused a request");
                }
                return Self::Domain(trouble).error_response();
            }
            if let DomainError::Internal(cause) = err {
                tracing::error!(error = ?cause, "request failed");
            }
        }
        let errors = match domain {
            Some(DomainError::Validation(errors)) => Some(errors.0.as_slice()),
            _ => None,
        };
        let mut response = problem_response(
            self.status_code(),
            self.code(),
            self.title(),
            &self.detail(),
            errors,
        );
        let headers = response.headers_mut();
        if let Self::MethodNotAllowed { allow, .. } = self
            && let Ok(value) = header::HeaderValue::from_str(&allow.join(", "))
        {
            headers.insert(header::ALLOW, value);
        }
        match domain {
            Some(DomainError::Unauthenticated) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer"),
                );
            }
            Some(
                DomainError::TooManyRequests { retry_after_secs }
                | DomainError::Limited {
                    retry_after_secs, ..
                },
            ) => {
                if let Ok(value) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                    headers.insert(header::RETRY_AFTER, value);
                }
            }
            // A full disk is freed by a person, not in a moment; a busy database clears soon.
            Some(DomainError::StorageFull) => {
                headers.insert(header::RETRY_AFTER, header::HeaderValue::from_static("60"));
            }
            Some(DomainError::DatabaseUnavailable) => {
                headers.insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
            }
            _ => {}
        }
        response
    }
}

/// Turns any error response actix produced on its own (unknown route, wrong method, a
/// payload error from an extractor we did not configure) into problem+json, so no client
/// ever sees an HTML or plain-text error.
pub fn ensure_problem_json<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    // Our own pages (web/) answer their errors as pages in the shop's look.
    let is_page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_problem || is_page {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (code, detail) = match status {
        StatusCode::NOT_FOUND => ("route_not_found", "no such route".to_string()),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "this method is not allowed on this route".to_string(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "request body too large".into()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "unsupported media type".to_string(),
        ),
        s if s.is_server_error() => (
            "internal",
            "something went wrong on our side; it has been logged".to_string(),
        ),
        _ => (
            "bad_request",
            "the request could not be processed".to_string(),
        ),
    };
    let title = status.canonical_reason().unwrap_or("Error");
    let (req, _) = res.into_parts();
    let problem = problem_response(status, code, title, &detail, None);
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, problem).map_into_right_body(),
    ))
}

pub type EitherProblemBody<B> = EitherBody<B, BoxBody>;
