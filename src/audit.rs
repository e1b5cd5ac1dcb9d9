//! The admin audit log: who changed what, and when. Field names only, never values, so
//! the log itself holds no artist or buyer data. Each entry names the client address the
//! change came from (the one every limit uses).
use chrono::Utc;
use entity::audit_log;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr};

use crate::db;

pub async fn record(
    conn: &impl ConnectionTrait,
    admin_id: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    fields: &[&str],
) -> Result<(), DbErr> {
    let detail = (!fields.is_empty()).then(|| serde_json::json!({ "fields": fields }).to_string());
    audit_log::ActiveModel {
        id: Set(db::new_id()),
        admin_id: Set(Some(admin_id.to_string())),
        action: Set(action.to_string()),
        entity: Set(entity.to_string()),
        entity_id: Set(entity_id.to_string()),
        detail: Set(detail),
        created_at: Set(Utc::now()),
        client: Set(crate::client::current().map(|c| c.0.to_string())),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// One line of the log as the console shows it.
#[derive(Debug, serde::Serialize)]
pub struct Entry {
    pub at: chrono::DateTime<Utc>,
    /// The admin's email, or none for the system (the expiry sweep, Stripe's events).
    pub admin: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub fields: Vec<String>,
    pub client: Option<String>,
}

/// The log, newest first.
pub async fn list(
    db: &sea_orm::DatabaseConnection,
    page: crate::pagination::Pagination,
) -> Result<crate::pagination::Page<Entry>, DbErr> {
    use entity::admin;
    use sea_orm::{EntityTrait, QueryOrder};

    let (rows, total) = crate::pagination::fetch(
        db,
        audit_log::Entity::find()
            .order_by_desc(audit_log::Column::CreatedAt)
            .order_by_desc(audit_log::Column::Id),
        page,
    )
    .await?;
    let emails: std::collections::HashMap<String, String> = admin::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.email))
        .collect();
    let items = rows
        .into_iter()
        .map(|r| {
            let fields = r
                .detail
                .as_deref()
                .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                .and_then(|d| d.get("fields").cloned())
                .and_then(|f| serde_json::from_value(f).ok())
                .unwrap_or_default();
            Entry {
                at: r.created_at,
                admin: r.admin_id.and_then(|id| emails.get(&id).cloned()),
                action: r.action,
                entity: r.entity,
                entity_id: r.entity_id,
                fields,
                client: r.client,
            }
        })
        .collect();
    Ok(crate::pagination::Page::new(items, page, total))
}
