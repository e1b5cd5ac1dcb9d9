//! The domain's long-lived services, made once at start-up and shared by every request and
//! worker: what the edge holds of the core besides the database and the settings.
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::rate_limit::LoginLimiter;
use crate::catalog::cards::CardKeeper;
use crate::catalog::reader::CardReader;
use crate::config::Config;
use crate::media::Media;
use crate::orders::attempts::OrderAttempts;
use crate::orders::idempotency::Refusals;
use crate::orders::turns::Turns;
use crate::vault::Vault;

#[derive(Clone)]
pub struct Services {
    /// Reads the public catalog's cards without a trip through the pool.
    pub reader: CardReader,
    /// Keeps the public catalog's cards current; writers pass it into their transaction.
    pub cards: CardKeeper,
    /// Refused order attempts, remembered under their Idempotency-Keys in batches.
    pub refusals: Refusals,
    /// One order write per painting at a time; other buyers wait for its outcome.
    pub turns: Turns,
    /// How often one client may try to place an order.
    pub order_attempts: Arc<OrderAttempts>,
    /// How often one client may try to sign in, and on which account.
    pub login_limiter: Arc<LoginLimiter>,
    /// Seals personal data before it is written (see `vault`).
    pub vault: Vault,
}

impl Services {
    /// Needs a Tokio runtime: refused orders are written by a task of their own.
    pub fn start(db: &DatabaseConnection, config: &Config, media: &Media, vault: Vault) -> Self {
        Self {
            reader: CardReader::new(db, &config.database_url),
            cards: CardKeeper::new(media.clone()),
            refusals: Refusals::spawn(db.clone(), vault.clone()),
            turns: Turns::default(),
            order_attempts: Arc::new(OrderAttempts::new(&config.limits)),
            login_limiter: Arc::new(LoginLimiter::new(&config.limits)),
            vault,
        }
    }
}
