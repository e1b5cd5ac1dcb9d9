//! The email outbox: one row per email, written in the same transaction as the order change
//! that calls for it, delivered by a background worker.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    DedupeKey,
    OrderId,
    Kind,
    Recipient,
    RecipientRole,
    Language,
    Subject,
    BodyText,
    BodyHtml,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    CreatedAt,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(
                        ColumnDef::new(Outbox::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Outbox::DedupeKey)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Outbox::OrderId).string_len(36).null())
                    .col(ColumnDef::new(Outbox::Kind).string_len(60).not_null())
                    .col(ColumnDef::new(Outbox::Recipient).string().not_null())
                    .col(
                        ColumnDef::new(Outbox::RecipientRole)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Outbox::Language).string_len(2).not_null())
                    .col(ColumnDef::new(Outbox::Subject).string().not_null())
                    .col(ColumnDef::new(Outbox::BodyText).text().not_null())
                    .col(ColumnDef::new(Outbox::BodyHtml).text().not_null())
                    .col(ColumnDef::new(Outbox::Status).string_len(10).not_null())
                    .col(ColumnDef::new(Outbox::Attempts).integer().not_null())
                    .col(
                        ColumnDef::new(Outbox::NextAttemptAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Outbox::LockedUntil)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(Outbox::LastError).text().null())
                    .col(
                        ColumnDef::new(Outbox::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Outbox::SentAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .take(),
            )
            .await?;
        let conn = manager.get_connection();
        conn.execute_unprepared("CREATE INDEX outbox_due ON outbox (status, next_attempt_at)")
            .await?;
        conn.execute_unprepared("CREATE INDEX outbox_order ON outbox (order_id)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Outbox::Table).take())
            .await?;
        Ok(())
    }
}
