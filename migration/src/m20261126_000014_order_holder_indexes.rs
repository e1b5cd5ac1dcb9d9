//! An order's hold slots are picked after reading the holder's open orders: `status =
//! 'pending_payment' AND client_key = ?` (and the same for the buyer's address). The hold
//! indexes are partial (`WHERE status = 'pending_payment'`), and a planner uses a partial
//! index only when it can prove the query's status is the index's: PostgreSQL's generic plan
//! (a status bound as a parameter) cannot, and SQLite chose the status index anyway. Both then
//! read every open order of the shop for each new order, so placing one cost more the more
//! were waiting for payment. These indexes lead with the holder.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("CREATE INDEX orders_client_open ON orders (client_key, status)")
            .await?;
        db.execute_unprepared("CREATE INDEX orders_email_open ON orders (email_key, status)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX orders_email_open")
            .await?;
        db.execute_unprepared("DROP INDEX orders_client_open")
            .await?;
        Ok(())
    }
}
