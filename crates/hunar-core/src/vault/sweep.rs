//! Moving every sealed value to the vault's write key: at the first start after values began
//! to be sealed (values written before are sealed), and for `hunar rotate-key`, while the
//! shop stays open. Rows are read and rewritten a hundred at a time, each batch in its own
//! short transaction, and a value is only replaced if it is still what was read: a row a
//! server changed meanwhile is taken again in the next pass, until a pass finds nothing left.
use entity::Sealed;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};

use super::state::VaultError;
use super::{Vault, key_of};
use crate::db;

/// Every sealed column, by table and the table's key column.
pub const SEALED: [(&str, &str, &[&str]); 5] = [
    ("artists", "id", &["email", "phone", "notes"]),
    (
        "orders",
        "id",
        &[
            "buyer_name",
            "buyer_email",
            "buyer_phone",
            "ship_line1",
            "ship_line2",
            "ship_city",
            "ship_postal_code",
            "ship_region",
            "note",
        ],
    ),
    (
        "outbox",
        "id",
        &["recipient", "body_text", "body_html", "last_error"],
    ),
    ("idempotency_keys", "key", &["response_body"]),
    ("admins", "id", &["second_factor_secret"]),
];

const BATCH: u64 = 100;
/// A pass that keeps meeting rows changed under it gives up after this many passes.
const PASSES: usize = 50;

/// Seals every value not sealed with the vault's write key; how many it sealed.
pub async fn reseal_all(db: &DatabaseConnection, vault: &Vault) -> Result<u64, VaultError> {
    let mut total = 0;
    for _ in 0..PASSES {
        let mut moved = 0;
        let mut missed = 0;
        for (table, id, columns) in SEALED {
            let (m, s) = reseal_table(db, vault, table, id, columns).await?;
            moved += m;
            missed += s;
        }
        total += moved;
        if moved == 0 && missed == 0 {
            forget_old_confirmations(db).await?;
            return Ok(total);
        }
    }
    Err(VaultError::Rotation(format!(
        "values kept changing under the rotation for {PASSES} passes; run it again"
    )))
}

/// One pass over a table: (values sealed, rows changed meanwhile and left for the next pass).
async fn reseal_table(
    db: &DatabaseConnection,
    vault: &Vault,
    table: &str,
    id_column: &str,
    columns: &[&str],
) -> Result<(u64, u64), DbErr> {
    let orders = table == "orders";
    let mut after = String::new();
    let (mut moved, mut missed) = (0, 0);
    let write = vault.write_key();
    loop {
        let mut select = Query::select();
        select
            .from(Alias::new(table))
            .column(Alias::new(id_column))
            .columns(columns.iter().map(|c| Alias::new(*c)))
            .and_where(Expr::col(Alias::new(id_column)).gt(after.as_str()))
            .order_by(Alias::new(id_column), sea_orm::Order::Asc)
            .limit(BATCH);
        if orders {
            select.column(Alias::new("email_key"));
        }
        let rows = db.query_all(&select).await?;
        let Some(last) = rows.last() else {
            return Ok((moved, missed));
        };
        after = last.try_get_by_index::<String>(0)?;
        let txn = db::begin_write(db).await?;
        for row in &rows {
            let id: String = row.try_get_by_index(0)?;
            let mut update = Query::update();
            update
                .table(Alias::new(table))
                .and_where(Expr::col(Alias::new(id_column)).eq(id.as_str()));
            let mut changed = 0;
            let mut buyer_email = None;
            for (i, column) in columns.iter().enumerate() {
                let Some(stored) = row.try_get_by_index::<Option<String>>(i + 1)? else {
                    continue;
                };
                update.and_where(Expr::col(Alias::new(*column)).eq(stored.as_str()));
                let stored = Sealed::from_stored(stored);
                if orders && *column == "buyer_email" {
                    buyer_email = Some(super::open_any(&stored)?);
                }
                if stored.is_empty() || key_of(&stored) == Some(write.as_str()) {
                    continue;
                }
                let plain = super::open_any(&stored)?;
                update.value(Alias::new(*column), vault.seal(&plain).stored().to_string());
                changed += 1;
            }
            let mut new_hash = None;
            if orders {
                let old: Option<String> = row.try_get_by_index(columns.len() + 1)?;
                if let (Some(old), Some(email)) = (old, buyer_email.filter(|e| !e.is_empty())) {
                    let hash = vault.email_hash(&email);
                    if hash != old {
                        update.value(Alias::new("email_key"), hash.as_str());
                        update.and_where(Expr::col(Alias::new("email_key")).eq(old.as_str()));
                        new_hash = Some((old, hash));
                        changed += 1;
                    }
                }
            }
            if changed == 0 {
                continue;
            }
            match rewrite(&txn, &update, new_hash.as_ref()).await {
                Ok(true) => moved += changed,
                Ok(false) => missed += 1,
                // An open order whose new hash meets a hold slot another order of the same
                // address took under that hash while servers switched keys: it keeps its
                // hold but gives up its slot number (the cap counts it no more), rather than
                // stopping the rotation.
                Err(err) if orders && db::is_unique_violation(&err) => {
                    update.value(Alias::new("email_slot"), Option::<i32>::None);
                    match rewrite(&txn, &update, new_hash.as_ref()).await? {
                        true => moved += changed,
                        false => missed += 1,
                    }
                }
                Err(err) => return Err(err),
            }
        }
        txn.commit().await?;
    }
}

/// One row's update in a savepoint (a refused statement must not end the batch's
/// transaction on PostgreSQL); whether the row was still as read.
async fn rewrite(
    txn: &db::WriteTxn,
    update: &sea_orm::sea_query::UpdateStatement,
    new_hash: Option<&(String, String)>,
) -> Result<bool, DbErr> {
    let row = txn.savepoint().await?;
    match row.execute(update).await {
        Ok(done) if done.rows_affected() == 1 => {
            if let Some((old, new)) = new_hash {
                carry_confirmation(&row, old, new).await?;
            }
            row.commit().await?;
            Ok(true)
        }
        Ok(_) => {
            row.rollback().await?;
            Ok(false)
        }
        Err(err) => {
            row.rollback().await?;
            Err(err)
        }
    }
}

/// A confirmed address stays confirmed under its new hash.
async fn carry_confirmation(
    conn: &impl ConnectionTrait,
    old: &str,
    new: &str,
) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "INSERT INTO email_confirmations (email, confirmed_at) SELECT $1, confirmed_at \
             FROM email_confirmations WHERE email = $2 ON CONFLICT (email) DO NOTHING"
        }
        _ => {
            "INSERT INTO email_confirmations (email, confirmed_at) SELECT ?, confirmed_at \
             FROM email_confirmations WHERE email = ? ON CONFLICT (email) DO NOTHING"
        }
    };
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [new.into(), old.into()],
    ))
    .await?;
    Ok(())
}

/// Confirmations are kept only for addresses an order still holds; those under an old hash
/// were carried over and go.
async fn forget_old_confirmations(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared(
        "DELETE FROM email_confirmations WHERE email NOT IN \
         (SELECT email_key FROM orders WHERE email_key IS NOT NULL)",
    )
    .await?;
    Ok(())
}
