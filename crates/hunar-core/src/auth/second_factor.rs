//! A second factor for coordinators: TOTP (RFC 6238: HMAC-SHA-1, six digits, 30-second steps)
//! from any authenticator app, and ten recovery codes for a lost phone. A phished password is
//! then not enough to open the console, where artists' addresses are.
//!
//! Each code works once: the step it was made for is kept, and a code for that step or an
//! earlier one is refused, also when two sign-ins send it at the same moment. Recovery codes
//! are kept only as Argon2 hashes and are marked used by a conditional update.
use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::Utc;
use entity::{admin, admin_recovery_code, admin_session};
use sea_orm::ExprTrait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter,
};
use serde::Serialize;
use totp_rs::{Algorithm, Secret, TOTP};
use utoipa::ToSchema;

use super::error::{AdminIdentity, AuthError};
use super::password;
use super::password::{MAX_PASSWORD_BYTES, blocking};
use super::rate_limit::LoginLimiter;
use crate::audit;
use crate::client::Client;
use crate::db;
use crate::vault::{Open, Vault};

const DIGITS: usize = 6;
const STEP_SECONDS: u64 = 30;
/// 160 bits, as RFC 4226 recommends.
const SECRET_BYTES: usize = 20;
const RECOVERY_CODES: usize = 10;
/// Ten characters from 32 that cannot be mistaken for each other (no 0/O, no 1/I): 50 bits,
/// hashed with Argon2, so a copied database does not give them away.
const RECOVERY_ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
const RECOVERY_LENGTH: usize = 10;
/// Longer than any code or recovery code, with room for spaces and dashes.
const MAX_CODE_CHARS: usize = 32;

/// What an authenticator app needs: the secret (base32, to type in) and the same as a link
/// (to scan as a QR code).
#[derive(Debug, Serialize, ToSchema)]
pub struct Enrolment {
    pub secret: String,
    pub otpauth_url: String,
}

impl Enrolment {
    /// The link as a QR code, an `<svg>` element to put in a page: drawn here, so no image
    /// service or script ever sees the secret.
    pub fn qr_svg(&self) -> Result<String, AuthError> {
        let code = qrcode::QrCode::new(self.otpauth_url.as_bytes())
            .map_err(|e| AuthError::Internal(anyhow::anyhow!("drawing the QR code: {e}")))?;
        let svg = code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(220, 220)
            .quiet_zone(true)
            .build();
        // The XML declaration belongs to a file, not to an element inside HTML.
        Ok(match svg.find("<svg") {
            Some(start) => svg[start..].to_string(),
            None => svg,
        })
    }
}

pub fn is_on(admin: &admin::Model) -> bool {
    admin.second_factor_on_at.is_some() && admin.second_factor_secret.is_some()
}

/// `:` separates issuer and account in an otpauth link.
fn label(text: &str) -> String {
    text.replace(':', " ")
}

fn totp(secret: &str, issuer: &str, account: &str) -> Result<TOTP, AuthError> {
    let bytes = Secret::Encoded(secret.to_string())
        .to_bytes()
        .map_err(|e| AuthError::Internal(anyhow::anyhow!("a stored secret: {e:?}")))?;
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        0,
        STEP_SECONDS,
        bytes,
        Some(label(issuer)),
        label(account),
    )
    .map_err(|e| AuthError::Internal(anyhow::anyhow!("a TOTP: {e}")))
}

/// Spaces and dashes as people type them; letters in either case; digits from a Dari or
/// Pashto keyboard (۰–۹) or an Arabic one (٠–٩) as the app shows them (0–9).
fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c {
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            other => other,
        })
        .flat_map(char::to_uppercase)
        .collect()
}

/// The time step a six-digit code was made for, if it is one of now's (one step of drift
/// either way, as RFC 6238 suggests for clocks that are a little off).
fn step_of(totp: &TOTP, code: &str, now: u64) -> Option<i64> {
    let current = now / STEP_SECONDS;
    (current.saturating_sub(1)..=current + 1)
        .find(|step| totp.check(code, step * STEP_SECONDS))
        .and_then(|step| i64::try_from(step).ok())
}

fn unix_now() -> u64 {
    u64::try_from(Utc::now().timestamp()).unwrap_or(0)
}

/// Checks a code from the app or a recovery code, and uses it up.
pub(super) async fn use_code(
    db: &impl ConnectionTrait,
    account: &admin::Model,
    code: &str,
) -> Result<bool, AuthError> {
    // A secret still waiting for its first code signs nobody in.
    let (true, Some(sealed)) = (is_on(account), &account.second_factor_secret) else {
        return Ok(false);
    };
    let secret = &sealed.open()?;
    let code = normalise(code);
    if code.len() == DIGITS && code.bytes().all(|b| b.is_ascii_digit()) {
        let totp = totp(secret, "", &account.email)?;
        let Some(step) = step_of(&totp, &code, unix_now()) else {
            return Ok(false);
        };
        // Taken only if no code for this step or a later one was taken before.
        let taken = admin::Entity::update_many()
            .col_expr(admin::Column::SecondFactorLastStep, Expr::value(step))
            .filter(admin::Column::Id.eq(account.id.as_str()))
            .filter(
                admin::Column::SecondFactorLastStep
                    .is_null()
                    .or(admin::Column::SecondFactorLastStep.lt(step)),
            )
            .exec(db)
            .await?;
        return Ok(taken.rows_affected == 1);
    }
    if code.len() != RECOVERY_LENGTH || !code.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)) {
        return Ok(false);
    }
    let unused: Vec<(String, String)> = admin_recovery_code::Entity::find()
        .filter(admin_recovery_code::Column::AdminId.eq(account.id.as_str()))
        .filter(admin_recovery_code::Column::UsedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.code_hash))
        .collect();
    let matched = blocking(move || {
        unused
            .into_iter()
            .find(|(_, hash)| password::verify(&code, hash))
            .map(|(id, _)| id)
    })
    .await?;
    let Some(id) = matched else {
        return Ok(false);
    };
    let used = admin_recovery_code::Entity::update_many()
        .col_expr(admin_recovery_code::Column::UsedAt, Expr::value(Utc::now()))
        .filter(admin_recovery_code::Column::Id.eq(id.as_str()))
        .filter(admin_recovery_code::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(used.rows_affected == 1)
}

async fn account_of(
    db: &DatabaseConnection,
    identity: &AdminIdentity,
) -> Result<admin::Model, AuthError> {
    admin::Entity::find_by_id(identity.admin_id.clone())
        .one(db)
        .await?
        .ok_or(AuthError::Unauthenticated)
}

/// A new secret, waiting for a first code to confirm it (a second start replaces it, so a
/// QR code shown on a screen someone photographed can be made worthless before it is used).
pub async fn start(
    db: &DatabaseConnection,
    vault: &Vault,
    identity: &AdminIdentity,
    issuer: &str,
) -> Result<Enrolment, AuthError> {
    let account = account_of(db, identity).await?;
    if is_on(&account) {
        return Err(AuthError::SecondFactorAlreadyOn);
    }
    let mut bytes = [0u8; SECRET_BYTES];
    OsRng.fill_bytes(&mut bytes);
    let secret = Secret::Raw(bytes.to_vec()).to_encoded().to_string();
    // Only while it is off: a confirmation landing meanwhile is not undone.
    let started = admin::Entity::update_many()
        .col_expr(
            admin::Column::SecondFactorSecret,
            Expr::value(vault.seal(&secret)),
        )
        .col_expr(
            admin::Column::SecondFactorLastStep,
            Expr::value(Option::<i64>::None),
        )
        .filter(admin::Column::Id.eq(account.id.as_str()))
        .filter(admin::Column::SecondFactorOnAt.is_null())
        .exec(db)
        .await?;
    if started.rows_affected != 1 {
        return Err(AuthError::SecondFactorAlreadyOn);
    }
    pending(&account.email, &secret, issuer)
}

/// The enrolment started and not yet confirmed, shown again (the console's page reloads).
pub async fn pending_enrolment(
    db: &DatabaseConnection,
    identity: &AdminIdentity,
    issuer: &str,
) -> Result<Option<Enrolment>, AuthError> {
    let account = account_of(db, identity).await?;
    match (&account.second_factor_secret, account.second_factor_on_at) {
        (Some(secret), None) => pending(&account.email, &secret.open()?, issuer).map(Some),
        _ => Ok(None),
    }
}

fn pending(email: &str, secret: &str, issuer: &str) -> Result<Enrolment, AuthError> {
    Ok(Enrolment {
        secret: secret.to_string(),
        otpauth_url: totp(secret, issuer, email)?.get_url(),
    })
}

/// Whether the caller's own account has a second factor on.
pub async fn status(db: &DatabaseConnection, identity: &AdminIdentity) -> Result<bool, AuthError> {
    Ok(is_on(&account_of(db, identity).await?))
}

fn recovery_code() -> String {
    let mut bytes = [0u8; RECOVERY_LENGTH];
    OsRng.fill_bytes(&mut bytes);
    let code: String = bytes
        .iter()
        .map(|b| RECOVERY_ALPHABET[usize::from(b % 32)] as char)
        .collect();
    format!("{}-{}", &code[..5], &code[5..])
}

/// The first code from the app turns the second factor on; the ten recovery codes are
/// returned once and kept only hashed.
pub async fn confirm(
    db: &DatabaseConnection,
    limiter: &LoginLimiter,
    client: Client,
    identity: &AdminIdentity,
    code: &str,
) -> Result<Vec<String>, AuthError> {
    let account = account_of(db, identity).await?;
    if is_on(&account) {
        return Err(AuthError::SecondFactorAlreadyOn);
    }
    let Some(sealed) = account.second_factor_secret.clone() else {
        return Err(AuthError::SecondFactorNotStarted);
    };
    let secret = sealed.open()?;
    if code.chars().count() > MAX_CODE_CHARS {
        return Err(AuthError::CodeNotRight);
    }
    limited(limiter, client, &account.email).await?;
    let code = normalise(code);
    let step = step_of(&totp(&secret, "", &account.email)?, &code, unix_now());
    let Some(step) = step.filter(|_| code.len() == DIGITS) else {
        let _ = limiter.failed(client, &account.email).await;
        return Err(AuthError::CodeNotRight);
    };
    limiter.succeeded(client, &account.email).await;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    let plain = codes.clone();
    let hashes = blocking(move || {
        plain
            .iter()
            .map(|c| password::hash(&normalise(c)))
            .collect::<anyhow::Result<Vec<_>>>()
    })
    .await??;
    let txn = db::begin_write(db).await?;
    let turned_on = admin::Entity::update_many()
        .col_expr(admin::Column::SecondFactorOnAt, Expr::value(Utc::now()))
        .col_expr(admin::Column::SecondFactorLastStep, Expr::value(step))
        .filter(admin::Column::Id.eq(account.id.as_str()))
        .filter(admin::Column::SecondFactorSecret.eq(sealed))
        .filter(admin::Column::SecondFactorOnAt.is_null())
        .exec(&txn)
        .await?;
    // Another start or confirmation got there first: this secret is not the one kept.
    if turned_on.rows_affected != 1 {
        return Err(AuthError::SecondFactorNotStarted);
    }
    admin_recovery_code::Entity::delete_many()
        .filter(admin_recovery_code::Column::AdminId.eq(account.id.as_str()))
        .exec(&txn)
        .await?;
    let now = Utc::now();
    for hash in hashes {
        admin_recovery_code::ActiveModel {
            id: Set(db::new_id()),
            admin_id: Set(account.id.clone()),
            code_hash: Set(hash),
            created_at: Set(now),
            used_at: Set(None),
        }
        .insert(&txn)
        .await?;
    }
    // A session opened with the password alone (phished, and under REQUIRE_SECOND_FACTOR held
    // to this setup) must not go on with what the second factor now guards.
    admin_session::Entity::update_many()
        .col_expr(admin_session::Column::RevokedAt, Expr::value(now))
        .filter(admin_session::Column::AdminId.eq(account.id.as_str()))
        .filter(admin_session::Column::Id.ne(identity.session_id.as_str()))
        .filter(admin_session::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        &account.id,
        "second_factor.on",
        "admin",
        &account.id,
        &[],
    )
    .await?;
    txn.commit().await?;
    Ok(codes)
}

async fn limited(limiter: &LoginLimiter, client: Client, email: &str) -> Result<(), AuthError> {
    limiter
        .attempt(client, email)
        .await
        .map(|_| ())
        .map_err(|retry_after_secs| AuthError::RateLimited { retry_after_secs })
}

/// Turns the second factor off, proven by the password and a code (or a recovery code).
pub async fn turn_off(
    db: &DatabaseConnection,
    limiter: &LoginLimiter,
    client: Client,
    identity: &AdminIdentity,
    password_attempt: String,
    code: &str,
) -> Result<(), AuthError> {
    let account = account_of(db, identity).await?;
    if !is_on(&account) {
        return Err(AuthError::SecondFactorOff);
    }
    if password_attempt.is_empty() || password_attempt.len() > MAX_PASSWORD_BYTES {
        return Err(AuthError::ReauthenticationRequired(
            "your current password is not right",
        ));
    }
    if code.chars().count() > MAX_CODE_CHARS {
        return Err(AuthError::CodeNotRight);
    }
    limited(limiter, client, &account.email).await?;
    let stored = account.password_hash.clone();
    if !blocking(move || password::verify(&password_attempt, &stored)).await? {
        let _ = limiter.failed(client, &account.email).await;
        return Err(AuthError::ReauthenticationRequired(
            "your current password is not right",
        ));
    }
    if !use_code(db, &account, code).await? {
        let _ = limiter.failed(client, &account.email).await;
        return Err(AuthError::CodeNotRight);
    }
    limiter.succeeded(client, &account.email).await;
    let txn = db::begin_write(db).await?;
    admin::ActiveModel {
        id: Set(account.id.clone()),
        second_factor_secret: Set(None),
        second_factor_on_at: Set(None),
        second_factor_last_step: Set(None),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    admin_recovery_code::Entity::delete_many()
        .filter(admin_recovery_code::Column::AdminId.eq(account.id.as_str()))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        &account.id,
        "second_factor.off",
        "admin",
        &account.id,
        &[],
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The code an authenticator app would show now for this secret (the tests sign in with it,
/// as a coordinator's phone would).
pub fn code_now(secret: &str) -> Result<String, AuthError> {
    Ok(totp(secret, "", "x")?.generate(unix_now()))
}

/// The code for the next 30-second step (a test that needs a second, unused code).
pub fn code_next_step(secret: &str) -> Result<String, AuthError> {
    Ok(totp(secret, "", "x")?.generate(unix_now() + STEP_SECONDS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_test_vector() {
        // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (eight digits) ends in 287082.
        let secret = Secret::Raw(b"12345678901234567890".to_vec())
            .to_encoded()
            .to_string();
        let totp = totp(&secret, "Hunar", "a@example.org").expect("totp");
        assert_eq!(totp.generate(59), "287082");
        assert_eq!(step_of(&totp, "287082", 59), Some(1));
        assert_eq!(step_of(&totp, "287082", 59 + 30), Some(1), "one step late");
        assert_eq!(step_of(&totp, "287082", 59 + 60), None, "two steps late");
        assert!(
            totp.get_url()
                .starts_with("otpauth://totp/Hunar:a%40example.org?secret=")
        );
    }

    #[test]
    fn codes_typed_on_a_dari_or_arabic_keyboard_read_as_the_app_shows_them() {
        assert_eq!(normalise("۰۸۷ ۹۵۱"), "087951");
        assert_eq!(normalise("٠٨٧-٩٥١"), "087951");
        assert_eq!(normalise("ab2c3-d4e5f"), "AB2C3D4E5F");
    }

    #[test]
    fn recovery_codes_read_as_typed() {
        let code = recovery_code();
        assert_eq!(code.len(), RECOVERY_LENGTH + 1);
        assert_eq!(normalise(&code.to_lowercase().replace('-', " ")).len(), 10);
        assert_ne!(recovery_code(), recovery_code());
    }
}
