//! Prometheus metrics on their own listener (`METRICS_ADDR`), never the public one: request
//! counts and times by route, and what the database says when Prometheus asks (messages
//! waiting, orders by status, the last good backup, the pool). Labels are route patterns,
//! statuses and channels only: no id, path or address, so the series stay few.
use std::net::TcpListener;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{App, HttpResponse, HttpServer, web};
use prometheus::{
    Gauge, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::state::AppState;

/// The route label of a request no route took (a mistyped or probing path).
const UNMATCHED: &str = "unmatched";

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    durations: HistogramVec,
    outbox: IntGaugeVec,
    orders: IntGaugeVec,
    last_backup: Gauge,
    cache_hits: IntCounter,
    cache_misses: IntCounter,
    connections: IntGaugeVec,
    max_connections: IntGauge,
    database_up: IntGauge,
}

/// How long a scrape waits for the database: less than Prometheus's own 10 s, so a database
/// that does not answer shows as `hunar_database_up 0` rather than as a failed scrape.
const DATABASE_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let metrics = Self {
            requests: IntCounterVec::new(
                Opts::new("hunar_http_requests_total", "HTTP requests answered"),
                &["route", "status"],
            )?,
            // From a cached catalog page (well under a millisecond) to a photo upload.
            durations: HistogramVec::new(
                HistogramOpts::new(
                    "hunar_http_request_duration_seconds",
                    "Time from request to response",
                )
                .buckets(vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    10.0,
                ]),
                &["route"],
            )?,
            outbox: IntGaugeVec::new(
                Opts::new(
                    "hunar_outbox_messages",
                    "Messages in the outbox by channel and status",
                ),
                &["channel", "status"],
            )?,
            // A gauge: orders now in each status, read from the database (the same on every
            // instance, kept across restarts). The name is the one API.md gives.
            orders: IntGaugeVec::new(
                Opts::new("hunar_orders_total", "Orders by their status now"),
                &["status"],
            )?,
            last_backup: Gauge::new(
                "hunar_backup_last_success_timestamp_seconds",
                "When the newest good backup finished (Unix time; 0: never)",
            )?,
            cache_hits: IntCounter::new(
                "hunar_catalog_cache_hits_total",
                "Catalog pages served from memory",
            )?,
            cache_misses: IntCounter::new(
                "hunar_catalog_cache_misses_total",
                "Catalog pages built",
            )?,
            connections: IntGaugeVec::new(
                Opts::new(
                    "hunar_db_pool_connections",
                    "Database connections in use and idle",
                ),
                &["state"],
            )?,
            max_connections: IntGauge::new(
                "hunar_db_pool_max_connections",
                "The most connections the pool opens",
            )?,
            database_up: IntGauge::new(
                "hunar_database_up",
                "Whether the database answered this scrape (the gauges above are from it)",
            )?,
            registry,
        };
        let m = &metrics;
        m.registry.register(Box::new(m.requests.clone()))?;
        m.registry.register(Box::new(m.durations.clone()))?;
        m.registry.register(Box::new(m.outbox.clone()))?;
        m.registry.register(Box::new(m.orders.clone()))?;
        m.registry.register(Box::new(m.last_backup.clone()))?;
        m.registry.register(Box::new(m.cache_hits.clone()))?;
        m.registry.register(Box::new(m.cache_misses.clone()))?;
        m.registry.register(Box::new(m.connections.clone()))?;
        m.registry.register(Box::new(m.max_connections.clone()))?;
        m.registry.register(Box::new(m.database_up.clone()))?;
        Ok(metrics)
    }

    fn observe(&self, route: &str, status: actix_web::http::StatusCode, seconds: f64) {
        self.requests
            .with_label_values(&[route, status.as_str()])
            .inc();
        self.durations.with_label_values(&[route]).observe(seconds);
    }

    /// The figures read when Prometheus asks, then all of them as text.
    async fn render(&self, state: &AppState) -> String {
        // From the pool's own counts, first: known also when the database does not answer.
        let pool = hunar_core::gauges::pool(&state.db);
        self.connections
            .with_label_values(&["in_use"])
            .set(i64::from(pool.in_use));
        self.connections
            .with_label_values(&["idle"])
            .set(i64::from(pool.idle));
        self.max_connections.set(i64::from(pool.max));
        match tokio::time::timeout(DATABASE_WAIT, hunar_core::gauges::read(&state.db)).await {
            Ok(Ok(readings)) => {
                for (channel, status, rows) in readings.outbox {
                    self.outbox.with_label_values(&[channel, status]).set(rows);
                }
                for (status, rows) in readings.orders {
                    self.orders.with_label_values(&[status]).set(rows);
                }
                self.last_backup
                    .set(readings.last_backup.map_or(0.0, |at| at.timestamp() as f64));
                self.database_up.set(1);
            }
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "metrics: the database did not answer");
                self.database_up.set(0);
            }
            Err(_) => {
                tracing::warn!("metrics: the database did not answer within 3 s");
                self.database_up.set(0);
            }
        }
        // The cache counts in atomics of its own; copied here without an await between reset
        // and add, so a scrape on this one-thread listener never sees half of it.
        let (hits, misses) = state.catalog_cache.hits_and_misses();
        self.cache_hits.reset();
        self.cache_hits.inc_by(hits);
        self.cache_misses.reset();
        self.cache_misses.inc_by(misses);
        let mut text = String::new();
        if let Err(err) = TextEncoder::new().encode_utf8(&self.registry.gather(), &mut text) {
            tracing::error!(error = %err, "metrics could not be written out");
        }
        text
    }
}

/// Counts each request under the route that took it (its pattern, `/api/v1/artworks/{id}`),
/// with the status it was answered with and how long that took.
pub async fn record(
    metrics: Option<Metrics>,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(metrics) = metrics else {
        return next.call(req).await;
    };
    // Taken before the call: a panic's 500 comes back without its request.
    let route = req.match_pattern();
    let started = Instant::now();
    let res = next.call(req).await;
    let status = match &res {
        Ok(res) => res.status(),
        Err(err) => err.as_response_error().status_code(),
    };
    metrics.observe(
        route.as_deref().unwrap_or(UNMATCHED),
        status,
        started.elapsed().as_secs_f64(),
    );
    res
}

/// The metrics listener: `GET /metrics` and nothing else.
pub fn serve(listener: TcpListener, state: AppState, metrics: Metrics) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new((state.clone(), metrics.clone())))
            .route(
                "/metrics",
                web::get().to(|data: web::Data<(AppState, Metrics)>| async move {
                    let (state, metrics) = data.get_ref();
                    HttpResponse::Ok()
                        .content_type("text/plain; version=0.0.4; charset=utf-8")
                        .body(metrics.render(state).await)
                }),
            )
    })
    // Prometheus asks every few seconds; one thread is plenty and keeps the scrape's reset
    // and add of the cache counters from interleaving.
    .workers(1)
    // Stopped by the application after the shop has drained (startup.rs), so the metrics are
    // there to watch the drain and the pool's connections outlive every shop request.
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}
