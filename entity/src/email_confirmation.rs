use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_confirmations")]
pub struct Model {
    /// Trimmed and lower-cased.
    #[sea_orm(primary_key, auto_increment = false)]
    pub email: String,
    pub confirmed_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
