//! One row the readiness check writes to, so a load balancer learns that the database cannot
//! take a write (a full disk) before an order does. It holds no data.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE TABLE health_probe (id INTEGER NOT NULL PRIMARY KEY, writes BIGINT NOT NULL)",
        )
        .await?;
        db.execute_unprepared("INSERT INTO health_probe (id, writes) VALUES (1, 0)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE health_probe")
            .await?;
        Ok(())
    }
}
