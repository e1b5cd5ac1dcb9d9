//! Admins and their sessions, artists, shipping zones, size tiers with per-zone prices,
//! artworks and the admin audit log. Money is an integer of minor units beside its currency
//! (a Decimal column would be a float on SQLite).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Admins {
    Table,
    Id,
    Email,
    PasswordHash,
    CreatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum AdminSessions {
    Table,
    Id,
    AdminId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Artists {
    Table,
    Id,
    Slug,
    DisplayName,
    Bio,
    BioFa,
    DeportedFrom,
    Email,
    Phone,
    PreferredLanguage,
    Notes,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ShippingZones {
    Table,
    Id,
    Name,
    IsFallback,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ZoneCountries {
    Table,
    Country,
    ZoneId,
}

#[derive(DeriveIden)]
enum SizeTiers {
    Table,
    Id,
    Name,
    WidthCm,
    HeightCm,
    ArtistId,
    Currency,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SizeTierPrices {
    Table,
    TierId,
    ZoneId,
    AmountMinor,
}

#[derive(DeriveIden)]
enum Artworks {
    Table,
    Id,
    ArtistId,
    SizeTierId,
    Title,
    Description,
    Medium,
    WidthCm,
    HeightCm,
    Year,
    Status,
    PriceOverrideMinor,
    PriceOverrideCurrency,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    AdminId,
    Action,
    Entity,
    EntityId,
    Detail,
    CreatedAt,
}

fn id<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .string_len(36)
        .not_null()
        .primary_key()
        .take()
}

fn fk_id<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).string_len(36).not_null().take()
}

fn timestamp<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Admins::Table)
                    .col(id(Admins::Id))
                    .col(
                        ColumnDef::new(Admins::Email)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Admins::PasswordHash).string().not_null())
                    .col(timestamp(Admins::CreatedAt))
                    .col(ColumnDef::new(Admins::LastLoginAt).timestamp_with_time_zone())
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AdminSessions::Table)
                    .col(id(AdminSessions::Id))
                    .col(fk_id(AdminSessions::AdminId))
                    .col(
                        ColumnDef::new(AdminSessions::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(timestamp(AdminSessions::CreatedAt))
                    .col(timestamp(AdminSessions::ExpiresAt))
                    .col(ColumnDef::new(AdminSessions::RevokedAt).timestamp_with_time_zone())
                    .foreign_key(
                        ForeignKey::create()
                            .from(AdminSessions::Table, AdminSessions::AdminId)
                            .to(Admins::Table, Admins::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Artists::Table)
                    .col(id(Artists::Id))
                    .col(
                        ColumnDef::new(Artists::Slug)
                            .string_len(80)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Artists::DisplayName).string().not_null())
                    .col(ColumnDef::new(Artists::Bio).text().not_null())
                    .col(ColumnDef::new(Artists::BioFa).text().not_null())
                    .col(ColumnDef::new(Artists::DeportedFrom).string_len(2))
                    .col(ColumnDef::new(Artists::Email).string())
                    .col(ColumnDef::new(Artists::Phone).string())
                    .col(
                        ColumnDef::new(Artists::PreferredLanguage)
                            .string_len(2)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Artists::Notes).text())
                    .col(timestamp(Artists::CreatedAt))
                    .col(timestamp(Artists::UpdatedAt))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ShippingZones::Table)
                    .col(id(ShippingZones::Id))
                    .col(
                        ColumnDef::new(ShippingZones::Name)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(ShippingZones::IsFallback)
                            .boolean()
                            .not_null(),
                    )
                    .col(timestamp(ShippingZones::CreatedAt))
                    .col(timestamp(ShippingZones::UpdatedAt))
                    .take(),
            )
            .await?;
        // At most one "rest of world" zone, enforced by the database so two admins racing
        // cannot both create one. Partial indexes read the same on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX shipping_zones_one_fallback \
                 ON shipping_zones (is_fallback) WHERE is_fallback",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ZoneCountries::Table)
                    // A country belongs to at most one zone: the primary key says so.
                    .col(
                        ColumnDef::new(ZoneCountries::Country)
                            .string_len(2)
                            .not_null()
                            .primary_key(),
                    )
                    .col(fk_id(ZoneCountries::ZoneId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ZoneCountries::Table, ZoneCountries::ZoneId)
                            .to(ShippingZones::Table, ShippingZones::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("zone_countries_zone")
                    .table(ZoneCountries::Table)
                    .col(ZoneCountries::ZoneId)
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SizeTiers::Table)
                    .col(id(SizeTiers::Id))
                    .col(ColumnDef::new(SizeTiers::Name).string().not_null())
                    .col(ColumnDef::new(SizeTiers::WidthCm).integer().not_null())
                    .col(ColumnDef::new(SizeTiers::HeightCm).integer().not_null())
                    .col(ColumnDef::new(SizeTiers::ArtistId).string_len(36))
                    .col(ColumnDef::new(SizeTiers::Currency).string_len(3).not_null())
                    .col(timestamp(SizeTiers::CreatedAt))
                    .col(timestamp(SizeTiers::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SizeTiers::Table, SizeTiers::ArtistId)
                            .to(Artists::Table, Artists::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SizeTierPrices::Table)
                    .col(fk_id(SizeTierPrices::TierId))
                    .col(fk_id(SizeTierPrices::ZoneId))
                    .col(
                        ColumnDef::new(SizeTierPrices::AmountMinor)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(SizeTierPrices::TierId)
                            .col(SizeTierPrices::ZoneId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SizeTierPrices::Table, SizeTierPrices::TierId)
                            .to(SizeTiers::Table, SizeTiers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SizeTierPrices::Table, SizeTierPrices::ZoneId)
                            .to(ShippingZones::Table, ShippingZones::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Artworks::Table)
                    .col(id(Artworks::Id))
                    .col(fk_id(Artworks::ArtistId))
                    .col(fk_id(Artworks::SizeTierId))
                    .col(ColumnDef::new(Artworks::Title).string().not_null())
                    .col(ColumnDef::new(Artworks::Description).text().not_null())
                    .col(ColumnDef::new(Artworks::Medium).string().not_null())
                    .col(ColumnDef::new(Artworks::WidthCm).integer().not_null())
                    .col(ColumnDef::new(Artworks::HeightCm).integer().not_null())
                    .col(ColumnDef::new(Artworks::Year).integer())
                    .col(ColumnDef::new(Artworks::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Artworks::PriceOverrideMinor).big_integer())
                    .col(ColumnDef::new(Artworks::PriceOverrideCurrency).string_len(3))
                    .col(timestamp(Artworks::CreatedAt))
                    .col(timestamp(Artworks::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Artworks::Table, Artworks::ArtistId)
                            .to(Artists::Table, Artists::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Artworks::Table, Artworks::SizeTierId)
                            .to(SizeTiers::Table, SizeTiers::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .take(),
            )
            .await?;
        for (name, cols) in [
            (
                "artworks_status_created",
                vec![Artworks::Status, Artworks::CreatedAt],
            ),
            ("artworks_artist", vec![Artworks::ArtistId]),
            ("artworks_size_tier", vec![Artworks::SizeTierId]),
        ] {
            let mut index = Index::create().name(name).table(Artworks::Table).take();
            for col in cols {
                index.col(col);
            }
            manager.create_index(index).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(id(AuditLog::Id))
                    .col(ColumnDef::new(AuditLog::AdminId).string_len(36))
                    .col(ColumnDef::new(AuditLog::Action).string().not_null())
                    .col(ColumnDef::new(AuditLog::Entity).string().not_null())
                    .col(ColumnDef::new(AuditLog::EntityId).string_len(36).not_null())
                    .col(ColumnDef::new(AuditLog::Detail).text())
                    .col(timestamp(AuditLog::CreatedAt))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_log_entity")
                    .table(AuditLog::Table)
                    .col(AuditLog::EntityId)
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditLog::Table.into_iden(),
            Artworks::Table.into_iden(),
            SizeTierPrices::Table.into_iden(),
            SizeTiers::Table.into_iden(),
            ZoneCountries::Table.into_iden(),
            ShippingZones::Table.into_iden(),
            Artists::Table.into_iden(),
            AdminSessions::Table.into_iden(),
            Admins::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
