//! Admin accounts and sessions.
use chrono::{DateTime, Utc};
use entity::{admin, admin_session};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter,
};

use super::{password, rate_limit::LoginLimiter, second_factor, token};
use crate::client::Client;
use crate::db;
use crate::notifications::{MailSettings, alerts};

pub use super::error::{AdminIdentity, AuthError};
pub use super::password::MAX_PASSWORD_BYTES;
pub(super) use super::password::blocking;

pub struct LoginToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Who holds a session: a script with a bearer token, or a browser with the console's cookie.
/// Each is accepted only where it belongs, so a stolen API token opens no console page and a
/// console cookie (sent by the browser on its own) never authorises an API call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Api,
    Console,
    /// A console sign-in whose password was right, waiting for its code: it opens nothing but
    /// the second step, for a few minutes.
    SecondStep,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Console => "console",
            Self::SecondStep => "second_step",
        }
    }
}

/// How long the console's second step waits for a code.
const SECOND_STEP_TTL: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// What a right password leads to.
pub enum SignedIn {
    Session(LoginToken),
    /// The console's second step: this token (not yet a session) and a code finish it.
    CodeNeeded(LoginToken),
}

pub(super) fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// One try at signing in: from which client, for which kind of session, with what.
pub struct SignIn<'a> {
    pub client: Client,
    pub kind: SessionKind,
    pub email: &'a str,
    pub password: String,
    /// From the authenticator app, or a recovery code; needed when the account has one on.
    pub code: Option<String>,
}

/// The longest address SMTP can carry (RFC 5321's 256-octet path, less its brackets).
pub const MAX_EMAIL_CHARS: usize = 254;

/// How long each attempt on an account under attack from many clients waits: enough to make
/// guessing slow, not so much that the real admin notices more than a pause.
const SLOWDOWN: std::time::Duration = std::time::Duration::from_secs(1);

pub async fn login(
    db: &DatabaseConnection,
    limiter: &LoginLimiter,
    mail: &MailSettings,
    session_ttl: std::time::Duration,
    attempt: SignIn<'_>,
) -> Result<SignedIn, AuthError> {
    let SignIn {
        client,
        kind,
        email,
        password: password_attempt,
        code,
    } = attempt;
    // Before any counter or hash sees them: what an attacker sends must not become memory
    // held for an hour, or seconds of Argon2.
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(AuthError::TooLong {
            field: "email",
            max: MAX_EMAIL_CHARS,
            unit: "characters",
        });
    }
    if password_attempt.len() > MAX_PASSWORD_BYTES {
        return Err(AuthError::TooLong {
            field: "password",
            max: MAX_PASSWORD_BYTES,
            unit: "bytes",
        });
    }
    let email = normalize_email(email);
    let under_attack = limiter
        .attempt(client, &email)
        .await
        .map_err(|retry_after_secs| AuthError::RateLimited { retry_after_secs })?;
    if under_attack {
        tokio::time::sleep(SLOWDOWN).await;
    }

    let admin = admin::Entity::find()
        .filter(admin::Column::Email.eq(email.as_str()))
        .one(db)
        .await?;
    let stored = admin
        .as_ref()
        .map(|a| a.password_hash.clone())
        .unwrap_or_else(|| password::dummy_hash().to_string());
    let valid = blocking(move || password::verify(&password_attempt, &stored)).await?;
    let admin = match admin {
        // A disabled account answers as a wrong password would: whoever holds its old
        // password learns nothing about it.
        Some(admin) if valid && admin.disabled_at.is_none() => admin,
        found => {
            count_failure(db, limiter, mail, client, &email, found.is_some()).await?;
            return Err(AuthError::InvalidCredentials);
        }
    };
    if second_factor::is_on(&admin) {
        let attempt = CodeAttempt { client, kind, code };
        let pending = second_step(db, limiter, mail, &admin, attempt).await?;
        if let Some(pending) = pending {
            return Ok(SignedIn::CodeNeeded(pending));
        }
    }
    limiter.succeeded(client, &email).await;
    open_session(db, admin.id, kind, client, session_ttl)
        .await
        .map(SignedIn::Session)
}

/// A wrong password or code, counted; past the threshold the coordinator is told once.
/// Alerts are for real accounts: a stream of invented names must not become a stream of
/// emails to the coordinator.
async fn count_failure(
    db: &DatabaseConnection,
    limiter: &LoginLimiter,
    mail: &MailSettings,
    client: Client,
    email: &str,
    real_account: bool,
) -> Result<(), AuthError> {
    if let Some(alert) = limiter.failed(client, email).await
        && real_account
    {
        tracing::warn!(
            failures = alert.failures,
            clients = alert.clients.len(),
            "many failed sign-ins on one admin account; the coordinator is told"
        );
        alerts::sign_in_failures(
            db,
            mail,
            &alert.account,
            alert.failures,
            &alert.clients,
            alert.window_id,
        )
        .await?;
    }
    Ok(())
}

/// Checks and uses up a code. Besides the per-client limits, wrong codes are capped for the
/// account across all clients (whoever guesses codes holds the password already).
async fn check_code(
    db: &DatabaseConnection,
    limiter: &LoginLimiter,
    mail: &MailSettings,
    client: Client,
    admin: &admin::Model,
    code: &str,
) -> Result<(), AuthError> {
    limiter
        .code_attempt(&admin.email)
        .await
        .map_err(|retry_after_secs| AuthError::RateLimited { retry_after_secs })?;
    if code.chars().count() <= 64 && second_factor::use_code(db, admin, code).await? {
        return Ok(());
    }
    limiter.code_failed(&admin.email).await;
    count_failure(db, limiter, mail, client, &admin.email, true).await?;
    Err(AuthError::SecondFactorInvalid)
}

/// The parts of a sign-in the second factor looks at.
struct CodeAttempt {
    client: Client,
    kind: SessionKind,
    code: Option<String>,
}

/// After a right password, for an account with a second factor: the code checked (and used
/// up), or for the console without one, the token of its second step.
async fn second_step(
    db: &DatabaseConnection,
    limiter: &LoginLimiter,
    mail: &MailSettings,
    admin: &admin::Model,
    attempt: CodeAttempt,
) -> Result<Option<LoginToken>, AuthError> {
    match attempt.code.filter(|c| !c.trim().is_empty()) {
        // The console asks for the code on a page of its own.
        None if attempt.kind == SessionKind::Console => {
            let pending = open_session(
                db,
                admin.id.clone(),
                SessionKind::SecondStep,
                attempt.client,
                SECOND_STEP_TTL,
            )
            .await?;
            Ok(Some(pending))
        }
        None => Err(AuthError::SecondFactorRequired),
        Some(code) => {
            check_code(db, limiter, mail, attempt.client, admin, &code).await?;
            Ok(None)
        }
    }
}

/// The console's second step: the token the first step gave, and a code. Codes count against
/// the same limits as passwords, per client and account.
pub async fn finish_sign_in(
    db: &DatabaseConnection,
    limiter: &LoginLimiter,
    mail: &MailSettings,
    client: Client,
    session_ttl: std::time::Duration,
    pending: &str,
    code: &str,
) -> Result<LoginToken, AuthError> {
    let step = authenticate(db, SessionKind::SecondStep, pending).await?;
    let admin = admin::Entity::find_by_id(step.admin_id.clone())
        .one(db)
        .await?
        .ok_or(AuthError::Unauthenticated)?;
    limiter
        .attempt(client, &admin.email)
        .await
        .map_err(|retry_after_secs| AuthError::RateLimited { retry_after_secs })?;
    check_code(db, limiter, mail, client, &admin, code).await?;
    limiter.succeeded(client, &admin.email).await;
    logout(db, &step).await?;
    open_session(db, admin.id, SessionKind::Console, client, session_ttl).await
}

/// A new session for an account that has proven who it is; its token is handed out once.
async fn open_session(
    db: &DatabaseConnection,
    admin_id: String,
    kind: SessionKind,
    client: Client,
    session_ttl: std::time::Duration,
) -> Result<LoginToken, AuthError> {
    let token = token::generate();
    let now = Utc::now();
    let expires_at =
        now + chrono::Duration::from_std(session_ttl).map_err(|e| AuthError::Internal(e.into()))?;
    admin_session::ActiveModel {
        id: Set(db::new_id()),
        admin_id: Set(admin_id.clone()),
        token_hash: Set(token::digest(&token)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        kind: Set(kind.as_str().to_string()),
        client: Set(Some(client.0.to_string())),
    }
    .insert(db)
    .await?;
    // A password without its code yet is not a sign-in.
    if kind != SessionKind::SecondStep {
        admin::ActiveModel {
            id: Set(admin_id),
            last_login_at: Set(Some(now)),
            ..Default::default()
        }
        .update(db)
        .await?;
    }
    Ok(LoginToken { token, expires_at })
}

pub async fn authenticate(
    db: &DatabaseConnection,
    kind: SessionKind,
    token: &str,
) -> Result<AdminIdentity, AuthError> {
    let session = admin_session::Entity::find()
        .filter(admin_session::Column::TokenHash.eq(token::digest(token)))
        .filter(admin_session::Column::Kind.eq(kind.as_str()))
        .filter(admin_session::Column::RevokedAt.is_null())
        .filter(admin_session::Column::ExpiresAt.gt(Utc::now()))
        .one(db)
        .await?
        .ok_or(AuthError::Unauthenticated)?;
    // Disabling revokes the account's sessions, but a sign-in racing with it could open one
    // more: the account itself is asked too.
    let admin = admin::Entity::find_by_id(session.admin_id.clone())
        .filter(admin::Column::DisabledAt.is_null())
        .one(db)
        .await?
        .ok_or(AuthError::Unauthenticated)?;
    Ok(AdminIdentity {
        admin_id: session.admin_id,
        session_id: session.id,
        second_factor: second_factor::is_on(&admin),
    })
}

pub async fn logout(db: &DatabaseConnection, identity: &AdminIdentity) -> Result<(), AuthError> {
    admin_session::ActiveModel {
        id: Set(identity.session_id.clone()),
        revoked_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

pub async fn admin_count(db: &DatabaseConnection) -> Result<u64, DbErr> {
    admin::Entity::find().count(db).await
}

pub async fn create_admin(
    db: &DatabaseConnection,
    email: &str,
    new_password: String,
) -> Result<admin::Model, AuthError> {
    let email = normalize_email(email);
    if !email_address::EmailAddress::is_valid(&email) {
        return Err(AuthError::InvalidEmail(email));
    }
    if new_password.chars().count() < password::MIN_LENGTH {
        return Err(AuthError::WeakPassword);
    }
    if new_password.len() > MAX_PASSWORD_BYTES {
        return Err(AuthError::TooLong {
            field: "password",
            max: MAX_PASSWORD_BYTES,
            unit: "bytes",
        });
    }
    let password_hash = blocking(move || password::hash(&new_password)).await??;
    admin::ActiveModel {
        id: Set(db::new_id()),
        email: Set(email),
        password_hash: Set(password_hash),
        created_at: Set(Utc::now()),
        last_login_at: Set(None),
        time_zone: Set("UTC".into()),
        disabled_at: Set(None),
        second_factor_secret: Set(None),
        second_factor_on_at: Set(None),
        second_factor_last_step: Set(None),
    }
    .insert(db)
    .await
    .map_err(|e| {
        if db::is_unique_violation(&e) {
            AuthError::EmailTaken
        } else {
            AuthError::Db(e)
        }
    })
}
