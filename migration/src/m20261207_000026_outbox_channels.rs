//! The outbox carries WhatsApp messages beside emails: each row's channel, the id Meta gave
//! a message (so a status update finds it, and a message is never recorded twice), and the
//! email held back to go out only if the WhatsApp message it stands in for fails for good.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Channel,
    ProviderMessageId,
    FallbackFor,
}

const PROVIDER_INDEX: &str = "idx_outbox_provider_message_id";
const FALLBACK_INDEX: &str = "idx_outbox_fallback_for";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ColumnDef::new(Outbox::Channel)
                .string_len(16)
                .not_null()
                .default("email")
                .take(),
            ColumnDef::new(Outbox::ProviderMessageId)
                .string_len(255)
                .null()
                .take(),
            ColumnDef::new(Outbox::FallbackFor)
                .string_len(36)
                .null()
                .take(),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Outbox::Table)
                        .add_column(&mut column)
                        .take(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(PROVIDER_INDEX)
                    .table(Outbox::Table)
                    .col(Outbox::ProviderMessageId)
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(FALLBACK_INDEX)
                    .table(Outbox::Table)
                    .col(Outbox::FallbackFor)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for index in [FALLBACK_INDEX, PROVIDER_INDEX] {
            manager
                .drop_index(Index::drop().name(index).table(Outbox::Table).to_owned())
                .await?;
        }
        for column in [
            Outbox::FallbackFor,
            Outbox::ProviderMessageId,
            Outbox::Channel,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Outbox::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
