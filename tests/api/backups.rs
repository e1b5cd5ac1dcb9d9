//! Backups taken while the shop takes orders, restored into a new database and media folder
//! and served again; damaged or partial backups and non-empty targets refused. On SQLite
//! and, with DATABASE_URL, on PostgreSQL (pg_dump and pg_restore).
use std::path::Path;

use hunar::backup::{self, BackupError, Repo, RestoreOptions, Trigger};
use hunar::config::BackupTarget;
use image::{Rgb, RgbImage};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::media::{png, upload};

pub fn repo_at(dir: &Path) -> Repo {
    let local = hunar::config::MediaBackend::Local {
        dir: dir.join("unused"),
    };
    Repo::open(&BackupTarget::Dir(dir.to_path_buf()), &local).expect("repo")
}

/// A photo's variants' distinct addresses: the files it is stored as.
pub(crate) fn urls_of(photo: &Value) -> Vec<String> {
    let mut urls: Vec<String> = ["variants", "webp"]
        .iter()
        .filter_map(|set| photo[set].as_object())
        .flat_map(|set| set.values().filter_map(Value::as_str).map(str::to_string))
        .collect();
    urls.sort_unstable();
    urls.dedup();
    assert!(!urls.is_empty(), "a photo is some files: {photo}");
    urls
}

fn files_of(photo: &Value) -> usize {
    urls_of(photo).len()
}

pub(crate) async fn add_photo(app: &TestApp, token: &str, artwork: &str, shade: u8) -> Value {
    let img = RgbImage::from_fn(160, 120, |x, y| Rgb([shade, (x * 2) as u8, (y * 2) as u8]));
    let path = format!("/api/v1/admin/artworks/{artwork}/images");
    upload(app, token, &path, "photo.png", png(&img), Some("A photo"))
        .await
        .ok(201)
        .clone()
}

pub(crate) async fn media_bytes(app: &TestApp, url: &str) -> (u16, Vec<u8>) {
    let path = url.split("/media/").nth(1).expect("a media url");
    let res = app
        .client
        .get(app.url(&format!("/media/{path}")))
        .send()
        .await
        .expect("get");
    let status = res.status().as_u16();
    (status, res.bytes().await.expect("body").to_vec())
}

pub async fn backup_of(app: &TestApp, repo: &Repo) -> backup::BackupReport {
    backup::backup(
        &app.db,
        &app.database_url,
        &app.state.media,
        repo,
        Trigger::Manual,
    )
    .await
    .expect("backup")
}

async fn scalar(db: &impl ConnectionTrait, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("row");
    row.try_get_by_index(0).expect("number")
}

#[tokio::test]
async fn a_backup_taken_while_orders_arrive_restores_every_acknowledged_order() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let mut artworks = vec![catalog.artwork.clone()];
    for _ in 0..19 {
        artworks.push(
            app.create_artwork(&token, &catalog.artist, &catalog.tier, "available")
                .await,
        );
    }
    let photo = add_photo(&app, &token, &artworks[0], 40).await;
    let photo_url = photo["variants"]["medium"]
        .as_str()
        .expect("url")
        .to_string();

    // Acknowledged before the backup begins: these must all come back.
    let mut before = Vec::new();
    for artwork in &artworks[..6] {
        let placed = app.place_order(&new_key(), &order_body(artwork)).await;
        before.push(placed.ok(201).clone());
    }
    // More arrive while it runs; whether each is in the backup depends on the moment.
    let during: Vec<_> = artworks[6..]
        .iter()
        .map(|artwork| {
            app.client
                .post(app.url("/api/v1/orders"))
                .header("Idempotency-Key", new_key())
                .json(&order_body(artwork))
        })
        .collect();
    let orders = tokio::spawn(all_at_once(during));
    let dir = tempfile::tempdir().expect("dir");
    let repo = repo_at(dir.path());
    let report = backup_of(&app, &repo).await;
    for reply in orders.await.expect("orders") {
        reply.ok(201);
    }
    let manifest = &report.manifest;
    let orders_in_backup = manifest.database.tables["orders"];
    assert!(
        (6..=20).contains(&orders_in_backup),
        "{orders_in_backup} orders"
    );
    assert!(report.copied > 0, "the photo's files were copied");
    assert_eq!(manifest.media().count(), report.copied);

    // A second backup into the same folder copies no photo again; a new photo is copied.
    let again = backup_of(&app, &repo).await;
    assert_eq!(again.copied, 0);
    let new_photo = add_photo(&app, &token, &artworks[1], 200).await;
    let third = backup_of(&app, &repo).await;
    assert_eq!(
        third.copied,
        files_of(&new_photo),
        "only the new photo's files"
    );

    // Restore the first snapshot into a new database and media folder and serve it.
    let spare = spare_database().await;
    let options = RestoreOptions {
        snapshot: Some(manifest.snapshot.clone()),
        force: false,
    };
    let restored = backup::restore(&spare.config(), &repo, &options)
        .await
        .expect("restore");
    assert_eq!(restored.snapshot, manifest.snapshot);
    let copy = spare.spawn().await;
    assert_eq!(
        scalar(&copy.db, "SELECT COUNT(*) FROM orders").await,
        orders_in_backup as i64
    );
    let admin = copy.admin_token().await;
    for placed in &before {
        let id = placed["order"]["id"].as_str().expect("id");
        let access = placed["access_token"].as_str().expect("token");
        // The buyer's private link still works: the token secret came back too.
        let buyer = copy
            .get(&format!("/api/v1/orders/{id}?token={access}"))
            .await;
        assert_eq!(buyer.ok(200)["status"], "pending_payment");
        let detail = copy
            .admin_get(&admin, &format!("/api/v1/admin/orders/{id}"))
            .await;
        let detail = detail.ok(200);
        assert_eq!(detail["buyer"]["email"], "anna@example.se");
        assert!(!detail["history"].as_array().expect("history").is_empty());
        let sql = format!("SELECT COUNT(*) FROM outbox WHERE order_id = '{id}'");
        let emails = scalar(&copy.db, &sql).await;
        assert!(emails > 0, "the order's emails are in the outbox");
        assert_eq!(emails, scalar(&app.db, &sql).await);
    }
    for artwork in &artworks {
        copy.get(&format!("/api/v1/artworks/{artwork}"))
            .await
            .ok(200);
    }
    let (status, bytes) = media_bytes(&copy, &photo_url).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, media_bytes(&app, &photo_url).await.1);
}

#[tokio::test]
async fn a_damaged_or_partial_backup_is_refused_and_nothing_changes() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    add_photo(&app, &token, &catalog.artwork, 90).await;
    let dir = tempfile::tempdir().expect("dir");
    let repo = repo_at(dir.path());
    let manifest = backup_of(&app, &repo).await.manifest;
    let spare = spare_database().await;

    let flip = |path: &str| {
        let file = dir.path().join(path);
        let mut bytes = std::fs::read(&file).expect("read");
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
        std::fs::write(&file, bytes).expect("write");
    };
    let photo = manifest.media().next().expect("a photo").path.clone();
    flip(&photo);
    let refused = backup::restore(&spare.config(), &repo, &RestoreOptions::default()).await;
    match refused {
        Err(BackupError::Damaged { path, .. }) => assert_eq!(path, photo),
        other => panic!("expected a damaged backup, got {other:?}"),
    }
    flip(&photo);
    flip(&manifest.database.file);
    let refused = backup::restore(&spare.config(), &repo, &RestoreOptions::default()).await;
    let message = refused.expect_err("damaged").to_string();
    assert!(message.contains(&manifest.database.file), "{message}");
    flip(&manifest.database.file);
    std::fs::remove_file(dir.path().join(&photo)).expect("remove");
    let refused = backup::restore(&spare.config(), &repo, &RestoreOptions::default()).await;
    assert!(
        refused
            .expect_err("partial")
            .to_string()
            .contains("missing"),
        "a missing file is named"
    );
    // Nothing reached the target: no data in its database, no photo in its folder.
    assert_eq!(
        hunar::backup::data_in(&spare.url).await.expect("check"),
        None
    );
    assert!(
        !spare.media_dir.exists() || std::fs::read_dir(&spare.media_dir).expect("dir").count() == 0
    );

    // A manifest naming a file outside the media folder is refused before anything is read.
    let manifest_path = dir
        .path()
        .join(format!("snapshots/{}/manifest.json", manifest.snapshot));
    let original = std::fs::read(&manifest_path).expect("manifest");
    let mut edited: Value = serde_json::from_slice(&original).expect("json");
    edited["files"]
        .as_array_mut()
        .expect("files")
        .push(json!({"path": "media/../../evil.sh", "bytes": 4, "sha256": "00"}));
    std::fs::write(&manifest_path, serde_json::to_vec(&edited).expect("json")).expect("write");
    let refused = backup::restore(&spare.config(), &repo, &RestoreOptions::default()).await;
    match refused {
        Err(BackupError::Damaged { path, .. }) => assert_eq!(path, "media/../../evil.sh"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    std::fs::write(&manifest_path, original).expect("write");

    // A snapshot whose manifest was never written did not finish: it is not restored.
    let unfinished = dir.path().join("snapshots/9999-unfinished");
    std::fs::create_dir_all(&unfinished).expect("dir");
    std::fs::write(unfinished.join("database.sqlite"), b"half").expect("write");
    let named = RestoreOptions {
        snapshot: Some("9999-unfinished".into()),
        force: false,
    };
    let refused = backup::restore(&spare.config(), &repo, &named).await;
    assert!(
        matches!(refused, Err(BackupError::Damaged { .. })),
        "{refused:?}"
    );
    let empty = tempfile::tempdir().expect("dir");
    let refused = backup::restore(
        &spare.config(),
        &repo_at(empty.path()),
        &RestoreOptions::default(),
    )
    .await;
    assert!(
        matches!(refused, Err(BackupError::NoSnapshot(_))),
        "{refused:?}"
    );
}

/// A symbolic link in a backup folder would restore whatever it points at into the public
/// media store: a file the attacker can read nowhere else, with a manifest written to match
/// it. Anything that is not a regular file is refused before anything changes.
#[tokio::test]
async fn a_link_in_a_backup_is_refused_and_nothing_changes() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    add_photo(&app, &token, &catalog.artwork, 70).await;
    let dir = tempfile::tempdir().expect("dir");
    let repo = repo_at(dir.path());
    let manifest = backup_of(&app, &repo).await.manifest;
    let photo = manifest.media().next().expect("a photo").path.clone();

    // The "secret" elsewhere on the machine; the manifest already describes its bytes (a
    // copy of the photo's), as an attacker who knows the file would write it.
    let elsewhere = tempfile::tempdir().expect("dir");
    let secret = elsewhere.path().join("secret");
    std::fs::copy(dir.path().join(&photo), &secret).expect("copy");
    std::fs::remove_file(dir.path().join(&photo)).expect("remove");
    std::os::unix::fs::symlink(&secret, dir.path().join(&photo)).expect("link");

    let spare = spare_database().await;
    let refused = backup::restore(&spare.config(), &repo, &RestoreOptions::default()).await;
    match refused {
        Err(BackupError::Damaged { path, problem, .. }) => {
            assert_eq!(path, photo);
            assert!(problem.contains("not a regular file"), "{problem}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(
        hunar::backup::data_in(&spare.url).await.expect("check"),
        None
    );
    assert!(
        !spare.media_dir.exists() || std::fs::read_dir(&spare.media_dir).expect("dir").count() == 0
    );

    // A linked folder on the way to a file is refused the same way.
    std::fs::remove_file(dir.path().join(&photo)).expect("remove");
    std::fs::copy(&secret, dir.path().join(&photo)).expect("put back");
    let media = dir.path().join("media");
    let moved = elsewhere.path().join("media");
    std::fs::rename(&media, &moved).expect("move");
    std::os::unix::fs::symlink(&moved, &media).expect("link");
    let refused = backup::restore(&spare.config(), &repo, &RestoreOptions::default()).await;
    assert!(
        matches!(refused, Err(BackupError::Damaged { .. })),
        "{refused:?}"
    );
    // Put back as a real folder, the same backup restores.
    std::fs::remove_file(&media).expect("unlink");
    std::fs::rename(&moved, &media).expect("move back");
    backup::restore(&spare.config(), &repo, &RestoreOptions::default())
        .await
        .expect("restore");
}

/// Through an object store (as with `BACKUP_DIR=s3:PREFIX`), not a folder.
#[tokio::test]
async fn a_restore_onto_a_database_with_data_needs_force() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    add_photo(&app, &token, &catalog.artwork, 7).await;
    let bucket = std::sync::Arc::new(object_store::memory::InMemory::new());
    let repo = Repo::from_store(bucket, "memory");
    let report = backup_of(&app, &repo).await;
    assert!(report.copied > 0);
    let spare = spare_database().await;
    backup::restore(&spare.config(), &repo, &RestoreOptions::default())
        .await
        .expect("into an empty database");
    // Now it holds the catalog: a second restore must be asked for.
    let refused = backup::restore(&spare.config(), &repo, &RestoreOptions::default()).await;
    match refused {
        Err(BackupError::NotEmpty(holding)) => {
            assert!(holding.contains("artworks: 1"), "{holding}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Changes made after the backup are replaced by what was backed up.
    {
        let copy = spare.spawn().await;
        let admin = copy.admin_token().await;
        let extra = copy
            .create_artist(&admin, json!({"display_name": "Added later"}))
            .await;
        assert!(!extra.is_empty());
        copy.db.clone().close().await.ok();
    }
    let forced = RestoreOptions {
        force: true,
        snapshot: None,
    };
    backup::restore(&spare.config(), &repo, &forced)
        .await
        .expect("forced");
    let copy = spare.spawn().await;
    assert_eq!(scalar(&copy.db, "SELECT COUNT(*) FROM artists").await, 1);
    let card = copy
        .get(&format!("/api/v1/artworks/{}", catalog.artwork))
        .await;
    let url = card.ok(200)["images"][0]["variants"]["thumb"]
        .as_str()
        .expect("a photo")
        .to_string();
    assert_eq!(media_bytes(&copy, &url).await.0, 200);
}

#[tokio::test]
async fn an_older_backup_is_brought_up_to_the_current_schema() {
    use migration::MigratorTrait;
    let older = spare_database().await;
    let db = hunar::db::connect(&older.url).await.expect("connect");
    if db.get_database_backend() == DbBackend::Postgres {
        // The spare PostgreSQL database comes migrated: start it from nothing.
        db.execute_unprepared("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            .await
            .expect("reset");
    }
    // The schema from before backup_runs existed (later migrations come after it too).
    let steps = migration::Migrator::migrations()
        .iter()
        .position(|m| m.name().contains("backup_runs"))
        .expect("the backup_runs migration") as u32;
    migration::Migrator::up(&db, Some(steps))
        .await
        .expect("older schema");
    let now = chrono::Utc::now();
    // Only the columns the older schema has: later ones are left unset.
    use sea_orm::ActiveValue::Set;
    entity::artist::Entity::insert(entity::artist::ActiveModel {
        id: Set(hunar::db::new_id()),
        slug: Set("old-friend".into()),
        display_name: Set("Old Friend".into()),
        bio: Set(String::new()),
        bio_fa: Set(String::new()),
        deported_from: Set(None),
        email: Set(None),
        phone: Set(None),
        preferred_language: Set("en".into()),
        notes: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(&db)
    .await
    .expect("an artist");
    let dir = tempfile::tempdir().expect("dir");
    let repo = repo_at(dir.path());
    let media = hunar::media::Media::new(
        &older.config().media,
        hunar::media::store::from_config(&older.config().media.backend).expect("store"),
    );
    // Its backup_runs table does not exist yet: the outcome is only logged.
    let report = backup::backup(&db, &older.url, &media, &repo, Trigger::Manual)
        .await
        .expect("backup");
    db.close().await.ok();
    assert!(!report.manifest.database.tables.contains_key("backup_runs"));

    let spare = spare_database().await;
    backup::restore(&spare.config(), &repo, &RestoreOptions::default())
        .await
        .expect("restore");
    let copy = spare.spawn().await;
    assert_eq!(
        scalar(&copy.db, "SELECT COUNT(*) FROM seaql_migrations").await,
        migration::Migrator::migrations().len() as i64
    );
    let sql = "SELECT COUNT(*) FROM artists WHERE display_name = 'Old Friend'";
    assert_eq!(scalar(&copy.db, sql).await, 1);
    assert_eq!(
        scalar(&copy.db, "SELECT COUNT(*) FROM backup_runs").await,
        0
    );
}

#[tokio::test]
async fn the_server_backs_up_on_its_schedule_keeps_the_newest_and_reports_it() {
    let dir = tempfile::tempdir().expect("dir");
    let app = builder()
        .env("BACKUP_DIR", &dir.path().display().to_string())
        .env("BACKUP_EVERY", "1s")
        .env("BACKUP_KEEP", "2")
        .spawn()
        .await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    add_photo(&app, &token, &catalog.artwork, 120).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let runs = loop {
        let status = app.admin_get(&token, "/api/v1/admin/backups").await;
        let status = status.ok(200).clone();
        let runs = status["recent"].as_array().expect("runs").clone();
        if runs.iter().filter(|r| r["outcome"] == "ok").count() >= 4 {
            assert_eq!(status["overdue"], false);
            assert_eq!(status["warning"], Value::Null, "{status}");
            assert_eq!(status["schedule"]["keep"], 2);
            assert_eq!(status["schedule"]["every_seconds"], 1);
            assert_eq!(status["last_good"]["trigger"], "scheduled");
            break runs;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no scheduled backups: {status}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let oldest = runs.last().expect("a run")["snapshot"]
        .as_str()
        .expect("name")
        .to_string();
    let repo = repo_at(dir.path());
    let kept = repo.snapshots().await.expect("list");
    assert!(!kept.contains(&oldest), "{oldest} was pruned: {kept:?}");
    assert!(
        kept.len() <= 3,
        "two kept, at most one being written: {kept:?}"
    );
    // Pruning kept the photo every remaining snapshot needs.
    let newest = repo.latest().await.expect("read").expect("a snapshot");
    assert!(newest.media().count() > 0);
    for file in newest.media() {
        assert!(dir.path().join(&file.path).exists(), "{} kept", file.path);
    }
}

/// Backups and a prune of one folder at the same time wait for each other: every snapshot
/// left is complete and restorable.
#[tokio::test]
async fn concurrent_backups_and_a_prune_leave_every_kept_snapshot_whole() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    add_photo(&app, &token, &catalog.artwork, 60).await;
    let dir = tempfile::tempdir().expect("dir");
    let repo = repo_at(dir.path());
    backup_of(&app, &repo).await;
    // Prunes keep coming while the backups run, so one lands in the middle of each.
    let prunes = async {
        for _ in 0..40 {
            backup::prune(&repo, 1).await.expect("prune");
            tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        }
    };
    let (a, b, (), c) = tokio::join!(
        backup_of(&app, &repo),
        backup_of(&app, &repo),
        prunes,
        backup_of(&app, &repo),
    );
    assert_eq!(a.manifest.media().count(), b.manifest.media().count());
    assert_eq!(b.manifest.media().count(), c.manifest.media().count());
    let (finished, unfinished) = repo.readable().await.expect("list");
    assert!(unfinished.is_empty(), "{unfinished:?}");
    assert!(!finished.is_empty());
    for manifest in &finished {
        for file in &manifest.files {
            assert!(
                dir.path().join(&file.path).exists(),
                "{} of {} is there",
                file.path,
                manifest.snapshot
            );
        }
    }
    let spare = spare_database().await;
    backup::restore(&spare.config(), &repo, &RestoreOptions::default())
        .await
        .expect("the newest restores");
}

#[tokio::test]
async fn a_failing_or_late_backup_is_a_warning_for_the_coordinator() {
    // A folder that cannot be created: every scheduled backup fails.
    let blocker = tempfile::NamedTempFile::new().expect("file");
    let app = builder()
        .env(
            "BACKUP_DIR",
            &blocker.path().join("backups").display().to_string(),
        )
        .env("BACKUP_EVERY", "24h")
        .env("COORDINATOR_EMAIL", "ngo@example.org")
        .spawn()
        .await;
    let token = app.admin_token().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        let status = app.admin_get(&token, "/api/v1/admin/backups").await;
        let status = status.ok(200).clone();
        if status["last"].is_object() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "no run recorded");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(status["last"]["outcome"], "failed");
    assert!(
        status["last"]["error"]
            .as_str()
            .expect("error")
            .contains("cannot create")
    );
    assert_eq!(status["overdue"], true);
    assert_eq!(status["warning"], "No backup has succeeded yet.");
    // The coordinator is emailed, with the reason and what is at risk: once a day at most.
    let told = loop {
        let told = entity::outbox::Entity::find()
            .filter(entity::outbox::Column::Kind.eq("backup_failed_coordinator"))
            .all(&app.db)
            .await
            .expect("outbox");
        if !told.is_empty() {
            break told;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no email to the coordinator"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(told.len(), 1);
    assert_eq!(plain(&told[0].recipient), "ngo@example.org");
    for expected in [
        "cannot create",
        "No backup has succeeded yet",
        "every buyer's address",
    ] {
        let text = plain(&told[0].body_text);
        assert!(text.contains(expected), "{expected}: {text}");
    }

    // A good one three days ago is more than twice the interval.
    app.db
        .execute_unprepared(&format!(
            "INSERT INTO backup_runs (id, started_at, finished_at, outcome, trigger, location, \
             snapshot, bytes, files, error) VALUES ('{}', '{t}', '{t}', 'ok', 'scheduled', '{at}', \
             'old', 10, 1, NULL)",
            uuid::Uuid::now_v7(),
            t = (chrono::Utc::now() - chrono::Duration::days(3)).to_rfc3339(),
            at = blocker.path().join("backups").display(),
        ))
        .await
        .expect("insert");
    let status = app.admin_get(&token, "/api/v1/admin/backups").await;
    let status = status.ok(200);
    assert_eq!(status["overdue"], true);
    assert!(
        status["warning"]
            .as_str()
            .expect("warning")
            .contains("more than twice the interval"),
        "{status}"
    );
    assert_eq!(status["last_good"]["snapshot"], "old");
    let anonymous = app.get("/api/v1/admin/backups").await;
    anonymous.problem(401);

    // Without a schedule, the coordinator is told backups are off.
    let unscheduled = spawn_app().await;
    let token = unscheduled.admin_token().await;
    let status = unscheduled.admin_get(&token, "/api/v1/admin/backups").await;
    let status = status.ok(200);
    assert_eq!(status["schedule"], Value::Null);
    assert!(
        status["warning"]
            .as_str()
            .expect("warning")
            .contains("BACKUP_DIR")
    );
}

/// A bucket whose photos change after they were first read: what a restore stores must be
/// the bytes it checked, not whatever a second read returns.
#[derive(Debug)]
struct SwapsPhotos {
    inner: object_store::memory::InMemory,
    reads: std::sync::Mutex<std::collections::HashMap<String, u32>>,
}

impl std::fmt::Display for SwapsPhotos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a bucket that swaps photos")
    }
}

#[async_trait::async_trait]
impl object_store::ObjectStore for SwapsPhotos {
    async fn put_opts(
        &self,
        location: &object_store::path::Path,
        payload: object_store::PutPayload,
        opts: object_store::PutOptions,
    ) -> object_store::Result<object_store::PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &object_store::path::Path,
        opts: object_store::PutMultipartOptions,
    ) -> object_store::Result<Box<dyn object_store::MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &object_store::path::Path,
        options: object_store::GetOptions,
    ) -> object_store::Result<object_store::GetResult> {
        let path = location.to_string();
        let reads = {
            let mut reads = self.reads.lock().expect("lock");
            let n = reads.entry(path.clone()).or_default();
            *n += 1;
            *n
        };
        if path.starts_with("media/") && reads == 2 {
            // Same size, other bytes: what a swap between the check and the copy looks like.
            let original = self.inner.get(location).await?.bytes().await?;
            let swapped: Vec<u8> = original.iter().map(|b| b ^ 0xff).collect();
            self.inner.put(location, swapped.into()).await?;
        }
        self.inner.get_opts(location, options).await
    }

    async fn delete(&self, location: &object_store::path::Path) -> object_store::Result<()> {
        self.inner.delete(location).await
    }

    fn list(
        &self,
        prefix: Option<&object_store::path::Path>,
    ) -> futures_util::stream::BoxStream<'static, object_store::Result<object_store::ObjectMeta>>
    {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(
        &self,
        prefix: Option<&object_store::path::Path>,
    ) -> object_store::Result<object_store::ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy(
        &self,
        from: &object_store::path::Path,
        to: &object_store::path::Path,
    ) -> object_store::Result<()> {
        self.inner.copy(from, to).await
    }

    async fn copy_if_not_exists(
        &self,
        from: &object_store::path::Path,
        to: &object_store::path::Path,
    ) -> object_store::Result<()> {
        self.inner.copy_if_not_exists(from, to).await
    }
}

#[tokio::test]
async fn a_restore_stores_the_photo_bytes_it_checked_not_a_second_read() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    add_photo(&app, &token, &catalog.artwork, 11).await;
    let bucket = std::sync::Arc::new(SwapsPhotos {
        inner: object_store::memory::InMemory::new(),
        reads: Default::default(),
    });
    let repo = Repo::from_store(bucket, "swapping");
    backup_of(&app, &repo).await;
    let spare = spare_database().await;
    let refused = backup::restore(&spare.config(), &repo, &RestoreOptions::default()).await;
    let message = refused
        .expect_err("a photo changed after its check")
        .to_string();
    assert!(message.contains("changed in the backup"), "{message}");
    // The swapped photo was not stored, and the database was not changed.
    assert_eq!(
        hunar::backup::data_in(&spare.url).await.expect("check"),
        None
    );
    assert!(
        !spare.media_dir.exists() || std::fs::read_dir(&spare.media_dir).expect("dir").count() == 0
    );
}
