//! On SQLite the catalog's indexes carry the card itself, so a page is read from the index
//! alone: with the card only in the table, each of a page's 24 cards was a seek into the
//! table, a fifth of a page's time. SQLite puts no limit on an index entry (a long one
//! continues on overflow pages); each card is then stored once per index as well, about
//! 0.6 kB for each painting and zone. PostgreSQL keeps its indexes as they are: a b-tree
//! entry there is limited to about 2.7 kB, which a card with a long description exceeds,
//! and its deep pages already skip through the index alone (migration 9's notes).
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// Each index of migrations 9 and 13: name, key columns.
const INDEXES: [(&str, &str); 5] = [
    (
        "catalog_cards_newest",
        "zone_id, status, created_at DESC, artwork_id DESC",
    ),
    (
        "catalog_cards_price",
        "zone_id, status, price_minor, artwork_id DESC",
    ),
    (
        "catalog_cards_price_desc",
        "zone_id, status, price_minor DESC, artwork_id DESC",
    ),
    (
        "catalog_cards_artist",
        "zone_id, artist_slug, status, created_at DESC, artwork_id DESC",
    ),
    (
        "catalog_cards_tier",
        "zone_id, size_tier_id, status, created_at DESC, artwork_id DESC",
    ),
];

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn recreate(manager: &SchemaManager<'_>, with_card: bool) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Sqlite {
        return Ok(());
    }
    let conn = manager.get_connection();
    for (name, columns) in INDEXES {
        let card = if with_card { ", card" } else { "" };
        conn.execute_unprepared(&format!("DROP INDEX {name}"))
            .await?;
        conn.execute_unprepared(&format!(
            "CREATE INDEX {name} ON catalog_cards ({columns}{card})"
        ))
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction, so on one connection: SQLite's migrations otherwise run each
    /// statement on whichever pooled connection is free, and one that had not yet seen the
    /// index dropped refused to create it again ("already exists"), leaving it dropped.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        recreate(manager, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        recreate(manager, false).await
    }
}
