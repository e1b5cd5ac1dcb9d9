//! WhatsApp notices to artists through Meta's Cloud API: off unless
//! `WHATSAPP_PHONE_NUMBER_ID` is set, and then every secret it needs is required, so a
//! half-configured server is refused at start rather than failing each message.
use std::time::Duration;

use super::{ConfigError, Vars, invalid};

#[derive(Clone)]
pub struct WhatsAppConfig {
    /// `https://graph.facebook.com/v21.0`: the version is part of the address.
    pub api_url: String,
    pub phone_number_id: String,
    pub token: String,
    /// Signs the status updates Meta posts to the webhook.
    pub app_secret: String,
    /// Meta's subscription handshake shows it back.
    pub verify_token: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for WhatsAppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppConfig")
            .field("api_url", &self.api_url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

pub fn read(vars: &Vars) -> Result<Option<WhatsAppConfig>, ConfigError> {
    let Some(phone_number_id) = vars.get("WHATSAPP_PHONE_NUMBER_ID") else {
        for var in [
            "WHATSAPP_TOKEN",
            "WHATSAPP_APP_SECRET",
            "WHATSAPP_VERIFY_TOKEN",
        ] {
            if vars.get(var).is_some() {
                return Err(invalid(
                    "WHATSAPP_PHONE_NUMBER_ID",
                    format!(
                        "required when {var} is set (the number's id in Meta's WhatsApp Manager)"
                    ),
                ));
            }
        }
        return Ok(None);
    };
    if !phone_number_id.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid("WHATSAPP_PHONE_NUMBER_ID", "expected digits only"));
    }
    let required = |var: &'static str| {
        vars.get(var)
            .ok_or_else(|| invalid(var, "required when WHATSAPP_PHONE_NUMBER_ID is set"))
    };
    let token = required("WHATSAPP_TOKEN")?;
    let app_secret = required("WHATSAPP_APP_SECRET")?;
    let verify_token = required("WHATSAPP_VERIFY_TOKEN")?;
    let api_url = vars.or("WHATSAPP_API_URL", "https://graph.facebook.com/v21.0");
    // The token travels with every request: plain http only to this machine (a stand-in).
    let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|l| api_url.starts_with(l));
    if !(api_url.starts_with("https://") || loopback) {
        return Err(invalid(
            "WHATSAPP_API_URL",
            "expected an https URL (plain http only to 127.0.0.1 or localhost)",
        ));
    }
    let timeout = vars.millis("WHATSAPP_TIMEOUT_MS", "10000", 100, 120_000)?;
    Ok(Some(WhatsAppConfig {
        api_url: api_url.trim_end_matches('/').to_string(),
        phone_number_id,
        token,
        app_secret,
        verify_token,
        timeout,
    }))
}
