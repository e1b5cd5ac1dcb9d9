//! The limits on what an anonymous client can set off, and on sign-in guessing. Each has a
//! default that suits one small NGO; docs/OPERATIONS.md's table lists them.
use std::time::Duration;

use super::{ConfigError, Vars, invalid};
use crate::client::{ForwardedHeader, TrustedProxies};

#[derive(Debug, Clone)]
pub struct Limits {
    /// Whose forwarding headers are believed (see `client`).
    pub trusted_proxies: TrustedProxies,
    /// Order attempts one client may make in a burst; one more comes back every
    /// `order_attempt_window / order_attempts_per_client`.
    pub order_attempts_per_client: u32,
    pub order_attempt_window: Duration,
    /// Open unpaid holds (orders waiting for payment) per client and per buyer address.
    pub holds_per_client: u32,
    pub holds_per_email: u32,
    /// Orders one client may keep waiting for their buyers' email confirmation once its
    /// holds are used up (each sends one email; 0 refuses them as before).
    pub waiting_per_client: u32,
    /// How long a manual-payment hold lasts until the buyer confirms their address.
    pub unconfirmed_hold: Duration,
    /// Emails a day to an address that has not shown it is the buyer's.
    pub unconfirmed_emails_per_day: u32,
    /// Failed sign-ins per minute from one client, and from one client for one account.
    pub login_per_ip_per_minute: u32,
    pub login_per_account_per_minute: u32,
    /// Failed sign-ins on one account within an hour, from all clients together, after which
    /// every attempt on it is slowed down and the coordinator is told once.
    pub login_alert_failures: u32,
}

impl Limits {
    pub fn read(vars: &Vars) -> Result<Self, ConfigError> {
        let header = ForwardedHeader::parse(&vars.or("FORWARDED_HEADER", "x-forwarded-for"))
            .map_err(|e| invalid("FORWARDED_HEADER", e))?;
        let trusted_proxies = TrustedProxies::parse(&vars.or("TRUSTED_PROXIES", ""))
            .map_err(|e| invalid("TRUSTED_PROXIES", e))?
            .reading(header);
        let number = |var, default, min, max| vars.number(var, default, min, max);
        Ok(Self {
            trusted_proxies,
            order_attempts_per_client: number("ORDER_ATTEMPTS_PER_CLIENT", "10", 1, 1_000_000)?,
            order_attempt_window: Duration::from_secs(
                60 * u64::from(number("ORDER_ATTEMPT_WINDOW_MINUTES", "10", 1, 24 * 60)?),
            ),
            holds_per_client: number("HOLDS_PER_CLIENT", "3", 1, 1_000_000)?,
            holds_per_email: number("HOLDS_PER_EMAIL", "3", 1, 1_000_000)?,
            waiting_per_client: number("WAITING_ORDERS_PER_CLIENT", "10", 0, 1_000_000)?,
            unconfirmed_hold: Duration::from_secs(
                60 * u64::from(number("UNCONFIRMED_HOLD_MINUTES", "360", 5, 7 * 24 * 60)?),
            ),
            unconfirmed_emails_per_day: number("UNCONFIRMED_EMAILS_PER_DAY", "3", 1, 1_000_000)?,
            login_per_ip_per_minute: number("LOGIN_PER_IP_PER_MINUTE", "20", 1, 10_000)?,
            login_per_account_per_minute: number("LOGIN_PER_ACCOUNT_PER_MINUTE", "5", 1, 10_000)?,
            login_alert_failures: number("LOGIN_ALERT_FAILURES", "50", 1, 1_000_000)?,
        })
    }
}
