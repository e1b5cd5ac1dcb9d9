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
