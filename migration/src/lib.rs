//! Database schema for Hunar: one set of migrations for SQLite and PostgreSQL.
pub use sea_orm_migration::prelude::*;

mod m20261123_000001_foundation;
mod m20261123_000002_orders;
mod m20261123_000003_outbox;
mod m20261123_000004_secrets;
mod m20261124_000005_payments;
mod m20261124_000006_images;
mod m20261125_000007_abuse_limits;
mod m20261125_000008_console;
mod m20261126_000009_catalog_cards;
mod m20261126_000010_artists_with_work;
mod m20261126_000011_backup_runs;
mod m20261126_000012_ledger;
mod m20261126_000013_catalog_price_desc;
mod m20261126_000014_order_holder_indexes;
mod m20261126_000015_catalog_cards_vacuum;
mod m20261206_000016_health_probe;
mod m20261206_000017_buyers_and_organisation;
mod m20261207_000018_consent;
mod m20261207_000019_waiting_orders;
mod m20261207_000020_artwork_texts;
mod m20261207_000021_price_currency;
mod m20261207_000022_admin_lifecycle;
mod m20261207_000023_second_factor;
mod m20261207_000024_buyer_erasure;
mod m20261207_000025_artist_channel;
mod m20261207_000026_outbox_channels;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_foundation::Migration),
            Box::new(m20261123_000002_orders::Migration),
            Box::new(m20261123_000003_outbox::Migration),
            Box::new(m20261123_000004_secrets::Migration),
            Box::new(m20261124_000005_payments::Migration),
            Box::new(m20261124_000006_images::Migration),
            Box::new(m20261125_000007_abuse_limits::Migration),
            Box::new(m20261125_000008_console::Migration),
            Box::new(m20261126_000009_catalog_cards::Migration),
            Box::new(m20261126_000010_artists_with_work::Migration),
            Box::new(m20261126_000011_backup_runs::Migration),
            Box::new(m20261126_000012_ledger::Migration),
            Box::new(m20261126_000013_catalog_price_desc::Migration),
            Box::new(m20261126_000014_order_holder_indexes::Migration),
            Box::new(m20261126_000015_catalog_cards_vacuum::Migration),
            Box::new(m20261206_000016_health_probe::Migration),
            Box::new(m20261206_000017_buyers_and_organisation::Migration),
            Box::new(m20261207_000018_consent::Migration),
            Box::new(m20261207_000019_waiting_orders::Migration),
            Box::new(m20261207_000020_artwork_texts::Migration),
            Box::new(m20261207_000021_price_currency::Migration),
            Box::new(m20261207_000022_admin_lifecycle::Migration),
            Box::new(m20261207_000023_second_factor::Migration),
            Box::new(m20261207_000024_buyer_erasure::Migration),
            Box::new(m20261207_000025_artist_channel::Migration),
            Box::new(m20261207_000026_outbox_channels::Migration),
        ]
    }
}
