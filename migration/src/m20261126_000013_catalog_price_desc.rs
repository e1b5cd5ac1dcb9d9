//! Highest price first is ordered `price_minor DESC, artwork_id DESC`: the price index
//! (`price_minor, artwork_id DESC`) read backwards gives `artwork_id ASC` among equal
//! prices, so every such page sorted the zone's cards first. This index reads in the
//! page's own order.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX catalog_cards_price_desc ON catalog_cards \
                 (zone_id, status, price_minor DESC, artwork_id DESC)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX catalog_cards_price_desc")
            .await?;
        Ok(())
    }
}
