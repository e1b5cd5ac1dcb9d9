//! Photos and backups in a real S3-compatible server (moto's server mode, which
//! `scripts/s3-server.sh` installs from PyPI and starts once), and two instances sharing one
//! database and one bucket as a scaled-out shop would. Without `HUNAR_TEST_S3` these tests
//! say so in one line and do nothing, unless `HUNAR_S3_TESTS=required` (CI), where a missing
//! server is a failure.
use hunar::backup::{self, Repo, RestoreOptions};
use hunar::config::{BackupTarget, Config};

use crate::backups::{add_photo, media_bytes, urls_of};
use crate::helpers::{
    DATA_KEY, TestApp, TestAppBuilder, builder, new_key, order_body, spare_database,
};
use crate::smtp::Sink;

fn required() -> bool {
    std::env::var("HUNAR_S3_TESTS").is_ok_and(|v| v == "required")
}

/// The S3 server's address, or None (and one line saying why) when there is none.
fn server() -> Option<String> {
    match std::env::var("HUNAR_TEST_S3") {
        Ok(url) if !url.is_empty() => Some(url.trim_end_matches('/').to_string()),
        _ => {
            assert!(
                !required(),
                "HUNAR_S3_TESTS=required but HUNAR_TEST_S3 is unset"
            );
            eprintln!(
                "S3 tests not run: no S3 server (eval \"$(bash scripts/s3-server.sh)\", then cargo test)"
            );
            None
        }
    }
}

/// A bucket of the test's own, made the way an operator would (one unsigned PUT: moto takes
/// any credentials).
async fn new_bucket(server: &str) -> String {
    let name = format!("hunar-{}", new_key().to_lowercase());
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(60)
        .collect();
    let res = reqwest::Client::new()
        .put(format!("{server}/{name}"))
        .send()
        .await
        .expect("create bucket");
    assert!(res.status().is_success(), "bucket: {}", res.status());
    name
}

fn s3_vars(server: &str, bucket: &str) -> Vec<(&'static str, String)> {
    vec![
        ("MEDIA_BACKEND", "s3".into()),
        ("S3_BUCKET", bucket.into()),
        ("S3_REGION", "us-east-1".into()),
        ("S3_ENDPOINT", server.into()),
        ("S3_ACCESS_KEY_ID", "testing".into()),
        ("S3_SECRET_ACCESS_KEY", "testing".into()),
    ]
}

fn s3_app(server: &str, bucket: &str) -> TestAppBuilder {
    s3_vars(server, bucket)
        .into_iter()
        .fold(builder(), |b, (k, v)| b.env(k, &v))
}

/// The keys in `bucket` under `prefix`, from the server's own listing.
async fn keys(server: &str, bucket: &str, prefix: &str) -> Vec<String> {
    let xml = reqwest::Client::new()
        .get(format!("{server}/{bucket}?list-type=2&prefix={prefix}"))
        .send()
        .await
        .expect("list")
        .text()
        .await
        .expect("xml");
    xml.split("<Key>")
        .skip(1)
        .filter_map(|part| part.split("</Key>").next())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn photos_are_stored_served_and_deleted_in_the_bucket() {
    let Some(server) = server() else { return };
    let bucket = new_bucket(&server).await;
    let app = s3_app(&server, &bucket).spawn().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let before = keys(&server, &bucket, "").await;

    let photo = add_photo(&app, &token, &catalog.artwork, 40).await;
    let urls = urls_of(&photo);
    let after = keys(&server, &bucket, "").await;
    assert_eq!(after.len() - before.len(), urls.len(), "{after:?}");
    for url in &urls {
        let key = url.rsplit('/').next().expect("key");
        assert!(
            after.iter().any(|k| k.ends_with(key)),
            "{key} in the bucket"
        );
        let (status, bytes) = media_bytes(&app, url).await;
        assert_eq!(status, 200, "{url}");
        assert!(!bytes.is_empty());
    }

    let id = photo["id"].as_str().expect("id");
    let deleted = app
        .client
        .delete(app.url(&format!(
            "/api/v1/admin/artworks/{}/images/{id}",
            catalog.artwork
        )))
        .bearer_auth(&token)
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        keys(&server, &bucket, "").await,
        before,
        "its files are gone"
    );
    assert_eq!(media_bytes(&app, &urls[0]).await.0, 404);
}

#[tokio::test]
async fn a_backup_into_the_bucket_by_the_command_restores_into_another() {
    let Some(server) = server() else { return };
    let bucket = new_bucket(&server).await;
    let app = s3_app(&server, &bucket).spawn().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let photo = add_photo(&app, &token, &catalog.artwork, 90).await;
    let placed = app
        .place_order(&new_key(), &order_body(&catalog.artwork))
        .await
        .ok(201)
        .clone();

    // `hunar backup s3:backups`, as an operator runs it beside the server.
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_hunar"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &app.database_url)
        .env("DATA_KEY", DATA_KEY.as_str())
        .args(["backup", "s3:backups"]);
    for (k, v) in s3_vars(&server, &bucket) {
        command.env(k, v);
    }
    let out = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("task")
        .expect("hunar backup");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = keys(&server, &bucket, "backups/").await;
    assert!(
        written.iter().any(|k| k.ends_with("manifest.json")),
        "{written:?}"
    );

    // Restored onto a new database and a new, empty bucket, and served from there.
    let restored_bucket = new_bucket(&server).await;
    let spare = spare_database().await;
    let mut vars = s3_vars(&server, &restored_bucket);
    vars.push(("DATABASE_URL", spare.url.clone()));
    vars.push(("DATA_KEY", DATA_KEY.clone()));
    vars.push(("BIND_ADDR", "127.0.0.1:0".into()));
    let config = Config::from_lookup(|k| {
        vars.iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.clone())
    })
    .expect("config");
    let source = Repo::open(
        &BackupTarget::MediaBucket {
            prefix: "backups".into(),
        },
        &app.state.config.media.backend,
    )
    .expect("repo");
    backup::restore(&config, &source, &RestoreOptions::default())
        .await
        .expect("restore");
    let copy = s3_app(&server, &restored_bucket)
        .database(&spare.url)
        .spawn()
        .await;
    for url in urls_of(&photo) {
        assert_eq!(
            media_bytes(&copy, &url).await,
            media_bytes(&app, &url).await
        );
    }
    let id = placed["order"]["id"].as_str().expect("id");
    let access = placed["access_token"].as_str().expect("token");
    copy.get(&format!("/api/v1/orders/{id}?token={access}"))
        .await
        .ok(200);
}

/// Two instances on one database and one bucket (PostgreSQL in CI), each with its own
/// outbox worker, as an operator scales out.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_photos_sell_once_and_send_each_email_once() {
    let Some(server) = server() else { return };
    let bucket = new_bucket(&server).await;
    let sink = Sink::start().await;
    let with_mail = |b: TestAppBuilder| {
        b.env("SMTP_URL", &sink.url())
            .env("COORDINATOR_EMAIL", "coordinator@hunar.test")
            .env("MAIL_POLL_MS", "10")
    };
    let a = with_mail(s3_app(&server, &bucket)).spawn().await;
    let b = with_mail(s3_app(&server, &bucket))
        .database(&a.database_url)
        .spawn()
        .await;
    let token = a.admin_token().await;
    let catalog = a.small_catalog(&token).await;

    // Uploaded through one, served by the other.
    let photo = add_photo(&a, &token, &catalog.artwork, 150).await;
    for url in urls_of(&photo) {
        let (status, bytes) = media_bytes(&b, &url).await;
        assert_eq!(status, 200);
        assert_eq!(bytes, media_bytes(&a, &url).await.1);
    }

    // Forty buyers, half on each instance, for one painting: one order.
    let replies = crate::orders::race_across(&a, &b, &catalog.artwork, 40).await;
    assert_eq!(crate::orders::tally(&replies), (1, 39, 0));

    // Its emails go out once each, though both workers poll the one outbox.
    let sent = emails_sent_once_all_settle(&a).await;
    assert!(sent > 0, "the order's emails");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(sink.messages().len(), sent, "each email exactly once");
}

/// Waits (up to 15 s) until no email waits or is being sent; returns how many were sent.
async fn emails_sent_once_all_settle(app: &TestApp) -> usize {
    use entity::outbox;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    for _ in 0..300 {
        let rows = outbox::Entity::find()
            .filter(outbox::Column::Channel.eq("email"))
            .all(&app.db)
            .await
            .expect("outbox");
        if !rows.is_empty()
            && rows
                .iter()
                .all(|r| r.status != "pending" && r.status != "sending")
        {
            return rows.iter().filter(|r| r.status == "sent").count();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("emails still waiting after 15 s");
}
