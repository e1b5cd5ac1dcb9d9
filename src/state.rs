//! What every request handler can reach: the database, the settings, the core's services,
//! and the adapters to the world outside (the media store, the mail settings, Stripe, the
//! disks, the cache of built catalog pages).
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::catalog::cache::CatalogCache;
use crate::config::Config;
use crate::media::Media;
use crate::notifications::MailSettings;
use crate::payments::StripeGateway;
use crate::services::Services;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    /// The domain's long-lived services (see `hunar_core::services`).
    pub core: Services,
    pub catalog_cache: CatalogCache,
    pub mail: Arc<MailSettings>,
    /// None when card payments are not configured.
    pub payments: Option<Arc<StripeGateway>>,
    pub media: Media,
    /// Whether the database can take a write, and how full the disks are.
    pub storage: crate::storage::StorageWatch,
    /// The organisation's name, contact and ways to pay, as pages show them.
    pub organisation: crate::organisation::Kept,
}
