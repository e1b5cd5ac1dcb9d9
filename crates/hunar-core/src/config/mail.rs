//! Email: the mail server (none keeps every message in the outbox), the sender, retries, and
//! the coordinator who is told what needs doing.
use std::time::Duration;

use super::{ConfigError, Vars, invalid};

pub struct Mail {
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub mail_reply_to: Option<String>,
    pub mail_max_attempts: u32,
    pub mail_poll: Duration,
    pub mail_retry_base: Duration,
    pub coordinator_email: Option<String>,
}

pub fn read(vars: &Vars) -> Result<Mail, ConfigError> {
    let smtp_url = vars.get("SMTP_URL");
    if let Some(url) = &smtp_url
        && !(url.starts_with("smtp://") || url.starts_with("smtps://"))
    {
        return Err(invalid(
            "SMTP_URL",
            "expected smtp://HOST:PORT or smtps://USER:PASS@HOST:PORT",
        ));
    }
    let coordinator_email = vars.get("COORDINATOR_EMAIL");
    if let Some(email) = &coordinator_email
        && !email_address::EmailAddress::is_valid(email)
    {
        return Err(invalid("COORDINATOR_EMAIL", "not a valid email address"));
    }
    if smtp_url.is_some() && coordinator_email.is_none() {
        return Err(invalid(
            "COORDINATOR_EMAIL",
            "required when SMTP_URL is set: coordination emails need a recipient",
        ));
    }
    let mail_from = vars.or("MAIL_FROM", "Hunar <no-reply@localhost>");
    if mail_from.parse::<lettre::message::Mailbox>().is_err() {
        return Err(invalid(
            "MAIL_FROM",
            "expected an address such as `Hunar <no-reply@example.org>`",
        ));
    }
    let mail_reply_to = vars.get("MAIL_REPLY_TO");
    if let Some(reply_to) = &mail_reply_to
        && reply_to.parse::<lettre::message::Mailbox>().is_err()
    {
        return Err(invalid("MAIL_REPLY_TO", "expected an email address"));
    }
    Ok(Mail {
        smtp_url,
        mail_from,
        mail_reply_to,
        mail_max_attempts: vars.number("MAIL_MAX_ATTEMPTS", "8", 1, 100)?,
        mail_poll: vars.millis("MAIL_POLL_MS", "1000", 10, 600_000)?,
        mail_retry_base: vars.millis("MAIL_RETRY_BASE_MS", "30000", 10, 3_600_000)?,
        coordinator_email,
    })
}
