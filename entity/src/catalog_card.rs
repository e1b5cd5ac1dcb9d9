use sea_orm::entity::prelude::*;

/// One painting's public card for one destination zone (`zone_id` '' = every zone's price).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "catalog_cards")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub zone_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub artwork_id: String,
    pub status: String,
    pub artist_id: String,
    pub artist_slug: String,
    pub size_tier_id: String,
    pub created_at: DateTimeUtc,
    pub price_minor: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub card: String,
}

impl ActiveModelBehavior for ActiveModel {}
