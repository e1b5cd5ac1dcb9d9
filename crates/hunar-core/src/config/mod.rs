//! Configuration: read once from environment variables (and `.env`), validated at start-up.
//! A bad value stops the server with one line naming the variable. Each section (server,
//! database, media, mail, orders, stripe, backup, limits) reads and checks its own variables
//! in its own module; this one puts them together.
mod backup;
mod database;
mod limits;
mod mail;
mod media;
mod orders;
mod server;
mod stripe;
mod whatsapp;

use std::net::SocketAddr;
use std::time::Duration;

pub use backup::{BackupSchedule, BackupTarget};
pub use database::ThreadScheduling;
pub use limits::Limits;
pub use media::{MediaBackend, MediaConfig};
pub use orders::DEFAULT_MANUAL_INSTRUCTIONS;
pub use server::LogFormat;
pub use stripe::StripeConfig;
pub use whatsapp::WhatsAppConfig;

#[derive(Debug, Clone)]
pub struct Config {
    pub bind_addr: SocketAddr,
    /// `METRICS_ADDR`: where Prometheus reads the metrics; None serves none.
    pub metrics_addr: Option<SocketAddr>,
    pub database_url: String,
    /// Pool size; None picks 8 for SQLite and 32 for PostgreSQL.
    pub database_max_connections: Option<u32>,
    pub public_base_url: String,
    pub seed_demo: bool,
    /// Draw pictures for the demo paintings (off in most tests: it costs a second or two).
    pub seed_pictures: bool,
    pub media: MediaConfig,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub mail_reply_to: Option<String>,
    pub mail_max_attempts: u32,
    pub mail_poll: Duration,
    pub mail_retry_base: Duration,
    pub coordinator_email: Option<String>,
    /// What seals the personal data in the database (`DATA_KEY` or `DATA_KEY_FILE`).
    pub data_key: crate::vault::KeySource,
    /// Secret for buyers' order tokens; generated and kept in the database when unset.
    pub token_secret: Option<String>,
    /// Where a buyer follows their order; `{id}` and `{token}` are filled in.
    pub order_url: String,
    /// Where a coordinator opens an order; `{id}` is filled in.
    pub admin_order_url: String,
    /// Card payments; None when STRIPE_SECRET_KEY is unset.
    pub stripe: Option<StripeConfig>,
    /// WhatsApp notices to artists; None when WHATSAPP_PHONE_NUMBER_ID is unset.
    pub whatsapp: Option<WhatsAppConfig>,
    pub cors_origins: Vec<String>,
    /// The interactive API viewer at `/docs` (`API_DOCS=off` removes it; the document at
    /// `/api/openapi.json` stays).
    pub api_docs: bool,
    pub log_format: LogFormat,
    pub thread_scheduling: ThreadScheduling,
    pub admin_session_ttl: Duration,
    /// `REQUIRE_SECOND_FACTOR`: a coordinator without a second factor reaches only enrolment.
    pub require_second_factor: bool,
    /// How long a public catalog response may be served from memory; zero disables.
    pub catalog_cache_ttl: Duration,
    /// What anonymous clients may set off, and sign-in throttling.
    pub limits: Limits,
    pub card_reservation_minutes: u32,
    pub manual_reservation_days: u32,
    /// Shown to buyers who pay by hand; `{reference}`, `{amount}` and `{expires}` are filled in.
    pub manual_payment_instructions: String,
    /// How often unpaid reservations are looked for.
    pub reservation_sweep: Duration,
    /// `BUYER_DATA_DAYS`: how long a buyer's personal data is kept after their order ended.
    pub buyer_data_days: u32,
    /// The first wait before a card fee is asked of Stripe again (doubling, up to 6 h), and
    /// how often due lookups are tried.
    pub fee_retry_base: Duration,
    pub backup: Option<BackupSchedule>,
    /// Below this much free space (percent) a disk of the shop is reported low.
    pub disk_warn_percent: u8,
    /// The organisation's name until a coordinator writes its contact in the console.
    pub shop_name: String,
    /// What start-up should say about a setting that works but is likely a mistake.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

fn invalid(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        message: message.into(),
    }
}

/// The variables as read: trimmed, and an empty value the same as an unset one.
pub struct Vars<'a>(Box<Lookup<'a>>);

type Lookup<'a> = dyn Fn(&str) -> Option<String> + 'a;

impl Vars<'_> {
    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    pub fn or(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_string())
    }

    fn number(
        &self,
        var: &'static str,
        default: &str,
        min: u32,
        max: u32,
    ) -> Result<u32, ConfigError> {
        parse_number(var, &self.or(var, default), min, max)
    }

    fn flag(&self, var: &'static str, default: &str) -> Result<bool, ConfigError> {
        parse_bool(var, &self.or(var, default))
    }

    /// A number of milliseconds, as a duration.
    fn millis(
        &self,
        var: &'static str,
        default: &str,
        min: u32,
        max: u32,
    ) -> Result<Duration, ConfigError> {
        self.number(var, default, min, max)
            .map(|ms| Duration::from_millis(u64::from(ms)))
    }
}

impl Config {
    /// Reads the process environment, after loading `.env` if there is one.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is worth stopping for.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(invalid(".env", e.to_string())),
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any variable source (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars(Box::new(get));
        let server = server::read(&vars)?;
        let database = database::read(&vars)?;
        let media = media::read(&vars, &server.public_base_url)?;
        let mail = mail::read(&vars)?;
        let orders = orders::read(&vars, &server.public_base_url)?;
        let limits = Limits::read(&vars)?;
        let stripe = stripe::read(&vars, &orders.order_url)?;
        let whatsapp = whatsapp::read(&vars)?;
        let fee_retry_base = vars.millis("STRIPE_FEE_RETRY_MS", "60000", 10, 3_600_000)?;
        let backup = backup::read(&vars, &media.backend)?;
        Ok(Self {
            bind_addr: server.bind_addr,
            metrics_addr: server.metrics_addr,
            database_url: database.url,
            database_max_connections: database.max_connections,
            public_base_url: server.public_base_url,
            seed_demo: database.seed_demo,
            seed_pictures: database.seed_pictures,
            media,
            smtp_url: mail.smtp_url,
            mail_from: mail.mail_from,
            mail_reply_to: mail.mail_reply_to,
            mail_max_attempts: mail.mail_max_attempts,
            mail_poll: mail.mail_poll,
            mail_retry_base: mail.mail_retry_base,
            coordinator_email: mail.coordinator_email,
            data_key: database.data_key,
            token_secret: orders.token_secret,
            order_url: orders.order_url,
            admin_order_url: orders.admin_order_url,
            stripe,
            whatsapp,
            cors_origins: server.cors_origins,
            api_docs: server.api_docs,
            log_format: server.log_format,
            thread_scheduling: database.thread_scheduling,
            admin_session_ttl: server.admin_session_ttl,
            require_second_factor: server.require_second_factor,
            catalog_cache_ttl: server.catalog_cache_ttl,
            limits,
            card_reservation_minutes: orders.card_reservation_minutes,
            manual_reservation_days: orders.manual_reservation_days,
            manual_payment_instructions: orders.manual_payment_instructions,
            reservation_sweep: orders.reservation_sweep,
            buyer_data_days: orders.buyer_data_days,
            fee_retry_base,
            backup,
            disk_warn_percent: server.disk_warn_percent,
            shop_name: server.shop_name,
            warnings: server.warnings,
        })
    }
}

fn parse_bool(var: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(invalid(var, "expected true or false")),
    }
}

/// `90s`, `30m`, `24h` or `7d`: from one second to a year.
fn parse_interval(var: &'static str, value: &str) -> Result<Duration, ConfigError> {
    let unit = value.chars().last().unwrap_or('?');
    let seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => 0,
    };
    value
        .strip_suffix(unit)
        .unwrap_or_default()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(seconds))
        .filter(|s| (1..=365 * 86_400).contains(s))
        .map(Duration::from_secs)
        .ok_or_else(|| {
            invalid(
                var,
                "expected a number and a unit (s, m, h or d), e.g. 24h, from 1s to 365d",
            )
        })
}

fn parse_number(var: &'static str, value: &str, min: u32, max: u32) -> Result<u32, ConfigError> {
    value
        .parse::<u32>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| invalid(var, format!("expected a whole number from {min} to {max}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_public_address_follows_the_bound_one_and_a_mismatch_is_said() {
        let config = |vars: &[(&str, &str)]| {
            let vars: std::collections::HashMap<String, String> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Config::from_lookup(|k| vars.get(k).cloned()).expect("valid")
        };
        let moved = config(&[("BIND_ADDR", "0.0.0.0:9090")]);
        assert_eq!(moved.public_base_url, "http://127.0.0.1:9090");
        assert!(moved.warnings.is_empty());
        let stale = config(&[
            ("BIND_ADDR", "127.0.0.1:9090"),
            ("PUBLIC_BASE_URL", "http://localhost:8080"),
        ]);
        assert!(
            stale.warnings[0].contains("PUBLIC_BASE_URL"),
            "{:?}",
            stale.warnings
        );
        let proxied = config(&[
            ("BIND_ADDR", "127.0.0.1:9090"),
            ("PUBLIC_BASE_URL", "https://shop.example.org"),
        ]);
        assert!(proxied.warnings.is_empty());
    }

    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_give_the_embedded_setup() {
        let c = config(&[]).expect("defaults are valid");
        assert_eq!(c.bind_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://hunar.db?mode=rwc");
        assert_eq!(
            c.media.backend,
            MediaBackend::Local {
                dir: "./media".into()
            }
        );
        assert_eq!(c.media.public_url, "http://127.0.0.1:8080/media");
        assert_eq!(c.media.max_upload_bytes, 25 * 1024 * 1024);
        assert!(c.seed_demo);
        assert!(c.smtp_url.is_none());
        assert_eq!(c.catalog_cache_ttl, Duration::from_millis(1000));
        assert_eq!(c.thread_scheduling, ThreadScheduling::Normal);
    }

    #[test]
    fn threads_make_way_for_postgresql_unless_told_otherwise() {
        let pg = ("DATABASE_URL", "postgres://hunar@127.0.0.1/hunar");
        let scheduling = |vars: &[(&str, &str)]| config(vars).map(|c| c.thread_scheduling);
        let auto = if cfg!(target_os = "linux") {
            ThreadScheduling::Batch
        } else {
            ThreadScheduling::Normal
        };
        assert_eq!(scheduling(&[pg]), Ok(auto));
        assert_eq!(
            scheduling(&[pg, ("THREAD_SCHEDULING", "normal")]),
            Ok(ThreadScheduling::Normal)
        );
        assert_eq!(
            scheduling(&[("THREAD_SCHEDULING", "batch")]),
            Ok(ThreadScheduling::Batch)
        );
        assert_eq!(
            scheduling(&[("THREAD_SCHEDULING", "fast")]).map_err(|e| e.var),
            Err("THREAD_SCHEDULING")
        );
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (var, value) in [
            ("BIND_ADDR", "nowhere"),
            ("METRICS_ADDR", "9100"),
            ("METRICS_ADDR", "127.0.0.1:8080"),
            ("DATABASE_URL", "mysql://x"),
            ("PUBLIC_BASE_URL", "example.org"),
            ("SEED_DEMO", "perhaps"),
            ("MEDIA_BACKEND", "ftp"),
            ("MAX_UPLOAD_MB", "0"),
            ("JPEG_QUALITY", "101"),
            ("MEDIA_PUBLIC_URL", "cdn.example.org"),
            ("LOG_FORMAT", "xml"),
            ("CORS_ORIGINS", "example.org"),
            ("ADMIN_SESSION_HOURS", "0"),
            ("CATALOG_CACHE_MS", "-1"),
            ("CARD_RESERVATION_MINUTES", "29"),
            ("MANUAL_RESERVATION_DAYS", "a week"),
            ("RESERVATION_SWEEP_MS", "1"),
            ("MAIL_FROM", "not an address"),
            ("MAIL_MAX_ATTEMPTS", "0"),
            ("TOKEN_SECRET", "short"),
            ("ORDER_URL", "https://shop.example.org/orders"),
            ("TRUSTED_PROXIES", "10.0.0.0/33"),
            ("FORWARDED_HEADER", "x-real-ip"),
            ("HOLDS_PER_CLIENT", "0"),
            ("UNCONFIRMED_HOLD_MINUTES", "1"),
            ("UNCONFIRMED_EMAILS_PER_DAY", "none"),
            ("ORDER_ATTEMPTS_PER_CLIENT", "0"),
            ("LOGIN_ALERT_FAILURES", "0"),
        ] {
            let err = config(&[(var, value)]).expect_err(var);
            assert_eq!(err.var, var);
        }
        let err = config(&[("SMTP_URL", "smtp://127.0.0.1:1025")]).expect_err("needs coordinator");
        assert_eq!(err.var, "COORDINATOR_EMAIL");
        let err = config(&[("MEDIA_BACKEND", "s3")]).expect_err("needs a bucket");
        assert_eq!(err.var, "S3_BUCKET");
        let err = config(&[("STRIPE_SECRET_KEY", "sk_test_x")]).expect_err("needs webhook secret");
        assert_eq!(err.var, "STRIPE_WEBHOOK_SECRET");
        for (var, value) in [
            ("STRIPE_API_BASE", "api.stripe.com"),
            ("STRIPE_TIMEOUT_MS", "0"),
            ("CHECKOUT_SUCCESS_URL", "https://shop.example.org/thanks"),
            ("CHECKOUT_CANCEL_URL", "shop/{id}"),
        ] {
            let err = config(&[
                ("STRIPE_SECRET_KEY", "sk_test_x"),
                ("STRIPE_WEBHOOK_SECRET", "whsec_x"),
                (var, value),
            ])
            .expect_err(var);
            assert_eq!(err.var, var);
        }
    }

    #[test]
    fn stripe_takes_rotated_webhook_secrets_and_return_urls_from_the_order_link() {
        let c = config(&[
            ("STRIPE_SECRET_KEY", "sk_test_x"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_new, whsec_old"),
        ])
        .expect("valid");
        let stripe = c.stripe.expect("configured");
        assert_eq!(stripe.webhook_secrets, ["whsec_new", "whsec_old"]);
        assert_eq!(
            stripe.success_url,
            "http://127.0.0.1:8080/orders/{id}?token={token}&checkout=success"
        );
        assert!(!format!("{stripe:?}").contains("sk_test_x"));
    }

    #[test]
    fn backups_are_off_by_default_and_their_settings_are_checked() {
        assert!(config(&[]).expect("defaults").backup.is_none());
        let c =
            config(&[("BACKUP_DIR", "/var/backups/hunar"), ("BACKUP_EVERY", "6h")]).expect("valid");
        let backup = c.backup.expect("scheduled");
        assert_eq!(
            backup.target,
            BackupTarget::Dir("/var/backups/hunar".into())
        );
        assert_eq!(backup.every, Duration::from_secs(6 * 3600));
        assert_eq!(backup.keep, 7);
        for (var, value) in [
            ("BACKUP_EVERY", "0h"),
            ("BACKUP_EVERY", "24"),
            ("BACKUP_EVERY", "h"),
            ("BACKUP_EVERY", "1y"),
            ("BACKUP_EVERY", "366d"),
            ("BACKUP_EVERY", "99999999999999999999d"),
            ("BACKUP_KEEP", "0"),
            ("BACKUP_DIR", "s3:backups"),
            ("BACKUP_DIR", "s3:/"),
        ] {
            let mut vars = vec![(var, value)];
            if var != "BACKUP_DIR" {
                vars.push(("BACKUP_DIR", "/tmp/b"));
            }
            let err = config(&vars).expect_err(value);
            assert_eq!(err.var, var, "{value}");
        }
        assert_eq!(
            BackupTarget::parse("s3:/nightly/").expect("prefix"),
            BackupTarget::MediaBucket {
                prefix: "nightly".into()
            }
        );
    }
}
