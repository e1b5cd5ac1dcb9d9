//! Login throttling per client IP and per account, with `governor` (GCRA, in memory).
//! Each process keeps its own counters: behind a load balancer with N processes the
//! effective limit is at most N times the configured one, still far below brute force.
use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct LoginLimiter {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_account: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl LoginLimiter {
    pub fn new(per_ip_per_minute: u32, per_account_per_minute: u32) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Self {
            per_ip: RateLimiter::keyed(quota(per_ip_per_minute)),
            per_account: RateLimiter::keyed(quota(per_account_per_minute)),
            clock: DefaultClock::default(),
        }
    }

    /// `Err(seconds to wait)` when this IP or this account has used up its attempts.
    pub fn check(&self, ip: Option<IpAddr>, account: &str) -> Result<(), u64> {
        // Forget idle keys now and then, so a spray of addresses cannot grow memory forever.
        if self.per_ip.len() > 10_000 || self.per_account.len() > 10_000 {
            self.per_ip.retain_recent();
            self.per_account.retain_recent();
        }
        let now = self.clock.now();
        let wait = |not_until: governor::NotUntil<_>| not_until.wait_time_from(now).as_secs() + 1;
        if let Some(ip) = ip {
            self.per_ip.check_key(&ip).map_err(wait)?;
        }
        self.per_account
            .check_key(&account.to_string())
            .map_err(wait)
    }
}
