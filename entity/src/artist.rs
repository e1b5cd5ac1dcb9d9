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
    /// `email`, `whatsapp` or `both`.
    pub notify_by: String,
    /// Messages say only that there is news; everything else is on the artist's page.
    pub plain_messages: bool,
    /// Counts the links made to the artist's page; the current link's token is derived from it.
    pub page_generation: i32,
    /// SHA-256 (hex) of the current page link's token; none until a link is made.
    #[sea_orm(unique)]
    pub page_token_hash: Option<String>,
    pub page_expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
