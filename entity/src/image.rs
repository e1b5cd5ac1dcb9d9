use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "images")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub artwork_id: Option<String>,
    pub artist_id: Option<String>,
    pub position: i32,
    #[sea_orm(column_type = "Text")]
    pub alt: String,
    pub width: i32,
    pub height: i32,
    /// JSON: `{"thumb": {"jpeg": key, "webp": key, "width": w, "height": h}, …}`.
    #[sea_orm(column_type = "Text")]
    pub variants: String,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
