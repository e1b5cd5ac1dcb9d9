//! PostgreSQL reads the pages past the first by skipping through an index alone, which it
//! can do only on the table's pages marked all-visible; every card an order or an edit
//! rewrites clears that mark for its page until the table is vacuumed. By default autovacuum
//! waits for a fifth of the table to change, so a busy day's cards would be read from the
//! table again. The cards are a few thousand small rows: vacuuming them after every 1 %
//! (plus 50 rows) costs milliseconds. SQLite has no such mark and nothing to set.
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
                    "ALTER TABLE catalog_cards SET (autovacuum_vacuum_scale_factor = 0.01, \
                     autovacuum_vacuum_insert_scale_factor = 0.01, \
                     autovacuum_analyze_scale_factor = 0.05)",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE catalog_cards RESET (autovacuum_vacuum_scale_factor, \
                     autovacuum_vacuum_insert_scale_factor, autovacuum_analyze_scale_factor)",
                )
                .await?;
        }
        Ok(())
    }
}
