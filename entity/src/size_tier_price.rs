use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "size_tier_prices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tier_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub zone_id: String,
    pub amount_minor: i64,
    /// This zone's currency when it is not the tier's.
    pub currency: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
