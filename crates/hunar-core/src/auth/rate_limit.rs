//! Sign-in throttling that stops guessing without locking the admin out. Failures are counted
//! per client and per (client, account) in fixed windows; one client's failures never block
//! the same account from another client, and a success clears that client's counts. Many
//! failures on one account from all clients together slow every attempt on it down (never a
//! lock) and raise one alert for the coordinator.
//!
//! Each process keeps its own counters: behind a load balancer with N processes a guesser
//! gets at most N times the limit, still far below brute force.
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moka::future::Cache;

use crate::client::Client;
use crate::config::Limits;

/// Counters per key vanish with their window, and the caches are bounded, so a spray of
/// addresses cannot grow memory without end.
const MAX_KEYS: u64 = 100_000;
const WINDOW: Duration = Duration::from_secs(60);
const ACCOUNT_WINDOW: Duration = Duration::from_secs(3600);
/// Wrong second-factor codes one account takes from all clients together before codes are
/// refused for the rest of the window. Per-client limits alone let a guesser with the
/// password and many addresses try a million codes in minutes; ten in fifteen minutes make
/// a guess succeed about once in thirty thousand windows (near a year).
const CODE_FAILURES: u32 = 10;
const CODE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// How many client addresses an alert names at most.
const ALERT_CLIENTS: usize = 20;

struct Window {
    started: Instant,
    count: AtomicU32,
}

impl Window {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            started: Instant::now(),
            count: AtomicU32::new(0),
        })
    }

    /// Seconds until this window closes, rounded up.
    fn retry_after(&self, length: Duration) -> u64 {
        length.saturating_sub(self.started.elapsed()).as_secs() + 1
    }
}

struct AccountFailures {
    window: Window,
    /// Wall-clock start, in milliseconds: names the window in the alert's dedupe key.
    started_ms: i64,
    clients: Mutex<BTreeSet<IpAddr>>,
    alerted: AtomicBool,
}

/// Many failed sign-ins on one account: what the coordinator is told.
#[derive(Debug, Clone)]
pub struct Alert {
    pub account: String,
    pub failures: u32,
    pub clients: Vec<IpAddr>,
    /// Identifies the window, so the alert is written once even by a retry.
    pub window_id: i64,
}

/// An account as the counters know it: a fixed-size hash of the normalised email, so the
/// memory a failed sign-in leaves behind is the same whatever the attacker sent.
type AccountKey = [u8; 32];

fn account_key(account: &str) -> AccountKey {
    use sha2::{Digest, Sha256};
    Sha256::digest(account.as_bytes()).into()
}

pub struct LoginLimiter {
    per_client: Cache<IpAddr, Arc<Window>>,
    per_pair: Cache<(IpAddr, AccountKey), Arc<Window>>,
    per_account: Cache<AccountKey, Arc<AccountFailures>>,
    code_failures: Cache<AccountKey, Arc<Window>>,
    client_limit: u32,
    pair_limit: u32,
    alert_at: u32,
}

impl LoginLimiter {
    pub fn new(limits: &Limits) -> Self {
        fn cache<K, V>(ttl: Duration) -> Cache<K, V>
        where
            K: std::hash::Hash + Eq + Send + Sync + 'static,
            V: Clone + Send + Sync + 'static,
        {
            Cache::builder()
                .max_capacity(MAX_KEYS)
                .time_to_live(ttl)
                .build()
        }
        Self {
            per_client: cache(WINDOW),
            per_pair: cache(WINDOW),
            per_account: cache(ACCOUNT_WINDOW),
            code_failures: cache(CODE_WINDOW),
            client_limit: limits.login_per_ip_per_minute,
            pair_limit: limits.login_per_account_per_minute,
            alert_at: limits.login_alert_failures,
        }
    }

    /// Counts this attempt against the client and the (client, account) pair before the
    /// password is checked, so a burst of parallel guesses is counted as it arrives.
    /// `Err(seconds to wait)` when either is used up; `Ok(true)` when the account is under
    /// attack from many clients and this attempt should be slowed down.
    pub async fn attempt(&self, client: Client, account: &str) -> Result<bool, u64> {
        let key = client.key();
        let account = account_key(account);
        for (window, limit) in [
            (
                self.per_client.get_with(key, async { Window::new() }).await,
                self.client_limit,
            ),
            (
                self.per_pair
                    .get_with((key, account), async { Window::new() })
                    .await,
                self.pair_limit,
            ),
        ] {
            if window.count.fetch_add(1, Ordering::SeqCst) >= limit {
                return Err(window.retry_after(WINDOW));
            }
        }
        let under_attack = self
            .per_account
            .get(&account)
            .await
            .is_some_and(|a| a.window.count.load(Ordering::SeqCst) >= self.alert_at);
        Ok(under_attack)
    }

    /// Before a second-factor code is checked: `Err(seconds to wait)` once the account took
    /// too many wrong codes from all clients together in this window.
    pub async fn code_attempt(&self, account: &str) -> Result<(), u64> {
        match self.code_failures.get(&account_key(account)).await {
            Some(window) if window.count.load(Ordering::SeqCst) >= CODE_FAILURES => {
                Err(window.retry_after(CODE_WINDOW))
            }
            _ => Ok(()),
        }
    }

    /// A wrong second-factor code, counted for the account whatever the client.
    pub async fn code_failed(&self, account: &str) {
        self.code_failures
            .get_with(account_key(account), async { Window::new() })
            .await
            .count
            .fetch_add(1, Ordering::SeqCst);
    }

    /// A right password: this client starts afresh (the account's count across clients
    /// stays, so a guesser elsewhere is still slowed).
    pub async fn succeeded(&self, client: Client, account: &str) {
        let key = client.key();
        self.per_client.invalidate(&key).await;
        self.per_pair.invalidate(&(key, account_key(account))).await;
    }

    /// A wrong password. Returns the alert when this failure is the one that crosses the
    /// threshold for the account in this window.
    pub async fn failed(&self, client: Client, account: &str) -> Option<Alert> {
        let entry = self
            .per_account
            .get_with(account_key(account), async {
                Arc::new(AccountFailures {
                    window: Window {
                        started: Instant::now(),
                        count: AtomicU32::new(0),
                    },
                    started_ms: chrono::Utc::now().timestamp_millis(),
                    clients: Mutex::new(BTreeSet::new()),
                    alerted: AtomicBool::new(false),
                })
            })
            .await;
        let failures = entry.window.count.fetch_add(1, Ordering::SeqCst) + 1;
        let clients = {
            let mut clients = entry.clients.lock().unwrap_or_else(|e| e.into_inner());
            if clients.len() < ALERT_CLIENTS {
                clients.insert(client.0);
            }
            clients.iter().copied().collect()
        };
        (failures >= self.alert_at && !entry.alerted.swap(true, Ordering::SeqCst)).then(|| Alert {
            account: account.to_string(),
            failures,
            clients,
            window_id: entry.started_ms,
        })
    }
}
