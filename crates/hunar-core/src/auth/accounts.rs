//! An admin's own account as the console shows it: who they are, their password, the time
//! zone their dates are shown in, and the sessions open in their name.
use chrono::{DateTime, Utc};
use entity::{admin, admin_session};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};
use serde::Serialize;

use super::error::{AdminIdentity, AuthError};
use super::password;
use super::password::blocking;
use super::rate_limit::LoginLimiter;
use crate::audit;
use crate::client::Client;

#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<admin::Model> for Account {
    fn from(a: admin::Model) -> Self {
        Self {
            id: a.id,
            email: a.email,
            time_zone: a.time_zone,
            created_at: a.created_at,
            last_login_at: a.last_login_at,
        }
    }
}

pub async fn account(db: &DatabaseConnection, admin_id: &str) -> Result<Account, AuthError> {
    admin::Entity::find_by_id(admin_id.to_string())
        .one(db)
        .await?
        .map(Account::from)
        .ok_or(AuthError::Unauthenticated)
}

pub async fn all(db: &DatabaseConnection) -> Result<Vec<Account>, AuthError> {
    Ok(admin::Entity::find()
        .order_by_asc(admin::Column::Email)
        .all(db)
        .await?
        .into_iter()
        .map(Account::from)
        .collect())
}

/// A new password for oneself, proven by the current one. Every other session of the account
/// ends with it: whoever might have known the old password is out. Tries of the current
/// password count against the sign-in limits, so a session left open cannot be used to guess
/// it.
pub async fn change_password(
    db: &DatabaseConnection,
    limiter: &LoginLimiter,
    client: Client,
    identity: &AdminIdentity,
    current: String,
    new: String,
) -> Result<(), AuthError> {
    if new.chars().count() < password::MIN_LENGTH {
        return Err(AuthError::WeakPassword);
    }
    if current.len() > password::MAX_PASSWORD_BYTES || new.len() > password::MAX_PASSWORD_BYTES {
        return Err(AuthError::TooLong {
            field: "password",
            max: password::MAX_PASSWORD_BYTES,
            unit: "bytes",
        });
    }
    let admin = admin::Entity::find_by_id(identity.admin_id.clone())
        .one(db)
        .await?
        .ok_or(AuthError::Unauthenticated)?;
    limiter
        .attempt(client, &admin.email)
        .await
        .map_err(|retry_after_secs| AuthError::RateLimited { retry_after_secs })?;
    let stored = admin.password_hash.clone();
    if !blocking(move || password::verify(&current, &stored)).await? {
        let _ = limiter.failed(client, &admin.email).await;
        return Err(AuthError::WrongPassword);
    }
    limiter.succeeded(client, &admin.email).await;
    let hash = blocking(move || password::hash(&new)).await??;
    let txn = db.begin().await?;
    admin::ActiveModel {
        id: Set(admin.id.clone()),
        password_hash: Set(hash),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    admin_session::Entity::update_many()
        .col_expr(
            admin_session::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(admin_session::Column::AdminId.eq(admin.id.as_str()))
        .filter(admin_session::Column::Id.ne(identity.session_id.as_str()))
        .filter(admin_session::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    audit::record(&txn, &admin.id, "change_password", "admin", &admin.id, &[]).await?;
    txn.commit().await?;
    Ok(())
}

/// `name` must be an IANA time zone (`Asia/Kabul`, `Europe/Stockholm`, `UTC`).
pub async fn set_time_zone(
    db: &DatabaseConnection,
    admin_id: &str,
    name: &str,
) -> Result<(), AuthError> {
    let zone: chrono_tz::Tz = name
        .trim()
        .parse()
        .map_err(|_| AuthError::InvalidTimeZone(name.trim().to_string()))?;
    admin::ActiveModel {
        id: Set(admin_id.to_string()),
        time_zone: Set(zone.name().to_string()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    pub id: String,
    pub kind: String,
    pub client: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub current: bool,
}

/// The account's sessions still open, newest first.
pub async fn sessions(
    db: &DatabaseConnection,
    identity: &AdminIdentity,
) -> Result<Vec<SessionView>, AuthError> {
    Ok(admin_session::Entity::find()
        .filter(admin_session::Column::AdminId.eq(identity.admin_id.as_str()))
        .filter(admin_session::Column::RevokedAt.is_null())
        .filter(admin_session::Column::ExpiresAt.gt(Utc::now()))
        .order_by_desc(admin_session::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|s| SessionView {
            current: s.id == identity.session_id,
            id: s.id,
            kind: s.kind,
            client: s.client,
            created_at: s.created_at,
            expires_at: s.expires_at,
        })
        .collect())
}

/// Ends one of the account's own sessions (another browser, a forgotten script's token).
pub async fn revoke(
    db: &DatabaseConnection,
    identity: &AdminIdentity,
    session_id: &str,
) -> Result<(), AuthError> {
    let txn = db.begin().await?;
    let ended = admin_session::Entity::update_many()
        .col_expr(
            admin_session::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(admin_session::Column::Id.eq(session_id))
        .filter(admin_session::Column::AdminId.eq(identity.admin_id.as_str()))
        .filter(admin_session::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if ended.rows_affected == 0 {
        return Err(AuthError::NoSuchSession);
    }
    audit::record(
        &txn,
        &identity.admin_id,
        "revoke_session",
        "admin_session",
        session_id,
        &[],
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
