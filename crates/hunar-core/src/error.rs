//! What the domains refuse and why, as values: invalid fields with codes, conflicts with
//! their own codes, limits, a database that cannot answer. No status codes here: the edge
//! maps each of these to its answer in one place (the binary's `error.rs`).
use serde::Serialize;

/// One invalid input field, e.g. `{"field": "buyer.name", "message": "must be at most 200
/// characters", "code": "too_long", "max": 200}`: the message in English for people and logs,
/// the code (and its parameters) for a client to say it in its reader's language.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    // An answer stored under an Idempotency-Key before codes existed reads as `invalid`.
    #[schema(inline, required = true)]
    #[serde(default)]
    pub code: FieldCode,
    /// With `too_long`: the most characters the field takes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub max: Option<usize>,
    /// With `postal_code_needed` and `postal_code_invalid`: a postal code of the country.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub example: Option<String>,
}

/// What is wrong with a field. `invalid` is any rule of one endpoint's own (its `message`
/// says which); the others are shared by every form and endpoint.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FieldCode {
    Required,
    TooLong,
    NotOneLine,
    NotAnEmail,
    NotAPhone,
    NotACountry,
    PostalCodeNeeded,
    PostalCodeInvalid,
    StreetTooShort,
    NotShippedThere,
    #[default]
    Invalid,
}

/// A rule every form and endpoint shares, with its English message in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    Required,
    TooLong { max: usize },
    NotOneLine,
    NotAnEmail,
    NotAPhone,
    NotACountry(String),
    PostalCodeNeeded { example: String },
    PostalCodeInvalid { example: String },
    StreetTooShort,
    NotShippedThere { country: String },
}

impl Rule {
    fn into_error(self, field: String) -> FieldError {
        let (code, message, max, example) = match self {
            Self::Required => (FieldCode::Required, "must not be empty".into(), None, None),
            Self::TooLong { max } => (
                FieldCode::TooLong,
                format!("must be at most {max} characters"),
                Some(max),
                None,
            ),
            Self::NotOneLine => (
                FieldCode::NotOneLine,
                "must be one line, without line breaks or control characters".into(),
                None,
                None,
            ),
            Self::NotAnEmail => (
                FieldCode::NotAnEmail,
                "not a valid email address".into(),
                None,
                None,
            ),
            Self::NotAPhone => (
                FieldCode::NotAPhone,
                "use digits, spaces, +, -, ( and ) only".into(),
                None,
                None,
            ),
            Self::NotACountry(message) => (FieldCode::NotACountry, message, None, None),
            Self::PostalCodeNeeded { example } => (
                FieldCode::PostalCodeNeeded,
                format!("is needed for this country (for example {example})"),
                None,
                Some(example),
            ),
            Self::PostalCodeInvalid { example } => (
                FieldCode::PostalCodeInvalid,
                format!("is not a postal code of this country (for example {example})"),
                None,
                Some(example),
            ),
            Self::StreetTooShort => (
                FieldCode::StreetTooShort,
                "is too short to find a house: give the street and number".into(),
                None,
                None,
            ),
            Self::NotShippedThere { country } => (
                FieldCode::NotShippedThere,
                format!("this painting cannot be shipped to {country} yet"),
                None,
                None,
            ),
        };
        FieldError {
            field,
            message,
            code,
            max,
            example,
        }
    }
}

/// Every invalid field of one request, collected before anything is written.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("{} invalid field(s)", .0.len())]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    /// A rule of this endpoint's own, said in `message` (code `invalid`).
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
            code: FieldCode::Invalid,
            max: None,
            example: None,
        });
    }

    /// A shared rule broken, with its code for a client to translate.
    pub fn refuse(&mut self, field: impl Into<String>, rule: Rule) {
        self.0.push(rule.into_error(field.into()));
    }

    pub fn single_rule(field: impl Into<String>, rule: Rule) -> Self {
        let mut errors = Self::new();
        errors.refuse(field, rule);
        errors
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `field` already has an error (one message a field is enough).
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }

    /// `Ok(())` when nothing was collected, so validation can end with `errors.into_result()?`.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    /// Merges another validator's errors, keeping its value when it had none.
    pub fn check_fields<T>(&mut self, result: Result<T, FieldErrors>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(errors) => {
                self.0.extend(errors.0);
                None
            }
        }
    }

    /// Keeps the value of a parse step, or records its error under `field`.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.add(field, err.to_string());
                None
            }
        }
    }
}

/// What a domain refuses, in terms every caller shares. Each domain's own error converts into
/// this; the edge turns it into its answer.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("authentication required")]
    Unauthenticated,
    #[error("invalid email or password")]
    InvalidCredentials,
    /// Not signed in, for a reason a client acts on (a second factor is needed, or was wrong).
    #[error("{detail}")]
    Refused { code: &'static str, detail: String },
    /// Signed in, but this needs more: the caller's password again, a second factor.
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("request body too large (limit {limit} bytes)")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type: expected {expected}")]
    UnsupportedMediaType { expected: &'static str },
    #[error("invalid fields")]
    Validation(#[from] FieldErrors),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// A limit on what one client (or one address) may set off, with its own code.
    #[error("{detail}")]
    Limited {
        code: &'static str,
        detail: String,
        retry_after_secs: u64,
    },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// The database cannot take a write: its disk is full. Nothing was kept.
    #[error(
        "the shop cannot save anything right now: its storage is full; nothing was kept, please try again later"
    )]
    StorageFull,
    /// The database cannot answer now (an I/O error, a lock, a restart). Nothing was kept.
    #[error(
        "the shop's database cannot answer right now; nothing was kept, please try again in a moment"
    )]
    DatabaseUnavailable,
    /// A provider we depend on (Stripe) failed; nothing was kept, a retry may succeed.
    #[error("{0}")]
    BadGateway(String),
    /// A webhook that is not provably from its sender.
    #[error("{0}")]
    InvalidWebhook(String),
    /// A webhook whose signature is missing or wrong (WhatsApp's `X-Hub-Signature-256`).
    #[error("{0}")]
    UnsignedWebhook(String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl DomainError {
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }

    /// Machine-readable error code, stable across releases (clients switch on it).
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Forbidden { code, .. } | Self::Refused { code, .. } => code,
            Self::NotFound(_) => "not_found",
            Self::Conflict { code, .. } => code,
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnsupportedMediaType { .. } => "unsupported_media_type",
            Self::Validation(_) => "validation_failed",
            Self::TooManyRequests { .. } => "rate_limited",
            Self::Limited { code, .. } => code,
            Self::Unavailable(_) => "unavailable",
            Self::StorageFull => "storage_full",
            Self::DatabaseUnavailable => "database_unavailable",
            Self::BadGateway(_) => "payment_provider_failed",
            Self::InvalidWebhook(_) => "invalid_webhook",
            Self::UnsignedWebhook(_) => "invalid_signature",
            Self::Internal(_) => "internal",
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "Malformed request",
            Self::Unauthenticated => "Authentication required",
            Self::InvalidCredentials => "Invalid credentials",
            Self::Forbidden { .. } => "Forbidden",
            Self::Refused { .. } => "Sign-in not complete",
            Self::NotFound(_) => "Not found",
            Self::Conflict { .. } => "Conflict",
            Self::PayloadTooLarge { .. } => "Payload too large",
            Self::UnsupportedMediaType { .. } => "Unsupported media type",
            Self::Validation(_) => "Invalid fields",
            Self::TooManyRequests { .. } | Self::Limited { .. } => "Too many requests",
            Self::Unavailable(_) | Self::DatabaseUnavailable => "Service unavailable",
            Self::StorageFull => "Insufficient storage",
            Self::BadGateway(_) => "Payment provider failed",
            Self::InvalidWebhook(_) => "Invalid webhook",
            Self::UnsignedWebhook(_) => "Invalid signature",
            Self::Internal(_) => "Internal server error",
        }
    }

    pub fn detail(&self) -> String {
        match self {
            // The cause of an internal error is logged, never sent: it may carry data.
            Self::Internal(_) => "something went wrong on our side; it has been logged".into(),
            Self::Validation(errors) => format!("{} field(s) are invalid", errors.0.len()),
            other => other.to_string(),
        }
    }
}

impl From<sea_orm::DbErr> for DomainError {
    fn from(err: sea_orm::DbErr) -> Self {
        match crate::db::trouble(&err) {
            Some(trouble) => Self::from(trouble_logged(trouble, &err)),
            None => Self::Internal(err.into()),
        }
    }
}

/// Logged once here, without the statement or its values (they may hold personal data).
fn trouble_logged(trouble: crate::db::Trouble, err: &sea_orm::DbErr) -> crate::db::Trouble {
    tracing::error!(?trouble, error = %err, "the database refused a request");
    trouble
}

impl From<crate::db::Trouble> for DomainError {
    fn from(trouble: crate::db::Trouble) -> Self {
        match trouble {
            crate::db::Trouble::Full => Self::StorageFull,
            crate::db::Trouble::Unavailable => Self::DatabaseUnavailable,
        }
    }
}

impl DomainError {
    /// An internal error whose cause is the database's trouble becomes that trouble's
    /// answer (507 or 503), wherever in the chain of causes the database error sits.
    pub fn with_trouble(&self) -> Option<Self> {
        let Self::Internal(err) = self else {
            return None;
        };
        err.chain()
            .filter_map(|cause| cause.downcast_ref::<sea_orm::DbErr>())
            .find_map(crate::db::trouble)
            .map(Self::from)
    }
}
