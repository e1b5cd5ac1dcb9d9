//! Personal data at rest: every private field is sealed with the data key, so a copied
//! database file, its log, a backup folder or `pg_dump` shows none of it, while the admin API
//! and the console show it as before; a restore or a start under another key is refused;
//! `rotate-key` moves every value to a new key while orders are being placed.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine;
use hunar::backup::{self, BackupError, RestoreOptions};
use hunar::vault::KeySource;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Statement};
use serde_json::{Value, json};

use crate::backups::{backup_of, repo_at};
use crate::helpers::{
    Catalog, DATA_KEY, TestApp, builder, database_bytes, holds, new_key, order_body, spare_database,
};

const ARTIST_EMAIL: &str = "sealmark.painter@example.af";
const ARTIST_PHONE: &str = "+93 799 424 242";
const ARTIST_NOTES: &str = "sealmark: lives behind the blue mosque in Dasht-e Barchi";
const NAME: &str = "Sealmark Buyerdottir";
const EMAIL: &str = "sealmark.buyer@example.no";
const PHONE: &str = "+47 944 24 242";
const LINE1: &str = "Sealmarkveien 9";
const LINE2: &str = "sealmark oppgang B";
const CITY: &str = "Sealmarkby";
const REGION: &str = "Sealmarkfylke";
const NOTE: &str = "sealmark note: ring twice";
const MARKERS: [&str; 11] = [
    ARTIST_EMAIL,
    ARTIST_PHONE,
    ARTIST_NOTES,
    NAME,
    EMAIL,
    PHONE,
    LINE1,
    LINE2,
    CITY,
    REGION,
    NOTE,
];

fn marked_order(artwork: &str) -> Value {
    let mut body = order_body(artwork);
    body["buyer"] = json!({"name": NAME, "email": EMAIL, "phone": PHONE});
    body["shipping_address"] = json!({"line1": LINE1, "line2": LINE2, "city": CITY,
        "postal_code": "412 42", "region": REGION, "country": "SE"});
    body["note"] = json!(NOTE);
    body
}

/// A catalog whose artist and one paid order carry every marker; the order's id.
async fn marked_shop(app: &TestApp, token: &str) -> (Catalog, String) {
    let catalog = app.small_catalog(token).await;
    app.admin_patch(
        token,
        &format!("/api/v1/admin/artists/{}", catalog.artist),
        json!({"email": ARTIST_EMAIL, "phone": ARTIST_PHONE, "notes": ARTIST_NOTES}),
    )
    .await
    .ok(200);
    let placed = app
        .place_order(&new_key(), &marked_order(&catalog.artwork))
        .await;
    let id = placed.ok(201)["order"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    // Paid: the artist's email about the sale goes to the outbox too.
    app.admin_post(
        token,
        &format!("/api/v1/admin/orders/{id}/confirm-payment"),
        json!({"reference": "BANK-SEAL"}),
    )
    .await
    .ok(200);
    (catalog, id)
}

fn folder_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            bytes.extend(folder_bytes(&path));
        } else {
            bytes.extend(std::fs::read(&path).expect("read"));
        }
    }
    bytes
}

fn other_key() -> String {
    base64::engine::general_purpose::STANDARD.encode(hunar::vault::random_key())
}

#[tokio::test]
async fn private_fields_are_sealed_in_the_database_its_log_and_backups_and_shown_to_coordinators() {
    let app = builder().spawn().await;
    let token = app.admin_token().await;
    let (_, id) = marked_shop(&app, &token).await;

    // Coordinators see every value as it was given.
    let order = app
        .admin_get(&token, &format!("/api/v1/admin/orders/{id}"))
        .await;
    let order = order.ok(200);
    assert_eq!(order["buyer"]["name"], NAME);
    assert_eq!(order["buyer"]["email"], EMAIL);
    assert_eq!(order["buyer"]["phone"], PHONE);
    assert_eq!(order["shipping_address"]["line2"], LINE2);
    assert_eq!(order["shipping_address"]["region"], REGION);
    assert_eq!(order["note"], NOTE);
    let artist_id = order["artist_id"].as_str().expect("artist");
    let artist = app
        .admin_get(&token, &format!("/api/v1/admin/artists/{artist_id}"))
        .await;
    assert_eq!(artist.ok(200)["notes"], ARTIST_NOTES);
    let outbox = app.admin_get(&token, "/api/v1/admin/outbox").await;
    let outbox = outbox.ok(200);
    let recipients: Vec<&str> = outbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|m| m["recipient"].as_str())
        .collect();
    assert!(recipients.contains(&EMAIL), "{recipients:?}");
    assert!(recipients.contains(&ARTIST_EMAIL), "{recipients:?}");
    // Found by the buyer's address, through its keyed hash.
    let found = app
        .admin_get(
            &token,
            "/api/v1/admin/orders?buyer_email=SEALMARK.Buyer%2Bnorway%40example.no",
        )
        .await;
    assert_eq!(found.ok(200)["total"], 1);
    let none = app
        .admin_get(
            &token,
            "/api/v1/admin/orders?buyer_email=other%40example.no",
        )
        .await;
    assert_eq!(none.ok(200)["total"], 0);
    app.admin_get(&token, "/api/v1/admin/orders?buyer_email=not-an-address")
        .await
        .invalid_field("buyer_email");
    let long = format!(
        "/api/v1/admin/orders?buyer_email=a%40{}.se",
        "b".repeat(260)
    );
    app.admin_get(&token, &long)
        .await
        .invalid_field("buyer_email");

    // A copy of the database: its file and log, or pg_dump. The scan sees what is in the
    // clear (the painting's title), and none of the markers.
    let bytes = database_bytes(&app);
    assert!(
        holds(&bytes, "Test Painter"),
        "the scan sees the clear text"
    );
    for marker in MARKERS {
        assert!(!holds(&bytes, marker), "{marker} in the database's bytes");
    }
    // A backup folder, and the key is not in it.
    let dir = tempfile::tempdir().expect("tmp");
    let repo = repo_at(dir.path());
    let report = backup_of(&app, &repo).await;
    let kept = folder_bytes(dir.path());
    assert!(kept.len() as u64 >= report.manifest.bytes());
    for marker in MARKERS {
        assert!(!holds(&kept, marker), "{marker} in the backup");
    }
    assert!(!holds(&kept, DATA_KEY.as_str()), "the key in the backup");
    let key_id = report.manifest.database.data_key.clone().expect("key id");
    assert!(key_id.starts_with('k') && key_id.len() == 9, "{key_id}");
}

#[tokio::test]
async fn a_restore_under_another_key_refuses_before_writing_and_names_the_key() {
    let app = builder().spawn().await;
    let token = app.admin_token().await;
    marked_shop(&app, &token).await;
    let dir = tempfile::tempdir().expect("tmp");
    let repo = repo_at(dir.path());
    let report = backup_of(&app, &repo).await;
    let backup_key = report.manifest.database.data_key.clone().expect("key id");

    let spare = spare_database().await;
    let wrong = hunar::config::Config {
        data_key: KeySource::Inline(hunar::vault::parse_key(&other_key()).expect("key")),
        ..spare.config()
    };
    let refused = backup::restore(&wrong, &repo, &RestoreOptions::default()).await;
    match refused {
        Err(BackupError::Incompatible(message)) => {
            assert!(message.contains(&backup_key), "{message}");
            assert!(message.contains("nothing was changed"), "{message}");
        }
        other => panic!("expected a refusal naming the key, got {other:?}"),
    }
    assert_eq!(
        backup::data_in(&spare.url).await.expect("data_in"),
        None,
        "nothing written"
    );
    // With a key file that is missing, the same: refused, naming the backup's key.
    let gone = hunar::config::Config {
        data_key: KeySource::File(dir.path().join("no-such.key")),
        ..spare.config()
    };
    let refused = backup::restore(&gone, &repo, &RestoreOptions::default())
        .await
        .expect_err("no key");
    assert!(refused.to_string().contains(&backup_key), "{refused}");
    assert!(!dir.path().join("no-such.key").exists());

    // Under its own key it restores, and the restored shop reads every value.
    backup::restore(&spare.config(), &repo, &RestoreOptions::default())
        .await
        .expect("restore");
    let restored = spare.spawn().await;
    let token = restored.admin_token().await;
    let list = restored.admin_get(&token, "/api/v1/admin/orders").await;
    assert_eq!(list.ok(200)["items"][0]["buyer"]["name"], NAME);
}

/// Every sealed column's values: (how many under `key_id`, how many under anything else).
async fn stored_under(db: &sea_orm::DatabaseConnection, key_id: &str) -> (i64, i64) {
    let (mut under, mut other) = (0, 0);
    for (table, _, columns) in hunar::vault::SEALED {
        for column in columns {
            let sql = format!(
                "SELECT \
                   (SELECT COUNT(*) FROM {table} WHERE {column} LIKE 'hv1:{key_id}:%'), \
                   (SELECT COUNT(*) FROM {table} WHERE {column} <> '' \
                      AND {column} NOT LIKE 'hv1:{key_id}:%')"
            );
            let row = db
                .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .expect("query")
                .expect("row");
            under += row.try_get_by_index::<i64>(0).expect("n");
            other += row.try_get_by_index::<i64>(1).expect("n");
        }
    }
    (under, other)
}

#[tokio::test]
async fn a_key_rotation_while_orders_are_placed_keeps_every_value_readable() {
    let app = Arc::new(builder().spawn().await);
    let token = app.admin_token().await;
    let (catalog, id) = marked_shop(&app, &token).await;
    let old_key = hunar::vault::parse_key(&DATA_KEY).expect("key");
    let old_id = hunar::vault::DataKey::from_bytes(&old_key).id().to_string();

    // Buyers keep ordering paintings throughout (each its own painting: the shop stays open).
    let mut artworks = Vec::new();
    for _ in 0..12 {
        artworks.push(
            app.create_artwork(&token, &catalog.artist, &catalog.tier, "available")
                .await,
        );
    }
    let rotating = Arc::new(AtomicBool::new(true));
    let buyers = {
        let (app, rotating) = (app.clone(), rotating.clone());
        tokio::spawn(async move {
            let mut placed = Vec::new();
            for artwork in artworks {
                let reply = app.place_order(&new_key(), &marked_order(&artwork)).await;
                placed.push(
                    reply.ok(201)["order"]["id"]
                        .as_str()
                        .expect("id")
                        .to_string(),
                );
                if !rotating.load(Ordering::Relaxed) {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(400)).await;
            }
            placed
        })
    };

    let dir = tempfile::tempdir().expect("tmp");
    let new_file = dir.path().join("new.key");
    let settle = hunar::vault::state::FOLLOW_EVERY * 2;
    let rotated =
        hunar::vault::rotation::rotate(&app.db, &KeySource::Inline(old_key), &new_file, settle)
            .await
            .expect("rotate");
    rotating.store(false, Ordering::Relaxed);
    let placed = buyers.await.expect("buyers");
    assert!(placed.len() >= 2, "orders were placed during the rotation");
    assert_eq!(rotated.from.as_str(), old_id);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&new_file)
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Orders placed after the rotation ended too, then every value is under the new key.
    let last = app
        .create_artwork(&token, &catalog.artist, &catalog.tier, "available")
        .await;
    let late = app.place_order(&new_key(), &marked_order(&last)).await;
    late.ok(201);
    let (new, other) = stored_under(&app.db, rotated.to.as_str()).await;
    assert_eq!(other, 0, "values left under another key");
    assert!(new >= 20, "{new}");
    // The lookup hashes moved too: the address is found under the new key's hash alone.
    let new_bytes = hunar::vault::parse_key(&std::fs::read_to_string(&new_file).expect("key"))
        .expect("new key");
    let hash =
        hunar::vault::Vault::new(hunar::vault::DataKey::from_bytes(&new_bytes)).email_hash(EMAIL);
    let under_new = entity::order::Entity::find()
        .filter(entity::order::Column::EmailKey.eq(hash.as_str()))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(under_new as usize, placed.len() + 2);
    for order in placed.iter().chain([&id]) {
        let view = app
            .admin_get(&token, &format!("/api/v1/admin/orders/{order}"))
            .await;
        assert_eq!(view.ok(200)["buyer"]["name"], NAME);
    }
    let found = app
        .admin_get(&token, &format!("/api/v1/admin/orders?buyer_email={EMAIL}"))
        .await;
    assert_eq!(found.ok(200)["total"], placed.len() + 2);

    // A server started with the old key now refuses, naming the database's key; with the
    // new key file it starts and reads everything.
    let vars = |key: (&str, String)| {
        let vars: std::collections::HashMap<String, String> = [
            ("DATABASE_URL".to_string(), app.database_url.clone()),
            ("BIND_ADDR".to_string(), "127.0.0.1:0".to_string()),
            ("SEED_DEMO".to_string(), "false".to_string()),
            (key.0.to_string(), key.1),
        ]
        .into_iter()
        .collect();
        hunar::config::Config::from_lookup(|k| vars.get(k).cloned()).expect("config")
    };
    let refused = hunar::startup::Application::build(vars(("DATA_KEY", DATA_KEY.clone())))
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(refused.contains(rotated.to.as_str()), "{refused}");
    assert!(refused.contains(&old_id), "{refused}");
    let restarted = builder()
        .database(&app.database_url)
        .env("DATA_KEY", "")
        .env("DATA_KEY_FILE", &new_file.display().to_string())
        .spawn()
        .await;
    let token = restarted.admin_token().await;
    let view = restarted
        .admin_get(&token, &format!("/api/v1/admin/orders/{id}"))
        .await;
    assert_eq!(view.ok(200)["shipping_address"]["line1"], LINE1);
}

#[tokio::test]
async fn a_rotation_cut_short_is_finished_by_running_it_again() {
    let app = builder().spawn().await;
    let token = app.admin_token().await;
    let (catalog, id) = marked_shop(&app, &token).await;
    let old_key = hunar::vault::parse_key(&DATA_KEY).expect("key");
    let dir = tempfile::tempdir().expect("tmp");
    let new_file = dir.path().join("new.key");
    let new_id = hunar::vault::new_key_file(&new_file)
        .expect("new key")
        .id()
        .to_string();
    // As a rotation leaves it when stopped after naming its key: the running server follows.
    let next = json!({"id": new_id, "file": new_file.canonicalize().expect("path")});
    hunar::vault::state::record_once(&app.db, "data_key_next", &next.to_string())
        .await
        .expect("record");
    tokio::time::sleep(hunar::vault::state::FOLLOW_EVERY * 2).await;
    let artwork = app
        .create_artwork(&token, &catalog.artist, &catalog.tier, "available")
        .await;
    app.place_order(&new_key(), &marked_order(&artwork))
        .await
        .ok(201);
    let (under_new, _) = stored_under(&app.db, &new_id).await;
    assert!(
        under_new > 0,
        "the server seals with the new key once it is named"
    );

    // Another file while that rotation is unfinished: refused.
    let refused = hunar::vault::rotation::rotate(
        &app.db,
        &KeySource::Inline(old_key),
        &dir.path().join("third.key"),
        std::time::Duration::ZERO,
    )
    .await
    .expect_err("refused");
    assert!(refused.to_string().contains(&new_id), "{refused}");
    // The same file: finished.
    let rotated = hunar::vault::rotation::rotate(
        &app.db,
        &KeySource::Inline(old_key),
        &new_file,
        std::time::Duration::ZERO,
    )
    .await
    .expect("finished");
    assert_eq!(rotated.to.as_str(), new_id);
    assert_eq!(stored_under(&app.db, &new_id).await.1, 0);
    let view = app
        .admin_get(&token, &format!("/api/v1/admin/orders/{id}"))
        .await;
    assert_eq!(view.ok(200)["buyer"]["email"], EMAIL);
}

#[tokio::test]
async fn a_database_from_before_sealing_is_sealed_at_its_first_start_under_a_key() {
    let app = builder().spawn().await;
    let token = app.admin_token().await;
    let (_, id) = marked_shop(&app, &token).await;
    // As a database from before this release held them: in the clear, no key named.
    let backend = app.db.get_database_backend();
    for sql in [
        format!(
            "UPDATE orders SET buyer_name = '{NAME}', buyer_email = '{EMAIL}', email_key = 'unkeyed-sha'"
        ),
        format!("UPDATE artists SET notes = '{ARTIST_NOTES}' WHERE email IS NOT NULL"),
        "DELETE FROM app_secrets WHERE name = 'data_key'".to_string(),
    ] {
        app.db
            .execute_raw(Statement::from_string(backend, sql))
            .await
            .expect("older data");
    }
    let upgraded = builder().database(&app.database_url).spawn().await;
    let (under, other) = stored_under(
        &upgraded.db,
        &hunar::vault::DataKey::from_bytes(&hunar::vault::parse_key(&DATA_KEY).expect("key"))
            .id()
            .to_string(),
    )
    .await;
    assert_eq!(other, 0, "values left in the clear");
    assert!(under > 0);
    let token = upgraded.admin_token().await;
    let view = upgraded
        .admin_get(&token, &format!("/api/v1/admin/orders/{id}"))
        .await;
    assert_eq!(view.ok(200)["buyer"]["name"], NAME);
    let found = upgraded
        .admin_get(&token, &format!("/api/v1/admin/orders?buyer_email={EMAIL}"))
        .await;
    assert_eq!(
        found.ok(200)["total"],
        1,
        "the lookup hash was made under the key"
    );
    if app.database_url.starts_with("sqlite:") {
        let bytes = database_bytes(&upgraded);
        for marker in [NAME, EMAIL, ARTIST_NOTES] {
            assert!(
                !holds(&bytes, marker),
                "{marker} left in the file or its log"
            );
        }
    }
}
