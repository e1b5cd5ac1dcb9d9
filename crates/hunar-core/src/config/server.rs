//! The server itself: where it listens, the address it is reached at, its name, the API
//! viewer, cross-origin clients, the log, coordinators' sessions and the catalog's cache.
use std::net::SocketAddr;
use std::time::Duration;

use super::{ConfigError, Vars, invalid};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

pub struct Server {
    pub bind_addr: SocketAddr,
    pub metrics_addr: Option<SocketAddr>,
    pub public_base_url: String,
    pub shop_name: String,
    pub api_docs: bool,
    pub cors_origins: Vec<String>,
    pub log_format: LogFormat,
    pub admin_session_ttl: Duration,
    pub require_second_factor: bool,
    pub catalog_cache_ttl: Duration,
    pub disk_warn_percent: u8,
    pub warnings: Vec<String>,
}

pub fn read(vars: &Vars) -> Result<Server, ConfigError> {
    let bind_addr: SocketAddr = vars
        .or("BIND_ADDR", "127.0.0.1:8080")
        .parse()
        .map_err(|_| invalid("BIND_ADDR", "expected host:port such as 127.0.0.1:8080"))?;
    // By default the address the server listens on, so a server moved to another port
    // still draws its pictures: every photo's url starts with this.
    let listening = match bind_addr.ip() {
        ip if ip.is_unspecified() => SocketAddr::new(
            std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            bind_addr.port(),
        ),
        _ => bind_addr,
    };
    let public_base_url = vars.or("PUBLIC_BASE_URL", &format!("http://{listening}"));
    let warnings = disagreement(&public_base_url, bind_addr)
        .into_iter()
        .collect();
    if !(public_base_url.starts_with("http://") || public_base_url.starts_with("https://")) {
        return Err(invalid(
            "PUBLIC_BASE_URL",
            "expected an http:// or https:// URL",
        ));
    }
    let shop_name = vars.or("SHOP_NAME", "Hunar");
    if shop_name.chars().count() > 120 || shop_name.chars().any(char::is_control) {
        return Err(invalid("SHOP_NAME", "one line of at most 120 characters"));
    }
    let log_format = match vars.or("LOG_FORMAT", "pretty").as_str() {
        "pretty" => LogFormat::Pretty,
        "json" => LogFormat::Json,
        _ => return Err(invalid("LOG_FORMAT", "expected `pretty` or `json`")),
    };
    let admin_session_hours = vars.number("ADMIN_SESSION_HOURS", "12", 1, 24 * 30)?;
    Ok(Server {
        bind_addr,
        metrics_addr: metrics_addr(vars, bind_addr)?,
        public_base_url: public_base_url.trim_end_matches('/').to_string(),
        shop_name,
        api_docs: vars.flag("API_DOCS", "on")?,
        cors_origins: cors_origins(vars)?,
        log_format,
        admin_session_ttl: Duration::from_secs(u64::from(admin_session_hours) * 3600),
        require_second_factor: vars.flag("REQUIRE_SECOND_FACTOR", "false")?,
        catalog_cache_ttl: vars.millis("CATALOG_CACHE_MS", "1000", 0, 60_000)?,
        disk_warn_percent: u8::try_from(vars.number("DISK_WARN_PERCENT", "10", 1, 99)?)
            .unwrap_or(10),
        warnings,
    })
}

/// Prometheus's own listener. Never the public one: what the metrics say (how busy the shop
/// is, how many emails wait) is for the operator, not for anyone who finds the shop.
fn metrics_addr(vars: &Vars, bind_addr: SocketAddr) -> Result<Option<SocketAddr>, ConfigError> {
    let Some(value) = vars.get("METRICS_ADDR") else {
        return Ok(None);
    };
    let addr: SocketAddr = value.parse().map_err(|_| {
        invalid(
            "METRICS_ADDR",
            "expected host:port such as 127.0.0.1:9100 (unset: no metrics)",
        )
    })?;
    if addr.port() != 0 && addr.port() == bind_addr.port() {
        return Err(invalid(
            "METRICS_ADDR",
            "must be another port than BIND_ADDR: the metrics are never served on the public \
             listener",
        ));
    }
    Ok(Some(addr))
}

fn cors_origins(vars: &Vars) -> Result<Vec<String>, ConfigError> {
    let origins = vars
        .get("CORS_ORIGINS")
        .map(|v| {
            v.split(',')
                .map(|o| o.trim().trim_end_matches('/').to_string())
                .filter(|o| !o.is_empty())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    if let Some(bad) = origins
        .iter()
        .find(|o| !(o.starts_with("http://") || o.starts_with("https://")))
    {
        return Err(invalid(
            "CORS_ORIGINS",
            format!("`{bad}` is not an origin such as https://shop.example.org"),
        ));
    }
    Ok(origins)
}

/// A `PUBLIC_BASE_URL` on this machine (localhost, a loopback address) with another port
/// than the server listens on: every picture and link would point where nothing answers.
fn disagreement(public_base_url: &str, bind_addr: SocketAddr) -> Option<String> {
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
