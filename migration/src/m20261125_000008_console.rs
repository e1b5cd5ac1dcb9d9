//! The console: each admin's time zone (dates are shown in it), and which kind of client a
//! session belongs to, so a coordinator can see and revoke their browser sessions apart from
//! the API tokens a script holds.
use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum Admins {
    Table,
    TimeZone,
}

#[derive(DeriveIden)]
enum AdminSessions {
    Table,
    Kind,
    Client,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Admins::Table)
                    .add_column(
                        ColumnDef::new(Admins::TimeZone)
                            .string_len(64)
                            .not_null()
                            .default("UTC"),
                    )
                    .to_owned(),
            )
            .await?;
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for column in [
            ColumnDef::new(AdminSessions::Kind)
                .string_len(16)
                .not_null()
                .default("api")
                .to_owned(),
            ColumnDef::new(AdminSessions::Client)
                .string_len(64)
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AdminSessions::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        // What the console's lists filter and sort by, with thousands of orders.
        let conn = manager.get_connection();
        for sql in [
            "CREATE INDEX orders_status_created ON orders (status, created_at)",
            "CREATE INDEX payments_flagged ON payments (updated_at) WHERE flag IS NOT NULL",
            "CREATE INDEX audit_log_created ON audit_log (created_at)",
            "CREATE INDEX outbox_created ON outbox (created_at)",
        ] {
            conn.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        for index in [
            "orders_status_created",
            "payments_flagged",
            "audit_log_created",
            "outbox_created",
        ] {
            conn.execute_unprepared(&format!("DROP INDEX {index}"))
                .await?;
        }
        for column in [AdminSessions::Client, AdminSessions::Kind] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AdminSessions::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Admins::Table)
                    .drop_column(Admins::TimeZone)
                    .to_owned(),
            )
            .await
    }
}
