//! Card payments through Stripe Checkout: off unless `STRIPE_SECRET_KEY` is set.
use std::time::Duration;

use super::{ConfigError, Vars, invalid};

/// Stripe Checkout. Both secrets are required together: a key without a webhook secret
/// would take card payments that nothing could ever confirm.
#[derive(Clone)]
pub struct StripeConfig {
    pub secret_key: String,
    /// Several during a secret rotation (comma-separated); any one may sign an event.
    pub webhook_secrets: Vec<String>,
    pub api_base: String,
    pub timeout: Duration,
    /// Where Stripe sends the buyer back; `{id}` and `{token}` are filled in.
    pub success_url: String,
    pub cancel_url: String,
}

impl std::fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeConfig")
            .field("api_base", &self.api_base)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// `order_url` is where a buyer follows their order; Stripe sends them back there.
pub fn read(vars: &Vars, order_url: &str) -> Result<Option<StripeConfig>, ConfigError> {
    let Some(secret_key) = vars.get("STRIPE_SECRET_KEY") else {
        return Ok(None);
    };
    let webhook_secrets: Vec<String> = vars
        .get("STRIPE_WEBHOOK_SECRET")
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if webhook_secrets.is_empty() {
        return Err(invalid(
            "STRIPE_WEBHOOK_SECRET",
            "required when STRIPE_SECRET_KEY is set (whsec_…, from the Stripe dashboard or `stripe listen`)",
        ));
    }
    let api_base = vars.or("STRIPE_API_BASE", "https://api.stripe.com");
    if !(api_base.starts_with("https://") || api_base.starts_with("http://")) {
        return Err(invalid("STRIPE_API_BASE", "expected an http(s) URL"));
    }
    let timeout = vars.millis("STRIPE_TIMEOUT_MS", "10000", 100, 120_000)?;
    let with_param = |param: &str| {
        let sep = if order_url.contains('?') { '&' } else { '?' };
        format!("{order_url}{sep}checkout={param}")
    };
    let success_url = vars.or("CHECKOUT_SUCCESS_URL", &with_param("success"));
    let cancel_url = vars.or("CHECKOUT_CANCEL_URL", &with_param("cancelled"));
    for (var, url) in [
        ("CHECKOUT_SUCCESS_URL", &success_url),
        ("CHECKOUT_CANCEL_URL", &cancel_url),
    ] {
        if !(url.starts_with("https://") || url.starts_with("http://")) || !url.contains("{id}") {
            return Err(invalid(var, "expected an http(s) URL containing {id}"));
        }
    }
    Ok(Some(StripeConfig {
        secret_key,
        webhook_secrets,
        api_base: api_base.trim_end_matches('/').to_string(),
        timeout,
        success_url,
        cancel_url,
    }))
}
