//! A second factor for coordinators: the authenticator's secret (pending until a first code
//! confirms it), the last time step a code was accepted for (a code is good once), and ten
//! recovery codes kept only as hashes, each usable once.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Admins {
    Table,
    Id,
    SecondFactorSecret,
    SecondFactorOnAt,
    SecondFactorLastStep,
}

#[derive(DeriveIden)]
enum AdminRecoveryCodes {
    Table,
    Id,
    AdminId,
    CodeHash,
    CreatedAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [
            ColumnDef::new(Admins::SecondFactorSecret)
                .text()
                .null()
                .take(),
            ColumnDef::new(Admins::SecondFactorOnAt)
                .timestamp_with_time_zone()
                .null()
                .take(),
            ColumnDef::new(Admins::SecondFactorLastStep)
                .big_integer()
                .null()
                .take(),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Admins::Table)
                        .add_column(&mut column)
                        .take(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AdminRecoveryCodes::Table)
                    .col(
                        ColumnDef::new(AdminRecoveryCodes::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(AdminRecoveryCodes::AdminId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AdminRecoveryCodes::CodeHash)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AdminRecoveryCodes::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AdminRecoveryCodes::UsedAt).timestamp_with_time_zone())
                    .foreign_key(
                        ForeignKey::create()
                            .from(AdminRecoveryCodes::Table, AdminRecoveryCodes::AdminId)
                            .to(Admins::Table, Admins::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_admin_recovery_codes_admin")
                    .table(AdminRecoveryCodes::Table)
                    .col(AdminRecoveryCodes::AdminId)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AdminRecoveryCodes::Table).take())
            .await?;
        for column in [
            Admins::SecondFactorLastStep,
            Admins::SecondFactorOnAt,
            Admins::SecondFactorSecret,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Admins::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
