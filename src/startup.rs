//! Builds the application: database, migrations, demo data, routes and the HTTP server.
use std::net::TcpListener;
use std::sync::Arc;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{Compress, Condition, ErrorHandlers, from_fn};
use actix_web::{App, HttpMessage, HttpResponse, HttpServer, web};
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::catalog::cache::CatalogCache;
use crate::config::Config;
use crate::error::{ApiError, ensure_problem_json};
use crate::media::{self, Media};
use crate::notifications::{self, MailSettings, worker::Mailer};
use crate::orders::tokens::OrderTokens;
use crate::payments::StripeGateway;
use crate::state::AppState;
use crate::telemetry_span::HunarRootSpan;
use crate::{catalog, db, health, openapi, orders, router, seed};

pub struct Application {
    port: u16,
    server: Server,
    /// The metrics listener and its port, when `METRICS_ADDR` is set.
    metrics: Option<(u16, Server)>,
    state: AppState,
}

impl Application {
    /// Connects, migrates, seeds (when configured and empty) and binds; does not serve yet.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = db::connect_with(&config.database_url, config.database_max_connections).await?;
        db::migrate(&db).await?;
        // Before anything is written: a server given another key than the database's stops
        // here, and values from before sealing are sealed before anyone is answered.
        let vault = crate::vault::open_vault(&db, &config.data_key).await?;
        crate::vault::spawn_follow(db.clone(), vault.clone());
        let seeded = seed_demo(&db, &config, &vault).await?;
        let tokens = OrderTokens::load(&db, config.token_secret.as_deref()).await?;
        let listener = TcpListener::bind(config.bind_addr)?;
        let port = listener.local_addr()?.port();
        let payments = match &config.stripe {
            Some(stripe) => Some(Arc::new(StripeGateway::new(stripe)?)),
            None => None,
        };
        let media = Media::new(
            &config.media,
            media::store::from_config(&config.media.backend)?,
        );
        let core = crate::services::Services::start(&db, &config, &media, vault.clone());
        prepare_cards(&db, (&config, &seeded), &media, &core.cards).await?;
        let mailer = match &config.smtp_url {
            Some(smtp_url) => Some(Mailer::new(
                smtp_url,
                &config.mail_from,
                config.mail_reply_to.as_deref(),
            )?),
            None => None,
        };
        let storage = storage_watch(&db, &config, mailer.as_ref());
        storage.spawn();
        let organisation = crate::organisation::Kept::load(&db, &config.shop_name).await?;
        organisation.spawn_refresh(db.clone());
        let state = AppState {
            storage,
            organisation,
            core,
            db,
            payments,
            media,
            catalog_cache: CatalogCache::new(config.catalog_cache_ttl),
            mail: Arc::new(MailSettings::from_config(&config, tokens, vault)),
            config: Arc::new(config),
        };
        spawn_workers(&state, mailer);
        let (metrics, metrics_server) = match state.config.metrics_addr {
            Some(addr) => {
                let metrics = crate::metrics::Metrics::new()?;
                let listener = TcpListener::bind(addr)?;
                let port = listener.local_addr()?.port();
                let server = crate::metrics::serve(listener, state.clone(), metrics.clone())?;
                (Some(metrics), Some((port, server)))
            }
            None => (None, None),
        };
        let server = serve(listener, state.clone(), metrics)?;
        Ok(Self {
            port,
            server,
            metrics: metrics_server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics listener's port, when `METRICS_ADDR` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM or Ctrl-C, then finishes in-flight requests and returns.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        match self.metrics {
            // The shop stops on the signal and drains; the metrics listener (which ignores
            // signals) is stopped after it.
            Some((_, metrics)) => {
                let handle = metrics.handle();
                let metrics = tokio::spawn(metrics);
                let served = self.server.await;
                handle.stop(true).await;
                let _ = metrics.await;
                served
            }
            None => self.server.await,
        }
    }
}

/// An unknown path: the shop's 404 page for a browser (it asks for HTML), problem+json for
/// every other client and anywhere under the API.
async fn unknown_route(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    spec: web::Data<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let path = req.path();
    // A documented path asked with another method: 405 naming the methods it has.
    if let Some(allow) = openapi::methods_of(&spec, path)
        && !allow.iter().any(|m| m == req.method().as_str())
    {
        return Err(ApiError::MethodNotAllowed {
            method: req.method().to_string(),
            allow,
        });
    }
    let for_programs = ["/api", "/media/", "/health", "/docs"]
        .iter()
        .any(|prefix| path.starts_with(prefix));
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if for_programs || !wants_html || req.method() != actix_web::http::Method::GET {
        return Err(ApiError::RouteNotFound);
    }
    Ok(crate::web::frame::not_found_page(
        &req,
        &state.config.public_base_url,
    ))
}

/// Echo the request id so a supporter's bug report can be matched to the logs.
async fn request_id_header(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let mut res = next.call(req).await?;
    if let Some(value) = request_id.and_then(|id| header::HeaderValue::from_str(&id).ok()) {
        res.headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("idempotency-key"),
        ])
        // Retry-After: a partner's page can only wait as long as a 429 says if it may read it.
        .expose_headers([
            header::HeaderName::from_static("x-request-id"),
            header::RETRY_AFTER,
        ])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// On an empty database, demo data when configured, and the first login printed.
async fn seed_demo(
    db: &sea_orm::DatabaseConnection,
    config: &Config,
    vault: &crate::vault::Vault,
) -> anyhow::Result<seed::Seeded> {
    let seeded = match config.seed_demo {
        true => seed::seed_if_empty(db, vault).await?,
        false => seed::Seeded {
            catalog: false,
            login: None,
        },
    };
    if let Some(login) = &seeded.login {
        login.print();
    }
    Ok(seeded)
}

/// The catalog's cards built for this release: the demo's (with its pictures) when it was
/// just seeded, else any the current format lacks.
async fn prepare_cards(
    db: &sea_orm::DatabaseConnection,
    (config, seeded): (&Config, &seed::Seeded),
    media: &Media,
    cards: &catalog::cards::CardKeeper,
) -> anyhow::Result<()> {
    if seeded.catalog && config.seed_pictures {
        seed::pictures::add(db, media, cards).await;
    }
    // The seed writes its rows directly: its paintings' cards are built here.
    if seeded.catalog {
        catalog::cards::rebuild(db, media).await?;
    } else if catalog::cards::ensure(db, media).await? {
        tracing::info!("the catalog's cards were built for this format");
    }
    Ok(())
}

/// Watches the disks and whether the database takes writes; tells the coordinator when one
/// runs low, if a mail server is configured.
fn storage_watch(
    db: &sea_orm::DatabaseConnection,
    config: &Config,
    mailer: Option<&Mailer>,
) -> crate::storage::StorageWatch {
    let alert = match (mailer, &config.coordinator_email) {
        (Some(mailer), Some(coordinator)) => Some(crate::storage::Alert {
            mailer: mailer.clone(),
            coordinator: coordinator.clone(),
            console_url: format!("{}/admin", config.public_base_url.trim_end_matches('/')),
        }),
        _ => None,
    };
    let media_dir = match &config.media.backend {
        crate::config::MediaBackend::Local { dir } => Some(dir.clone()),
        crate::config::MediaBackend::S3 { .. } => None,
    };
    crate::storage::StorageWatch::new(
        db.clone(),
        &config.database_url,
        media_dir.as_deref(),
        config.disk_warn_percent,
        alert,
    )
}

/// The work that runs beside requests: holds running out, card fees, the outbox, backups.
fn spawn_workers(state: &AppState, mailer: Option<Mailer>) {
    orders::expiry::spawn(
        state.db.clone(),
        (*state.mail).clone(),
        state.catalog_cache.clone(),
        state.config.reservation_sweep,
    );
    orders::erasure::spawn(
        state.db.clone(),
        chrono::Duration::days(i64::from(state.config.buyer_data_days)),
    );
    if let Some(gateway) = &state.payments {
        crate::ledger::fees::spawn(
            state.db.clone(),
            (**gateway).clone(),
            state.config.fee_retry_base,
        );
    }
    if let Some(config) = &state.config.whatsapp {
        match notifications::whatsapp::WhatsApp::new(config.clone()) {
            Ok(wa) => {
                notifications::whatsapp::spawn(
                    state.db.clone(),
                    wa,
                    (*state.mail).clone(),
                    state.config.mail_poll,
                );
            }
            Err(err) => tracing::error!(error = %err, "WhatsApp cannot be reached from here"),
        }
    }
    if let Some(mailer) = mailer {
        notifications::worker::spawn(
            state.db.clone(),
            mailer,
            (*state.mail).clone(),
            state.config.mail_poll,
        );
    }
    if let Some(schedule) = &state.config.backup {
        crate::backup::schedule::spawn(
            state.db.clone(),
            state.config.database_url.clone(),
            state.media.clone(),
            state.config.media.backend.clone(),
            schedule.clone(),
            (*state.mail).clone(),
        );
    }
}

fn serve(
    listener: TcpListener,
    state: AppState,
    metrics: Option<crate::metrics::Metrics>,
) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        let (app, api) = App::new()
            .into_utoipa_app()
            .openapi(openapi::ApiDoc::openapi())
            .app_data(web::Data::new(state.clone()))
            .service(health::live)
            .service(health::ready)
            // Login sits outside the guarded admin scope; registered first so it matches first.
            .service(crate::api::auth::login)
            .service(router::admin_api(state.catalog_cache.clone()))
            .service(router::public_api())
            .service(crate::api::media::serve)
            .split_for_parts();
        let spec = openapi::finish(api, &state.config.public_base_url);
        app.app_data(web::Data::new(spec.clone()))
            .route(
                "/api/openapi.json",
                web::get().to(|spec: web::Data<serde_json::Value>| async move {
                    HttpResponse::Ok().json(spec.get_ref())
                }),
            )
            .configure(|cfg| {
                if state.config.api_docs {
                    openapi::viewer(cfg);
                }
            })
            .configure(router::shop)
            .configure(router::console)
            .default_service(web::to(unknown_route))
            .wrap(ErrorHandlers::new().default_handler(ensure_problem_json))
            .wrap(Condition::new(
                !state.config.cors_origins.is_empty(),
                cors(&state.config.cors_origins),
            ))
            .wrap(Compress::default())
            .wrap(from_fn(crate::extract::refuse_nul))
            .wrap(from_fn(crate::safety::catch_panics))
            .wrap(from_fn({
                let https = state.config.public_base_url.starts_with("https://");
                move |req, next| crate::headers::security_headers(https, req, next)
            }))
            .wrap(from_fn({
                let trusted = state.config.limits.trusted_proxies.clone();
                move |req, next| crate::client::identify(trusted.clone(), req, next)
            }))
            .wrap(from_fn(request_id_header))
            // Outside the panic net and the error handlers: it counts the status sent.
            .wrap(from_fn({
                let metrics = metrics.clone();
                move |req, next| crate::metrics::record(metrics.clone(), req, next)
            }))
            .wrap(TracingLogger::<HunarRootSpan>::new())
    })
    .shutdown_timeout(15)
    // Without it, a response written in two pieces (headers, then a compressed body) waits
    // for the client's delayed ACK: 40 ms on a kept-alive connection.
    .tcp_nodelay(true)
    .listen(listener)?
    .run();
    Ok(server)
}
