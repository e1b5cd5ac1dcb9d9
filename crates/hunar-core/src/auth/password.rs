//! Password hashing with argon2id (RustCrypto's `argon2`, OWASP's first choice).
use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;

pub const MIN_LENGTH: usize = 12;
/// A pass phrase of 1,024 bytes is far past any real one; Argon2 would hash anything.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Argon2 takes tens of milliseconds of CPU: keep it off the async executor.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(Into::into)
}

pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

pub fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .and_then(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed))
        .is_ok()
}

/// A hash of no password, verified against when the email is unknown so that a wrong
/// email takes as long as a wrong password (no account enumeration by timing).
pub fn dummy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Jb0wJWi1Cw0hGkT0F3gVHtOlvOjZpXQzNiAwlS4Hh3Y"
}

/// 24 random characters from 144 bits of OS randomness.
pub fn generate() -> String {
    let mut bytes = [0u8; 18];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let h = hash("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong", &h));
        assert_ne!(h, hash("correct horse battery").expect("hash"));
        assert!(PasswordHash::new(dummy_hash()).is_ok());
        assert!(!verify("anything", dummy_hash()));
        assert_eq!(generate().len(), 24);
    }
}
