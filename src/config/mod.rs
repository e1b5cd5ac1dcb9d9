//! Configuration: read once from environment variables (and `.env`), validated at start-up.
//! A bad value stops the server with one line naming the variable.
mod limits;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use limits::Limits;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// How the server's threads are scheduled (see `threads`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadScheduling {
    /// Linux's SCHED_BATCH: woken by a reply, a thread waits for the running process (the
    /// database's backend that sent it) to pause instead of cutting in.
    Batch,
    /// As the server was started (the system's default unless started under `chrt`).
    Normal,
}

#[derive(Clone, PartialEq, Eq)]
pub enum MediaBackend {
    Local {
        dir: PathBuf,
    },
    /// S3 or any S3-compatible object storage (MinIO, R2, Spaces …).
    S3 {
        bucket: String,
        region: String,
        endpoint: Option<String>,
        access_key_id: String,
        secret_access_key: String,
    },
}

impl std::fmt::Debug for MediaBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Local { dir } => f.debug_struct("Local").field("dir", dir).finish(),
            Self::S3 {
                bucket, endpoint, ..
            } => f
                .debug_struct("S3")
                .field("bucket", bucket)
                .field("endpoint", endpoint)
                .finish_non_exhaustive(),
        }
    }
}

/// Where backups go: a folder on this machine, or (`s3:PREFIX`) the media bucket under a
/// prefix, so the photos and the backups live in one place that is not this disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupTarget {
    Dir(PathBuf),
    MediaBucket { prefix: String },
}

impl BackupTarget {
    /// `s3:PREFIX` or a folder path.
    pub fn parse(value: &str) -> Result<Self, String> {
        match value.strip_prefix("s3:") {
            Some(prefix) => {
                let prefix = prefix.trim_matches('/');
                if prefix.is_empty() {
                    return Err(
                        "expected s3:PREFIX with a non-empty prefix, e.g. s3:backups".into(),
                    );
                }
                Ok(Self::MediaBucket {
                    prefix: prefix.to_string(),
                })
            }
            None if value.trim().is_empty() => Err("expected a folder or s3:PREFIX".into()),
            None => Ok(Self::Dir(PathBuf::from(value))),
        }
    }
}

impl std::fmt::Display for BackupTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Dir(dir) => write!(f, "{}", dir.display()),
            Self::MediaBucket { prefix } => write!(f, "s3:{prefix}"),
        }
    }
}

/// Backups taken by the server itself; off unless BACKUP_DIR is set.
#[derive(Debug, Clone)]
pub struct BackupSchedule {
    pub target: BackupTarget,
    pub every: Duration,
    /// How many snapshots to keep; older ones (and photos only they needed) are removed.
    pub keep: u32,
}

/// Limits and quality for photo uploads.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    pub backend: MediaBackend,
    /// Where variant urls point: `{PUBLIC_BASE_URL}/media` unless a CDN is in front.
    pub public_url: String,
    pub max_upload_bytes: usize,
    pub max_side: u32,
    pub max_pixels: u64,
    pub jpeg_quality: u8,
    pub webp_quality: u8,
    /// Uploads decoded at the same time; the rest wait, so the API is never starved.
    pub workers: usize,
}

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

#[derive(Debug, Clone)]
pub struct Config {
    pub bind_addr: SocketAddr,
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
    /// Secret for buyers' order tokens; generated and kept in the database when unset.
    pub token_secret: Option<String>,
    /// Where a buyer follows their order; `{id}` and `{token}` are filled in.
    pub order_url: String,
    /// Where a coordinator opens an order; `{id}` is filled in.
    pub admin_order_url: String,
    /// Card payments; None when STRIPE_SECRET_KEY is unset.
    pub stripe: Option<StripeConfig>,
    pub cors_origins: Vec<String>,
    /// The interactive API viewer at `/docs` (`API_DOCS=off` removes it; the document at
    /// `/api/openapi.json` stays).
    pub api_docs: bool,
    pub log_format: LogFormat,
    pub thread_scheduling: ThreadScheduling,
    pub admin_session_ttl: Duration,
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

pub const DEFAULT_MANUAL_INSTRUCTIONS: &str = "Thank you! Please pay {amount} by bank transfer \
or in cash through the Hunar coordinator, quoting {reference}. The coordinator confirms \
your payment by hand; the painting is reserved for you until {expires}.";

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
        let get = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let or = |name: &str, default: &str| get(name).unwrap_or_else(|| default.to_string());

        let bind_addr: SocketAddr = or("BIND_ADDR", "127.0.0.1:8080")
            .parse()
            .map_err(|_| invalid("BIND_ADDR", "expected host:port such as 127.0.0.1:8080"))?;

        let database_url = or("DATABASE_URL", "sqlite://hunar.db?mode=rwc");
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(invalid(
                "DATABASE_URL",
                "expected sqlite://FILE?mode=rwc or postgres://USER@HOST/DB",
            ));
        }

        let database_max_connections = get("DATABASE_MAX_CONNECTIONS")
            .map(|v| parse_number("DATABASE_MAX_CONNECTIONS", &v, 1, 1000))
            .transpose()?;

        // By default the address the server listens on, so a server moved to another port
        // still draws its pictures: every photo's url starts with this.
        let listening = match bind_addr.ip() {
            ip if ip.is_unspecified() => std::net::SocketAddr::new(
                std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
                bind_addr.port(),
            ),
            _ => bind_addr,
        };
        let public_base_url = or("PUBLIC_BASE_URL", &format!("http://{listening}"));
        let mut warnings = Vec::new();
        if let Some(warning) = disagreement(&public_base_url, bind_addr) {
            warnings.push(warning);
        }
        if !(public_base_url.starts_with("http://") || public_base_url.starts_with("https://")) {
            return Err(invalid(
                "PUBLIC_BASE_URL",
                "expected an http:// or https:// URL",
            ));
        }
        let public_base_url = public_base_url.trim_end_matches('/').to_string();

        let seed_demo = parse_bool("SEED_DEMO", &or("SEED_DEMO", "true"))?;
        let seed_pictures = parse_bool("SEED_PICTURES", &or("SEED_PICTURES", "true"))?;
        let api_docs = parse_bool("API_DOCS", &or("API_DOCS", "on"))?;
        let shop_name = or("SHOP_NAME", "Hunar");
        if shop_name.chars().count() > 120 || shop_name.chars().any(char::is_control) {
            return Err(invalid("SHOP_NAME", "one line of at most 120 characters"));
        }
        let disk_warn_percent =
            parse_number("DISK_WARN_PERCENT", &or("DISK_WARN_PERCENT", "10"), 1, 99)?;

        let backend = match or("MEDIA_BACKEND", "local").as_str() {
            "local" => MediaBackend::Local {
                dir: PathBuf::from(or("MEDIA_DIR", "./media")),
            },
            "s3" => {
                let required = |var: &'static str| {
                    get(var).ok_or_else(|| invalid(var, "required when MEDIA_BACKEND=s3"))
                };
                MediaBackend::S3 {
                    bucket: required("S3_BUCKET")?,
                    region: or("S3_REGION", "us-east-1"),
                    endpoint: get("S3_ENDPOINT"),
                    access_key_id: required("S3_ACCESS_KEY_ID")?,
                    secret_access_key: required("S3_SECRET_ACCESS_KEY")?,
                }
            }
            other => {
                return Err(invalid(
                    "MEDIA_BACKEND",
                    format!("`{other}` is not supported; expected `local` or `s3`"),
                ));
            }
        };
        let media_public_url = or("MEDIA_PUBLIC_URL", &format!("{public_base_url}/media"));
        if !(media_public_url.starts_with("http://") || media_public_url.starts_with("https://")) {
            return Err(invalid("MEDIA_PUBLIC_URL", "expected an http(s) URL"));
        }
        let max_upload_mb = parse_number("MAX_UPLOAD_MB", &or("MAX_UPLOAD_MB", "25"), 1, 200)?;
        let max_side = parse_number(
            "MAX_IMAGE_SIDE",
            &or("MAX_IMAGE_SIDE", "12000"),
            100,
            30_000,
        )?;
        let max_megapixels = parse_number(
            "MAX_IMAGE_MEGAPIXELS",
            &or("MAX_IMAGE_MEGAPIXELS", "50"),
            1,
            200,
        )?;
        let jpeg_quality = parse_number("JPEG_QUALITY", &or("JPEG_QUALITY", "82"), 30, 100)?;
        let webp_quality = parse_number("WEBP_QUALITY", &or("WEBP_QUALITY", "80"), 30, 100)?;
        let workers = parse_number("IMAGE_WORKERS", &or("IMAGE_WORKERS", "2"), 1, 64)?;
        let media = MediaConfig {
            backend,
            public_url: media_public_url.trim_end_matches('/').to_string(),
            max_upload_bytes: max_upload_mb as usize * 1024 * 1024,
            max_side,
            max_pixels: u64::from(max_megapixels) * 1_000_000,
            jpeg_quality: u8::try_from(jpeg_quality).unwrap_or(82),
            webp_quality: u8::try_from(webp_quality).unwrap_or(80),
            workers: workers as usize,
        };

        let smtp_url = get("SMTP_URL");
        if let Some(url) = &smtp_url
            && !(url.starts_with("smtp://") || url.starts_with("smtps://"))
        {
            return Err(invalid(
                "SMTP_URL",
                "expected smtp://HOST:PORT or smtps://USER:PASS@HOST:PORT",
            ));
        }
        let coordinator_email = get("COORDINATOR_EMAIL");
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

        let mail_from = or("MAIL_FROM", "Hunar <no-reply@localhost>");
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(invalid(
                "MAIL_FROM",
                "expected an address such as `Hunar <no-reply@example.org>`",
            ));
        }
        let mail_reply_to = get("MAIL_REPLY_TO");
        if let Some(reply_to) = &mail_reply_to
            && reply_to.parse::<lettre::message::Mailbox>().is_err()
        {
            return Err(invalid("MAIL_REPLY_TO", "expected an email address"));
        }
        let mail_max_attempts =
            parse_number("MAIL_MAX_ATTEMPTS", &or("MAIL_MAX_ATTEMPTS", "8"), 1, 100)?;
        let mail_retry_base_ms = parse_number(
            "MAIL_RETRY_BASE_MS",
            &or("MAIL_RETRY_BASE_MS", "30000"),
            10,
            3_600_000,
        )?;
        let mail_poll_ms = parse_number("MAIL_POLL_MS", &or("MAIL_POLL_MS", "1000"), 10, 600_000)?;

        let order_url = or(
            "ORDER_URL",
            &format!("{public_base_url}/orders/{{id}}?token={{token}}"),
        );
        if !(order_url.contains("{id}") && order_url.contains("{token}")) {
            return Err(invalid("ORDER_URL", "must contain {id} and {token}"));
        }
        let admin_order_url = or(
            "ADMIN_ORDER_URL",
            &format!("{public_base_url}/admin/orders/{{id}}"),
        );
        if !admin_order_url.contains("{id}") {
            return Err(invalid("ADMIN_ORDER_URL", "must contain {id}"));
        }
        let token_secret = get("TOKEN_SECRET");
        if token_secret.as_ref().is_some_and(|s| s.len() < 32) {
            return Err(invalid("TOKEN_SECRET", "use at least 32 random characters"));
        }

        let cors_origins = get("CORS_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_string())
                    .filter(|o| !o.is_empty())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        if let Some(bad) = cors_origins
            .iter()
            .find(|o| !(o.starts_with("http://") || o.starts_with("https://")))
        {
            return Err(invalid(
                "CORS_ORIGINS",
                format!("`{bad}` is not an origin such as https://shop.example.org"),
            ));
        }

        let log_format = match or("LOG_FORMAT", "pretty").as_str() {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            _ => return Err(invalid("LOG_FORMAT", "expected `pretty` or `json`")),
        };

        // `auto`: batch with PostgreSQL, where it measured 36 % more catalog pages a second
        // with the database on the same two cores (as in docker-compose); SQLite runs inside
        // the server, with nothing to make way for (its pages measured slower so, beside
        // wrk). Off Linux there is no SCHED_BATCH to choose.
        let thread_scheduling = match or("THREAD_SCHEDULING", "auto").as_str() {
            "auto" if database_url.starts_with("sqlite:") || !cfg!(target_os = "linux") => {
                ThreadScheduling::Normal
            }
            "auto" | "batch" => ThreadScheduling::Batch,
            "normal" => ThreadScheduling::Normal,
            _ => {
                return Err(invalid(
                    "THREAD_SCHEDULING",
                    "expected `auto`, `batch` or `normal`",
                ));
            }
        };

        let admin_session_hours = parse_number(
            "ADMIN_SESSION_HOURS",
            &or("ADMIN_SESSION_HOURS", "12"),
            1,
            24 * 30,
        )?;
        let catalog_cache_ms = parse_number(
            "CATALOG_CACHE_MS",
            &or("CATALOG_CACHE_MS", "1000"),
            0,
            60_000,
        )?;
        let limits = Limits::from_lookup(|var, default| or(var, default))?;

        // Stripe keeps a Checkout Session open for 30 minutes to 24 hours; the reservation
        // and the session end together.
        let card_reservation_minutes = parse_number(
            "CARD_RESERVATION_MINUTES",
            &or("CARD_RESERVATION_MINUTES", "30"),
            30,
            24 * 60,
        )?;
        let stripe = match get("STRIPE_SECRET_KEY") {
            None => None,
            Some(secret_key) => {
                let webhook_secrets: Vec<String> = get("STRIPE_WEBHOOK_SECRET")
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
                let api_base = or("STRIPE_API_BASE", "https://api.stripe.com");
                if !(api_base.starts_with("https://") || api_base.starts_with("http://")) {
                    return Err(invalid("STRIPE_API_BASE", "expected an http(s) URL"));
                }
                let timeout_ms = parse_number(
                    "STRIPE_TIMEOUT_MS",
                    &or("STRIPE_TIMEOUT_MS", "10000"),
                    100,
                    120_000,
                )?;
                let with_param = |param: &str| {
                    let sep = if order_url.contains('?') { '&' } else { '?' };
                    format!("{order_url}{sep}checkout={param}")
                };
                let success_url = or("CHECKOUT_SUCCESS_URL", &with_param("success"));
                let cancel_url = or("CHECKOUT_CANCEL_URL", &with_param("cancelled"));
                for (var, url) in [
                    ("CHECKOUT_SUCCESS_URL", &success_url),
                    ("CHECKOUT_CANCEL_URL", &cancel_url),
                ] {
                    if !(url.starts_with("https://") || url.starts_with("http://"))
                        || !url.contains("{id}")
                    {
                        return Err(invalid(var, "expected an http(s) URL containing {id}"));
                    }
                }
                Some(StripeConfig {
                    secret_key,
                    webhook_secrets,
                    api_base: api_base.trim_end_matches('/').to_string(),
                    timeout: Duration::from_millis(u64::from(timeout_ms)),
                    success_url,
                    cancel_url,
                })
            }
        };
        let manual_reservation_days = parse_number(
            "MANUAL_RESERVATION_DAYS",
            &or("MANUAL_RESERVATION_DAYS", "7"),
            1,
            90,
        )?;
        let reservation_sweep_ms = parse_number(
            "RESERVATION_SWEEP_MS",
            &or("RESERVATION_SWEEP_MS", "15000"),
            10,
            3_600_000,
        )?;
        let fee_retry_ms = parse_number(
            "STRIPE_FEE_RETRY_MS",
            &or("STRIPE_FEE_RETRY_MS", "60000"),
            10,
            3_600_000,
        )?;
        let backup = match get("BACKUP_DIR") {
            None => None,
            Some(dir) => {
                let target = BackupTarget::parse(&dir).map_err(|m| invalid("BACKUP_DIR", m))?;
                if matches!(target, BackupTarget::MediaBucket { .. })
                    && !matches!(media.backend, MediaBackend::S3 { .. })
                {
                    return Err(invalid(
                        "BACKUP_DIR",
                        "s3:PREFIX needs MEDIA_BACKEND=s3 (backups go to the media bucket)",
                    ));
                }
                Some(BackupSchedule {
                    target,
                    every: parse_interval("BACKUP_EVERY", &or("BACKUP_EVERY", "24h"))?,
                    keep: parse_number("BACKUP_KEEP", &or("BACKUP_KEEP", "7"), 1, 1000)?,
                })
            }
        };

        Ok(Self {
            bind_addr,
            database_url,
            database_max_connections,
            public_base_url,
            seed_demo,
            seed_pictures,
            media,
            smtp_url,
            mail_from,
            mail_reply_to,
            mail_max_attempts,
            mail_poll: Duration::from_millis(u64::from(mail_poll_ms)),
            mail_retry_base: Duration::from_millis(u64::from(mail_retry_base_ms)),
            coordinator_email,
            token_secret,
            order_url,
            admin_order_url,
            stripe,
            cors_origins,
            api_docs,
            log_format,
            thread_scheduling,
            admin_session_ttl: Duration::from_secs(u64::from(admin_session_hours) * 3600),
            catalog_cache_ttl: Duration::from_millis(u64::from(catalog_cache_ms)),
            limits,
            card_reservation_minutes,
            manual_reservation_days,
            manual_payment_instructions: or(
                "MANUAL_PAYMENT_INSTRUCTIONS",
                DEFAULT_MANUAL_INSTRUCTIONS,
            ),
            reservation_sweep: Duration::from_millis(u64::from(reservation_sweep_ms)),
            fee_retry_base: Duration::from_millis(u64::from(fee_retry_ms)),
            backup,
            disk_warn_percent: u8::try_from(disk_warn_percent).unwrap_or(10),
            shop_name,
            warnings,
        })
    }
}

/// A `PUBLIC_BASE_URL` on this machine (localhost, a loopback address) with another port
/// than the server listens on: every picture and link would point where nothing answers.
fn disagreement(public_base_url: &str, bind_addr: std::net::SocketAddr) -> Option<String> {
    let url = url::Url::parse(public_base_url).ok()?;
    let local = match url.host()? {
        url::Host::Domain(name) => name == "localhost",
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    };
    let port = url.port_or_known_default()?;
    (local && bind_addr.port() != 0 && port != bind_addr.port()).then(|| {
        format!(
            "PUBLIC_BASE_URL ({public_base_url}) names this machine on port {port}, but BIND_ADDR \
             listens on {}: pictures and links in pages and emails will not load. Leave \
             PUBLIC_BASE_URL unset, or give the address the shop is reached at",
            bind_addr.port()
        )
    })
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
