//! Photos: one row per uploaded picture (an artwork's, in order, or an artist's portrait),
//! with the keys of its stored variants. The original upload is never stored.
use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum Images {
    Table,
    Id,
    ArtworkId,
    ArtistId,
    Position,
    Alt,
    Width,
    Height,
    Variants,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Artworks {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Artists {
    Table,
    Id,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Images::Table)
                    .col(
                        ColumnDef::new(Images::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Images::ArtworkId).string_len(36).null())
                    .col(ColumnDef::new(Images::ArtistId).string_len(36).null())
                    .col(ColumnDef::new(Images::Position).integer().not_null())
                    .col(ColumnDef::new(Images::Alt).text().not_null())
                    .col(ColumnDef::new(Images::Width).integer().not_null())
                    .col(ColumnDef::new(Images::Height).integer().not_null())
                    .col(ColumnDef::new(Images::Variants).text().not_null())
                    .col(
                        ColumnDef::new(Images::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Images::Table, Images::ArtworkId)
                            .to(Artworks::Table, Artworks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Images::Table, Images::ArtistId)
                            .to(Artists::Table, Artists::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        let conn = manager.get_connection();
        conn.execute_unprepared("CREATE INDEX images_artwork ON images (artwork_id, position)")
            .await?;
        conn.execute_unprepared("CREATE INDEX images_artist ON images (artist_id)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Images::Table).take())
            .await
    }
}
