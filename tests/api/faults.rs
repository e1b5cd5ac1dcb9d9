//! Faults the shop must survive unattended: a full disk (it says so clearly, and takes
//! orders again as soon as there is room, with no restart), PostgreSQL restarting under it,
//! and the process killed in the middle of a burst of orders.
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;

use crate::helpers::*;

/// A small disk of its own for one test: a tmpfs, mounted where the machine allows it
/// (as root on Linux). Unmounted (lazily: the app may still hold its files) when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<Self> {
        let dir = tempfile::tempdir().ok()?;
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(Self { dir })
    }

    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Fills what is left of the disk with one file; returns its path.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).expect("filler");
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        // Whatever fits of a last, smaller write.
        let _ = file.write_all(&block[..1024]);
        let _ = file.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

async fn readiness_becomes(app: &TestApp, status: u16) -> Reply {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = app.get("/health/ready").await;
        if reply.status.as_u16() == status || Instant::now() > deadline {
            return reply;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// With the database's disk full, a write is a 507 problem+json saying so (no bare 500)
/// and readiness is 503 with the disks' free space; the coordinator is emailed once; the
/// console's Today page says it. Once there is room, the next order is a 201: no connection
/// kept the failed transaction or its lock, and nothing was restarted.
#[tokio::test]
async fn a_full_disk_answers_507_and_writes_come_back_when_there_is_room() {
    if postgres_is_configured() {
        return; // PostgreSQL's disk is the server's; this is the embedded default's fault.
    }
    let Some(disk) = SmallDisk::mount(8) else {
        eprintln!("skipped: no tmpfs can be mounted here (needs root on Linux)");
        return;
    };
    let sink = crate::smtp::Sink::start().await;
    let app = builder()
        .database(&format!(
            "sqlite://{}/hunar.db?mode=rwc",
            disk.path().display()
        ))
        .env(
            "MEDIA_DIR",
            &disk.path().join("media").display().to_string(),
        )
        .env("SMTP_URL", &sink.url())
        .env("COORDINATOR_EMAIL", "coordinator@hunar.example")
        .env("MAIL_POLL_MS", "100")
        .spawn()
        .await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.ok(200)["disks"][0]["holds"], "database");
    let before = sink.messages().len();
    // A coordinator signed in before the disk filled up.
    let signed_in = app
        .client
        .post(app.url("/admin/sign-in"))
        .header("Origin", &app.address)
        .form(&[
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
            ("next", "/admin"),
        ])
        .send()
        .await
        .expect("sign in");
    let cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("__Host-") || v.contains("console"))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_string();
    let today = || async {
        let res = app
            .client
            .get(app.url("/admin"))
            .header("cookie", &cookie)
            .header("accept-language", "en")
            .send()
            .await
            .expect("today");
        Reply::read(res).await
    };
    assert!(!today().await.text.contains("cannot save anything"));

    let filler = disk.fill();
    let mut refused = Vec::new();
    for i in 0..4 {
        let reply = app
            .admin_post(
                &token,
                "/api/v1/admin/artists",
                json!({"display_name": format!("Painter {i}"), "notes": "n".repeat(9000)}),
            )
            .await;
        refused.push(reply.status.as_u16());
        if reply.status.as_u16() == 507 {
            let problem = reply.problem(507);
            assert_eq!(problem["code"], "storage_full");
            assert_eq!(reply.headers["retry-after"], "60");
        }
    }
    assert!(refused.contains(&507), "{refused:?}");
    assert!(
        refused.iter().all(|s| *s == 507 || *s == 201),
        "{refused:?}"
    );
    let order = app
        .place_order(&new_key(), &order_body(&catalog.artwork))
        .await;
    assert!(
        matches!(order.status.as_u16(), 507 | 503),
        "an order on a full disk: {} {}",
        order.status,
        order.text
    );
    assert_eq!(artwork_status(&app, &catalog.artwork).await, "available");
    let not_ready = readiness_becomes(&app, 503).await;
    let problem = not_ready.problem(503);
    assert_eq!(problem["code"], "storage_full");
    assert_eq!(problem["disks"][0]["free_percent"], 0);
    // The console says it, to the coordinator already signed in.
    let page = today().await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text);
    assert!(
        page.text
            .contains("The shop cannot save anything right now."),
        "{}",
        page.text
    );
    // Told once, by a message sent past the outbox (which is in the full database).
    let told = sink.wait_for(before + 1).await;
    assert!(
        told.iter()
            .any(|m| String::from_utf8_lossy(&m.data).contains("disk is full")),
        "no email about the full disk"
    );
    readiness_becomes(&app, 503).await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    readiness_becomes(&app, 503).await;
    assert_eq!(
        sink.messages().len(),
        before + 1,
        "the coordinator was told more than once"
    );

    std::fs::remove_file(filler).expect("free the disk");
    readiness_becomes(&app, 200).await.ok(200);
    let placed = app
        .place_order(&new_key(), &order_body(&catalog.artwork))
        .await;
    placed.ok(201);
    for i in 0..3 {
        app.admin_post(
            &token,
            "/api/v1/admin/artists",
            json!({"display_name": format!("After {i}")}),
        )
        .await
        .ok(201);
    }
}

fn postgres_is_configured() -> bool {
    std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"))
}

/// PostgreSQL restarting ends every connection the shop holds (its pool's and the catalog
/// reader's own). Pages and orders are back at once: no request after the restart fails.
#[tokio::test]
async fn pages_and_orders_are_back_at_once_after_postgresql_ends_every_connection() {
    let app = spawn_app().await;
    if app.db.get_database_backend() != DbBackend::Postgres {
        return; // SQLite is in the process: nothing to restart.
    }
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let second = app
        .create_artwork(&token, &catalog.artist, &catalog.tier, "available")
        .await;
    // Warm: every kind of connection is open.
    app.get("/api/v1/artworks?country=SE").await.ok(200);
    app.get("/").await;
    // What a restart does to this database's sessions, without stopping the server that
    // every other test uses.
    let admin = sea_orm::Database::connect(app.database_url.as_str())
        .await
        .expect("connect");
    admin
        .execute_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        ))
        .await
        .expect("terminate");
    admin.close().await.ok();
    for path in [
        "/api/v1/artworks?country=SE",
        "/api/v1/artworks",
        "/api/v1/artists",
    ] {
        app.get(path).await.ok(200);
    }
    let page = app.get("/artworks").await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text);
    app.place_order(&new_key(), &order_body(&second))
        .await
        .ok(201);
    app.admin_get(&token, "/api/v1/admin/orders").await.ok(200);
}

fn hunar(database_url: &str, media: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hunar"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("DATA_KEY", crate::helpers::DATA_KEY.as_str())
        .env("MEDIA_DIR", media)
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("SEED_DEMO", "false")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "warn,hunar=info");
    for (var, value) in LIMITS_OFF {
        cmd.env(var, value);
    }
    cmd
}

fn port_of(child: &mut Child) -> u16 {
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(stdout).lines();
    while let Some(Ok(line)) = lines.next() {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
            && v["message"] == "hunar is ready"
        {
            std::thread::spawn(move || for _ in lines {});
            return v["port"].as_u64().expect("port") as u16;
        }
    }
    panic!("the server never said it was ready");
}

/// `kill -9` in the middle of a burst of orders: every order the server acknowledged (201)
/// is there after the restart, and no painting is held without an order holding it.
#[tokio::test]
async fn every_acknowledged_order_survives_kill_9_in_a_burst() {
    let spare = spare_database().await;
    // The catalog, made through a first app on the same database.
    let artworks = {
        let app = spare.spawn().await;
        let token = app.admin_token().await;
        let catalog = app.small_catalog(&token).await;
        let mut artworks = vec![catalog.artwork];
        for _ in 0..23 {
            artworks.push(
                app.create_artwork(&token, &catalog.artist, &catalog.tier, "available")
                    .await,
            );
        }
        app.db.clone().close().await.ok();
        artworks
    };
    let mut server = hunar(&spare.url, &spare.media_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let base = format!("http://127.0.0.1:{}", port_of(&mut server));
    let client = reqwest::Client::new();
    // Two buyers for every painting, all at once; the process dies once the first few
    // orders were acknowledged, with the rest in flight.
    let (acks, mut acked) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    for (i, artwork) in artworks.iter().chain(artworks.iter()).enumerate() {
        let client = client.clone();
        let acks = acks.clone();
        let url = format!("{base}/api/v1/orders");
        let mut body = order_body(artwork);
        body["buyer"]["email"] = json!(format!("buyer{i}@example.se"));
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .header("Idempotency-Key", new_key())
                .json(&body)
                .send()
                .await;
            let res = match res {
                Ok(res) => res,
                Err(_) => return Err(()),
            };
            if res.status().as_u16() != 201 {
                return Ok(None);
            }
            let Ok(body) = res.json::<serde_json::Value>().await else {
                return Err(());
            };
            let order = (
                body["order"]["id"].as_str().unwrap_or_default().to_string(),
                body["access_token"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
            let _ = acks.send(());
            Ok(Some(order))
        }));
    }
    drop(acks);
    for _ in 0..6 {
        acked
            .recv()
            .await
            .expect("an acknowledged order before the kill");
    }
    Command::new("kill")
        .args(["-9", &server.id().to_string()])
        .status()
        .expect("kill -9");
    server.wait().ok();
    let mut acknowledged = Vec::new();
    let mut cut_off = 0;
    for task in tasks {
        match task.await.expect("a task") {
            Ok(Some(order)) => acknowledged.push(order),
            Ok(None) => {}
            Err(()) => cut_off += 1,
        }
    }
    assert!(acknowledged.len() >= 6);
    assert!(
        cut_off > 0,
        "the kill came after the burst: nothing was in flight"
    );

    let mut again = hunar(&spare.url, &spare.media_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("restart");
    let base = format!("http://127.0.0.1:{}", port_of(&mut again));
    for (id, token) in &acknowledged {
        let res = client
            .get(format!("{base}/api/v1/orders/{id}?token={token}"))
            .send()
            .await
            .expect("get");
        assert_eq!(
            res.status().as_u16(),
            200,
            "acknowledged order {id} is gone"
        );
    }
    let db = hunar::db::connect(&spare.url).await.expect("connect");
    let held_without_order = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM artworks a WHERE a.status = 'reserved' AND NOT EXISTS \
             (SELECT 1 FROM orders o WHERE o.artwork_id = a.id AND o.status = 'pending_payment')",
        ))
        .await
        .expect("count")
        .expect("row")
        .try_get_by_index::<i64>(0)
        .expect("n");
    assert_eq!(held_without_order, 0, "a painting is held with no order");
    let orders = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM orders",
        ))
        .await
        .expect("count")
        .expect("row")
        .try_get_by_index::<i64>(0)
        .expect("n");
    assert!(orders >= acknowledged.len() as i64);
    db.close().await.ok();
    again.kill().ok();
    again.wait().ok();
    eprintln!(
        "kill -9 mid-burst: {} of {} orders acknowledged, {cut_off} cut off, {orders} kept",
        acknowledged.len(),
        artworks.len() * 2
    );
}
