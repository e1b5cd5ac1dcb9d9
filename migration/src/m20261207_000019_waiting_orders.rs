//! An order placed from a connection that already holds its share of unconfirmed orders
//! waits for its buyer's email confirmation without holding the painting
//! (`awaiting_confirmation`). Such orders still send an email each, so one client may keep
//! only a few waiting at once: each takes a numbered slot of its client, and this unique
//! index refuses a second order in the same slot across every process, as
//! `orders_client_hold` does for the orders that hold a painting.
//!
//! `awaiting_confirmation` is longer than the 20 characters the status columns were made
//! with; PostgreSQL holds them to it (SQLite does not check a length), so they widen there.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE orders ALTER COLUMN status TYPE varchar(32); \
                     ALTER TABLE order_history ALTER COLUMN from_status TYPE varchar(32); \
                     ALTER TABLE order_history ALTER COLUMN to_status TYPE varchar(32)",
                )
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX orders_client_waiting ON orders (client_key, client_slot) \
                 WHERE status = 'awaiting_confirmation'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX orders_client_waiting")
            .await?;
        Ok(())
    }
}
