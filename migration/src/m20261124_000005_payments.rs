//! Card payments: one row per payment attempt (a Stripe Checkout Session) and the ids of
//! Stripe events already handled, so a replayed webhook changes nothing.
use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    OrderId,
    Provider,
    SessionId,
    PaymentIntentId,
    CheckoutUrl,
    AmountMinor,
    Currency,
    Status,
    RefundId,
    AmountRefundedMinor,
    EventIds,
    Flag,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StripeEvents {
    Table,
    Id,
    Kind,
    OrderId,
    Outcome,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

fn ts<T: IntoIden>(col: T) -> ColumnDef {
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
                    .table(Payments::Table)
                    .col(
                        ColumnDef::new(Payments::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Payments::OrderId).string_len(36).not_null())
                    .col(ColumnDef::new(Payments::Provider).string_len(20).not_null())
                    // Unique: a webhook finds its payment by session id, and one session
                    // never belongs to two attempts.
                    .col(
                        ColumnDef::new(Payments::SessionId)
                            .string_len(255)
                            .null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Payments::PaymentIntentId)
                            .string_len(255)
                            .null(),
                    )
                    .col(ColumnDef::new(Payments::CheckoutUrl).text().null())
                    .col(
                        ColumnDef::new(Payments::AmountMinor)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Payments::Currency).string_len(3).not_null())
                    .col(ColumnDef::new(Payments::Status).string_len(20).not_null())
                    .col(ColumnDef::new(Payments::RefundId).string_len(255).null())
                    .col(
                        ColumnDef::new(Payments::AmountRefundedMinor)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(Payments::EventIds).text().not_null())
                    .col(ColumnDef::new(Payments::Flag).text().null())
                    .col(ts(Payments::CreatedAt))
                    .col(ts(Payments::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Payments::Table, Payments::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .take(),
            )
            .await?;
        let conn = manager.get_connection();
        conn.execute_unprepared("CREATE INDEX payments_order ON payments (order_id)")
            .await?;
        conn.execute_unprepared(
            "CREATE INDEX payments_payment_intent ON payments (payment_intent_id)",
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(StripeEvents::Table)
                    .col(
                        ColumnDef::new(StripeEvents::Id)
                            .string_len(255)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(StripeEvents::Kind)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(StripeEvents::OrderId).string_len(36).null())
                    .col(ColumnDef::new(StripeEvents::Outcome).text().not_null())
                    .col(ts(StripeEvents::ReceivedAt))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StripeEvents::Table).take())
            .await?;
        manager
            .drop_table(Table::drop().table(Payments::Table).take())
            .await
    }
}
