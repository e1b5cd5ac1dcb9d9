//! Request extractors that answer bad input with precise problem+json instead of actix's
//! plain-text errors: JSON bodies and query strings, with the path of the offending field.
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::{LocalBoxFuture, Ready, ready};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, DomainError, FieldErrors};

/// Largest JSON body accepted; catalog and order bodies are far smaller.
pub const JSON_LIMIT: usize = 64 * 1024;

/// A JSON body parsed into `T`. Malformed JSON is a 400; valid JSON of the wrong shape
/// (unknown field, wrong type, missing field) is a 422 naming the field.
pub struct ValidJson<T>(pub T);

impl<T> ValidJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|essence| {
            let essence = essence.trim().to_ascii_lowercase();
            essence == "application/json" || essence.ends_with("+json")
        })
        .unwrap_or(false)
}

impl<T: DeserializeOwned + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !json {
                return Err(DomainError::UnsupportedMediaType {
                    expected: "application/json",
                }
                .into());
            }
            if declared_len.is_some_and(|len| len > JSON_LIMIT) {
                return Err(DomainError::PayloadTooLarge { limit: JSON_LIMIT }.into());
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| DomainError::BadRequest(e.to_string()))?;
                if body.len() + chunk.len() > JSON_LIMIT {
                    return Err(DomainError::PayloadTooLarge { limit: JSON_LIMIT }.into());
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body).map(ValidJson)
        })
    }
}

pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // PostgreSQL text cannot hold NUL; refuse it here rather than fail at the database.
    if contains_escaped_nul(body) {
        return Err(DomainError::Validation(FieldErrors::single(
            "body",
            "NUL characters (\\u0000) are not accepted",
        ))
        .into());
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize::<_, T>(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = strip_position(&inner);
                DomainError::Validation(FieldErrors::single(field_of(&path, &message), message))
            }
            _ => DomainError::BadRequest(format!("body is not valid JSON: {inner}")),
        }
    })?;
    de.end()
        .map_err(|e| DomainError::BadRequest(format!("body is not valid JSON: {e}")))?;
    Ok(value)
}

/// The failing field's path; a missing field is reported by its parent, so name it.
fn field_of(path: &str, message: &str) -> String {
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (path, missing) {
        (".", Some(name)) => name.to_string(),
        (_, Some(name)) => format!("{path}.{name}"),
        (".", None) => "body".to_string(),
        (_, None) => path.to_string(),
    }
}

/// serde_json appends "at line 1 column 9" to data errors; the field path says more.
fn strip_position(err: &serde_json::Error) -> String {
    let message = err.to_string();
    match message.rfind(" at line ") {
        Some(idx) => message[..idx].to_string(),
        None => message,
    }
}

/// A query string parsed into `T`; a value of the wrong type is a 422 naming the parameter.
pub struct ValidQuery<T>(pub T);

impl<T> ValidQuery<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned> FromRequest for ValidQuery<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(query(req).map(ValidQuery))
    }
}

/// The request's query string as `T`, refused as `ValidQuery` refuses it: for a handler
/// that reads its query only when it needs it.
pub fn query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, ApiError> {
    let parsed = form_urlencoded::parse(req.query_string().as_bytes());
    let de = serde_urlencoded::Deserializer::new(parsed);
    serde_path_to_error::deserialize::<_, T>(de).map_err(|err| {
        let field = err.path().to_string();
        let field = if field == "." { "query".into() } else { field };
        DomainError::Validation(FieldErrors::single(field, err.into_inner().to_string())).into()
    })
}

/// A JSON body that may be left out entirely (no body, no content type) or be `null`: then
/// `T::default()`.
/// A body that is sent is parsed as strictly as `ValidJson`.
pub struct OptionalJson<T>(pub T);

impl<T> OptionalJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + Default + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let empty = req.headers().get(header::CONTENT_TYPE).is_none()
            && req
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .is_none_or(|v| v.trim() == "0");
        if empty {
            return Box::pin(async { Ok(OptionalJson(T::default())) });
        }
        // `null` says "nothing" as plainly as no body does.
        let inner = ValidJson::<Option<T>>::from_request(req, payload);
        Box::pin(async move {
            inner
                .await
                .map(|ValidJson(v)| OptionalJson(v.unwrap_or_default()))
        })
    }
}

fn contains_escaped_nul(body: &[u8]) -> bool {
    body.windows(6)
        .any(|w| w[0] == b'\\' && w[1] == b'u' && w[2..].iter().all(|b| *b == b'0'))
}

/// Middleware: a NUL character in the path or query (`%00`) is a 400 before any handler or
/// database sees it.
pub async fn refuse_nul(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let escaped_nul = req
        .uri()
        .path_and_query()
        .is_some_and(|pq| pq.as_str().as_bytes().windows(3).any(|w| w == b"%00"));
    if escaped_nul {
        return Err(ApiError::from(DomainError::BadRequest(
            "the URL contains a NUL character (%00)".into(),
        ))
        .into());
    }
    next.call(req).await
}
