//! What signing in and the accounts refuse, and who a signed-in caller is.
use sea_orm::DbErr;

use super::password;

/// Who is calling an admin route; put in request extensions by the auth middleware.
#[derive(Debug, Clone)]
pub struct AdminIdentity {
    pub admin_id: String,
    pub session_id: String,
    /// Whether the account has a second factor on (`REQUIRE_SECOND_FACTOR` asks).
    pub second_factor: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("too many login attempts")]
    RateLimited { retry_after_secs: u64 },
    #[error("missing, expired or revoked token")]
    Unauthenticated,
    #[error("`{0}` is not a valid email address")]
    InvalidEmail(String),
    #[error("password must be at least {} characters", password::MIN_LENGTH)]
    WeakPassword,
    #[error("an admin with this email already exists")]
    EmailTaken,
    #[error("the current password is not right")]
    WrongPassword,
    #[error("`{0}` is not a time zone (expected a name such as Asia/Kabul)")]
    InvalidTimeZone(String),
    #[error("no such open session of yours")]
    NoSuchSession,
    /// A change to who may sign in asks for the caller's own password again: a session left
    /// open on a shared computer, or a stolen token, must not be enough.
    #[error("{0}")]
    ReauthenticationRequired(&'static str),
    #[error("no such coordinator")]
    NoSuchAdmin,
    #[error("this is the last coordinator who can sign in; add another before disabling it")]
    LastEnabledAdmin,
    #[error("this account signs in with a code from its authenticator app too: send `code`")]
    SecondFactorRequired,
    #[error("the code is not right, or was used already")]
    SecondFactorInvalid,
    #[error("set up a second factor first: every coordinator here must have one")]
    EnrolmentRequired,
    #[error("the code is not right, or was used already")]
    CodeNotRight,
    #[error("the second factor is on already; turn it off first to set up another")]
    SecondFactorAlreadyOn,
    #[error("the second factor is off")]
    SecondFactorOff,
    #[error("start setting up the second factor first")]
    SecondFactorNotStarted,
    #[error("{field} must be at most {max} {unit}")]
    TooLong {
        field: &'static str,
        max: usize,
        unit: &'static str,
    },
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}
