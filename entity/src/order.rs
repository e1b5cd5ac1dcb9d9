use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub artwork_id: String,
    pub status: String,
    pub payment_method: String,
    #[sea_orm(unique)]
    pub access_token_hash: String,
    pub buyer_name: String,
    pub buyer_email: String,
    pub buyer_phone: Option<String>,
    pub ship_line1: String,
    pub ship_line2: Option<String>,
    pub ship_city: String,
    pub ship_postal_code: Option<String>,
    pub ship_region: Option<String>,
    pub ship_country: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    pub zone_id: String,
    pub zone_name: String,
    pub tier_id: String,
    pub tier_name: String,
    pub artwork_title: String,
    pub artist_id: String,
    pub artist_name: String,
    pub payment_reference: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    pub shipped_at: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
