use sea_orm::entity::prelude::*;

/// What an artist agreed with the NGO; no row means the defaults (no share, not public).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payout_terms")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub artist_id: String,
    pub ngo_share_bp: i32,
    pub transparency: bool,
    /// How the artist agreed to be named publicly ("in person in Herat"), while she does.
    pub consent_how: Option<String>,
    /// When the consent was recorded.
    pub consent_at: Option<DateTimeUtc>,
    /// The coordinator who recorded it (`admin:…`); later edits of the share keep it.
    pub consent_by: Option<String>,
    pub updated_by: String,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
