//! A size's price for one zone may be in another currency than the size's own: the Swedish
//! price of a shop-wide size in SEK, the rest of the world's in EUR. Null keeps the size's.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SizeTierPrices {
    Table,
    Currency,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SizeTierPrices::Table)
                    .add_column(
                        ColumnDef::new(SizeTierPrices::Currency)
                            .string_len(3)
                            .null(),
                    )
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SizeTierPrices::Table)
                    .drop_column(SizeTierPrices::Currency)
                    .take(),
            )
            .await
    }
}
