//! What every request handler can reach.
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::rate_limit::LoginLimiter;
use crate::catalog::cache::CatalogCache;
use crate::catalog::cards::CardKeeper;
use crate::config::Config;
use crate::media::Media;
use crate::notifications::MailSettings;
use crate::payments::StripeGateway;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// Reads the public catalog's cards without a trip through the pool.
    pub reader: crate::catalog::reader::CardReader,
    pub config: Arc<Config>,
    pub login_limiter: Arc<LoginLimiter>,
    pub catalog_cache: CatalogCache,
    pub mail: Arc<MailSettings>,
    /// None when card payments are not configured.
    pub payments: Option<Arc<StripeGateway>>,
    pub media: Media,
    /// Keeps the public catalog's cards current; writers pass it into their transaction.
    pub cards: CardKeeper,
    /// Refused order attempts, remembered under their Idempotency-Keys in batches.
    pub refusals: crate::orders::idempotency::Refusals,
    /// One order write per painting at a time; other buyers wait for its outcome.
    pub turns: crate::orders::turns::Turns,
    /// How often one client may try to place an order.
    pub order_attempts: Arc<crate::orders::attempts::OrderAttempts>,
    /// Whether the database can take a write, and how full the disks are.
    pub storage: crate::storage::StorageWatch,
    /// The organisation's name, contact and ways to pay, as pages show them.
    pub organisation: crate::organisation::Kept,
}
