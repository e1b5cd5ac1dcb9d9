//! The public catalog's read model: one row per painting and destination zone holding the
//! card exactly as the public API serves it, with the keys it is filtered and sorted by.
//! Writes keep it current in their own transaction; a status change (orders reserve, sell
//! and release paintings in many places, some in a single PostgreSQL statement) is mirrored
//! by a trigger, so no write path can forget it. `read_models` records which card format
//! the rows were built with, so a new format rebuilds them at start-up.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveIden)]
enum CatalogCards {
    Table,
    ZoneId,
    ArtworkId,
    Status,
    ArtistId,
    ArtistSlug,
    SizeTierId,
    CreatedAt,
    PriceMinor,
    Card,
}

#[derive(DeriveIden)]
enum ReadModels {
    Table,
    Name,
    Version,
}

#[derive(DeriveIden)]
enum Artworks {
    Table,
    Id,
}

/// Every public filter and sort, each ending in the tie-breaker the pages use.
const INDEXES: [(&str, &str); 4] = [
    (
        "catalog_cards_newest",
        "(zone_id, status, created_at DESC, artwork_id DESC)",
    ),
    (
        "catalog_cards_price",
        "(zone_id, status, price_minor, artwork_id DESC)",
    ),
    (
        "catalog_cards_artist",
        "(zone_id, artist_slug, status, created_at DESC, artwork_id DESC)",
    ),
    (
        "catalog_cards_tier",
        "(zone_id, size_tier_id, status, created_at DESC, artwork_id DESC)",
    ),
];

/// The card holds `"status":"…"` once, as a key of the top-level object (every quote inside
/// a JSON string is escaped, so no text a coordinator types can look like it).
const SQLITE_TRIGGER: &str = r#"
CREATE TRIGGER catalog_cards_status AFTER UPDATE OF status ON artworks
WHEN OLD.status IS NOT NEW.status
BEGIN
  UPDATE catalog_cards
     SET status = NEW.status,
         card = REPLACE(card, '"status":"' || OLD.status || '"', '"status":"' || NEW.status || '"')
   WHERE artwork_id = NEW.id;
END"#;

const POSTGRES_FUNCTION: &str = r#"
CREATE FUNCTION catalog_cards_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE catalog_cards
     SET status = NEW.status,
         card = REPLACE(card, '"status":"' || OLD.status || '"', '"status":"' || NEW.status || '"')
   WHERE artwork_id = NEW.id;
  RETURN NULL;
END
$$"#;

const POSTGRES_TRIGGER: &str = "CREATE TRIGGER catalog_cards_status AFTER UPDATE OF status ON \
     artworks FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) \
     EXECUTE FUNCTION catalog_cards_status()";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CatalogCards::Table)
                    // '' for the card without a destination (every zone's price).
                    .col(
                        ColumnDef::new(CatalogCards::ZoneId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogCards::ArtworkId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogCards::Status)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogCards::ArtistId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogCards::ArtistSlug)
                            .string_len(120)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogCards::SizeTierId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogCards::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogCards::PriceMinor)
                            .big_integer()
                            .null(),
                    )
                    .col(ColumnDef::new(CatalogCards::Card).text().not_null())
                    .primary_key(
                        Index::create()
                            .col(CatalogCards::ZoneId)
                            .col(CatalogCards::ArtworkId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CatalogCards::Table, CatalogCards::ArtworkId)
                            .to(Artworks::Table, Artworks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReadModels::Table)
                    .col(
                        ColumnDef::new(ReadModels::Name)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ReadModels::Version).text().not_null())
                    .to_owned(),
            )
            .await?;
        let conn = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for (name, columns) in INDEXES {
            // Not `INCLUDE (card)` on PostgreSQL: a b-tree entry is limited to about 2.7 kB,
            // and a card with a long description and many photos is larger.
            conn.execute_unprepared(&format!("CREATE INDEX {name} ON catalog_cards {columns}"))
                .await?;
        }
        conn.execute_unprepared("CREATE INDEX catalog_cards_artwork ON catalog_cards (artwork_id)")
            .await?;
        if postgres {
            conn.execute_unprepared(POSTGRES_FUNCTION).await?;
            conn.execute_unprepared(POSTGRES_TRIGGER).await?;
        } else {
            conn.execute_unprepared(SQLITE_TRIGGER).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            conn.execute_unprepared("DROP TRIGGER catalog_cards_status ON artworks")
                .await?;
            conn.execute_unprepared("DROP FUNCTION catalog_cards_status()")
                .await?;
        } else {
            conn.execute_unprepared("DROP TRIGGER catalog_cards_status")
                .await?;
        }
        manager
            .drop_table(Table::drop().table(ReadModels::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CatalogCards::Table).to_owned())
            .await
    }
}
