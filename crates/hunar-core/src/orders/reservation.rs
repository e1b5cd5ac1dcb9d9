//! Writes a new order together with everything that must exist with it: the painting taken
//! out of `available`, the order, its first history row, its emails or payment attempt, and
//! the Idempotency-Key with its answer. All of it or none of it.
//!
//! Everything is computed before the write (price, emails, the answer), so the write holds
//! its locks only while it writes. On PostgreSQL it is one statement: the conditional UPDATE
//! and the inserts as data-modifying CTEs, every insert fed by the UPDATE's RETURNING, so
//! nothing is inserted unless this request took the painting. A statement is atomic on its
//! own, which saves the BEGIN, the COMMIT and a round trip per row: under load the
//! database's CPU goes to the work instead of to the messages about it. SQLite, in-process,
//! pays nothing per statement and runs the same steps in one write transaction.
use chrono::{DateTime, Utc};
use entity::artwork;
use sea_orm::sea_query::{
    Alias, CommonTableExpression, DynIden, Expr, InsertStatement, IntoIden, PostgresQueryBuilder,
    Query, TableRef, UpdateStatement, WithClause,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend,
    DbErr, EntityName, EntityTrait, Iterable, Statement,
};

use crate::catalog::ArtworkStatus;
use crate::db;

/// One row to insert, kept as table, columns and values so it can be written either as a
/// plain INSERT or as a step of the single PostgreSQL statement.
pub struct Row {
    table: TableRef,
    columns: Vec<DynIden>,
    values: Vec<Expr>,
}

impl Row {
    pub fn new<A: ActiveModelTrait>(mut model: A) -> Self {
        let mut columns = Vec::new();
        let mut values = Vec::new();
        for column in <A::Entity as EntityTrait>::Column::iter() {
            if let ActiveValue::Set(value) | ActiveValue::Unchanged(value) = model.take(column) {
                // As SeaORM's own insert does, so a column's `save_as` still applies.
                values.push(column.save_as(Expr::val(value)));
                columns.push(column.into_iden());
            }
        }
        Self {
            table: A::Entity::default().table_ref(),
            columns,
            values,
        }
    }

    fn insert(&self) -> InsertStatement {
        Query::insert()
            .into_table(self.table.clone())
            .columns(self.columns.clone())
            .values_panic(self.values.clone())
            .to_owned()
    }

    /// `INSERT … SELECT values FROM gate`: one row if `gate` has one, none if it is empty.
    fn insert_from(&self, gate: &str) -> Result<InsertStatement, DbErr> {
        let select = Query::select()
            .exprs(self.values.clone())
            .from(Alias::new(gate))
            .to_owned();
        let mut insert = Query::insert();
        insert
            .into_table(self.table.clone())
            .columns(self.columns.clone())
            .select_from(select)
            .map_err(|e| DbErr::Custom(format!("building the order's write: {e}")))?;
        Ok(insert)
    }
}

/// What to write for one new order.
pub struct Reservation {
    /// False for an order that waits for its buyer's confirmation: its rows are written
    /// and the painting stays for sale.
    pub takes_painting: bool,
    pub artwork_id: String,
    /// The painting's `updated_at` as read when the price was worked out: if the painting
    /// changed since, nothing is written and the caller starts again from a fresh read.
    pub artwork_seen: DateTime<Utc>,
    pub now: DateTime<Utc>,
    /// The order first (the others refer to it), then its company, the key's row last.
    pub rows: Vec<Row>,
}

pub enum Written {
    Reserved,
    /// The painting is no longer as it was read: taken, or edited. Nothing was written.
    Stale,
    /// A unique index refused a row (this Idempotency-Key, or another order holding the
    /// painting). Nothing was written.
    Conflict,
}

impl Reservation {
    fn take_painting(&self) -> UpdateStatement {
        Query::update()
            .table(artwork::Entity)
            .value(artwork::Column::Status, ArtworkStatus::Reserved.as_str())
            .value(artwork::Column::UpdatedAt, self.now)
            .and_where(artwork::Column::Id.eq(self.artwork_id.as_str()))
            .and_where(artwork::Column::Status.eq(ArtworkStatus::Available.as_str()))
            .and_where(artwork::Column::UpdatedAt.eq(self.artwork_seen))
            .to_owned()
    }

    pub async fn write(&self, db: &DatabaseConnection) -> Result<Written, DbErr> {
        let written = match db.get_database_backend() {
            DbBackend::Postgres if self.takes_painting => self.write_one_statement(db).await,
            _ => self.write_in_transaction(db).await,
        };
        match written {
            Err(e) if db::is_unique_violation(&e) => Ok(Written::Conflict),
            other => other,
        }
    }

    async fn write_one_statement(&self, db: &DatabaseConnection) -> Result<Written, DbErr> {
        const TAKEN: &str = "taken";
        let mut with = WithClause::new();
        with.cte(
            CommonTableExpression::new()
                .query(
                    self.take_painting()
                        .returning_col(artwork::Column::Id)
                        .to_owned(),
                )
                .table_name(Alias::new(TAKEN))
                .to_owned(),
        );
        for (i, row) in self.rows.iter().enumerate() {
            with.cte(
                CommonTableExpression::new()
                    .query(row.insert_from(TAKEN)?)
                    .table_name(Alias::new(format!("row{i}")))
                    .to_owned(),
            );
        }
        let query = Query::select()
            .column(artwork::Column::Id)
            .from(Alias::new(TAKEN))
            .to_owned()
            .with(with);
        let (sql, values) = query.build(PostgresQueryBuilder);
        let taken = db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                values,
            ))
            .await?;
        Ok(if taken.is_some() {
            Written::Reserved
        } else {
            Written::Stale
        })
    }

    async fn write_in_transaction(&self, db: &DatabaseConnection) -> Result<Written, DbErr> {
        let txn = db::begin_write(db).await?;
        if self.takes_painting && txn.execute(&self.take_painting()).await?.rows_affected() != 1 {
            txn.rollback().await?;
            return Ok(Written::Stale);
        }
        for row in &self.rows {
            // An error drops the transaction, which rolls it back.
            txn.execute(&row.insert()).await?;
        }
        txn.commit().await?;
        Ok(Written::Reserved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::order_history;
    use sea_orm::ActiveValue::Set;

    #[test]
    fn every_insert_in_the_single_statement_is_fed_by_the_update() {
        let now = Utc::now();
        let reservation = Reservation {
            takes_painting: true,
            artwork_id: "a1".into(),
            artwork_seen: now,
            now,
            rows: vec![Row::new(order_history::ActiveModel {
                id: Set("h1".into()),
                order_id: Set("o1".into()),
                from_status: Set(None),
                to_status: Set("pending_payment".into()),
                actor: Set("buyer".into()),
                reason: Set(None),
                created_at: Set(now),
            })],
        };
        let insert = reservation.rows[0]
            .insert_from("taken")
            .expect("one value per column");
        let sql = insert.to_string(PostgresQueryBuilder);
        assert!(
            sql.starts_with(r#"INSERT INTO "order_history""#) && sql.contains(r#"FROM "taken""#),
            "{sql}"
        );
        assert!(!sql.contains("VALUES"), "{sql}");
    }
}
