//! Buyers' access tokens: HMAC-SHA256 of the order id under an installation secret, so an
//! email sent days after the order (the paid receipt) can carry the buyer's private link.
//! Only the token's SHA-256 is stored with the order. The secret comes from TOKEN_SECRET,
//! or is generated once and kept in the database so every process shares it.
use std::sync::Arc;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::Engine;
use hmac::{Hmac, Mac};
use sea_orm::{DatabaseConnection, DbErr};
use sha2::Sha256;

const SECRET_NAME: &str = "order_token_key";

#[derive(Clone)]
pub struct OrderTokens {
    key: Arc<Vec<u8>>,
}

impl std::fmt::Debug for OrderTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OrderTokens(..)")
    }
}

impl OrderTokens {
    pub fn new(key: Vec<u8>) -> Self {
        Self { key: Arc::new(key) }
    }

    /// The configured secret, else the one stored in the database (created on first use).
    pub async fn load(db: &DatabaseConnection, configured: Option<&str>) -> Result<Self, DbErr> {
        if let Some(secret) = configured {
            return Ok(Self::new(secret.as_bytes().to_vec()));
        }
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let fresh = base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes);
        // Two processes starting together: the first insert wins, both read it back.
        let stored = crate::vault::state::record_once(db, SECRET_NAME, &fresh).await?;
        Ok(Self::new(stored.into_bytes()))
    }

    /// The access token of `order_id`: 256 bits, URL-safe.
    pub fn token(&self, order_id: &str) -> String {
        self.derive(b"hunar order access\0", order_id)
    }

    /// A token for `subject` under this secret, kept apart from other uses by `purpose`.
    pub fn derive(&self, purpose: &[u8], subject: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(purpose);
        mac.update(subject.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_per_order_and_per_secret() {
        let a = OrderTokens::new(b"one secret".to_vec());
        let b = OrderTokens::new(b"another secret".to_vec());
        assert_eq!(a.token("o1"), a.token("o1"));
        assert_ne!(a.token("o1"), a.token("o2"));
        assert_ne!(a.token("o1"), b.token("o1"));
        assert_eq!(a.token("o1").len(), 43);
    }
}
