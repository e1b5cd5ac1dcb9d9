//! What a buyer who pays by hand needs to keep their painting, and what the NGO tells them:
//! - each order remembers the buyer's language and time zone (emails and pages in both),
//!   when the buyer said they paid, when they were reminded that the hold ends, and a
//!   payment recorded after the hold ended while the painting was sold to someone else;
//! - the organisation's settings (its name and contact, how to pay it), kept by the console.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Language,
    TimeZone,
    PaidClaimedAt,
    RemindedAt,
    LatePaymentReference,
    LatePaymentAt,
}

#[derive(DeriveIden)]
enum OrganisationSettings {
    Table,
    Name,
    Value,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column a statement: SQLite's ALTER TABLE adds one at a time.
        let columns = [
            ColumnDef::new(Orders::Language)
                .string_len(8)
                .not_null()
                .default("en")
                .take(),
            ColumnDef::new(Orders::TimeZone)
                .string_len(64)
                .null()
                .take(),
            ColumnDef::new(Orders::PaidClaimedAt)
                .timestamp_with_time_zone()
                .null()
                .take(),
            ColumnDef::new(Orders::RemindedAt)
                .timestamp_with_time_zone()
                .null()
                .take(),
            ColumnDef::new(Orders::LatePaymentReference)
                .string_len(200)
                .null()
                .take(),
            ColumnDef::new(Orders::LatePaymentAt)
                .timestamp_with_time_zone()
                .null()
                .take(),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .add_column(&mut column)
                        .take(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(OrganisationSettings::Table)
                    .col(
                        ColumnDef::new(OrganisationSettings::Name)
                            .string_len(60)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(OrganisationSettings::Value)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OrganisationSettings::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OrganisationSettings::UpdatedBy)
                            .string_len(80)
                            .not_null(),
                    )
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OrganisationSettings::Table).take())
            .await?;
        for column in [
            Orders::LatePaymentAt,
            Orders::LatePaymentReference,
            Orders::RemindedAt,
            Orders::PaidClaimedAt,
            Orders::TimeZone,
            Orders::Language,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
