//! Installation secrets generated on first start (when not given in the environment), shared
//! by every process on the database.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppSecrets {
    Table,
    Name,
    Value,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AppSecrets::Table)
                    .col(
                        ColumnDef::new(AppSecrets::Name)
                            .string_len(60)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(AppSecrets::Value).text().not_null())
                    .col(
                        ColumnDef::new(AppSecrets::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AppSecrets::Table).take())
            .await
    }
}
