//! Email: rendered from templates in the repository into a durable outbox, in the same
//! transaction as the order change that calls for it, and delivered by a worker over SMTP.
pub mod alerts;
pub mod artist_messages;
pub mod order_emails;
pub mod outbox;
pub mod payout_emails;
pub mod quota;
pub mod render;
pub mod whatsapp;
pub mod whatsapp_status;
pub mod worker;

use crate::config::Config;
use crate::orders::tokens::OrderTokens;

/// What composing emails needs to know about this installation.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub coordinator: Option<String>,
    pub public_base_url: String,
    pub order_url: String,
    pub admin_order_url: String,
    pub smtp_configured: bool,
    /// Artists who asked for WhatsApp get it; otherwise their email says why not.
    pub whatsapp_configured: bool,
    pub max_attempts: u32,
    /// First retry delay; each later one doubles (capped at 1 h), with ±50 % jitter.
    pub retry_base: std::time::Duration,
    /// Buyers' private order links are built with these.
    pub tokens: OrderTokens,
    /// Emails a day to an address that has not shown it is the buyer's.
    pub unconfirmed_emails_per_day: u32,
    /// The organisation's name until its contact is kept in the console.
    pub shop_name: String,
    /// Seals what the outbox keeps (recipients and texts).
    pub vault: crate::vault::Vault,
}

impl MailSettings {
    pub fn from_config(config: &Config, tokens: OrderTokens, vault: crate::vault::Vault) -> Self {
        Self {
            coordinator: config.coordinator_email.clone(),
            public_base_url: config.public_base_url.clone(),
            order_url: config.order_url.clone(),
            admin_order_url: config.admin_order_url.clone(),
            smtp_configured: config.smtp_url.is_some(),
            whatsapp_configured: config.whatsapp.is_some(),
            max_attempts: config.mail_max_attempts,
            retry_base: config.mail_retry_base,
            tokens,
            unconfirmed_emails_per_day: config.limits.unconfirmed_emails_per_day,
            shop_name: config.shop_name.clone(),
            vault,
        }
    }
}

/// Header values come from user input (names, titles): no CR or LF may reach a header.
impl MailSettings {
    /// The secret in a buyer's confirmation link: only their mailbox has it (the client
    /// that placed the order got the access token, not this).
    pub fn confirm_token(&self, order_id: &str) -> String {
        self.tokens.token(&format!("confirm:{order_id}"))
    }

    /// The page where a buyer confirms their address.
    pub fn confirm_link(&self, order_id: &str) -> String {
        format!(
            "{}/orders/{order_id}/confirm?token={}",
            self.public_base_url.trim_end_matches('/'),
            self.confirm_token(order_id)
        )
    }

    /// The buyer's private page for an order.
    pub fn order_link(&self, order_id: &str) -> String {
        self.order_url
            .replace("{id}", order_id)
            .replace("{token}", &self.tokens.token(order_id))
    }
}

pub fn header_safe(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c == '\r' || c == '\n' || c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .trim()
        .to_string()
}
