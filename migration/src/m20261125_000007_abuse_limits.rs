//! Limits on what an anonymous client can set off. Orders remember which client and which
//! buyer address placed them (as keys, not addresses) and take one of a few numbered hold
//! slots; a unique index over the open (`pending_payment`) orders makes the caps hold across
//! every process on one database, with no counter to keep in step. Addresses that have shown
//! they belong to the buyer are remembered; the others get a few emails a day at most.
use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum Orders {
    Table,
    ClientKey,
    ClientSlot,
    EmailKey,
    EmailSlot,
    HoldConfirmedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    QuotaChecked,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Client,
}

#[derive(DeriveIden)]
enum MailQuota {
    Table,
    Recipient,
    Day,
    Sent,
}

#[derive(DeriveIden)]
enum EmailConfirmations {
    Table,
    Email,
    ConfirmedAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for column in [
            ColumnDef::new(Orders::ClientKey)
                .string_len(64)
                .null()
                .to_owned(),
            ColumnDef::new(Orders::ClientSlot)
                .integer()
                .null()
                .to_owned(),
            ColumnDef::new(Orders::EmailKey)
                .string_len(254)
                .null()
                .to_owned(),
            ColumnDef::new(Orders::EmailSlot)
                .integer()
                .null()
                .to_owned(),
            ColumnDef::new(Orders::HoldConfirmedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(
                        ColumnDef::new(Outbox::QuotaChecked)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .add_column(ColumnDef::new(AuditLog::Client).string_len(64).null())
                    .to_owned(),
            )
            .await?;
        // Partial unique indexes: the same SQL on SQLite and PostgreSQL. An order leaves the
        // index (and frees its slot) the moment it stops waiting for payment.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX orders_client_hold ON orders (client_key, client_slot) \
             WHERE status = 'pending_payment'",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX orders_email_hold ON orders (email_key, email_slot) \
             WHERE status = 'pending_payment'",
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(MailQuota::Table)
                    .col(
                        ColumnDef::new(MailQuota::Recipient)
                            .string_len(254)
                            .not_null(),
                    )
                    .col(ColumnDef::new(MailQuota::Day).string_len(10).not_null())
                    .col(ColumnDef::new(MailQuota::Sent).integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(MailQuota::Recipient)
                            .col(MailQuota::Day),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EmailConfirmations::Table)
                    .col(
                        ColumnDef::new(EmailConfirmations::Email)
                            .string_len(254)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(EmailConfirmations::ConfirmedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EmailConfirmations::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MailQuota::Table).to_owned())
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX orders_email_hold")
            .await?;
        db.execute_unprepared("DROP INDEX orders_client_hold")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .drop_column(AuditLog::Client)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .drop_column(Outbox::QuotaChecked)
                    .to_owned(),
            )
            .await?;
        for column in [
            Orders::HoldConfirmedAt,
            Orders::EmailSlot,
            Orders::EmailKey,
            Orders::ClientSlot,
            Orders::ClientKey,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
