use sea_orm::entity::prelude::*;

/// One of the organisation's settings (its contact, how to pay it), as JSON.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisation_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub value: String,
    pub updated_at: DateTimeUtc,
    pub updated_by: String,
}

impl ActiveModelBehavior for ActiveModel {}
