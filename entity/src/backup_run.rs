use sea_orm::entity::prelude::*;

/// One backup, manual or scheduled, finished or failed.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "backup_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub started_at: DateTimeUtc,
    pub finished_at: DateTimeUtc,
    pub outcome: String,
    pub trigger: String,
    #[sea_orm(column_type = "Text")]
    pub location: String,
    pub snapshot: Option<String>,
    pub bytes: i64,
    pub files: i64,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
