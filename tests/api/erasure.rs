//! A buyer's personal data is kept only as long as it is needed: erased from the order, the
//! outbox and the database's bytes once the order ended (`BUYER_DATA_DAYS`, or at once on a
//! coordinator's word), while the ledger and the accounts stay whole.
use entity::outbox;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{TestApp, builder, database_bytes, holds, new_key, order_body, plain};

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
                plain(&m.recipient),
                m.subject,
                plain(&m.body_text),
                plain(&m.body_html)
            )
        })
        .collect()
}

/// The buyer's values as the database holds them (sealed): the order's and its emails'.
async fn sealed_values(app: &TestApp, id: &str) -> Vec<String> {
    let o = entity::order::Entity::find_by_id(id.to_string())
        .one(&app.db)
        .await
        .expect("query")
        .expect("order");
    let mut values: Vec<String> = [&o.buyer_name, &o.buyer_email, &o.ship_line1, &o.ship_city]
        .into_iter()
        .chain(
            [&o.buyer_phone, &o.note, &o.ship_line2]
                .into_iter()
                .flatten(),
        )
        .map(|v| v.stored().to_string())
        .collect();
    let letters = outbox::Entity::find()
        .filter(outbox::Column::OrderId.eq(id))
        .filter(outbox::Column::RecipientRole.eq("buyer"))
        .all(&app.db)
        .await
        .expect("outbox");
    assert!(!letters.is_empty());
    for letter in letters {
        values.push(letter.recipient.stored().to_string());
        values.push(letter.body_text.stored().to_string());
    }
    assert!(values.iter().all(|v| v.starts_with("hv1:")), "{values:?}");
    values
}

async fn ledger_summary(app: &TestApp, token: &str) -> Value {
    app.admin_get(token, "/api/v1/admin/ledger/summary")
        .await
        .ok(200)
        .clone()
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
    // Sealed, the buyer never shows in the bytes; the check below can see the sealed values
    // themselves: before erasure, the bytes hold every one of them.
    let sealed = sealed_values(&app, &id).await;
    let before = database_bytes(&app);
    for value in &sealed {
        assert!(holds(&before, value), "{value} not found before erasure");
    }
    for marker in MARKERS {
        assert!(!holds(&before, marker), "{marker} in the clear");
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
    }
    for value in &sealed {
        assert!(
            !holds(&bytes, value),
            "{value} left in the database's bytes"
        );
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
