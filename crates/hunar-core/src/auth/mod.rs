//! Admin authentication: argon2id passwords, opaque bearer tokens stored hashed,
//! rate-limited login.
pub mod accounts;
pub mod coordinators;
pub mod error;
pub mod password;
pub mod rate_limit;
pub mod second_factor;
pub mod service;
pub mod token;

pub use error::{AdminIdentity, AuthError};

impl From<AuthError> for crate::error::DomainError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::InvalidCredentials => crate::error::DomainError::InvalidCredentials,
            AuthError::RateLimited { retry_after_secs } => {
                crate::error::DomainError::TooManyRequests { retry_after_secs }
            }
            AuthError::Unauthenticated => crate::error::DomainError::Unauthenticated,
            AuthError::InvalidEmail(_) | AuthError::EmailTaken => {
                crate::error::DomainError::Validation(crate::error::FieldErrors::single(
                    "email",
                    err.to_string(),
                ))
            }
            AuthError::WeakPassword | AuthError::WrongPassword => {
                crate::error::DomainError::Validation(crate::error::FieldErrors::single(
                    "password",
                    err.to_string(),
                ))
            }
            AuthError::InvalidTimeZone(_) => crate::error::DomainError::Validation(
                crate::error::FieldErrors::single("time_zone", err.to_string()),
            ),
            AuthError::NoSuchSession => crate::error::DomainError::NotFound("session"),
            AuthError::NoSuchAdmin => crate::error::DomainError::NotFound("admin"),
            AuthError::ReauthenticationRequired(detail) => crate::error::DomainError::Forbidden {
                code: "reauthentication_required",
                detail: detail.into(),
            },
            AuthError::SecondFactorRequired | AuthError::SecondFactorInvalid => {
                crate::error::DomainError::Refused {
                    code: if matches!(err, AuthError::SecondFactorRequired) {
                        "second_factor_required"
                    } else {
                        "second_factor_invalid"
                    },
                    detail: err.to_string(),
                }
            }
            AuthError::EnrolmentRequired => crate::error::DomainError::Forbidden {
                code: "second_factor_enrolment_required",
                detail: err.to_string(),
            },
            // A failed proof, like a wrong current password: the request itself was well formed.
            AuthError::CodeNotRight => crate::error::DomainError::Forbidden {
                code: "second_factor_invalid",
                detail: err.to_string(),
            },
            AuthError::SecondFactorAlreadyOn => {
                crate::error::DomainError::conflict("second_factor_on", err.to_string())
            }
            AuthError::SecondFactorOff => {
                crate::error::DomainError::conflict("second_factor_off", err.to_string())
            }
            AuthError::SecondFactorNotStarted => {
                crate::error::DomainError::conflict("second_factor_not_started", err.to_string())
            }
            AuthError::LastEnabledAdmin => {
                crate::error::DomainError::conflict("last_enabled_admin", err.to_string())
            }
            AuthError::TooLong { field, .. } => crate::error::DomainError::Validation(
                crate::error::FieldErrors::single(field, err.to_string()),
            ),
            AuthError::Db(e) => e.into(),
            AuthError::Internal(e) => crate::error::DomainError::Internal(e),
        }
    }
}
