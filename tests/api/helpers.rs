//! Starts the real application on a random port with its own database, like a client
//! would meet it. SQLite by default; PostgreSQL when DATABASE_URL points at one, each test
//! in a fresh database copied from a template migrated once per run.
use std::collections::HashMap;
use std::path::PathBuf;

use hunar::config::Config;
use hunar::startup::Application;
use reqwest::{Method, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

pub const ADMIN_EMAIL: &str = "coordinator@example.org";
pub const ADMIN_PASSWORD: &str = "a long enough test password";

pub struct TestApp {
    pub address: String,
    pub database_url: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub state: hunar::state::AppState,
    /// Where this app stores image variants.
    pub media_dir: PathBuf,
    /// `http://127.0.0.1:PORT` of the metrics listener, when `METRICS_ADDR` was given.
    pub metrics_address: Option<String>,
    _dir: Option<tempfile::TempDir>,
    pg_database: Option<(String, String)>,
}

fn postgres_base_url() -> Option<String> {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| url.starts_with("postgres://") || url.starts_with("postgresql://"))
}

/// `postgres://user@host:port/db?x` with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..]
        .find('/')
        .map(|i| scheme_end + i)
        .unwrap_or(base.len());
    format!("{}/{name}{query}", &base[..host_end])
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

async fn maintenance(base: &str) -> DatabaseConnection {
    Database::connect(with_database(base, "postgres"))
        .await
        .expect("connect to PostgreSQL maintenance database")
}

/// A fresh PostgreSQL database for one test, cloned from a migrated template.
async fn fresh_postgres_database(base: &str) -> (String, String) {
    let template = TEMPLATE
        .get_or_init(|| async {
            let name = format!("hunar_tpl_{}", uuid::Uuid::new_v4().simple());
            let admin = maintenance(base).await;
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create template database");
            admin.close().await.ok();
            let db = hunar::db::connect(&with_database(base, &name))
                .await
                .expect("connect to template");
            hunar::db::migrate(&db).await.expect("migrate template");
            db.close().await.ok();
            name
        })
        .await;
    let name = format!("hunar_test_{}", uuid::Uuid::new_v4().simple());
    let admin = maintenance(base).await;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
        .await
        .expect("create test database");
    admin.close().await.ok();
    (with_database(base, &name), name)
}

pub struct TestAppBuilder {
    vars: HashMap<String, String>,
    shared_database: Option<String>,
}

impl TestAppBuilder {
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.vars.insert(key.into(), value.into());
        self
    }

    /// A second app instance on another instance's database (another process, in effect).
    pub fn database(mut self, url: &str) -> Self {
        self.shared_database = Some(url.to_string());
        self
    }

    /// The limits on anonymous clients as they are by default, not lifted.
    pub fn default_limits(mut self) -> Self {
        for (var, _) in LIMITS_OFF {
            self.vars.remove(var);
        }
        self
    }

    pub fn seeded(self) -> Self {
        self.env("SEED_DEMO", "true")
    }

    /// Listens on a port chosen now and says so in `PUBLIC_BASE_URL`, so the pictures and
    /// links in its pages load in a real browser (the others keep `127.0.0.1:8080`, whose
    /// urls no test follows). The port is free when picked and taken again a moment later;
    /// only the browser tests, one at a time, use this.
    pub fn reachable(self) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        self.env("BIND_ADDR", &format!("127.0.0.1:{port}"))
            .env("PUBLIC_BASE_URL", &format!("http://127.0.0.1:{port}"))
    }

    pub async fn spawn(mut self) -> TestApp {
        let tmp = tempfile::tempdir().expect("temp dir");
        let media_dir = tmp.path().join("media");
        self.vars
            .entry("MEDIA_DIR".into())
            .or_insert_with(|| media_dir.display().to_string());
        let media_dir = PathBuf::from(&self.vars["MEDIA_DIR"]);
        let mut pg_database = None;
        let url = match (self.shared_database.take(), postgres_base_url()) {
            (Some(url), _) => url,
            (None, Some(base)) => {
                let (url, name) = fresh_postgres_database(&base).await;
                pg_database = Some((base, name));
                url
            }
            (None, None) => format!("sqlite://{}/hunar.db?mode=rwc", tmp.path().display()),
        };
        self.vars.insert("DATABASE_URL".into(), url.clone());
        let vars = self.vars;
        let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("test config");
        let app = Application::build(config).await.expect("build app");
        let address = format!("http://127.0.0.1:{}", app.port());
        let metrics_address = app
            .metrics_port()
            .map(|port| format!("http://127.0.0.1:{port}"));
        let db = app.state().db.clone();
        let state = app.state().clone();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            database_url: url,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                // Never reuse a connection the server may be closing: actix ends one idle for
                // 5 s, and a POST sent on it just then fails with a broken pipe (hyper does
                // not resend a body). Seen when a test spent ~5 s building a large photo.
                .pool_idle_timeout(std::time::Duration::from_secs(2))
                .build()
                .expect("http client"),
            db,
            state,
            media_dir,
            metrics_address,
            _dir: Some(tmp),
            pg_database,
        }
    }
}

/// Tests of other things place many orders from one address (127.0.0.1): the per-client
/// limits are lifted for them. `limits.rs` tests the limits with their real defaults.
pub const LIMITS_OFF: [(&str, &str); 4] = [
    ("ORDER_ATTEMPTS_PER_CLIENT", "1000000"),
    ("HOLDS_PER_CLIENT", "1000000"),
    ("HOLDS_PER_EMAIL", "1000000"),
    ("UNCONFIRMED_EMAILS_PER_DAY", "1000000"),
];

/// The data key of this run's apps (one per test binary, so apps sharing a database, a
/// restore and a restart all read each other's values; tests of another key pass their own).
pub static DATA_KEY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(hunar::vault::random_key())
});

pub fn builder() -> TestAppBuilder {
    let vars = [
        ("DATA_KEY", DATA_KEY.as_str()),
        ("BIND_ADDR", "127.0.0.1:0"),
        ("SEED_DEMO", "false"),
        ("PUBLIC_BASE_URL", "http://127.0.0.1:8080"),
        ("SEED_PICTURES", "false"),
    ]
    .into_iter()
    .chain(LIMITS_OFF)
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    TestAppBuilder {
        vars,
        shared_database: None,
    }
}

pub async fn spawn_app() -> TestApp {
    builder().spawn().await
}

pub async fn spawn_seeded_app() -> TestApp {
    builder().seeded().spawn().await
}

/// A database no app is running on (yet): a new SQLite file, or a new PostgreSQL database
/// (migrated, empty) that is dropped with it.
pub struct SpareDatabase {
    pub url: String,
    pub media_dir: PathBuf,
    _dir: tempfile::TempDir,
    pg_database: Option<(String, String)>,
}

pub async fn spare_database() -> SpareDatabase {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, pg_database) = match postgres_base_url() {
        Some(base) => {
            let (url, name) = fresh_postgres_database(&base).await;
            (url, Some((base, name)))
        }
        None => (
            format!("sqlite://{}/restored.db?mode=rwc", dir.path().display()),
            None,
        ),
    };
    SpareDatabase {
        url,
        media_dir: dir.path().join("media"),
        _dir: dir,
        pg_database,
    }
}

impl SpareDatabase {
    /// The configuration an app on this database would have.
    pub fn config(&self) -> Config {
        let vars: HashMap<&str, String> = [
            ("DATABASE_URL", self.url.clone()),
            ("DATA_KEY", DATA_KEY.clone()),
            ("MEDIA_DIR", self.media_dir.display().to_string()),
            ("BIND_ADDR", "127.0.0.1:0".into()),
        ]
        .into_iter()
        .collect();
        Config::from_lookup(|k| vars.get(k).cloned()).expect("config")
    }

    /// An app on this database and media folder.
    pub async fn spawn(&self) -> TestApp {
        builder()
            .database(&self.url)
            .env("MEDIA_DIR", &self.media_dir.display().to_string())
            .spawn()
            .await
    }
}

impl Drop for SpareDatabase {
    fn drop(&mut self) {
        if let Some((base, name)) = self.pg_database.take() {
            drop_postgres_database(base, name);
        }
    }
}

fn drop_postgres_database(base: String, name: String) {
    let _ = std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async move {
            let admin = maintenance(&base).await;
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
            admin.close().await.ok();
        });
    })
    .join();
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Remove this test's PostgreSQL database; FORCE ends the app's pooled connections.
        if let Some((base, name)) = self.pg_database.take() {
            drop_postgres_database(base, name);
        }
    }
}

/// A response read whole: status, headers and JSON body (Null when empty).
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Reply {
    pub async fn read(res: Response) -> Self {
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            text,
            body,
        }
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts an RFC 9457 problem document with this status and returns it.
    #[track_caller]
    pub fn problem(&self, status: u16) -> &Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        assert!(
            self.content_type().starts_with("application/problem+json"),
            "not problem+json: {} {}",
            self.content_type(),
            self.text
        );
        for key in ["type", "title", "status", "detail"] {
            assert!(
                self.body.get(key).is_some(),
                "problem lacks {key}: {}",
                self.text
            );
        }
        assert_eq!(self.body["status"], status);
        &self.body
    }

    /// Asserts a 422 naming `field` among its errors.
    #[track_caller]
    pub fn invalid_field(&self, field: &str) {
        let problem = self.problem(422);
        let errors = problem["errors"].as_array().expect("errors array");
        assert!(
            errors.iter().any(|e| e["field"] == field),
            "no error for `{field}` in {}",
            self.text
        );
    }

    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        &self.body
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        Reply::read(req.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request(Method::GET, path, None, None).await
    }

    pub async fn admin_get(&self, token: &str, path: &str) -> Reply {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn admin_post(&self, token: &str, path: &str, body: Value) -> Reply {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }

    pub async fn admin_patch(&self, token: &str, path: &str, body: Value) -> Reply {
        self.request(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn admin_delete(&self, token: &str, path: &str) -> Reply {
        self.request(Method::DELETE, path, Some(token), None).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.request(
            Method::POST,
            "/api/v1/admin/login",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await
    }

    /// Creates the test admin (once) and returns a fresh bearer token.
    pub async fn admin_token(&self) -> String {
        let _ =
            hunar::auth::service::create_admin(&self.db, ADMIN_EMAIL, ADMIN_PASSWORD.into()).await;
        let reply = self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        reply.ok(200)["token"].as_str().expect("token").to_string()
    }

    /// Zones AF and International (fallback); returns (af_id, intl_id).
    pub async fn create_zones(&self, token: &str) -> (String, String) {
        let af = self
            .admin_post(
                token,
                "/api/v1/admin/shipping-zones",
                json!({"name": "Afghanistan", "countries": ["AF"]}),
            )
            .await;
        let intl = self
            .admin_post(
                token,
                "/api/v1/admin/shipping-zones",
                json!({"name": "International", "countries": [], "is_fallback": true}),
            )
            .await;
        (id_of(af.ok(201)), id_of(intl.ok(201)))
    }

    /// A zone of its own for Sweden, added after the tier was priced: the tier has no price
    /// there, so a painting cannot be quoted or ordered to SE.
    pub async fn unpriced_zone_for_sweden(&self, token: &str) {
        self.admin_post(
            token,
            "/api/v1/admin/shipping-zones",
            json!({"name": "Nordics", "countries": ["SE"]}),
        )
        .await
        .ok(201);
    }

    pub async fn create_artist(&self, token: &str, body: Value) -> String {
        id_of(
            self.admin_post(token, "/api/v1/admin/artists", body)
                .await
                .ok(201),
        )
    }

    /// A shop-wide USD tier priced 50 abroad and 45 in Afghanistan.
    pub async fn create_tier(&self, token: &str, zones: &(String, String)) -> String {
        let reply = self
            .admin_post(
                token,
                "/api/v1/admin/size-tiers",
                json!({
                    "name": "20×30 cm", "width_cm": 20, "height_cm": 30, "artist_id": null,
                    "currency": "USD",
                    "prices": [{"zone_id": zones.0, "amount": "45.00"}, {"zone_id": zones.1, "amount": "50.00"}]
                }),
            )
            .await;
        id_of(reply.ok(201))
    }

    /// A painting in `status`; one made available gets a photo first, as it must.
    pub async fn create_artwork(
        &self,
        token: &str,
        artist_id: &str,
        tier_id: &str,
        status: &str,
    ) -> String {
        let first = if status == "available" {
            "draft"
        } else {
            status
        };
        let reply = self
            .admin_post(
                token,
                "/api/v1/admin/artworks",
                json!({
                    "artist_id": artist_id, "title": "Kites", "description": "Kites over a hill",
                    "medium": "Oil", "width_cm": 20, "height_cm": 30, "year": 2025,
                    "size_tier_id": tier_id, "status": first
                }),
            )
            .await;
        let id = id_of(reply.ok(201));
        if status == "available" {
            self.add_photo(token, &id).await;
            let path = format!("/api/v1/admin/artworks/{id}");
            self.admin_patch(token, &path, json!({"status": "available"}))
                .await
                .ok(200);
        }
        id
    }

    /// Uploads a small photo of painting `artwork_id`.
    pub async fn add_photo(&self, token: &str, artwork_id: &str) {
        let form = reqwest::multipart::Form::new()
            .text("alt", "Kites over a hill")
            .part(
                "file",
                reqwest::multipart::Part::bytes(small_png()).file_name("kites.png"),
            );
        let res = self
            .client
            .post(self.url(&format!("/api/v1/admin/artworks/{artwork_id}/images")))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("upload");
        assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    }

    /// A complete small catalog: zones, one tier, one artist, one available artwork.
    pub async fn small_catalog(&self, token: &str) -> Catalog {
        let zones = self.create_zones(token).await;
        let tier = self.create_tier(token, &zones).await;
        let artist = self
            .create_artist(token, json!({"display_name": "Test Painter"}))
            .await;
        let artwork = self
            .create_artwork(token, &artist, &tier, "available")
            .await;
        Catalog {
            zones,
            tier,
            artist,
            artwork,
        }
    }
}

impl TestApp {
    pub async fn place_order(&self, key: &str, body: &Value) -> Reply {
        let res = self
            .client
            .post(self.url("/api/v1/orders"))
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .expect("send");
        Reply::read(res).await
    }
}

/// A valid manual order for `artwork_id`, shipped to Sweden.
pub fn order_body(artwork_id: &str) -> Value {
    json!({
        "artwork_id": artwork_id,
        "payment_method": "manual",
        "buyer": {"name": "Anna Lind", "email": "anna@example.se", "phone": "+46 70 123 45 67"},
        "shipping_address": {"line1": "Storgatan 1", "line2": "lgh 1102", "city": "Göteborg",
                             "postal_code": "411 01", "region": "Västra Götaland", "country": "SE"},
        "note": "Tack!"
    })
}

pub async fn artwork_status(app: &TestApp, id: &str) -> String {
    <entity::artwork::Entity as sea_orm::EntityTrait>::find_by_id(id.to_string())
        .one(&app.db)
        .await
        .expect("query")
        .expect("artwork")
        .status
}

pub fn new_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub struct Catalog {
    pub zones: (String, String),
    pub tier: String,
    pub artist: String,
    pub artwork: String,
}

pub fn id_of(body: &Value) -> String {
    body["id"].as_str().expect("id in body").to_string()
}

/// Sends every request at once (a task each) and returns the replies in the same order.
pub async fn all_at_once(requests: Vec<reqwest::RequestBuilder>) -> Vec<Reply> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            tokio::spawn(async move { Reply::read(request.send().await.expect("send")).await })
        })
        .collect();
    let mut replies = Vec::with_capacity(tasks.len());
    for task in tasks {
        replies.push(task.await.expect("request task"));
    }
    replies
}

/// The plan lines of `explain` (an `EXPLAIN …` on PostgreSQL, an `EXPLAIN QUERY PLAN …` on
/// SQLite), one text.
pub async fn plan_text(txn: &sea_orm::DatabaseTransaction, explain: sea_orm::Statement) -> String {
    use sea_orm::{ConnectionTrait, DbBackend};
    let backend = txn.get_database_backend();
    let lines: Vec<String> = txn
        .query_all_raw(explain)
        .await
        .expect("explain")
        .iter()
        .map(|row| match backend {
            DbBackend::Postgres => row.try_get_by_index::<String>(0),
            _ => row.try_get_by_index::<String>(3),
        })
        .collect::<Result<_, _>>()
        .expect("plan lines");
    lines.join("\n")
}

/// A small photo, different in every pixel row (a flat one would compress to nothing).
/// Every byte the database keeps: the SQLite file and its log, or `pg_dump`'s output.
pub fn database_bytes(app: &TestApp) -> Vec<u8> {
    if let Some(rest) = app.database_url.strip_prefix("sqlite://") {
        let file = rest.split('?').next().expect("path");
        let mut bytes = std::fs::read(file).expect("database file");
        if let Ok(wal) = std::fs::read(format!("{file}-wal")) {
            bytes.extend(wal);
        }
        bytes
    } else {
        let out = std::process::Command::new("pg_dump")
            .arg("--data-only")
            .arg(&app.database_url)
            .output()
            .expect("pg_dump");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

pub fn holds(bytes: &[u8], marker: &str) -> bool {
    bytes.windows(marker.len()).any(|w| w == marker.as_bytes())
}

/// A sealed value as it was written (tests read the outbox and orders straight from the
/// database).
pub fn plain(sealed: &entity::Sealed) -> String {
    hunar::vault::open(sealed).expect("a sealed value opens")
}

pub fn small_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(160, 120, |x, y| image::Rgb([x as u8, y as u8 * 2, 90]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}
