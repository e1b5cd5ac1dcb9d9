use chrono::Utc;
use entity::{event, order};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{
    Reply, TestApp, all_at_once, artwork_status, builder, new_key, order_body, spawn_app,
};

async fn orders_for(app: &TestApp, artwork_id: &str) -> u64 {
    order::Entity::find()
        .filter(order::Column::ArtworkId.eq(artwork_id))
        .count(&app.db)
        .await
        .expect("count")
}

/// Places an order and returns (order id, access token).
async fn place(app: &TestApp, artwork_id: &str) -> (String, String) {
    let reply = app.place_order(&new_key(), &order_body(artwork_id)).await;
    let body = reply.ok(201);
    (
        body["order"]["id"].as_str().expect("id").to_string(),
        body["access_token"].as_str().expect("token").to_string(),
    )
}

#[tokio::test]
async fn placing_an_order_reserves_the_painting_and_freezes_the_price() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let reply = app
        .place_order(&new_key(), &order_body(&catalog.artwork))
        .await;
    let body = reply.ok(201).clone();
    assert_eq!(body["order"]["status"], "pending_payment");
    assert_eq!(body["order"]["artwork_id"], catalog.artwork.as_str());
    assert_eq!(body["order"]["amount"], "50.00");
    assert_eq!(body["order"]["currency"], "USD");
    assert_eq!(body["order"]["zone"], "International");
    assert_eq!(body["payment"]["method"], "manual");
    let instructions = body["payment"]["instructions"]
        .as_str()
        .expect("instructions");
    assert!(
        instructions.contains("50.00 USD") && instructions.contains("HN-"),
        "{instructions}"
    );
    let created: chrono::DateTime<Utc> = body["order"]["created_at"]
        .as_str()
        .expect("ts")
        .parse()
        .expect("rfc3339");
    let expires: chrono::DateTime<Utc> = body["order"]["expires_at"]
        .as_str()
        .expect("ts")
        .parse()
        .expect("rfc3339");
    // A manual hold is short until the buyer confirms their address (6 h by default); the
    // answer says until when it runs once they do.
    assert_eq!((expires - created).num_minutes(), 360);
    let full: chrono::DateTime<Utc> = body["payment"]["hold_after_email_confirmation"]
        .as_str()
        .expect("ts")
        .parse()
        .expect("rfc3339");
    assert_eq!((full - created).num_days(), 7);
    let access_token = body["access_token"].as_str().expect("token");
    assert!(access_token.len() >= 43, "at least 256 bits");

    assert_eq!(artwork_status(&app, &catalog.artwork).await, "reserved");
    let public = app
        .get(&format!("/api/v1/artworks/{}", catalog.artwork))
        .await;
    assert_eq!(public.ok(200)["status"], "reserved");
    // The stored token is a hash.
    let row = order::Entity::find()
        .one(&app.db)
        .await
        .expect("q")
        .expect("order");
    assert_ne!(row.access_token_hash, access_token);
    assert_eq!(row.artwork_title, "Kites");
    assert_eq!(row.artist_name, "Test Painter");
    assert_eq!(row.tier_name, "20×30 cm");

    // A later price change does not touch the placed order.
    app.admin_patch(
        &token,
        &format!("/api/v1/admin/size-tiers/{}", catalog.tier),
        json!({"prices": [{"zone_id": catalog.zones.0, "amount": "60"}, {"zone_id": catalog.zones.1, "amount": "99.99"}]}),
    )
    .await
    .ok(200);
    let id = body["order"]["id"].as_str().expect("id");
    let mine = app
        .get(&format!("/api/v1/orders/{id}?token={access_token}"))
        .await;
    assert_eq!(mine.ok(200)["amount"], "50.00");
    let admin = app
        .admin_get(&token, &format!("/api/v1/admin/orders/{id}"))
        .await;
    assert_eq!(admin.ok(200)["amount"], "50.00");
    assert_eq!(admin.body["zone"], "International");
}

#[tokio::test]
async fn a_buyer_token_opens_only_its_own_order() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let second = app
        .create_artwork(&token, &catalog.artist, &catalog.tier, "available")
        .await;
    let (a, token_a) = place(&app, &catalog.artwork).await;
    let (b, token_b) = place(&app, &second).await;

    let view = app
        .get(&format!("/api/v1/orders/{a}?token={token_a}"))
        .await;
    let view = view.ok(200);
    assert_eq!(view["status"], "pending_payment");
    assert_eq!(view["artwork_title"], "Kites");
    assert!(view["instructions"].as_str().is_some());
    // The buyer view carries no address: that stays in admin responses and emails.
    let text = serde_json::to_string(view).expect("json");
    assert!(
        !text.contains("Storgatan") && !text.contains("anna@example.se"),
        "{text}"
    );

    let wrong = app
        .get(&format!("/api/v1/orders/{a}?token={token_b}"))
        .await;
    let missing = app.get(&format!("/api/v1/orders/{a}")).await;
    let unknown = app
        .get(&format!("/api/v1/orders/nope?token={token_a}"))
        .await;
    for reply in [&wrong, &missing, &unknown] {
        reply.problem(404);
    }
    assert_eq!(
        wrong.body["detail"], unknown.body["detail"],
        "a wrong token looks like a missing order"
    );
    app.get(&format!("/api/v1/orders/{b}?token={token_b}"))
        .await
        .ok(200);
}

async fn race(app: &TestApp, artwork_id: &str, n: usize) -> Vec<Reply> {
    let requests = (0..n)
        .map(|_| {
            app.client
                .post(app.url("/api/v1/orders"))
                .header("Idempotency-Key", new_key())
                .json(&order_body(artwork_id))
        })
        .collect();
    all_at_once(requests).await
}

/// `n` buyers for one painting at once, every other one on the second instance.
pub(crate) async fn race_across(
    first: &TestApp,
    second: &TestApp,
    artwork_id: &str,
    n: usize,
) -> Vec<Reply> {
    let requests = (0..n)
        .map(|i| {
            let app = if i % 2 == 0 { first } else { second };
            app.client
                .post(app.url("/api/v1/orders"))
                .header("Idempotency-Key", new_key())
                .json(&order_body(artwork_id))
        })
        .collect();
    all_at_once(requests).await
}

/// (created, refused as sold, server errors).
pub(crate) fn tally(replies: &[Reply]) -> (usize, usize, usize) {
    let created = replies.iter().filter(|r| r.status == 201).count();
    let conflicts = replies
        .iter()
        .filter(|r| r.status == 409 && r.body["code"] == "artwork_unavailable")
        .count();
    let server_errors = replies
        .iter()
        .filter(|r| r.status.is_server_error())
        .count();
    (created, conflicts, server_errors)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_buyers_racing_for_one_painting_make_one_order() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let replies = race(&app, &catalog.artwork, 50).await;
    assert_eq!(
        tally(&replies),
        (1, 49, 0),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for reply in replies.iter().filter(|r| r.status == 409) {
        reply.problem(409);
    }
    assert_eq!(artwork_status(&app, &catalog.artwork).await, "reserved");
    assert_eq!(orders_for(&app, &catalog.artwork).await, 1);
    // Every refusal is remembered under its key (written in batches, off the request path).
    assert_eq!(remembered_refusals(&app, 49).await, 49);
}

/// Waits (up to 5 s) until `n` refusals are stored as answers; returns how many are.
async fn remembered_refusals(app: &TestApp, n: u64) -> u64 {
    use entity::idempotency_key as k;
    let mut stored = 0;
    for _ in 0..100 {
        stored = k::Entity::find()
            .filter(k::Column::ResponseStatus.eq(409))
            .count(&app.db)
            .await
            .expect("count");
        if stored >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    stored
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_app_instances_on_one_database_still_sell_once() {
    let first = spawn_app().await;
    let second = builder().database(&first.database_url).spawn().await;
    let token = first.admin_token().await;
    let catalog = first.small_catalog(&token).await;
    let replies = race_across(&first, &second, &catalog.artwork, 40).await;
    assert_eq!(tally(&replies), (1, 39, 0));
    assert_eq!(orders_for(&first, &catalog.artwork).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retries_with_one_key_make_one_order_and_the_same_answer() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let key = new_key();
    let body = order_body(&catalog.artwork);
    let requests = (0..10)
        .map(|_| {
            app.client
                .post(app.url("/api/v1/orders"))
                .header("Idempotency-Key", &key)
                .json(&body)
        })
        .collect();
    let replies = all_at_once(requests).await;
    assert!(
        replies.iter().all(|r| r.status == 201),
        "{:?}",
        replies
            .iter()
            .map(|r| (r.status, &r.text))
            .collect::<Vec<_>>()
    );
    assert!(
        replies.iter().all(|r| r.text == replies[0].text),
        "every retry gets the identical body"
    );
    assert_eq!(orders_for(&app, &catalog.artwork).await, 1);

    // A retry later: same answer, byte for byte, even with the JSON written differently.
    let compact = serde_json::to_string(&body).expect("json");
    let res = app
        .client
        .post(app.url("/api/v1/orders"))
        .header("Idempotency-Key", &key)
        .header("content-type", "application/json")
        .body(format!("  {compact}\n"))
        .send()
        .await
        .expect("send");
    let again = Reply::read(res).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.text, replies[0].text);

    // The same key with another body is refused and changes nothing.
    let mut other = body.clone();
    other["buyer"]["name"] = json!("Someone Else");
    let reused = app.place_order(&key, &other).await;
    assert_eq!(reused.problem(409)["code"], "idempotency_key_reused");
    assert_eq!(orders_for(&app, &catalog.artwork).await, 1);
}

#[tokio::test]
async fn one_key_sent_at_once_for_different_paintings_makes_one_order() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let mut paintings = vec![catalog.artwork.clone()];
    for _ in 0..5 {
        paintings.push(
            app.create_artwork(&token, &catalog.artist, &catalog.tier, "available")
                .await,
        );
    }
    let key = new_key();
    let requests = paintings
        .iter()
        .map(|id| {
            app.client
                .post(app.url("/api/v1/orders"))
                .header("Idempotency-Key", &key)
                .json(&order_body(id))
        })
        .collect();
    let replies = all_at_once(requests).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(
        created,
        1,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for r in replies.iter().filter(|r| r.status != 201) {
        assert_eq!(r.problem(409)["code"], "idempotency_key_reused");
    }
    let mut reserved = 0;
    for id in &paintings {
        match artwork_status(&app, id).await.as_str() {
            "reserved" => reserved += 1,
            other => assert_eq!(other, "available", "the losers' work was undone"),
        }
    }
    assert_eq!(reserved, 1);
    let total = order::Entity::find().count(&app.db).await.expect("count");
    assert_eq!(total, 1);
}

#[tokio::test]
async fn a_refusal_is_also_the_answer_for_its_key() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let (holder, _) = place(&app, &catalog.artwork).await;
    let key = new_key();
    let first = app.place_order(&key, &order_body(&catalog.artwork)).await;
    first.problem(409);
    let again = app.place_order(&key, &order_body(&catalog.artwork)).await;
    assert_eq!(again.status, 409);
    assert_eq!(again.text, first.text);
    assert!(again.content_type().starts_with("application/problem+json"));

    // The refusal is the key's answer even after the painting is free again: a retry of
    // that request repeats it rather than quietly placing an order.
    assert_eq!(remembered_refusals(&app, 1).await, 1);
    act(&app, &token, &holder, "cancel").await.ok(200);
    assert_eq!(artwork_status(&app, &catalog.artwork).await, "available");
    let later = app.place_order(&key, &order_body(&catalog.artwork)).await;
    assert_eq!(later.status, 409);
    assert_eq!(later.text, first.text);
    assert_eq!(artwork_status(&app, &catalog.artwork).await, "available");
    // A new key is a new attempt.
    app.place_order(&new_key(), &order_body(&catalog.artwork))
        .await
        .ok(201);
}

#[tokio::test]
async fn a_key_past_its_lifetime_starts_afresh() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let second = app
        .create_artwork(&token, &catalog.artist, &catalog.tier, "available")
        .await;
    let key = new_key();
    app.place_order(&key, &order_body(&catalog.artwork))
        .await
        .ok(201);
    // Within its lifetime the key belongs to the first request.
    let reused = app.place_order(&key, &order_body(&second)).await;
    assert_eq!(reused.problem(409)["code"], "idempotency_key_reused");

    // 24 hours on, before the sweeper has run, the same key places a new order.
    entity::idempotency_key::Entity::update_many()
        .col_expr(
            entity::idempotency_key::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(entity::idempotency_key::Column::Key.eq(key.as_str()))
        .exec(&app.db)
        .await
        .expect("age the key");
    let fresh = app.place_order(&key, &order_body(&second)).await;
    assert_eq!(fresh.ok(201)["order"]["artwork_id"], second.as_str());
    assert_eq!(orders_for(&app, &second).await, 1);
    assert_eq!(artwork_status(&app, &second).await, "reserved");
    // And the new answer is the one a retry gets now.
    let again = app.place_order(&key, &order_body(&second)).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.text, fresh.text);
}

#[tokio::test]
async fn the_idempotency_key_is_required_and_bounded() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let res = app
        .client
        .post(app.url("/api/v1/orders"))
        .json(&order_body(&catalog.artwork))
        .send()
        .await
        .expect("send");
    Reply::read(res).await.invalid_field("Idempotency-Key");
    app.place_order(&"k".repeat(256), &order_body(&catalog.artwork))
        .await
        .invalid_field("Idempotency-Key");
    app.place_order(&"k".repeat(255), &order_body(&catalog.artwork))
        .await
        .ok(201);
}

#[tokio::test]
async fn order_validation_names_every_bad_field_and_reserves_nothing() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let with = |path: &[&str], value: Value| {
        let mut body = order_body(&catalog.artwork);
        let mut slot = &mut body;
        for key in &path[..path.len() - 1] {
            slot = &mut slot[*key];
        }
        match value {
            Value::Null if path.len() > 1 => {
                slot.as_object_mut().map(|o| o.remove(path[path.len() - 1]));
            }
            v => slot[path[path.len() - 1]] = v,
        }
        body
    };
    let cases = [
        (
            with(&["payment_method"], json!("bitcoin")),
            "payment_method",
        ),
        (with(&["payment_method"], json!("stripe")), "payment_method"),
        (with(&["buyer", "name"], json!("")), "buyer.name"),
        (
            with(&["buyer", "name"], json!("x".repeat(201))),
            "buyer.name",
        ),
        (
            with(&["buyer", "email"], json!("anna-at-example")),
            "buyer.email",
        ),
        (with(&["buyer", "email"], Value::Null), "buyer.email"),
        (with(&["buyer", "phone"], json!("ring me")), "buyer.phone"),
        (
            with(&["shipping_address", "line1"], json!(" ")),
            "shipping_address.line1",
        ),
        (
            with(&["shipping_address", "line2"], json!("x".repeat(201))),
            "shipping_address.line2",
        ),
        (
            with(&["shipping_address", "city"], json!("")),
            "shipping_address.city",
        ),
        (
            with(&["shipping_address", "postal_code"], json!("x".repeat(21))),
            "shipping_address.postal_code",
        ),
        (
            with(&["shipping_address", "region"], json!("x".repeat(101))),
            "shipping_address.region",
        ),
        (
            with(&["shipping_address", "country"], json!("XX")),
            "shipping_address.country",
        ),
        (
            with(&["shipping_address", "country"], json!("Sweden")),
            "shipping_address.country",
        ),
        (
            with(&["shipping_address", "country"], Value::Null),
            "shipping_address.country",
        ),
        (with(&["note"], json!("x".repeat(1001))), "note"),
        (with(&["artwork_id"], json!("")), "artwork_id"),
        (with(&["price"], json!("1.00")), "price"),
        (with(&["buyer", "age"], json!(30)), "buyer.age"),
        (with(&["buyer"], json!("Anna")), "buyer"),
    ];
    for (body, field) in cases {
        app.place_order(&new_key(), &body)
            .await
            .invalid_field(field);
    }
    app.place_order(
        &new_key(),
        &with(&["artwork_id"], json!("no-such-painting")),
    )
    .await
    .problem(404);
    assert_eq!(artwork_status(&app, &catalog.artwork).await, "available");
    assert_eq!(orders_for(&app, &catalog.artwork).await, 0);

    // A draft is not for sale (it does not exist publicly).
    let draft = app
        .create_artwork(&token, &catalog.artist, &catalog.tier, "draft")
        .await;
    app.place_order(&new_key(), &order_body(&draft))
        .await
        .problem(404);
    assert_eq!(artwork_status(&app, &draft).await, "draft");
}

#[tokio::test]
async fn an_unshippable_destination_is_refused_and_releases_nothing_held() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    app.unpriced_zone_for_sweden(&token).await;
    app.place_order(&new_key(), &order_body(&catalog.artwork))
        .await
        .invalid_field("shipping_address.country");
    assert_eq!(artwork_status(&app, &catalog.artwork).await, "available");
}

/// Orders refused for their destination, racing one the painting can go to, neither take
/// the painting nor stand in the good order's way: it always gets the painting.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_orders_racing_a_good_one_do_not_crowd_it_out() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    app.unpriced_zone_for_sweden(&token).await;
    for round in 0..3 {
        let artwork = app
            .create_artwork(&token, &catalog.artist, &catalog.tier, "available")
            .await;
        let mut to_kabul = order_body(&artwork);
        to_kabul["shipping_address"]["country"] = json!("AF");
        let requests = (0..11)
            .map(|i| {
                let body = if i == 5 {
                    to_kabul.clone()
                } else {
                    order_body(&artwork)
                };
                app.client
                    .post(app.url("/api/v1/orders"))
                    .header("Idempotency-Key", new_key())
                    .json(&body)
            })
            .collect();
        let replies = all_at_once(requests).await;
        let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
        assert_eq!(replies[5].status, 201, "round {round}: {statuses:?}");
        // The others are refused either way: no price for Sweden, or the painting is taken.
        for reply in replies.iter().filter(|r| r.status != 201) {
            let problem = reply.problem(reply.status.as_u16());
            assert!(
                problem["code"] == "artwork_unavailable" || reply.status == 422,
                "round {round}: {statuses:?}"
            );
        }
        assert_eq!(artwork_status(&app, &artwork).await, "reserved");
        assert_eq!(orders_for(&app, &artwork).await, 1);
    }
}

async fn act(app: &TestApp, token: &str, id: &str, action: &str) -> Reply {
    let body = match action {
        "confirm-payment" => Some(json!({"reference": "BANK-123"})),
        "ship" => Some(json!({"carrier": "PostNord", "tracking_number": "RR123456789SE"})),
        _ => None,
    };
    app.request(
        reqwest::Method::POST,
        &format!("/api/v1/admin/orders/{id}/{action}"),
        Some(token),
        body,
    )
    .await
}

#[tokio::test]
async fn the_whole_life_of_a_manual_order() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let (id, access) = place(&app, &catalog.artwork).await;

    let paid = act(&app, &token, &id, "confirm-payment").await;
    let paid = paid.ok(200);
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["payment_reference"], "BANK-123");
    assert_eq!(artwork_status(&app, &catalog.artwork).await, "sold");
    let shipped = act(&app, &token, &id, "ship").await;
    assert_eq!(shipped.ok(200)["tracking_number"], "RR123456789SE");
    let buyer = app
        .get(&format!("/api/v1/orders/{id}?token={access}"))
        .await;
    assert_eq!(
        buyer.ok(200)["tracking"],
        json!({
            "carrier": "PostNord", "tracking_number": "RR123456789SE",
            "url": "https://tracking.postnord.com/se/?id=RR123456789SE"
        })
    );
    assert!(buyer.body.get("instructions").is_none());
    // The shop's order page links to the carrier's, sending no Referer (its address holds
    // the buyer's token).
    let page = app.get(&format!("/orders/{id}?token={access}")).await;
    assert!(
        page.text.contains(
            "<a href=\"https://tracking.postnord.com/se/?id=RR123456789SE\" rel=\"noreferrer noopener\">"
        ),
        "{}",
        page.text
    );
    let delivered = act(&app, &token, &id, "deliver").await;
    let detail = delivered.ok(200);
    assert_eq!(detail["status"], "delivered");
    assert_eq!(detail["buyer"]["email"], "anna@example.se");
    assert_eq!(detail["shipping_address"]["city"], "Göteborg");
    let history: Vec<(Value, Value, String)> = detail["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| {
            (
                h["from"].clone(),
                h["to"].clone(),
                h["actor"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(history.len(), 4);
    assert_eq!(
        history[0],
        (Value::Null, json!("pending_payment"), "buyer".to_string())
    );
    assert_eq!(
        (history[1].0.clone(), history[1].1.clone()),
        (json!("pending_payment"), json!("paid"))
    );
    assert!(history[1].2.starts_with("admin:"));
    assert_eq!(history[3].1, json!("delivered"));

    let kinds: Vec<String> = event::Entity::find()
        .filter(event::Column::OrderId.eq(id.as_str()))
        .all(&app.db)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        vec!["order.paid", "order.shipped", "order.delivered"]
    );
    let audited = entity::audit_log::Entity::find()
        .filter(entity::audit_log::Column::EntityId.eq(id.as_str()))
        .count(&app.db)
        .await
        .expect("audit");
    assert_eq!(audited, 3);

    let list = app
        .admin_get(
            &token,
            "/api/v1/admin/orders?status=delivered&artist=test-painter",
        )
        .await;
    assert_eq!(list.ok(200)["total"], 1);
    let by_id = app
        .admin_get(
            &token,
            &format!("/api/v1/admin/orders?artist={}", catalog.artist),
        )
        .await;
    assert_eq!(by_id.ok(200)["total"], 1);
    let none = app
        .admin_get(&token, "/api/v1/admin/orders?status=paid")
        .await;
    assert_eq!(none.ok(200)["total"], 0);
    app.admin_get(&token, "/api/v1/admin/orders?status=lost")
        .await
        .invalid_field("status");
}

#[tokio::test]
async fn every_illegal_transition_is_refused_with_both_states_named() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let mut paintings = Vec::new();
    for _ in 0..5 {
        paintings.push(
            app.create_artwork(&token, &catalog.artist, &catalog.tier, "available")
                .await,
        );
    }
    // Bring one order into each state, then try every action that is not allowed there.
    let setups: [(&str, &[&str]); 5] = [
        ("pending_payment", &[]),
        ("paid", &["confirm-payment"]),
        ("shipped", &["confirm-payment", "ship"]),
        ("delivered", &["confirm-payment", "ship", "deliver"]),
        ("cancelled", &["cancel"]),
    ];
    let illegal: [(&str, &[&str]); 5] = [
        ("pending_payment", &["ship", "deliver"]),
        ("paid", &["confirm-payment", "deliver"]),
        ("shipped", &["confirm-payment", "ship", "cancel"]),
        (
            "delivered",
            &["confirm-payment", "ship", "deliver", "cancel"],
        ),
        (
            "cancelled",
            &["confirm-payment", "ship", "deliver", "cancel"],
        ),
    ];
    for (i, ((state, steps), (_, refused))) in setups.iter().zip(illegal.iter()).enumerate() {
        let (id, _) = place(&app, &paintings[i]).await;
        for step in *steps {
            act(&app, &token, &id, step).await.ok(200);
        }
        for action in *refused {
            let reply = act(&app, &token, &id, action).await;
            let detail = reply.problem(409)["detail"]
                .as_str()
                .unwrap_or("")
                .to_string();
            assert_eq!(
                reply.body["code"], "illegal_transition",
                "{state} + {action}: {detail}"
            );
            assert!(detail.contains(state), "{state} + {action}: {detail}");
        }
        let after = app
            .admin_get(&token, &format!("/api/v1/admin/orders/{id}"))
            .await;
        assert_eq!(
            after.ok(200)["status"],
            *state,
            "a refused action changed nothing"
        );
    }
    app.request(
        reqwest::Method::POST,
        "/api/v1/admin/orders/nope/deliver",
        Some(&token),
        None,
    )
    .await
    .problem(404);
}

#[tokio::test]
async fn cancelling_releases_the_painting() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let (pending, _) = place(&app, &catalog.artwork).await;
    let reply = app
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/admin/orders/{pending}/cancel"),
            Some(&token),
            Some(json!({"reason": "buyer changed their mind"})),
        )
        .await;
    assert_eq!(reply.ok(200)["status"], "cancelled");
    assert_eq!(artwork_status(&app, &catalog.artwork).await, "available");

    let (paid, _) = place(&app, &catalog.artwork).await;
    act(&app, &token, &paid, "confirm-payment").await.ok(200);
    assert_eq!(artwork_status(&app, &catalog.artwork).await, "sold");
    app.request(
        reqwest::Method::POST,
        &format!("/api/v1/admin/orders/{paid}/cancel"),
        Some(&token),
        Some(json!({"release_artwork": true})),
    )
    .await
    .ok(200);
    assert_eq!(artwork_status(&app, &catalog.artwork).await, "available");

    // Cancelling a paid order keeps the painting off sale unless the admin asks.
    let (kept, _) = place(&app, &catalog.artwork).await;
    act(&app, &token, &kept, "confirm-payment").await.ok(200);
    app.request(
        reqwest::Method::POST,
        &format!("/api/v1/admin/orders/{kept}/cancel"),
        Some(&token),
        None,
    )
    .await
    .ok(200);
    assert_eq!(artwork_status(&app, &catalog.artwork).await, "sold");
    app.request(
        reqwest::Method::POST,
        &format!("/api/v1/admin/orders/{kept}/cancel"),
        Some(&token),
        Some(json!({"release": "yes"})),
    )
    .await
    .invalid_field("release");
}

/// An unpaid reservation expires and its painting is for sale again. A transfer that arrives
/// after that is still recorded: while the painting is free, it is sold to that buyer.
#[tokio::test]
async fn unpaid_reservations_expire_and_a_late_payment_still_buys_the_free_painting() {
    let app = builder().env("RESERVATION_SWEEP_MS", "50").spawn().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let (id, access) = place(&app, &catalog.artwork).await;
    order::Entity::update(order::ActiveModel {
        id: Set(id.clone()),
        expires_at: Set(Utc::now() - chrono::Duration::seconds(1)),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .expect("age the reservation");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while artwork_status(&app, &catalog.artwork).await != "available" {
        assert!(
            std::time::Instant::now() < deadline,
            "the sweep never released the painting"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let view = app
        .get(&format!("/api/v1/orders/{id}?token={access}"))
        .await;
    assert_eq!(view.ok(200)["status"], "expired");
    let late = act(&app, &token, &id, "confirm-payment").await;
    assert_eq!(late.ok(200)["status"], "paid");
    assert_eq!(artwork_status(&app, &catalog.artwork).await, "sold");
    let detail = app
        .admin_get(&token, &format!("/api/v1/admin/orders/{id}"))
        .await;
    let detail = detail.ok(200);
    assert_eq!(detail["history"][1]["actor"], "system");
    assert!(
        detail["history"][2]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("after the hold ended")
    );
}

#[tokio::test]
async fn expiry_leaves_orders_that_are_not_due_alone() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    place(&app, &catalog.artwork).await;
    let n = hunar::orders::expiry::expire_due(&app.db, &app.state.mail, Utc::now())
        .await
        .expect("sweep");
    assert_eq!(n, 0);
    let n = hunar::orders::expiry::expire_due(
        &app.db,
        &app.state.mail,
        Utc::now() + chrono::Duration::days(8),
    )
    .await
    .expect("sweep");
    assert_eq!(n, 1);
    assert_eq!(artwork_status(&app, &catalog.artwork).await, "available");
    // A second sweep (another process) finds nothing left to do.
    let n = hunar::orders::expiry::expire_due(
        &app.db,
        &app.state.mail,
        Utc::now() + chrono::Duration::days(8),
    )
    .await
    .expect("sweep");
    assert_eq!(n, 0);
}

#[tokio::test]
async fn confirm_payment_needs_a_reference_and_a_manual_order() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let (id, _) = place(&app, &catalog.artwork).await;
    let path = format!("/api/v1/admin/orders/{id}/confirm-payment");
    app.request(
        reqwest::Method::POST,
        &path,
        Some(&token),
        Some(json!({"reference": " "})),
    )
    .await
    .invalid_field("reference");
    app.request(reqwest::Method::POST, &path, Some(&token), Some(json!({})))
        .await
        .invalid_field("reference");
    let ship = format!("/api/v1/admin/orders/{id}/ship");
    app.request(
        reqwest::Method::POST,
        &ship,
        Some(&token),
        Some(json!({"carrier": "DHL"})),
    )
    .await
    .invalid_field("tracking_number");
    // A card order is not confirmed by hand.
    order::Entity::update(order::ActiveModel {
        id: Set(id.clone()),
        payment_method: Set("stripe".into()),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .expect("make it a card order");
    let reply = app
        .request(
            reqwest::Method::POST,
            &path,
            Some(&token),
            Some(json!({"reference": "X"})),
        )
        .await;
    assert_eq!(reply.problem(409)["code"], "not_allowed");
}

#[tokio::test]
async fn a_painting_with_past_orders_is_withdrawn_not_deleted() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let (id, _) = place(&app, &catalog.artwork).await;
    act(&app, &token, &id, "cancel").await.ok(200);
    let path = format!("/api/v1/admin/artworks/{}", catalog.artwork);
    let reply = app.admin_delete(&token, &path).await;
    assert_eq!(reply.problem(409)["code"], "in_use");
    app.admin_patch(&token, &path, json!({"status": "withdrawn"}))
        .await
        .ok(200);
    let detail = app
        .admin_get(&token, &format!("/api/v1/admin/orders/{id}"))
        .await;
    assert_eq!(detail.ok(200)["artwork_id"], catalog.artwork.as_str());
}

/// With the per-address limits raised (an office behind one NAT, a load test), many orders
/// at once from one address for different paintings all succeed: their hold slots are
/// picked so that they seldom collide, and a collision is retried, never a 429.
#[tokio::test]
async fn many_orders_at_once_from_one_address_all_succeed_when_the_limits_allow() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let mut artworks = vec![catalog.artwork.clone()];
    for _ in 0..95 {
        artworks.push(
            app.create_artwork(&token, &catalog.artist, &catalog.tier, "available")
                .await,
        );
    }
    let requests = artworks
        .iter()
        .enumerate()
        .map(|(i, artwork)| {
            let mut body = order_body(artwork);
            body["buyer"]["email"] = json!(format!("buyer{i}@example.org"));
            app.client
                .post(app.url("/api/v1/orders"))
                .header("Idempotency-Key", new_key())
                .json(&body)
        })
        .collect();
    let refused: Vec<String> = all_at_once(requests)
        .await
        .into_iter()
        .filter(|reply| reply.status != 201)
        .map(|reply| reply.text)
        .collect();
    assert!(refused.is_empty(), "{refused:?}");
}

/// The cancel body is optional: none, `null` and `{}` all cancel; anything else is read as
/// strictly as every body.
#[tokio::test]
async fn cancel_takes_no_body_null_or_an_object() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let (id, _) = place(&app, &catalog.artwork).await;
    let path = format!("/api/v1/admin/orders/{id}/cancel");
    app.admin_post(&token, &path, json!({"because": "x"}))
        .await
        .invalid_field("because");
    app.admin_post(&token, &path, json!(null)).await.ok(200);
    assert_eq!(artwork_status(&app, &catalog.artwork).await, "available");
}

/// Carriers to Sweden and Germany need a postal code of the country's shape, and a street
/// needs more than a letter; Afghanistan's postal codes are not in common use.
#[tokio::test]
async fn a_destination_needs_its_postal_code_and_a_street() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let with = |country: &str, postal: Option<&str>, street: &str| {
        let mut body = order_body(&catalog.artwork);
        body["shipping_address"]["country"] = json!(country);
        body["shipping_address"]["postal_code"] = json!(postal);
        body["shipping_address"]["line1"] = json!(street);
        body
    };
    for (body, field) in [
        (
            with("SE", None, "Storgatan 1"),
            "shipping_address.postal_code",
        ),
        (
            with("SE", Some("4110"), "Storgatan 1"),
            "shipping_address.postal_code",
        ),
        (
            with("DE", Some("1011"), "Hauptstr. 1"),
            "shipping_address.postal_code",
        ),
        (with("SE", Some("411 01"), "x"), "shipping_address.line1"),
    ] {
        let reply = app.place_order(&new_key(), &body).await;
        reply.invalid_field(field);
    }
    assert_eq!(artwork_status(&app, &catalog.artwork).await, "available");
    app.place_order(&new_key(), &with("AF", None, "Karte 4, street 7"))
        .await
        .ok(201);
}
