use sea_orm::entity::prelude::*;

/// A card payment whose Stripe fee is still to be read.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fee_lookups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub payment_id: String,
    pub order_id: String,
    pub attempts: i32,
    pub next_at: DateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub done_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
