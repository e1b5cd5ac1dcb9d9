//! The artists' own channel: how each artist is told (email, WhatsApp or both), whether their
//! messages say only that there is news, and the link to their own page. The link's token is
//! derived from the installation's secret and the link's generation; only its SHA-256 is
//! kept, so a copied database opens no artist's page.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Artists {
    Table,
    NotifyBy,
    PlainMessages,
    PageGeneration,
    PageTokenHash,
    PageExpiresAt,
}

const PAGE_INDEX: &str = "idx_artists_page_token_hash";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for column in [
            ColumnDef::new(Artists::NotifyBy)
                .string_len(16)
                .not_null()
                .default("email")
                .take(),
            ColumnDef::new(Artists::PlainMessages)
                .boolean()
                .not_null()
                .default(false)
                .take(),
            ColumnDef::new(Artists::PageGeneration)
                .integer()
                .not_null()
                .default(0)
                .take(),
            ColumnDef::new(Artists::PageTokenHash)
                .string_len(64)
                .null()
                .take(),
            ColumnDef::new(Artists::PageExpiresAt)
                .timestamp_with_time_zone()
                .null()
                .take(),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Artists::Table)
                        .add_column(&mut column)
                        .take(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(PAGE_INDEX)
                    .table(Artists::Table)
                    .col(Artists::PageTokenHash)
                    .unique()
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(PAGE_INDEX)
                    .table(Artists::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Artists::PageExpiresAt,
            Artists::PageTokenHash,
            Artists::PageGeneration,
            Artists::PlainMessages,
            Artists::NotifyBy,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Artists::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
