//! How an artist agreed to be named on the public transparency page, and when: a checkbox
//! alone said neither, and a coordinator who took over could not tell whether she had.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PayoutTerms {
    Table,
    ConsentHow,
    ConsentAt,
    ConsentBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for mut column in [
            ColumnDef::new(PayoutTerms::ConsentHow)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(PayoutTerms::ConsentBy)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(PayoutTerms::ConsentAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(PayoutTerms::Table)
                        .add_column(&mut column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            PayoutTerms::ConsentHow,
            PayoutTerms::ConsentAt,
            PayoutTerms::ConsentBy,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(PayoutTerms::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
