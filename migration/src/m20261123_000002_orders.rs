//! Orders with their frozen price snapshot, their status history, idempotency keys for
//! order placement, and the events table later steps (payments, email) consume.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    ArtworkId,
    Status,
    PaymentMethod,
    AccessTokenHash,
    BuyerName,
    BuyerEmail,
    BuyerPhone,
    ShipLine1,
    ShipLine2,
    ShipCity,
    ShipPostalCode,
    ShipRegion,
    ShipCountry,
    Note,
    AmountMinor,
    Currency,
    ZoneId,
    ZoneName,
    TierId,
    TierName,
    ArtworkTitle,
    ArtistId,
    ArtistName,
    PaymentReference,
    Carrier,
    TrackingNumber,
    CreatedAt,
    UpdatedAt,
    ExpiresAt,
    PaidAt,
    ShippedAt,
    DeliveredAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum OrderHistory {
    Table,
    Id,
    OrderId,
    FromStatus,
    ToStatus,
    Actor,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Key,
    RequestHash,
    ResponseStatus,
    ResponseBody,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    Kind,
    OrderId,
    Payload,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Artworks {
    Table,
    Id,
}

fn text<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).string().not_null().take()
}

fn text_null<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).string().null().take()
}

fn ts<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .take()
}

fn ts_null<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().null().take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(
                        ColumnDef::new(Orders::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Orders::ArtworkId).string_len(36).not_null())
                    .col(ColumnDef::new(Orders::Status).string_len(20).not_null())
                    .col(
                        ColumnDef::new(Orders::PaymentMethod)
                            .string_len(10)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Orders::AccessTokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(text(Orders::BuyerName))
                    .col(text(Orders::BuyerEmail))
                    .col(text_null(Orders::BuyerPhone))
                    .col(text(Orders::ShipLine1))
                    .col(text_null(Orders::ShipLine2))
                    .col(text(Orders::ShipCity))
                    .col(text_null(Orders::ShipPostalCode))
                    .col(text_null(Orders::ShipRegion))
                    .col(ColumnDef::new(Orders::ShipCountry).string_len(2).not_null())
                    .col(ColumnDef::new(Orders::Note).text().null())
                    .col(ColumnDef::new(Orders::AmountMinor).big_integer().not_null())
                    .col(ColumnDef::new(Orders::Currency).string_len(3).not_null())
                    .col(ColumnDef::new(Orders::ZoneId).string_len(36).not_null())
                    .col(text(Orders::ZoneName))
                    .col(ColumnDef::new(Orders::TierId).string_len(36).not_null())
                    .col(text(Orders::TierName))
                    .col(text(Orders::ArtworkTitle))
                    .col(ColumnDef::new(Orders::ArtistId).string_len(36).not_null())
                    .col(text(Orders::ArtistName))
                    .col(text_null(Orders::PaymentReference))
                    .col(text_null(Orders::Carrier))
                    .col(text_null(Orders::TrackingNumber))
                    .col(ts(Orders::CreatedAt))
                    .col(ts(Orders::UpdatedAt))
                    .col(ts(Orders::ExpiresAt))
                    .col(ts_null(Orders::PaidAt))
                    .col(ts_null(Orders::ShippedAt))
                    .col(ts_null(Orders::DeliveredAt))
                    .col(ts_null(Orders::ClosedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Orders::Table, Orders::ArtworkId)
                            .to(Artworks::Table, Artworks::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .take(),
            )
            .await?;
        let conn = manager.get_connection();
        // The one-of-a-kind rule, enforced by the database itself: at most one order that
        // holds a painting (pending, paid, shipped or delivered) per artwork, whatever the
        // number of processes. Partial indexes read the same on SQLite and PostgreSQL.
        conn.execute_unprepared(
            "CREATE UNIQUE INDEX orders_one_holder_per_artwork ON orders (artwork_id) \
             WHERE status IN ('pending_payment', 'paid', 'shipped', 'delivered')",
        )
        .await?;
        conn.execute_unprepared(
            "CREATE INDEX orders_status_expires ON orders (status, expires_at)",
        )
        .await?;
        conn.execute_unprepared("CREATE INDEX orders_artwork ON orders (artwork_id)")
            .await?;
        conn.execute_unprepared("CREATE INDEX orders_created ON orders (created_at)")
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrderHistory::Table)
                    .col(
                        ColumnDef::new(OrderHistory::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(OrderHistory::OrderId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OrderHistory::FromStatus)
                            .string_len(20)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(OrderHistory::ToStatus)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(text(OrderHistory::Actor))
                    .col(ColumnDef::new(OrderHistory::Reason).text().null())
                    .col(ts(OrderHistory::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrderHistory::Table, OrderHistory::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .take(),
            )
            .await?;
        conn.execute_unprepared("CREATE INDEX order_history_order ON order_history (order_id)")
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(
                        ColumnDef::new(IdempotencyKeys::Key)
                            .string_len(300)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(IdempotencyKeys::RequestHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IdempotencyKeys::ResponseStatus)
                            .integer()
                            .null(),
                    )
                    .col(ColumnDef::new(IdempotencyKeys::ResponseBody).text().null())
                    .col(ts(IdempotencyKeys::CreatedAt))
                    .col(ts(IdempotencyKeys::ExpiresAt))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(
                        ColumnDef::new(Events::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Events::Kind).string_len(40).not_null())
                    .col(ColumnDef::new(Events::OrderId).string_len(36).not_null())
                    .col(ColumnDef::new(Events::Payload).text().not_null())
                    .col(ts(Events::CreatedAt))
                    .take(),
            )
            .await?;
        conn.execute_unprepared("CREATE INDEX events_order ON events (order_id)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Events::Table.into_iden(),
            IdempotencyKeys::Table.into_iden(),
            OrderHistory::Table.into_iden(),
            Orders::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
