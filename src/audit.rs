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
    /// What the record is called now (an artist's name, a painting's title, an order's
    /// reference); none once it is deleted, or for a kind without a name.
    pub name: Option<String>,
    pub fields: Vec<String>,
    pub client: Option<String>,
}

/// The names of the records a page of the log is about, by id: a coordinator reads
/// "painting: Snow on the Hindu Kush", not an id.
async fn names(
    db: &sea_orm::DatabaseConnection,
    rows: &[audit_log::Model],
    emails: &std::collections::HashMap<String, String>,
) -> Result<std::collections::HashMap<String, String>, DbErr> {
    use entity::{artist, artwork, shipping_zone, size_tier};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let ids = |kind: &str| -> Vec<String> {
        rows.iter()
            .filter(|r| r.entity == kind)
            .map(|r| r.entity_id.clone())
            .collect()
    };
    let mut names = std::collections::HashMap::new();
    for a in artist::Entity::find()
        .filter(artist::Column::Id.is_in(ids("artist")))
        .all(db)
        .await?
    {
        names.insert(a.id, a.display_name);
    }
    for a in artwork::Entity::find()
        .filter(artwork::Column::Id.is_in(ids("artwork")))
        .all(db)
        .await?
    {
        names.insert(a.id, a.title);
    }
    for t in size_tier::Entity::find()
        .filter(size_tier::Column::Id.is_in(ids("size_tier")))
        .all(db)
        .await?
    {
        names.insert(t.id, t.name);
    }
    for z in shipping_zone::Entity::find()
        .filter(shipping_zone::Column::Id.is_in(ids("shipping_zone")))
        .all(db)
        .await?
    {
        names.insert(z.id, z.name);
    }
    for id in ids("admin") {
        if let Some(email) = emails.get(&id) {
            names.insert(id, email.clone());
        }
    }
    for id in ids("order") {
        names.insert(id.clone(), crate::orders::reference::reference(&id));
    }
    Ok(names)
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
    let names = names(db, &rows, &emails).await?;
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
                name: names.get(&r.entity_id).cloned(),
                entity: r.entity,
                entity_id: r.entity_id,
                fields,
                client: r.client,
            }
        })
        .collect();
    Ok(crate::pagination::Page::new(items, page, total))
}
