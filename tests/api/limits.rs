//! What one hostile client can set off, with the limits at their defaults: a burst of orders,
//! a stranger's address named again and again, guessed passwords, forged forwarding headers.
//! Clients are told apart by `X-Forwarded-For` from a trusted proxy (the tests' 127.0.0.1).
use entity::{order, outbox};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Reply, TestApp, TestAppBuilder, all_at_once, artwork_status,
    builder, new_key, order_body, plain,
};
use crate::smtp::Sink;

const COORDINATOR: &str = "coordinator@hunar.example";
const STRANGER: &str = "stranger@example.net";

/// Behind a proxy on 127.0.0.1, with the limits as they ship.
fn behind_proxy() -> TestAppBuilder {
    builder()
        .default_limits()
        .env("TRUSTED_PROXIES", "127.0.0.1")
}

/// An order request from client `ip` (as the trusted proxy reports it).
fn order_from(app: &TestApp, ip: &str, body: &Value) -> reqwest::RequestBuilder {
    app.client
        .post(app.url("/api/v1/orders"))
        .header("Idempotency-Key", new_key())
        .header("X-Forwarded-For", ip)
        .json(body)
}

fn buyer(artwork: &str, email: &str) -> Value {
    let mut body = order_body(artwork);
    body["buyer"]["email"] = json!(email);
    body
}

/// `n` available paintings in one small catalog.
async fn catalog_of(app: &TestApp, token: &str, n: usize) -> Vec<String> {
    let catalog = app.small_catalog(token).await;
    let mut artworks = vec![catalog.artwork];
    while artworks.len() < n {
        artworks.push(
            app.create_artwork(token, &catalog.artist, &catalog.tier, "available")
                .await,
        );
    }
    artworks
}

/// Exactly three orders hold their paintings (the default cap); every other one waits for
/// its buyer's confirmation, holding nothing, or is refused with a 429.
fn three_hold_the_rest_do_not(replies: &[Reply]) {
    let outcomes: Vec<String> = replies.iter().map(outcome).collect();
    assert_eq!(
        outcomes.iter().filter(|s| *s == "pending_payment").count(),
        3,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .all(|s| ["pending_payment", "awaiting_confirmation", "429"].contains(&s.as_str())),
        "{outcomes:?}"
    );
}

/// What an order request came to: the new order's status, or the refusal's status code.
fn outcome(reply: &Reply) -> String {
    match reply.body["order"]["status"].as_str() {
        Some(status) if reply.status == 201 => status.to_string(),
        _ => reply.status.as_u16().to_string(),
    }
}

fn held_then_waiting(held: usize, waiting: usize) -> Vec<String> {
    let mut outcomes = vec!["pending_payment".to_string(); held];
    outcomes.extend(vec!["awaiting_confirmation".to_string(); waiting]);
    outcomes
}

async fn send(request: reqwest::RequestBuilder) -> Reply {
    Reply::read(request.send().await.expect("send")).await
}

fn retry_after(reply: &Reply) -> u64 {
    reply.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds")
}

async fn available(app: &TestApp, artworks: &[String]) -> usize {
    let mut n = 0;
    for id in artworks {
        if artwork_status(app, id).await == "available" {
            n += 1;
        }
    }
    n
}

#[tokio::test]
async fn a_burst_from_one_client_leaves_the_catalog_buyable() {
    let app = behind_proxy().spawn().await;
    let token = app.admin_token().await;
    let artworks = catalog_of(&app, &token, 30).await;
    // One script, every painting, a fresh buyer address each time, all at once.
    let replies = all_at_once(
        artworks
            .iter()
            .enumerate()
            .map(|(i, id)| {
                order_from(
                    &app,
                    "203.0.113.66",
                    &buyer(id, &format!("b{i}@example.org")),
                )
            })
            .collect(),
    )
    .await;
    // Three hold their paintings; the next ones (ten at most) wait for their buyers'
    // confirmation and hold nothing; the rest are refused.
    let created: Vec<&str> = replies
        .iter()
        .filter(|r| r.status == 201)
        .map(|r| r.body["order"]["status"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        created.iter().filter(|s| **s == "pending_payment").count(),
        3,
        "three holds per client: {created:?}"
    );
    assert!(
        created.len() <= 13
            && created
                .iter()
                .all(|s| ["pending_payment", "awaiting_confirmation"].contains(s)),
        "{created:?}"
    );
    for refused in replies.iter().filter(|r| r.status != 201) {
        let problem = refused.problem(429);
        assert!(
            ["too_many_open_holds", "too_many_order_attempts", "busy"]
                .iter()
                .any(|code| problem["type"].as_str().unwrap_or("").ends_with(code)),
            "{problem}"
        );
        assert!(retry_after(refused) >= 1);
    }
    assert!(
        available(&app, &artworks).await >= 24,
        "at least 80 % still buyable"
    );
    // A refused key was not spent: nothing was remembered for it.
    let open = order::Entity::find()
        .filter(order::Column::Status.eq("pending_payment"))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(open, 3);

    // A supporter at another address buys at once.
    let free = {
        let mut free = None;
        for id in &artworks {
            if artwork_status(&app, id).await == "available" {
                free = Some(id.clone());
                break;
            }
        }
        free.expect("a free painting")
    };
    let other = send(order_from(
        &app,
        "198.51.100.20",
        &buyer(&free, "real@example.se"),
    ))
    .await;
    other.ok(201);
}

#[tokio::test]
async fn a_buyer_address_holds_only_a_few_paintings_whoever_asks() {
    let app = behind_proxy().spawn().await;
    let token = app.admin_token().await;
    let artworks = catalog_of(&app, &token, 6).await;
    // Six clients, one address.
    let replies = all_at_once(
        artworks
            .iter()
            .enumerate()
            .map(|(i, id)| order_from(&app, &format!("198.51.100.{}", i + 1), &buyer(id, STRANGER)))
            .collect(),
    )
    .await;
    three_hold_the_rest_do_not(&replies);
    // The address differs only in case and spaces: still the same address.
    let free = artworks
        .iter()
        .zip(&replies)
        .find(|(_, r)| r.status == 429)
        .map(|(id, _)| id.clone())
        .expect("a refused painting");
    let same = send(order_from(
        &app,
        "192.0.2.50",
        &buyer(&free, " Stranger@Example.NET "),
    ))
    .await;
    let problem = same.problem(429);
    assert!(
        problem["type"]
            .as_str()
            .unwrap_or("")
            .ends_with("too_many_open_holds")
    );
    assert!(retry_after(&same) > 60, "until the first short hold ends");
}

#[tokio::test]
async fn a_forged_forwarded_for_changes_nothing_without_a_trusted_proxy() {
    let app = builder().default_limits().spawn().await;
    let token = app.admin_token().await;
    let artworks = catalog_of(&app, &token, 5).await;
    let mut statuses = Vec::new();
    for (i, id) in artworks.iter().enumerate() {
        let reply = send(order_from(
            &app,
            &format!("203.0.113.{i}"),
            &buyer(id, &format!("f{i}@example.org")),
        ))
        .await;
        statuses.push(outcome(&reply));
    }
    // Every request is the one peer 127.0.0.1, whatever the header claims: three hold, the
    // next wait for their buyers' confirmation.
    assert_eq!(statuses, held_then_waiting(3, 2));
}

#[tokio::test]
async fn a_forwarded_header_the_proxy_does_not_write_changes_nothing() {
    // The proxy writes X-Forwarded-For and passes a client's own `Forwarded` through.
    let app = behind_proxy().spawn().await;
    let token = app.admin_token().await;
    let artworks = catalog_of(&app, &token, 4).await;
    let mut statuses = Vec::new();
    for (i, id) in artworks.iter().enumerate() {
        let request = app
            .client
            .post(app.url("/api/v1/orders"))
            .header("Idempotency-Key", new_key())
            .header("Forwarded", format!("for=203.0.113.{i}"))
            .json(&buyer(id, &format!("g{i}@example.org")));
        statuses.push(outcome(&send(request).await));
    }
    assert_eq!(statuses, held_then_waiting(3, 1));
}

#[tokio::test]
async fn order_attempts_are_rate_limited_per_client() {
    let app = behind_proxy()
        .env("ORDER_ATTEMPTS_PER_CLIENT", "4")
        .spawn()
        .await;
    // Invalid bodies cost nothing to send: they are counted all the same.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let reply = send(order_from(&app, "203.0.113.7", &json!({"artwork_id": ""}))).await;
        statuses.push(reply.status.as_u16());
        if reply.status == 429 {
            assert!(
                reply.problem(429)["type"]
                    .as_str()
                    .unwrap_or("")
                    .ends_with("too_many_order_attempts")
            );
            assert!(retry_after(&reply) >= 1);
        }
    }
    assert_eq!(statuses, vec![422, 422, 422, 422, 429, 429]);
    let other = send(order_from(&app, "203.0.113.8", &json!({"artwork_id": ""}))).await;
    other.problem(422);
}

/// The API's way to do what the email's confirmation link does.
fn api_confirm_path(link: &str) -> String {
    format!(
        "/api/v1{}",
        link.replacen("/confirm?", "/confirm-email?", 1)
    )
}

/// Confirms the address behind `link` (from the email) through the API.
async fn confirm_by_api(app: &TestApp, link: &str) -> Reply {
    send(app.client.post(app.url(&api_confirm_path(link)))).await
}

/// The link the buyer's first email carries, read from the outbox.
async fn confirm_link(app: &TestApp, order_id: &str, kind: &str) -> String {
    let email = outbox::Entity::find()
        .filter(outbox::Column::OrderId.eq(order_id))
        .filter(outbox::Column::Kind.eq(kind))
        .one(&app.db)
        .await
        .expect("q")
        .expect("buyer email");
    let text = plain(&email.body_text);
    let start = text
        .find("http://127.0.0.1:8080/orders/")
        .expect("link in email");
    let link = text[start..]
        .split_whitespace()
        .next()
        .expect("link")
        .to_string();
    link.replace("http://127.0.0.1:8080", "")
}

#[tokio::test]
async fn confirming_the_address_gives_the_full_hold_and_a_coordinator_can_too() {
    let app = behind_proxy().spawn().await;
    let token = app.admin_token().await;
    let artworks = catalog_of(&app, &token, 3).await;
    let placed = send(order_from(
        &app,
        "198.51.100.9",
        &buyer(&artworks[0], "anna@example.se"),
    ))
    .await;
    let body = placed.ok(201).clone();
    let id = body["order"]["id"].as_str().expect("id").to_string();
    let short: chrono::DateTime<chrono::Utc> = body["order"]["expires_at"]
        .as_str()
        .expect("ts")
        .parse()
        .expect("ts");
    let link = confirm_link(&app, &id, "order_placed_buyer").await;
    assert!(
        link.starts_with(&format!("/orders/{id}/confirm?token=")),
        "{link}"
    );

    // Opening the link (as a mail scanner would) changes nothing.
    let page = app.get(&link).await;
    assert_eq!(page.status, 200);
    assert!(page.content_type().starts_with("text/html"));
    assert!(page.text.contains("<form method=\"post\""));
    assert_eq!(page.headers["cache-control"], "no-store");
    let row = order::Entity::find_by_id(id.clone())
        .one(&app.db)
        .await
        .expect("q")
        .expect("o");
    assert!(row.hold_confirmed_at.is_none());

    // The access token is not the confirmation token.
    let access = body["access_token"].as_str().expect("token");
    let wrong = app
        .request(
            reqwest::Method::POST,
            &format!("/orders/{id}/confirm?token={access}"),
            None,
            None,
        )
        .await;
    assert_eq!(wrong.status, 404);
    assert!(wrong.content_type().starts_with("text/html"));
    let api_wrong = app
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/orders/{id}/confirm-email?token={access}"),
            None,
            None,
        )
        .await;
    api_wrong.problem(404);

    let confirmed = app.request(reqwest::Method::POST, &link, None, None).await;
    assert_eq!(confirmed.status, 303);
    let location = confirmed.headers["location"].to_str().expect("ascii");
    assert!(
        location.contains(&id) && location.contains("token="),
        "{location}"
    );
    let row = order::Entity::find_by_id(id.clone())
        .one(&app.db)
        .await
        .expect("q")
        .expect("o");
    assert!(row.hold_confirmed_at.is_some());
    assert_eq!((row.expires_at - row.created_at).num_days(), 7);
    assert!(row.expires_at > short);

    // Each order is confirmed on its own: naming an address that confirmed before gets
    // nobody a long hold.
    let next = send(order_from(
        &app,
        "198.51.100.9",
        &buyer(&artworks[1], "ANNA@example.se"),
    ))
    .await;
    let next = next.ok(201);
    assert!(next["payment"]["hold_after_email_confirmation"].is_string());
    let created: chrono::DateTime<chrono::Utc> = next["order"]["created_at"]
        .as_str()
        .expect("ts")
        .parse()
        .expect("ts");
    let expires: chrono::DateTime<chrono::Utc> = next["order"]["expires_at"]
        .as_str()
        .expect("ts")
        .parse()
        .expect("ts");
    assert_eq!((expires - created).num_minutes(), 360);

    // A coordinator extends the hold of a buyer they know.
    let third = send(order_from(
        &app,
        "198.51.100.10",
        &buyer(&artworks[2], "omid@example.org"),
    ))
    .await;
    let third_id = third.ok(201)["order"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let extended = app
        .admin_post(
            &token,
            &format!("/api/v1/admin/orders/{third_id}/extend-hold"),
            json!({}),
        )
        .await;
    let extended = extended.ok(200);
    let created: chrono::DateTime<chrono::Utc> = extended["created_at"]
        .as_str()
        .expect("ts")
        .parse()
        .expect("ts");
    let expires: chrono::DateTime<chrono::Utc> = extended["expires_at"]
        .as_str()
        .expect("ts")
        .parse()
        .expect("ts");
    assert_eq!((expires - created).num_days(), 7);
    // Not for an order that no longer waits for payment.
    app.admin_post(
        &token,
        &format!("/api/v1/admin/orders/{third_id}/confirm-payment"),
        json!({"reference": "bank 123"}),
    )
    .await
    .ok(200);
    app.admin_post(
        &token,
        &format!("/api/v1/admin/orders/{third_id}/extend-hold"),
        json!({}),
    )
    .await
    .problem(409);
}

/// Waits until the worker has dealt with every email to `recipient` (sent or held back).
async fn settled(app: &TestApp, recipient: &str) {
    for _ in 0..300 {
        // Recipients are sealed: read and opened, not matched in SQL.
        let waiting = outbox::Entity::find()
            .filter(outbox::Column::Status.is_in(["pending", "sending"]))
            .all(&app.db)
            .await
            .expect("outbox")
            .iter()
            .filter(|m| plain(&m.recipient) == recipient)
            .count();
        if waiting == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("emails to {recipient} never settled");
}

#[tokio::test]
async fn a_strangers_address_named_in_ten_orders_gets_at_most_three_emails() {
    let sink = Sink::start().await;
    let app = behind_proxy()
        .env("SMTP_URL", &sink.url())
        .env("COORDINATOR_EMAIL", COORDINATOR)
        .env("MAIL_POLL_MS", "20")
        // Let every order through, so the email cap is what is tested.
        .env("HOLDS_PER_EMAIL", "100")
        .spawn()
        .await;
    let token = app.admin_token().await;
    let artworks = catalog_of(&app, &token, 10).await;
    let mut replies = Vec::new();
    for (i, id) in artworks.iter().enumerate() {
        let reply = order_from(&app, &format!("198.51.100.{}", i + 1), &buyer(id, STRANGER));
        replies.push(send(reply).await);
    }
    assert!(replies.iter().all(|r| r.status == 201));
    settled(&app, STRANGER).await;
    let to_stranger = |sink: &Sink| {
        sink.messages()
            .iter()
            .filter(|m| m.recipients.iter().any(|r| r == STRANGER))
            .count()
    };
    assert_eq!(to_stranger(&sink), 3);
    // The rest is held back, visible to the coordinator, not lost.
    let held = app
        .admin_get(
            &token,
            "/api/v1/admin/outbox?status=suppressed&per_page=100",
        )
        .await;
    assert_eq!(held.ok(200)["total"], 7);
    // The coordinator still hears of every order.
    let coordinator_mails = sink
        .wait_for(13)
        .await
        .iter()
        .filter(|m| m.recipients.iter().any(|r| r == COORDINATOR))
        .count();
    assert_eq!(coordinator_mails, 10);

    // The buyer confirms one order (its link is in the email that was held back): that
    // order's email goes out; the other orders naming the address stay held back. Which
    // three went out depends on the order the delivery workers took them in, so the order
    // confirmed is one whose email was held back.
    let id = outbox::Entity::find()
        .filter(outbox::Column::Status.eq("suppressed"))
        .all(&app.db)
        .await
        .expect("held back mail")
        .into_iter()
        .find(|email| plain(&email.recipient) == STRANGER)
        .and_then(|email| email.order_id)
        .expect("an order's email held back");
    let link = confirm_link(&app, &id, "order_placed_buyer").await;
    assert_eq!(
        app.request(reqwest::Method::POST, &link, None, None)
            .await
            .status,
        303
    );
    settled(&app, STRANGER).await;
    assert_eq!(to_stranger(&sink), 4);
    let held = app
        .admin_get(
            &token,
            "/api/v1/admin/outbox?status=suppressed&per_page=100",
        )
        .await;
    assert_eq!(held.ok(200)["total"], 6);
}

#[tokio::test]
async fn thirty_wrong_passwords_from_one_client_never_lock_the_admin_out() {
    let app = behind_proxy()
        .env("COORDINATOR_EMAIL", COORDINATOR)
        .spawn()
        .await;
    let _ = app.admin_token().await; // creates the admin
    let login_from = |ip: &str, password: &str| {
        app.client
            .post(app.url("/api/v1/admin/login"))
            .header("X-Forwarded-For", ip)
            .json(&json!({"email": ADMIN_EMAIL, "password": password}))
    };
    let mut statuses = Vec::new();
    for _ in 0..30 {
        let reply = send(login_from("203.0.113.99", "not the password")).await;
        statuses.push(reply.status.as_u16());
    }
    assert_eq!(&statuses[..5], &[401; 5]);
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    // The guesser stays throttled, even with the right password.
    let guesser = send(login_from("203.0.113.99", ADMIN_PASSWORD)).await;
    guesser.problem(429);
    // The admin, from their own address, signs in.
    let admin = send(login_from("198.51.100.1", ADMIN_PASSWORD)).await;
    assert!(admin.ok(200)["token"].is_string());
}

#[tokio::test]
async fn many_failures_on_one_account_tell_the_coordinator_once() {
    let app = behind_proxy()
        .env("COORDINATOR_EMAIL", COORDINATOR)
        .env("LOGIN_ALERT_FAILURES", "6")
        .spawn()
        .await;
    let _ = app.admin_token().await;
    for i in 0..8 {
        let reply = send(
            app.client
                .post(app.url("/api/v1/admin/login"))
                .header("X-Forwarded-For", format!("203.0.113.{}", i % 4))
                .json(&json!({"email": ADMIN_EMAIL, "password": "guess guess guess"})),
        )
        .await;
        reply.problem(401);
    }
    let alerts = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("signin_alert_coordinator"))
        .all(&app.db)
        .await
        .expect("q");
    assert_eq!(alerts.len(), 1);
    assert_eq!(plain(&alerts[0].recipient), COORDINATOR);
    assert!(
        alerts[0].subject.contains("6 failed sign-ins"),
        "{}",
        alerts[0].subject
    );
    for i in 0..4 {
        assert!(plain(&alerts[0].body_text).contains(&format!("203.0.113.{i}")));
    }
    // Slowed down, not locked: the right password still works.
    let ok = send(
        app.client
            .post(app.url("/api/v1/admin/login"))
            .header("X-Forwarded-For", "198.51.100.1")
            .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})),
    )
    .await;
    ok.ok(200);
}

#[tokio::test]
async fn two_processes_on_one_database_share_the_hold_caps() {
    let first = behind_proxy().spawn().await;
    let second = behind_proxy().database(&first.database_url).spawn().await;
    let token = first.admin_token().await;
    let artworks = catalog_of(&first, &token, 8).await;
    let replies = all_at_once(
        artworks
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let app = if i % 2 == 0 { &first } else { &second };
                order_from(app, "203.0.113.5", &buyer(id, &format!("p{i}@example.org")))
            })
            .collect(),
    )
    .await;
    three_hold_the_rest_do_not(&replies);
    assert_eq!(available(&first, &artworks).await, 5);
}

#[tokio::test]
async fn every_response_says_nosniff_and_no_referrer_and_private_ones_no_store() {
    let app = behind_proxy().spawn().await;
    let token = app.admin_token().await;
    let artworks = catalog_of(&app, &token, 1).await;
    let placed = send(order_from(
        &app,
        "198.51.100.3",
        &buyer(&artworks[0], "anna@example.se"),
    ))
    .await;
    let body = placed.ok(201).clone();
    let id = body["order"]["id"].as_str().expect("id");
    let access = body["access_token"].as_str().expect("token");
    let buyer_view = app
        .get(&format!("/api/v1/orders/{id}?token={access}"))
        .await;
    let login = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let admin = app.admin_get(&token, "/api/v1/admin/orders").await;
    let public = app.get("/api/v1/artworks").await;
    let missing = app.get("/no/such/route").await;
    let health = app.get("/health/live").await;
    for (name, reply, private) in [
        ("order placed", &placed, true),
        ("buyer view", &buyer_view, true),
        ("login", &login, true),
        ("admin list", &admin, true),
        ("public catalog", &public, false),
        ("unknown route", &missing, false),
        ("health", &health, false),
    ] {
        assert_eq!(reply.headers["x-content-type-options"], "nosniff", "{name}");
        assert_eq!(reply.headers["referrer-policy"], "no-referrer", "{name}");
        let cache = reply
            .headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert_eq!(cache == "no-store", private, "{name}: {cache:?}");
    }
}

/// Many supporters behind one address (a church's Wi-Fi, a mobile carrier): the address
/// holds only a few unconfirmed orders, but an order whose buyer confirmed their address no
/// longer counts against it, so the next neighbour's order holds at once.
#[tokio::test]
async fn a_confirmed_order_leaves_room_for_the_next_supporter_on_the_same_connection() {
    let app = behind_proxy().spawn().await;
    let token = app.admin_token().await;
    let artworks = catalog_of(&app, &token, 5).await;
    let church = "198.51.100.77";
    let mut first = None;
    for (i, artwork) in artworks[..3].iter().enumerate() {
        let placed = send(order_from(
            &app,
            church,
            &buyer(artwork, &format!("member{i}@example.se")),
        ))
        .await;
        let id = placed.ok(201)["order"]["id"]
            .as_str()
            .expect("id")
            .to_string();
        first.get_or_insert(id);
    }
    // The first buyer confirms their address (the link in their email).
    let first = first.expect("an order");
    let link = confirm_link(&app, &first, "order_placed_buyer").await;
    let confirmed = app
        .client
        .post(app.url(&link))
        .header("Origin", &app.address)
        .send()
        .await
        .expect("confirm");
    assert_eq!(confirmed.status().as_u16(), 303);
    let next = send(order_from(
        &app,
        church,
        &buyer(&artworks[3], "member3@example.se"),
    ))
    .await;
    assert_eq!(outcome(&next), "pending_payment");
    assert_eq!(artwork_status(&app, &artworks[3]).await, "reserved");
    // Still a few unconfirmed holds at most: the one after waits, holding nothing.
    let again = send(order_from(
        &app,
        church,
        &buyer(&artworks[4], "member4@example.se"),
    ))
    .await;
    assert_eq!(outcome(&again), "awaiting_confirmation");
    assert_eq!(artwork_status(&app, &artworks[4]).await, "available");
}

/// The supporter after those: their order is taken (not refused) and waits for them; the
/// painting stays for sale until they confirm, then it is theirs, with the payment details
/// and the coordinator's notice sent then. One who confirms after another supporter bought
/// the painting is told so, and the order ends without touching that sale.
#[tokio::test]
async fn a_supporter_behind_a_full_connection_gets_an_order_that_holds_once_confirmed() {
    let app = behind_proxy()
        .env("COORDINATOR_EMAIL", COORDINATOR)
        .spawn()
        .await;
    let token = app.admin_token().await;
    let artworks = catalog_of(&app, &token, 5).await;
    let office = "198.51.100.90";
    for (i, artwork) in artworks[..3].iter().enumerate() {
        let placed = send(order_from(
            &app,
            office,
            &buyer(artwork, &format!("colleague{i}@example.de")),
        ))
        .await;
        assert_eq!(outcome(&placed), "pending_payment");
    }
    let waiting = send(order_from(
        &app,
        office,
        &buyer(&artworks[3], "lena@example.de"),
    ))
    .await;
    let body = waiting.ok(201).clone();
    assert_eq!(body["order"]["status"], "awaiting_confirmation");
    assert!(body["payment"].get("instructions").is_none(), "{body}");
    let id = body["order"]["id"].as_str().expect("id").to_string();
    let access = body["access_token"].as_str().expect("token").to_string();
    // Nothing is held: the shop still sells it, and the buyer's page says what to do.
    assert_eq!(artwork_status(&app, &artworks[3]).await, "available");
    let page = app.get(&format!("/orders/{id}?token={access}")).await;
    assert!(page.text.contains("open it by"), "{}", page.text);
    let kinds = |order_id: String| {
        let app = &app;
        async move {
            outbox::Entity::find()
                .filter(outbox::Column::OrderId.eq(order_id))
                .all(&app.db)
                .await
                .expect("outbox")
                .into_iter()
                .map(|e| e.kind)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(kinds(id.clone()).await, ["order_waiting_buyer"]);

    // Meanwhile the coordinator changes the painting's price: it is taken at today's.
    let token = app.admin_token().await;
    app.admin_patch(
        &token,
        &format!("/api/v1/admin/artworks/{}", artworks[3]),
        json!({"price_override": {"amount": "77.00", "currency": "EUR"}}),
    )
    .await
    .ok(200);

    // Confirmed: the painting is held for the full time, and the payment details follow.
    let link = confirm_link(&app, &id, "order_waiting_buyer").await;
    let confirmed = confirm_by_api(&app, &link).await;
    assert_eq!(confirmed.ok(200)["status"], "pending_payment");
    assert_eq!(artwork_status(&app, &artworks[3]).await, "reserved");
    let until: chrono::DateTime<chrono::Utc> = confirmed.body["expires_at"]
        .as_str()
        .expect("ts")
        .parse()
        .expect("ts");
    assert!(
        until > chrono::Utc::now() + chrono::Duration::days(6),
        "{until}"
    );
    let now_priced = app
        .get(&format!("/api/v1/orders/{id}?token={access}"))
        .await;
    assert_eq!(
        (&now_priced.ok(200)["amount"], &now_priced.body["currency"]),
        (&json!("77.00"), &json!("EUR")),
        "today's price, not the one it was placed at"
    );
    let mut sent = kinds(id.clone()).await;
    sent.sort();
    assert_eq!(
        sent,
        [
            "order_placed_buyer",
            "order_placed_coordinator",
            "order_waiting_buyer"
        ]
    );
    // Confirming twice changes nothing more.
    let again = confirm_by_api(&app, &link).await;
    assert_eq!(again.ok(200)["status"], "pending_payment");
    assert_eq!(kinds(id.clone()).await.len(), 3);

    // Another waiting order; its painting is bought elsewhere before its buyer confirms.
    let late = send(order_from(
        &app,
        office,
        &buyer(&artworks[4], "jonas@example.de"),
    ))
    .await;
    let late_id = late.ok(201)["order"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let late_access = late.body["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    send(order_from(
        &app,
        "192.0.2.8",
        &buyer(&artworks[4], "quick@example.se"),
    ))
    .await
    .ok(201);
    let link = confirm_link(&app, &late_id, "order_waiting_buyer").await;
    let refused = confirm_by_api(&app, &link).await;
    refused.problem(409);
    assert_eq!(
        artwork_status(&app, &artworks[4]).await,
        "reserved",
        "the other hold stands"
    );
    // Only held, and that hold may lapse: this order keeps waiting.
    let still = app
        .get(&format!("/api/v1/orders/{late_id}?token={late_access}"))
        .await;
    assert_eq!(still.ok(200)["status"], "awaiting_confirmation");
    // Paid for: now it is sold, and confirming ends the waiting order.
    let quick = order::Entity::find()
        .filter(order::Column::ArtworkId.eq(artworks[4].as_str()))
        .filter(order::Column::Status.eq("pending_payment"))
        .one(&app.db)
        .await
        .expect("q")
        .expect("the other order");
    app.admin_post(
        &token,
        &format!("/api/v1/admin/orders/{}/confirm-payment", quick.id),
        json!({"reference": "BG 1"}),
    )
    .await
    .ok(200);
    let refused = confirm_by_api(&app, &link).await;
    refused.problem(409);
    assert_eq!(artwork_status(&app, &artworks[4]).await, "sold");
    let ended = app
        .get(&format!("/api/v1/orders/{late_id}?token={late_access}"))
        .await;
    assert_eq!(ended.ok(200)["status"], "expired");
    assert_eq!(ended.body["ended_before_holding"], "sold_meanwhile");
}

/// Six supporters behind one connection ordered the same painting, each order waiting for
/// its buyer; all six confirm at the same moment. One gets the painting, the others are told
/// it was sold, and the painting is held exactly once.
#[tokio::test]
async fn buyers_confirming_waiting_orders_for_one_painting_at_once_get_it_once() {
    let app = behind_proxy().env("HOLDS_PER_CLIENT", "1").spawn().await;
    let token = app.admin_token().await;
    let artworks = catalog_of(&app, &token, 2).await;
    let hall = "198.51.100.61";
    let held = send(order_from(
        &app,
        hall,
        &buyer(&artworks[1], "first@example.se"),
    ))
    .await;
    assert_eq!(outcome(&held), "pending_payment");
    let mut links = Vec::new();
    for i in 0..6 {
        let reply = send(order_from(
            &app,
            hall,
            &buyer(&artworks[0], &format!("fan{i}@example.se")),
        ))
        .await;
        assert_eq!(outcome(&reply), "awaiting_confirmation");
        let id = reply.body["order"]["id"].as_str().expect("id").to_string();
        let link = confirm_link(&app, &id, "order_waiting_buyer").await;
        links.push(api_confirm_path(&link));
    }
    let replies = all_at_once(
        links
            .iter()
            .map(|link| app.client.post(app.url(link)))
            .collect(),
    )
    .await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        5,
        "{statuses:?}"
    );
    let holding = order::Entity::find()
        .filter(order::Column::ArtworkId.eq(artworks[0].as_str()))
        .filter(order::Column::Status.eq("pending_payment"))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(holding, 1);
    assert_eq!(artwork_status(&app, &artworks[0]).await, "reserved");
}

/// An order that waited in vain ends on its own, and leaves alone the painting another
/// buyer holds meanwhile. A script behind one address gets only a few waiting orders (each
/// sends one email).
#[tokio::test]
async fn a_waiting_order_that_ends_leaves_the_painting_to_whoever_holds_it() {
    let app = behind_proxy()
        .env("WAITING_ORDERS_PER_CLIENT", "2")
        .spawn()
        .await;
    let token = app.admin_token().await;
    let artworks = catalog_of(&app, &token, 6).await;
    let script = "203.0.113.99";
    let mut outcomes = Vec::new();
    let mut waiting = Vec::new();
    for (i, artwork) in artworks.iter().enumerate() {
        let reply = send(order_from(
            &app,
            script,
            &buyer(artwork, &format!("s{i}@example.org")),
        ))
        .await;
        if outcome(&reply) == "awaiting_confirmation" {
            waiting.push((
                reply.body["order"]["id"].as_str().expect("id").to_string(),
                artwork.clone(),
            ));
        }
        outcomes.push(outcome(&reply));
    }
    let mut expected = held_then_waiting(3, 2);
    expected.push("429".into());
    assert_eq!(outcomes, expected);
    // Another supporter holds the first waiting order's painting.
    let (waiting_id, painting) = waiting[0].clone();
    send(order_from(
        &app,
        "192.0.2.9",
        &buyer(&painting, "owner@example.se"),
    ))
    .await
    .ok(201);
    // Its day to confirm has passed.
    order::Entity::update_many()
        .col_expr(
            order::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(order::Column::Id.eq(waiting_id.as_str()))
        .exec(&app.db)
        .await
        .expect("update");
    let expired = hunar::orders::expiry::expire_due(&app.db, &app.state.mail, chrono::Utc::now())
        .await
        .expect("sweep");
    assert_eq!(expired, 1);
    // A link followed after its day, before the sweep came by, takes nothing either.
    let (second_id, second_painting) = waiting[1].clone();
    order::Entity::update_many()
        .col_expr(
            order::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(order::Column::Id.eq(second_id.as_str()))
        .exec(&app.db)
        .await
        .expect("update");
    let link = confirm_link(&app, &second_id, "order_waiting_buyer").await;
    let late = confirm_by_api(&app, &link).await;
    assert_eq!(late.ok(200)["status"], "expired");
    assert_eq!(artwork_status(&app, &second_painting).await, "available");
    let ended = order::Entity::find_by_id(waiting_id.clone())
        .one(&app.db)
        .await
        .expect("q")
        .expect("order");
    assert_eq!(ended.status, "expired");
    assert_eq!(
        artwork_status(&app, &painting).await,
        "reserved",
        "still held by the other buyer"
    );
    let kinds: Vec<String> = outbox::Entity::find()
        .filter(outbox::Column::OrderId.eq(waiting_id))
        .all(&app.db)
        .await
        .expect("outbox")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        ["order_waiting_buyer"],
        "no 'not paid in time' for an order that held nothing"
    );
}

/// A form sent back for a typo is not an order attempt: a family correcting a postcode ten
/// times over can still order.
#[tokio::test]
async fn a_form_sent_back_for_a_typo_is_not_an_order_attempt() {
    let app = behind_proxy().spawn().await;
    let token = app.admin_token().await;
    let artworks = catalog_of(&app, &token, 1).await;
    let form = |email: &str| {
        vec![
            ("key".to_string(), new_key()),
            ("name".to_string(), "Anna Lind".to_string()),
            ("email".to_string(), email.to_string()),
            ("line1".to_string(), "Storgatan 1".to_string()),
            ("city".to_string(), "Göteborg".to_string()),
            ("postal_code".to_string(), "411 01".to_string()),
            ("payment_method".to_string(), "manual".to_string()),
        ]
    };
    let post = |fields: Vec<(String, String)>| {
        let app = &app;
        let path = format!("/artworks/{}/buy", artworks[0]);
        async move {
            let res = app
                .client
                .post(app.url(&path))
                .header("Origin", &app.address)
                .header("X-Forwarded-For", "198.51.100.88")
                .header("Cookie", "lang=sv; country=SE")
                .form(&fields)
                .send()
                .await
                .expect("post");
            Reply::read(res).await
        }
    };
    for _ in 0..15 {
        let typo = post(form("anna@@example.se")).await;
        assert_eq!(typo.status.as_u16(), 422, "{}", typo.text);
    }
    let placed = post(form("anna@example.se")).await;
    assert_eq!(placed.status.as_u16(), 303, "{}", placed.text);
}

/// The plan of the statement that reads a holder's open orders, as the server runs it, after
/// `setup` in the same transaction (statistics a planner on another connection would not
/// have read yet).
async fn open_holds_plan(app: &TestApp, setup: &str) -> String {
    use hunar::orders::holds::{Holder, open_holds_statement};
    use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};

    let backend = app.db.get_database_backend();
    let holder = Holder {
        client_key: "a-client".into(),
        email_key: "an-address".into(),
        email_key_before: None,
    };
    let query = open_holds_statement(backend, &holder);
    let name = format!("open_holds_{}", uuid::Uuid::new_v4().simple());
    let txn = app.db.begin().await.expect("begin");
    if !setup.is_empty() {
        txn.execute_unprepared(setup).await.expect("setup");
    }
    let explain = if backend == DbBackend::Postgres {
        // The plan the pool's prepared statement ends up with: generic, the status a
        // parameter like the rest (an EXPLAIN with bound values plans for those values).
        // Without seqscans: a table this small is read whole otherwise, whatever the indexes.
        // A prepared statement outlives the transaction (it belongs to the pooled session):
        // named afresh each time, and deallocated below, or the next plan read on the same
        // connection finds the name taken.
        txn.execute_unprepared(&format!(
            "SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL enable_seqscan = off; \
             PREPARE {name} AS {}",
            query.sql
        ))
        .await
        .expect("prepare");
        let values: Vec<String> = query
            .values
            .iter()
            .flat_map(|values| values.0.iter())
            .map(|value| match value {
                sea_orm::Value::String(Some(s)) => format!("'{s}'"),
                other => panic!("a value the test does not quote: {other:?}"),
            })
            .collect();
        sea_orm::Statement::from_string(
            backend,
            format!("EXPLAIN EXECUTE {name}({})", values.join(", ")),
        )
    } else {
        sea_orm::Statement {
            sql: format!("EXPLAIN QUERY PLAN {}", query.sql),
            ..query
        }
    };
    let plan = crate::helpers::plan_text(&txn, explain).await;
    if backend == DbBackend::Postgres {
        txn.execute_unprepared(&format!("DEALLOCATE {name}"))
            .await
            .expect("deallocate");
    }
    txn.rollback().await.expect("rollback");
    plan
}

fn reads_through_the_holder_indexes(plan: &str, when: &str) {
    for index in ["orders_client_open", "orders_email_open"] {
        assert!(plan.contains(index), "{when}: no {index}:\n{plan}");
    }
    assert!(
        !plan.contains("orders_status"),
        "{when}: reads by status:\n{plan}"
    );
}

/// Picking a hold slot reads the holder's open orders through indexes that lead with the
/// holder, on both databases and with PostgreSQL's generic plans: through the status index
/// (what the partial hold indexes left the planners with) it read every open order of the
/// shop, and an order cost more the more others were waiting for payment.
///
/// The plan must not depend on statistics, so it is read under each condition a database
/// meets: as migrated, with no statistics at all; after `ANALYZE` over a shop where many
/// buyers from many addresses wait for payment; and on SQLite with statistics that claim
/// the holder columns tell nothing apart (what `ANALYZE` writes when every order so far came
/// from one buyer), where only `INDEXED BY` keeps the plan.
#[actix_web::test]
async fn picking_a_hold_slot_reads_only_the_holders_own_orders() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    let app = builder().env("TRUSTED_PROXIES", "127.0.0.1").spawn().await;
    let backend = app.db.get_database_backend();
    let count = |sql: &'static str| {
        let db = app.db.clone();
        async move {
            let row = db
                .query_one_raw(Statement::from_string(backend, sql))
                .await
                .expect("count statistics")
                .expect("a row");
            row.try_get_by_index::<i64>(0).expect("a count")
        }
    };
    let no_statistics = match backend {
        DbBackend::Postgres => {
            "SELECT count(*) FROM pg_stats WHERE tablename = 'orders' AND schemaname = current_schema()"
        }
        _ => "SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'",
    };
    assert_eq!(
        count(no_statistics).await,
        0,
        "a migrated database has no statistics"
    );
    reads_through_the_holder_indexes(&open_holds_plan(&app, "").await, "as migrated");

    let token = app.admin_token().await;
    let artworks = catalog_of(&app, &token, 24).await;
    for (i, artwork) in artworks.iter().enumerate() {
        let placed = send(order_from(
            &app,
            &format!("198.51.100.{}", i + 1),
            &buyer(artwork, &format!("buyer{i}@example.se")),
        ))
        .await;
        placed.ok(201);
    }
    app.db.execute_unprepared("ANALYZE").await.expect("analyze");
    assert!(count(no_statistics).await > 0, "ANALYZE wrote statistics");
    // SQLite: the statistics are read again on the connection that plans.
    let reload = match backend {
        DbBackend::Sqlite => "ANALYZE sqlite_schema",
        _ => "",
    };
    reads_through_the_holder_indexes(&open_holds_plan(&app, reload).await, "after ANALYZE");

    if backend == DbBackend::Sqlite {
        let misleading = "DELETE FROM sqlite_stat1 WHERE tbl = 'orders'; \
             DELETE FROM sqlite_stat4 WHERE tbl = 'orders'; \
             INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES \
               ('orders', 'orders_client_open', '100000 100000 100000'), \
               ('orders', 'orders_email_open', '100000 100000 100000'), \
               ('orders', 'orders_status_created', '100000 2 1'), \
               ('orders', 'orders_status_expires', '100000 2 1'); \
             ANALYZE sqlite_schema";
        reads_through_the_holder_indexes(
            &open_holds_plan(&app, misleading).await,
            "with statistics that favour the status index",
        );
    }
}
