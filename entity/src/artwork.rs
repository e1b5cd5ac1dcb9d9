use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "artworks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub artist_id: String,
    pub size_tier_id: String,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub medium: String,
    pub width_cm: i32,
    pub height_cm: i32,
    pub year: Option<i32>,
    pub status: String,
    pub price_override_minor: Option<i64>,
    pub price_override_currency: Option<String>,
    /// The language `description` and `medium` are written in.
    pub text_lang: String,
    /// The other languages' description and medium, as a JSON object by language.
    #[sea_orm(column_type = "Text")]
    pub translations: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
