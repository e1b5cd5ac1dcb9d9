//! A painting's description and medium in the shop's languages. The text as written stays in
//! `description` and `medium`, now with the language it is written in (`text_lang`); the
//! others are kept as one JSON object per painting (`{"sv": {"description": …, "medium": …}}`),
//! read and written whole with the painting, so no query ever joins them.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Artworks {
    Table,
    TextLang,
    Translations,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for mut column in [
            ColumnDef::new(Artworks::TextLang)
                .string_len(8)
                .not_null()
                .default("en")
                .to_owned(),
            ColumnDef::new(Artworks::Translations)
                .text()
                .not_null()
                .default("{}")
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Artworks::Table)
                        .add_column(&mut column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Artworks::TextLang, Artworks::Translations] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Artworks::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
