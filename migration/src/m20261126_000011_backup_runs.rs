//! Every backup, manual or scheduled, leaves a row: when, where, how big and whether it
//! worked, so the coordinator can see that the last good one is recent.
use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum BackupRuns {
    Table,
    Id,
    StartedAt,
    FinishedAt,
    Outcome,
    Trigger,
    Location,
    Snapshot,
    Bytes,
    Files,
    Error,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BackupRuns::Table)
                    .col(
                        ColumnDef::new(BackupRuns::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(BackupRuns::StartedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(BackupRuns::FinishedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    // "ok" or "failed".
                    .col(
                        ColumnDef::new(BackupRuns::Outcome)
                            .string_len(16)
                            .not_null(),
                    )
                    // "manual" or "scheduled".
                    .col(
                        ColumnDef::new(BackupRuns::Trigger)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(BackupRuns::Location).text().not_null())
                    .col(ColumnDef::new(BackupRuns::Snapshot).string_len(64))
                    .col(ColumnDef::new(BackupRuns::Bytes).big_integer().not_null())
                    .col(ColumnDef::new(BackupRuns::Files).big_integer().not_null())
                    .col(ColumnDef::new(BackupRuns::Error).text())
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX backup_runs_finished ON backup_runs (outcome, finished_at)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(BackupRuns::Table).to_owned())
            .await
    }
}
