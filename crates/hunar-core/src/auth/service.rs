//! Admin accounts and sessions.
use chrono::{DateTime, Utc};
use entity::{admin, admin_session};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter,
};

use super::{password, rate_limit::LoginLimiter, token};
use crate::client::Client;
use crate::db;
use crate::notifications::{MailSettings, alerts};

/// Who is calling an admin route; put in request extensions by the auth middleware.
#[derive(Debug, Clone)]
pub struct AdminIdentity {
    pub admin_id: String,
    pub session_id: String,
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
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Console => "console",
        }
    }
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
}

/// Argon2 takes tens of milliseconds of CPU: keep it off the async executor.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(Into::into)
}

/// The longest address SMTP can carry (RFC 5321's 256-octet path, less its brackets).
pub const MAX_EMAIL_CHARS: usize = 254;
/// A pass phrase of 1,024 bytes is far past any real one; Argon2 would hash anything.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// How long each attempt on an account under attack from many clients waits: enough to make
/// guessing slow, not so much that the real admin notices more than a pause.
const SLOWDOWN: std::time::Duration = std::time::Duration::from_secs(1);

pub async fn login(
    db: &DatabaseConnection,
    limiter: &LoginLimiter,
    mail: &MailSettings,
    session_ttl: std::time::Duration,
    attempt: SignIn<'_>,
) -> Result<LoginToken, AuthError> {
    let SignIn {
        client,
        kind,
        email,
        password: password_attempt,
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
        _ => {
            // Alerts are for real accounts: a stream of invented names must not become a
            // stream of emails to the coordinator.
            if let Some(alert) = limiter.failed(client, &email).await
                && admin.is_some()
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
            return Err(AuthError::InvalidCredentials);
        }
    };
    limiter.succeeded(client, &email).await;
    open_session(db, admin.id, kind, client, session_ttl).await
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
    admin::ActiveModel {
        id: Set(admin_id),
        last_login_at: Set(Some(now)),
        ..Default::default()
    }
    .update(db)
    .await?;
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
        // Disabling revokes the account's sessions, but a sign-in racing with it could open
        // one more: the account itself is asked too, in the same query.
        .filter(
            admin_session::Column::AdminId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(admin::Column::Id)
                    .from(admin::Entity)
                    .and_where(admin::Column::DisabledAt.is_null())
                    .to_owned(),
            ),
        )
        .one(db)
        .await?
        .ok_or(AuthError::Unauthenticated)?;
    Ok(AdminIdentity {
        admin_id: session.admin_id,
        session_id: session.id,
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
