//! Email: rendered from templates in the repository into a durable outbox, in the same
//! transaction as the order change that calls for it, and delivered by a worker over SMTP.
pub mod order_emails;
pub mod outbox;
pub mod render;
pub mod routes;
pub mod worker;

use crate::config::Config;

/// What composing emails needs to know about this installation.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub coordinator: Option<String>,
    pub public_base_url: String,
    pub smtp_configured: bool,
    pub max_attempts: u32,
    /// First retry delay; each later one doubles (capped at 1 h), with ±50 % jitter.
    pub retry_base: std::time::Duration,
}

impl MailSettings {
    pub fn from_config(config: &Config) -> Self {
        Self {
            coordinator: config.coordinator_email.clone(),
            public_base_url: config.public_base_url.clone(),
            smtp_configured: config.smtp_url.is_some(),
            max_attempts: config.mail_max_attempts,
            retry_base: config.mail_retry_base,
        }
    }
}

/// Header values come from user input (names, titles): no CR or LF may reach a header.
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
