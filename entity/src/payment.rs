use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub order_id: String,
    pub provider: String,
    #[sea_orm(unique)]
    pub session_id: Option<String>,
    pub payment_intent_id: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub checkout_url: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    pub status: String,
    pub refund_id: Option<String>,
    pub amount_refunded_minor: i64,
    /// JSON array of the Stripe event ids that touched this attempt.
    #[sea_orm(column_type = "Text")]
    pub event_ids: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub flag: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
