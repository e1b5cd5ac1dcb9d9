//! A buyer's personal data is kept only as long as it is needed: erased from the order, the
//! outbox and the database's bytes once the order ended (`BUYER_DATA_DAYS`, or at once on a
//! coordinator's word), while the ledger and the accounts stay whole.
use entity::outbox;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{TestApp, builder, new_key, order_body};

const NAME: &str = "Quillmarker Buyerson";
const EMAIL: &str = "quillmarker.buyer@example.se";
const STREET: &str = "Quillmarkergatan 77";
const NOTE: &str = "quillmarker note for the artist";
const PHONE: &str = "+46 70 999 77 66";
const MARKERS: [&str; 5] = [NAME, EMAIL, STREET, NOTE, PHONE];

async fn order_with_markers(app: &TestApp, artwork: &str) -> String {
    let mut body = order_body(artwork);
    body["buyer"] = json!({"name": NAME, "email": EMAIL, "phone": PHONE});
    body["shipping_address"]["line1"] = json!(STREET);
    body["note"] = json!(NOTE);
    let placed = app.place_order(&new_key(), &body).await;
    placed.ok(201)["order"]["id"]
        .as_str()
        .expect("id")
        .to_string()
}

async fn act(app: &TestApp, token: &str, id: &str, action: &str, body: Value) -> Value {
    app.admin_post(token, &format!("/api/v1/admin/orders/{id}/{action}"), body)
        .await
        .ok(200)
        .clone()
}

async fn outbox_text(app: &TestApp, order_id: &str) -> String {
    outbox::Entity::find()
        .filter(outbox::Column::OrderId.eq(order_id))
        .all(&app.db)
        .await
        .expect("outbox")
        .into_iter()
        .map(|m| {
            format!(
                "{} {} {} {}",
                m.recipient, m.subject, m.body_text, m.body_html
            )
        })
        .collect()
}

async fn ledger_summary(app: &TestApp, token: &str) -> Value {
    app.admin_get(token, "/api/v1/admin/ledger/summary")
        .await
        .ok(200)
        .clone()
}

/// Every byte the database keeps: the SQLite file and its log, or `pg_dump`'s output.
fn database_bytes(app: &TestApp) -> Vec<u8> {
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

fn holds(bytes: &[u8], marker: &str) -> bool {
    bytes.windows(marker.len()).any(|w| w == marker.as_bytes())
}

#[tokio::test]
async fn an_ended_orders_buyer_is_erased_everywhere_and_the_accounts_stay_whole() {
    let app = builder().env("BUYER_DATA_DAYS", "0").spawn().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let id = order_with_markers(&app, &catalog.artwork).await;
    let erase = format!("/api/v1/admin/orders/{id}/erase-buyer");

    // While the painting is on its way, the buyer is still needed.
    let open = app.admin_post(&token, &erase, json!({})).await;
    assert_eq!(open.problem(409)["code"], "order_open");
    act(
        &app,
        &token,
        &id,
        "confirm-payment",
        json!({"reference": "BANK-77"}),
    )
    .await;
    act(
        &app,
        &token,
        &id,
        "ship",
        json!({"carrier": "PostNord", "tracking_number": "RR123456789SE"}),
    )
    .await;
    assert_eq!(
        app.admin_post(&token, &erase, json!({})).await.problem(409)["code"],
        "order_open"
    );
    let delivered = act(&app, &token, &id, "deliver", json!({})).await;
    assert_eq!(delivered["buyer"]["name"], NAME);
    assert!(holds(outbox_text(&app, &id).await.as_bytes(), NAME));
    let books_before = ledger_summary(&app, &token).await;
    // The check below can see a buyer: before erasure, the bytes hold every marker.
    let before = database_bytes(&app);
    for marker in MARKERS {
        assert!(holds(&before, marker), "{marker} not found before erasure");
    }

    let erased = hunar::orders::erasure::erase_expired(&app.db, chrono::Duration::zero())
        .await
        .expect("erase");
    assert_eq!(erased, 1);

    let view = app
        .admin_get(&token, &format!("/api/v1/admin/orders/{id}"))
        .await;
    let view = view.ok(200);
    assert!(view["buyer"].is_null(), "{view}");
    assert!(view["shipping_address"].is_null());
    assert!(view["note"].is_null());
    assert!(view["buyer_erased_at"].is_string());
    assert_eq!(view["country"], "SE");
    assert_eq!(view["amount"], delivered["amount"]);
    assert_eq!(view["reference"], delivered["reference"]);
    assert_eq!(view["status"], "delivered");
    assert_eq!(ledger_summary(&app, &token).await, books_before);
    let outbox = outbox_text(&app, &id).await;
    let bytes = database_bytes(&app);
    for marker in MARKERS {
        assert!(!holds(outbox.as_bytes(), marker), "{marker} in the outbox");
        assert!(!holds(&bytes, marker), "{marker} in the database's bytes");
    }
    // Asked again, or swept again, nothing more happens.
    app.admin_post(&token, &erase, json!({})).await.ok(200);
    assert_eq!(
        hunar::orders::erasure::erase_expired(&app.db, chrono::Duration::zero())
            .await
            .expect("erase"),
        0
    );
}

#[tokio::test]
async fn a_coordinator_erases_a_cancelled_orders_buyer_at_once_and_the_sweep_waits() {
    // The default: 180 days.
    let app = builder().spawn().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let id = order_with_markers(&app, &catalog.artwork).await;
    act(
        &app,
        &token,
        &id,
        "cancel",
        json!({"reason": "the buyer asked"}),
    )
    .await;
    let keep = chrono::Duration::days(180);
    assert_eq!(
        hunar::orders::erasure::erase_expired(&app.db, keep)
            .await
            .expect("sweep"),
        0,
        "a fresh order is kept until its time"
    );
    app.admin_post(&token, "/api/v1/admin/orders/nope/erase-buyer", json!({}))
        .await
        .problem(404);
    let erased = app
        .admin_post(
            &token,
            &format!("/api/v1/admin/orders/{id}/erase-buyer"),
            json!({}),
        )
        .await;
    let erased = erased.ok(200);
    assert!(erased["buyer"].is_null());
    assert_eq!(erased["status"], "cancelled");
    // The list and the console's order page say so, and name nobody.
    let list = app.admin_get(&token, "/api/v1/admin/orders").await;
    assert!(list.ok(200)["items"][0]["buyer"].is_null());
    assert!(!list.text.contains(NAME));
    for marker in MARKERS {
        assert!(!holds(outbox_text(&app, &id).await.as_bytes(), marker));
    }
}

#[tokio::test]
async fn money_arriving_after_the_buyer_was_erased_is_not_taken_as_a_sale() {
    let app = builder().spawn().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let id = order_with_markers(&app, &catalog.artwork).await;
    // The hold ran out unpaid, and the buyer asked to be forgotten.
    entity::order::Entity::update_many()
        .col_expr(
            entity::order::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(entity::order::Column::Id.eq(id.as_str()))
        .exec(&app.db)
        .await
        .expect("update");
    hunar::orders::expiry::expire_due(&app.db, &app.state.mail, chrono::Utc::now())
        .await
        .expect("sweep");
    app.admin_post(
        &token,
        &format!("/api/v1/admin/orders/{id}/erase-buyer"),
        json!({}),
    )
    .await
    .ok(200);
    // Then the bank transfer arrives: nobody to send the painting to, so no sale.
    let late = app
        .admin_post(
            &token,
            &format!("/api/v1/admin/orders/{id}/confirm-payment"),
            json!({"reference": "BANK-LATE"}),
        )
        .await;
    assert!(
        late.problem(409)["detail"]
            .as_str()
            .expect("detail")
            .contains("pay the money back")
    );
    let view = app
        .admin_get(&token, &format!("/api/v1/admin/orders/{id}"))
        .await;
    assert_eq!(view.ok(200)["status"], "expired");
    // Nothing waits to be sent to the erased buyer.
    let waiting = outbox::Entity::find()
        .filter(outbox::Column::OrderId.eq(id.as_str()))
        .filter(outbox::Column::Status.ne("sent"))
        .all(&app.db)
        .await
        .expect("outbox");
    assert!(waiting.is_empty(), "{waiting:?}");
}
