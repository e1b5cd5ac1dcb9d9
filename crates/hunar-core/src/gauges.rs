//! What an operator's metrics read from the database when Prometheus asks: messages waiting
//! or failed by channel, orders by status, the last good backup. Read then, not counted in
//! memory, so every instance reports the same figures and a restart loses none of them. The
//! connection pool is read from memory, so it is known also when the database is not.
use chrono::{DateTime, Utc};
use entity::{order, outbox};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, FromQueryResult, QuerySelect,
};

use crate::notifications::outbox as queue;
use crate::orders::status::OrderStatus;

pub struct Readings {
    /// (channel, status, messages): every pair, zeros included, so a series never vanishes.
    pub outbox: Vec<(&'static str, &'static str, i64)>,
    /// (status, orders): every status, zeros included.
    pub orders: Vec<(&'static str, i64)>,
    /// When the newest good backup finished, wherever it was written.
    pub last_backup: Option<DateTime<Utc>>,
}

/// Connections held by requests and workers, those ready for the next, and the most the
/// pool opens (all in use: requests queue for the database).
pub struct Pool {
    pub in_use: u32,
    pub idle: u32,
    pub max: u32,
}

#[derive(FromQueryResult)]
struct OutboxCount {
    channel: String,
    status: String,
    rows: i64,
}

#[derive(FromQueryResult)]
struct OrderCount {
    status: String,
    rows: i64,
}

pub async fn read(db: &DatabaseConnection) -> Result<Readings, DbErr> {
    let counted = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Channel)
        .column(outbox::Column::Status)
        .column_as(outbox::Column::Id.count(), "rows")
        .group_by(outbox::Column::Channel)
        .group_by(outbox::Column::Status)
        .into_model::<OutboxCount>()
        .all(db)
        .await?;
    let outbox = queue::CHANNELS
        .iter()
        .flat_map(|channel| {
            queue::STATUSES
                .iter()
                .map(move |status| (*channel, *status))
        })
        .map(|(channel, status)| {
            let rows = counted
                .iter()
                .find(|c| c.channel == channel && c.status == status)
                .map_or(0, |c| c.rows);
            (channel, status, rows)
        })
        .collect();
    let counted = order::Entity::find()
        .select_only()
        .column(order::Column::Status)
        .column_as(order::Column::Id.count(), "rows")
        .group_by(order::Column::Status)
        .into_model::<OrderCount>()
        .all(db)
        .await?;
    let orders = OrderStatus::ALL
        .iter()
        .map(|status| {
            let rows = counted
                .iter()
                .find(|c| c.status == status.as_str())
                .map_or(0, |c| c.rows);
            (status.as_str(), rows)
        })
        .collect();
    let last_backup = crate::backup::runs::last_good(db, None)
        .await?
        .map(|run| run.finished_at);
    Ok(Readings {
        outbox,
        orders,
        last_backup,
    })
}

pub fn pool(db: &DatabaseConnection) -> Pool {
    let (size, idle, max) = match db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        _ => (0, 0, 0),
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
    Pool {
        in_use: size - idle,
        idle,
        max,
    }
}
