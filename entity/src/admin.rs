use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub email: String,
    pub password_hash: String,
    pub created_at: DateTimeUtc,
    pub last_login_at: Option<DateTimeUtc>,
    /// IANA name; the console shows dates in it.
    pub time_zone: String,
    /// Set when the account was disabled: no sign-in, no session, kept for the audit log.
    pub disabled_at: Option<DateTimeUtc>,
    /// The authenticator's secret (base32); pending until `second_factor_on_at` is set.
    pub second_factor_secret: Option<crate::Sealed>,
    pub second_factor_on_at: Option<DateTimeUtc>,
    /// The last time step (unix seconds / 30) a code was accepted for: each code works once.
    pub second_factor_last_step: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
