use sea_orm::entity::prelude::*;

/// Which format a read model's rows were built with.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "read_models")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub version: String,
}

impl ActiveModelBehavior for ActiveModel {}
