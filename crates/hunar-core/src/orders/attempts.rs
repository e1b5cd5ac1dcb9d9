//! How often one client may try to place an order: a burst of a few, then one more every so
//! often (GCRA, in memory, per process). The caps on open holds (`holds`) are what protects
//! the catalog; this keeps one script from hammering the database and the mail queue.
use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::client::Client;
use crate::config::Limits;

pub struct OrderAttempts {
    per_client: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl OrderAttempts {
    pub fn new(limits: &Limits) -> Self {
        let burst = NonZeroU32::new(limits.order_attempts_per_client).unwrap_or(NonZeroU32::MIN);
        let every = limits.order_attempt_window / burst.get();
        let quota = Quota::with_period(every)
            .unwrap_or_else(|| Quota::per_second(burst))
            .allow_burst(burst);
        Self {
            per_client: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        }
    }

    /// `Err(seconds to wait)` when this client has used up its attempts.
    pub fn check(&self, client: Client) -> Result<(), u64> {
        // Forget idle clients now and then, so a spray of addresses cannot grow memory.
        if self.per_client.len() > 100_000 {
            self.per_client.retain_recent();
        }
        self.per_client
            .check_key(&client.key())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()).as_secs() + 1)
    }
}
