//! Reads through SeaORM's pool, as every other read in Hunar: the reference the fast readers
//! are compared with byte for byte (tests/api/catalog_cards.rs), and the reader for an
//! in-memory SQLite database or a PostgreSQL server that wants TLS.
use std::future::Future;

use sea_orm::sea_query::{SelectStatement, SimpleExpr};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};

use super::{CardList, PageStatements, ReadCards};

#[derive(Clone)]
pub struct OrmReads(pub DatabaseConnection);

impl ReadCards for OrmReads {
    fn page_statements(
        &self,
        mut rows: SelectStatement,
        count: SelectStatement,
    ) -> (Statement, Statement) {
        let backend = self.0.get_database_backend();
        // The count rides along as an uncorrelated subquery: one round trip a page.
        rows.expr(SimpleExpr::SubQuery(None, Box::new(count.clone().into())));
        (backend.build(&rows), backend.build(&count))
    }

    fn keyset_statement(&self, _after: SelectStatement) -> Option<Statement> {
        None
    }

    fn page(
        &self,
        statements: PageStatements,
        mut cards: CardList,
    ) -> impl Future<Output = Result<(CardList, i64), DbErr>> {
        let db = &self.0;
        async move {
            let found = db.query_all_raw(statements.rows).await?;
            let total = match found.first() {
                Some(row) => row.try_get_by_index::<i64>(1)?,
                // Past the last page (or nothing matches): the count on its own.
                None => match db.query_one_raw(statements.count).await? {
                    Some(row) => row.try_get_by_index::<i64>(0)?,
                    None => 0,
                },
            };
            for row in &found {
                cards.push(row.try_get_by_index::<String>(0)?.as_bytes());
            }
            Ok((cards, total))
        }
    }

    fn one(&self, query: &SelectStatement) -> impl Future<Output = Result<Option<String>, DbErr>> {
        let db = &self.0;
        async move {
            match db.query_one(query).await? {
                Some(row) => Ok(Some(row.try_get_by_index::<String>(0)?)),
                None => Ok(None),
            }
        }
    }
}
