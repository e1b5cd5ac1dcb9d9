//! SeaORM entities for Hunar's tables. Only row shapes live here; rules live in the server.
pub mod admin;
pub mod admin_session;
pub mod app_secret;
pub mod artist;
pub mod artwork;
pub mod audit_log;
pub mod event;
pub mod idempotency_key;
pub mod order;
pub mod order_history;
pub mod outbox;
pub mod payment;
pub mod shipping_zone;
pub mod size_tier;
pub mod size_tier_price;
pub mod stripe_event;
pub mod zone_country;
