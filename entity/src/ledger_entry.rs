use sea_orm::entity::prelude::*;

/// One line of an artist's account: signed, in the minor units of its own currency.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub artist_id: String,
    pub kind: String,
    pub amount_minor: i64,
    pub currency: String,
    pub order_id: Option<String>,
    #[sea_orm(unique)]
    pub reverses_id: Option<String>,
    #[sea_orm(unique)]
    pub dedupe_key: Option<String>,
    pub method: Option<String>,
    pub reference: Option<String>,
    pub paid_on: Option<Date>,
    pub exchange_rate: Option<String>,
    pub paid_amount_minor: Option<i64>,
    pub paid_currency: Option<String>,
    pub advance: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
