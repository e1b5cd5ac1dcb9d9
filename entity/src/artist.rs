use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "artists")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub slug: String,
    pub display_name: String,
    #[sea_orm(column_type = "Text")]
    pub bio: String,
    #[sea_orm(column_type = "Text")]
    pub bio_fa: String,
    pub deported_from: Option<String>,
    pub email: Option<crate::Sealed>,
    pub phone: Option<crate::Sealed>,
    pub preferred_language: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub notes: Option<crate::Sealed>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
