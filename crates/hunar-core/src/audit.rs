//! The admin audit log: who changed what, and when, and from what to what. Values that are
//! personal (an artist's email, phone or notes; how she gave consent) are never written: the
//! log says such a field changed, not to what, so the log itself holds no artist or buyer
//! data. Each entry names the client address the change came from (the one every limit uses).
use chrono::Utc;
use entity::audit_log;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    IdenStatic, Iterable, ModelTrait,
};
use serde::{Deserialize, Serialize};

use crate::db;

pub async fn record(
    conn: &impl ConnectionTrait,
    admin_id: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    fields: &[&str],
) -> Result<(), DbErr> {
    let changes: Vec<Change> = fields
        .iter()
        .map(|field| Change {
            field: (*field).to_string(),
            from: None,
            to: None,
        })
        .collect();
    record_changes(conn, admin_id, action, entity, entity_id, &changes).await
}

/// One field's change: its old and new value as text, or neither for a personal field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

impl Change {
    /// A change whose values the log may keep (none of them personal).
    pub fn values(
        field: &str,
        from: impl Into<Option<String>>,
        to: impl Into<Option<String>>,
    ) -> Self {
        Self {
            field: field.to_string(),
            from: from.into().map(|v| shorten(&v)),
            to: to.into().map(|v| shorten(&v)),
        }
    }
}

/// Long texts (a description, a biography) are kept as their beginning: enough to tell
/// which change it was.
fn shorten(value: &str) -> String {
    const KEEP: usize = 80;
    match value.char_indices().nth(KEEP) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_string(),
    }
}

fn text(value: &sea_orm::Value) -> Option<String> {
    match sea_orm::sea_query::sea_value_to_json_value(value) {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

/// What changed between two versions of one record, column by column: old and new values,
/// except for the `personal` columns, which are named only. Time stamps are left out.
pub fn changes<M: ModelTrait>(before: &M, after: &M, personal: &[&str]) -> Vec<Change> {
    <<M as ModelTrait>::Entity as EntityTrait>::Column::iter()
        .filter_map(|column| {
            let field = column.as_str();
            let (old, new) = (before.get(column), after.get(column));
            if old == new || matches!(field, "created_at" | "updated_at" | "updated_by") {
                return None;
            }
            Some(if personal.contains(&field) {
                Change {
                    field: field.to_string(),
                    from: None,
                    to: None,
                }
            } else {
                Change::values(field, text(&old), text(&new))
            })
        })
        .collect()
}

/// A record's fields as text, for `between`.
pub type Fields = Vec<(&'static str, Option<String>)>;

/// What changed between two readings of a record's (non-personal) fields, in their order:
/// for records kept over several tables, such as a size with its prices per zone.
pub fn between(before: Fields, after: Fields) -> Vec<Change> {
    before
        .into_iter()
        .zip(after)
        .filter(|((_, old), (_, new))| old != new)
        .map(|((field, old), (_, new))| Change::values(field, old, new))
        .collect()
}

/// Records a change with its fields' old and new values (see `changes`). A change that
/// changed nothing is recorded too: the coordinator saved, and the log says so.
pub async fn record_changes(
    conn: &impl ConnectionTrait,
    admin_id: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    changes: &[Change],
) -> Result<(), DbErr> {
    let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
    let detail = (!changes.is_empty())
        .then(|| serde_json::json!({ "fields": fields, "changes": changes }).to_string());
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
    /// What changed: each field, with its old and new values where the log keeps them.
    pub changes: Vec<Change>,
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
    use sea_orm::QueryFilter;
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
    use sea_orm::QueryOrder;

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
            let detail = r
                .detail
                .as_deref()
                .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok());
            // Entries written before values were kept name their fields only.
            let changes = detail
                .as_ref()
                .and_then(|d| d.get("changes").cloned())
                .and_then(|c| serde_json::from_value(c).ok())
                .or_else(|| {
                    let fields: Vec<String> = detail
                        .as_ref()
                        .and_then(|d| d.get("fields").cloned())
                        .and_then(|f| serde_json::from_value(f).ok())?;
                    Some(
                        fields
                            .into_iter()
                            .map(|field| Change {
                                field,
                                from: None,
                                to: None,
                            })
                            .collect(),
                    )
                })
                .unwrap_or_default();
            Entry {
                at: r.created_at,
                admin: r.admin_id.and_then(|id| emails.get(&id).cloned()),
                action: r.action,
                name: names.get(&r.entity_id).cloned(),
                entity: r.entity,
                entity_id: r.entity_id,
                changes,
                client: r.client,
            }
        })
        .collect();
    Ok(crate::pagination::Page::new(items, page, total))
}
