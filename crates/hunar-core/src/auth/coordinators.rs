//! Who may sign in to the console: the coordinators, added and disabled by each other. Either
//! change asks for the caller's own password again, so a session left open on a shared
//! computer or a stolen token cannot let someone in or lock the NGO out. A disabled account
//! keeps its row (the audit log and the ledger name it) but can neither sign in nor use a
//! session it had.
use chrono::{DateTime, Utc};
use entity::{admin, admin_session};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{AdminIdentity, AuthError};
use super::password;
use super::password::{MAX_PASSWORD_BYTES, blocking};
use super::rate_limit::LoginLimiter;
use super::service::create_admin;
use crate::audit;
use crate::client::Client;
use crate::db;
use crate::pagination::{self, Page, Pagination};

/// A coordinator as the others see them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Coordinator {
    pub id: String,
    pub email: String,
    /// Whether sign-in asks for a code from an authenticator app too.
    pub second_factor: bool,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

impl From<admin::Model> for Coordinator {
    fn from(a: admin::Model) -> Self {
        Self {
            second_factor: super::second_factor::is_on(&a),
            id: a.id,
            email: a.email,
            disabled: a.disabled_at.is_some(),
            created_at: a.created_at,
            last_sign_in_at: a.last_login_at,
        }
    }
}

/// The coordinators, by email.
pub async fn list(
    db: &DatabaseConnection,
    page: Pagination,
) -> Result<Page<Coordinator>, AuthError> {
    let select = admin::Entity::find().order_by_asc(admin::Column::Email);
    Ok(pagination::fetch_views(db, select, page).await?)
}

/// The caller, proving again who they are.
pub struct Reauthentication<'a> {
    pub identity: &'a AdminIdentity,
    pub client: Client,
    pub current_password: Option<String>,
}

/// Checks the caller's password again. Tries count against the same limits as sign-in (per
/// client and per account), so a stolen token cannot be used to guess the password either.
async fn reauthenticate(
    db: &DatabaseConnection,
    limiter: &LoginLimiter,
    proof: Reauthentication<'_>,
) -> Result<(), AuthError> {
    let attempt = proof.current_password.filter(|p| !p.is_empty()).ok_or(
        AuthError::ReauthenticationRequired(
            "give your own current password again to change who may sign in",
        ),
    )?;
    if attempt.len() > MAX_PASSWORD_BYTES {
        return Err(AuthError::ReauthenticationRequired(
            "your current password is not right",
        ));
    }
    let caller = admin::Entity::find_by_id(proof.identity.admin_id.clone())
        .one(db)
        .await?
        .ok_or(AuthError::Unauthenticated)?;
    limiter
        .attempt(proof.client, &caller.email)
        .await
        .map_err(|retry_after_secs| AuthError::RateLimited { retry_after_secs })?;
    let stored = caller.password_hash.clone();
    if blocking(move || password::verify(&attempt, &stored)).await? {
        limiter.succeeded(proof.client, &caller.email).await;
        Ok(())
    } else {
        // Counted, never alerted: the caller is signed in already, and an alert about one's
        // own typo would teach coordinators to ignore alerts.
        let _ = limiter.failed(proof.client, &caller.email).await;
        Err(AuthError::ReauthenticationRequired(
            "your current password is not right",
        ))
    }
}

/// A new coordinator, with a first password the caller gives them.
pub async fn add(
    db: &DatabaseConnection,
    limiter: &LoginLimiter,
    proof: Reauthentication<'_>,
    email: &str,
    first_password: String,
) -> Result<Coordinator, AuthError> {
    let by = proof.identity.admin_id.clone();
    reauthenticate(db, limiter, proof).await?;
    let added = create_admin(db, email, first_password).await?;
    audit::record(db, &by, "admin.create", "admin", &added.id, &[]).await?;
    Ok(added.into())
}

/// What one coordinator may do to another's access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Stops them signing in: every session and token of theirs ends in the same transaction.
    Disable,
    /// Lets them sign in again, with the password they had (their old sessions stay ended).
    Enable,
}

impl Access {
    pub fn parse(action: &str) -> Option<Self> {
        match action {
            "disable" => Some(Self::Disable),
            "enable" => Some(Self::Enable),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Enable => "enable",
        }
    }
}

/// Disables or enables a coordinator. The last coordinator who can sign in cannot be disabled
/// (nobody could undo it), also when two coordinators disable each other at the same moment.
/// Asking for what is already so changes nothing and answers the account as it is.
pub async fn change_access(
    db: &DatabaseConnection,
    limiter: &LoginLimiter,
    proof: Reauthentication<'_>,
    id: &str,
    access: Access,
) -> Result<Coordinator, AuthError> {
    let by = proof.identity.admin_id.clone();
    reauthenticate(db, limiter, proof).await?;
    let txn = db::begin_write(db).await?;
    // On PostgreSQL the enabled accounts stay locked until commit, so a second disabling
    // waits and then counts what this one left; SQLite writes one at a time.
    let enabled: Vec<admin::Model> = admin::Entity::find()
        .filter(admin::Column::DisabledAt.is_null())
        .order_by_asc(admin::Column::Id)
        .lock_exclusive()
        .all(&txn)
        .await?;
    let target = admin::Entity::find_by_id(id.to_string())
        .one(&txn)
        .await?
        .ok_or(AuthError::NoSuchAdmin)?;
    if target.disabled_at.is_some() == (access == Access::Disable) {
        return Ok(target.into());
    }
    if access == Access::Disable && enabled.len() <= 1 {
        return Err(AuthError::LastEnabledAdmin);
    }
    let now = Utc::now();
    let changed = admin::ActiveModel {
        id: Set(target.id.clone()),
        disabled_at: Set((access == Access::Disable).then_some(now)),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    if access == Access::Disable {
        end_sessions(&txn, &target.id, now).await?;
    }
    let action = format!("admin.{}", access.name());
    audit::record(&txn, &by, &action, "admin", &target.id, &[]).await?;
    txn.commit().await?;
    Ok(changed.into())
}

async fn end_sessions(
    conn: &impl ConnectionTrait,
    admin_id: &str,
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    admin_session::Entity::update_many()
        .col_expr(
            admin_session::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(admin_session::Column::AdminId.eq(admin_id))
        .filter(admin_session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}
