use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub dedupe_key: String,
    pub order_id: Option<String>,
    pub kind: String,
    pub recipient: crate::Sealed,
    pub recipient_role: String,
    pub language: String,
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub body_text: crate::Sealed,
    #[sea_orm(column_type = "Text")]
    pub body_html: crate::Sealed,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<crate::Sealed>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    /// The daily cap for unconfirmed addresses was applied (or waived) for this email.
    pub quota_checked: bool,
    /// `email` or `whatsapp`.
    pub channel: String,
    /// The id the provider gave the message (WhatsApp's `wamid.…`).
    #[sea_orm(unique)]
    pub provider_message_id: Option<String>,
    /// An email held back: it goes out only if this WhatsApp message fails for good.
    pub fallback_for: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
