use entity::outbox;
use mail_parser::MessageParser;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{TestApp, builder, new_key, order_body, spawn_app};
use crate::smtp::{Sink, free_port};

const COORDINATOR: &str = "coordinator@hunar.example";

async fn mail_app(smtp_url: &str) -> TestApp {
    builder()
        .env("SMTP_URL", smtp_url)
        .env("COORDINATOR_EMAIL", COORDINATOR)
        .env("MAIL_POLL_MS", "20")
        .spawn()
        .await
}

/// A catalog with an artist who reads Dari, one manual order placed and paid.
async fn paid_order(app: &TestApp, buyer_name: &str) -> String {
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    app.admin_patch(
        &token,
        &format!("/api/v1/admin/artists/{}", catalog.artist),
        json!({"email": "artist@hunar.example", "phone": "+93 700 000 001", "preferred_language": "fa"}),
    )
    .await
    .ok(200);
    let mut body = order_body(&catalog.artwork);
    body["buyer"]["name"] = json!(buyer_name);
    let placed = app.place_order(&new_key(), &body).await;
    let id = placed.ok(201)["order"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    app.request(
        reqwest::Method::POST,
        &format!("/api/v1/admin/orders/{id}/confirm-payment"),
        Some(&token),
        Some(json!({"reference": "BANK-42"})),
    )
    .await
    .ok(200);
    id
}

struct Mail {
    to: Vec<String>,
    subject: String,
    text: String,
    html: String,
    raw: String,
}

fn parse(received: &crate::smtp::Received) -> Mail {
    let message = MessageParser::default()
        .parse(&received.data)
        .expect("MIME");
    Mail {
        to: received.recipients.clone(),
        subject: message.subject().unwrap_or("").to_string(),
        text: message
            .body_text(0)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        html: message
            .body_html(0)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        raw: String::from_utf8_lossy(&received.data).to_string(),
    }
}

#[tokio::test]
async fn a_paid_order_emails_artist_coordinator_and_buyer() {
    let sink = Sink::start().await;
    let app = mail_app(&sink.url()).await;
    paid_order(&app, "Anna Lind").await;
    // Placing a manual order: buyer and coordinator; paying it: artist, coordinator, buyer.
    let mails: Vec<Mail> = sink.wait_for(5).await.iter().map(parse).collect();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(sink.messages().len(), 5, "no extra email");

    let paid: Vec<&Mail> = mails
        .iter()
        .filter(|m| !m.subject.starts_with("Your order") && !m.subject.starts_with("New manual"))
        .collect();
    assert_eq!(
        paid.len(),
        3,
        "{:?}",
        mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );

    let artist = paid
        .iter()
        .find(|m| m.to == ["artist@hunar.example"])
        .expect("artist email");
    // A neutral subject and sender in the artist's language: nothing about a sale.
    assert_eq!(artist.subject, "پیام تازه");
    assert!(
        artist.raw.contains("From: Messages <"),
        "neutral sender: {}",
        artist.raw
    );
    assert!(artist.html.contains("dir=\"rtl\""));
    assert!(
        artist.text.contains("سویدن") && !artist.text.contains("Göteborg"),
        "the country, not the city: {}",
        artist.text
    );
    for private in ["anna@example.se", "+46 70 123 45 67", "Storgatan"] {
        assert!(
            !artist.raw.contains(private) && !artist.text.contains(private),
            "artist email leaks {private}"
        );
    }

    let coordinator = paid
        .iter()
        .find(|m| m.to == [COORDINATOR])
        .expect("coordinator email");
    for needed in [
        "Storgatan 1",
        "lgh 1102",
        "411 01",
        "Göteborg",
        "+46 70 123 45 67",
        "anna@example.se",
        "artist@hunar.example",
        "+93 700 000 001",
        "50.00 USD",
        "BANK-42",
        "Tack!",
        "/admin/orders/",
    ] {
        assert!(
            coordinator.text.contains(needed),
            "coordinator email lacks {needed}: {}",
            coordinator.text
        );
    }

    let buyer = paid
        .iter()
        .find(|m| m.to == ["anna@example.se"])
        .expect("buyer receipt");
    assert!(buyer.subject.starts_with("Receipt"));
    assert!(buyer.text.contains("50.00 USD") && buyer.text.contains("Kites"));
    for m in &mails {
        assert!(
            m.raw.contains("Message-ID:") || m.raw.contains("Message-Id:"),
            "no Message-ID"
        );
        assert!(m.raw.contains("Date:"));
        if m.to != ["artist@hunar.example"] {
            assert!(m.raw.contains("From: Hunar <no-reply@localhost>"));
        }
    }
    // The placement email carries the buyer's private link.
    let placed = mails
        .iter()
        .find(|m| m.subject.starts_with("Your order"))
        .expect("placement email");
    assert!(placed.text.contains("?token="), "{}", placed.text);

    let sent = outbox::Entity::find()
        .filter(outbox::Column::Status.eq("sent"))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(sent, 5);
}

#[tokio::test]
async fn smtp_down_loses_nothing_and_sends_once_when_it_is_back() {
    let port = free_port().await;
    let app = mail_app(&format!("smtp://127.0.0.1:{port}")).await;
    let id = paid_order(&app, "Anna Lind").await;
    // Nothing listens: every email stays, with its attempt and error recorded.
    let token = app.admin_token().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let failed = outbox::Entity::find()
            .filter(outbox::Column::Attempts.gte(1))
            .filter(outbox::Column::Status.eq("pending"))
            .count(&app.db)
            .await
            .expect("count");
        if failed == 5 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "delivery attempts not recorded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let listed = app
        .admin_get(&token, "/api/v1/admin/outbox?status=pending")
        .await;
    let listed = listed.ok(200).clone();
    assert_eq!(listed["total"], 5);
    assert!(listed["items"][0]["last_error"].as_str().is_some());

    let sink = Sink::start_on(port).await;
    for item in listed["items"].as_array().expect("items") {
        let retry = app
            .request(
                reqwest::Method::POST,
                &format!(
                    "/api/v1/admin/outbox/{}/retry",
                    item["id"].as_str().unwrap_or("")
                ),
                Some(&token),
                None,
            )
            .await;
        retry.ok(200);
    }
    sink.wait_for(5).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 5, "each email exactly once");
    let detail = app
        .admin_get(&token, &format!("/api/v1/admin/orders/{id}"))
        .await;
    let emails = detail.ok(200)["emails"].as_array().expect("emails").clone();
    assert_eq!(emails.len(), 5);
    assert!(emails.iter().all(|e| e["status"] == "sent"));
    // A sent email cannot be retried into a second copy.
    let again = app
        .request(
            reqwest::Method::POST,
            &format!(
                "/api/v1/admin/outbox/{}/retry",
                emails[0]["id"].as_str().unwrap_or("")
            ),
            Some(&token),
            None,
        )
        .await;
    again.problem(409);
}

#[tokio::test]
async fn a_replayed_event_adds_no_second_email() {
    let app = spawn_app().await;
    let id = paid_order(&app, "Anna Lind").await;
    let before = outbox::Entity::find().count(&app.db).await.expect("count");
    let order = entity::order::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("q")
        .expect("order");
    hunar::notifications::order_emails::on_transition(
        &app.db,
        &app.state.mail,
        &hunar::orders::state::Transitioned {
            order,
            from: hunar::orders::OrderStatus::PendingPayment,
            to: hunar::orders::OrderStatus::Paid,
            reason: None,
            notify: true,
        },
    )
    .await
    .expect("replay");
    assert_eq!(
        outbox::Entity::find().count(&app.db).await.expect("count"),
        before
    );
    // Without SMTP the emails wait in the outbox, visible to admins.
    let token = app.admin_token().await;
    let pending = app
        .admin_get(&token, "/api/v1/admin/outbox?status=pending")
        .await;
    assert_eq!(pending.ok(200)["total"], before);
    app.admin_get(&token, "/api/v1/admin/outbox?status=lost")
        .await
        .invalid_field("status");
}

#[tokio::test]
async fn header_injection_is_neutralised() {
    let sink = Sink::start().await;
    let app = mail_app(&sink.url()).await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    // One-line fields refuse line breaks outright (422)...
    app.admin_patch(
        &token,
        &format!("/api/v1/admin/artworks/{}", catalog.artwork),
        json!({"title": "Kites\r\nBcc: victim@evil.example"}),
    )
    .await
    .invalid_field("title");
    let mut body = order_body(&catalog.artwork);
    body["buyer"]["name"] = json!("Eve\r\nBcc: other@evil.example");
    app.place_order(&new_key(), &body)
        .await
        .invalid_field("buyer.name");
    // ...and one kept from before they did (written here behind the API's back) still cannot
    // add a header to an email.
    let chr = match sea_orm::ConnectionTrait::get_database_backend(&app.db) {
        sea_orm::DbBackend::Postgres => "chr",
        _ => "char",
    };
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        &format!(
            "UPDATE artworks SET title = 'Kites' || {chr}(13) || {chr}(10) || 'Bcc: victim@evil.example'"
        ),
    )
    .await
    .expect("an old title");
    app.place_order(&new_key(), &order_body(&catalog.artwork))
        .await
        .ok(201);
    let mails = sink.wait_for(2).await;
    for m in &mails {
        assert!(
            m.recipients.iter().all(|r| !r.contains("evil")),
            "{:?}",
            m.recipients
        );
        let parsed = MessageParser::default().parse(&m.data).expect("MIME");
        assert!(parsed.bcc().is_none(), "an injected Bcc header");
        assert!(parsed.subject().unwrap_or("").contains("Kites"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_one_database_deliver_each_email_once() {
    let sink = Sink::start().await;
    // No SMTP here: this instance only queues.
    let first = builder()
        .env("COORDINATOR_EMAIL", COORDINATOR)
        .spawn()
        .await;
    let token = first.admin_token().await;
    let catalog = first.small_catalog(&token).await;
    for _ in 0..12 {
        let artwork = first
            .create_artwork(&token, &catalog.artist, &catalog.tier, "available")
            .await;
        first
            .place_order(&new_key(), &order_body(&artwork))
            .await
            .ok(201);
    }
    let queued = outbox::Entity::find()
        .count(&first.db)
        .await
        .expect("count") as usize;
    assert_eq!(queued, 24);
    let a = builder()
        .database(&first.database_url)
        .env("SMTP_URL", &sink.url())
        .env("COORDINATOR_EMAIL", COORDINATOR)
        .env("MAIL_POLL_MS", "10")
        .spawn()
        .await;
    let b = builder()
        .database(&first.database_url)
        .env("SMTP_URL", &sink.url())
        .env("COORDINATOR_EMAIL", COORDINATOR)
        .env("MAIL_POLL_MS", "10")
        .spawn()
        .await;
    sink.wait_for(queued).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let messages = sink.messages();
    assert_eq!(messages.len(), queued, "each email exactly once");
    let mut ids: Vec<String> = messages
        .iter()
        .map(|m| {
            MessageParser::default()
                .parse(&m.data)
                .and_then(|p| p.message_id().map(str::to_string))
                .unwrap_or_default()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), queued);
    drop((a, b));
}

async fn wait_until(app: &TestApp, what: &str, check: impl Fn(Vec<outbox::Model>) -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let rows = outbox::Entity::find().all(&app.db).await.expect("outbox");
        if check(rows) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn retries_on_their_own_once_smtp_is_back() {
    let port = free_port().await;
    let app = builder()
        .env("SMTP_URL", &format!("smtp://127.0.0.1:{port}"))
        .env("COORDINATOR_EMAIL", COORDINATOR)
        .env("MAIL_POLL_MS", "20")
        .env("MAIL_RETRY_BASE_MS", "100")
        .spawn()
        .await;
    paid_order(&app, "Anna Lind").await;
    wait_until(&app, "failed attempts", |rows| {
        rows.len() == 5 && rows.iter().all(|r| r.attempts >= 1)
    })
    .await;
    let sink = Sink::start_on(port).await;
    sink.wait_for(5).await;
    wait_until(&app, "all sent", |rows| {
        rows.iter().all(|r| r.status == "sent")
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 5);
}

#[tokio::test]
async fn an_email_that_keeps_failing_is_marked_failed() {
    let port = free_port().await;
    let app = builder()
        .env("SMTP_URL", &format!("smtp://127.0.0.1:{port}"))
        .env("MAIL_POLL_MS", "20")
        .env("MAIL_RETRY_BASE_MS", "10")
        .env("MAIL_MAX_ATTEMPTS", "2")
        .env("COORDINATOR_EMAIL", COORDINATOR)
        .spawn()
        .await;
    paid_order(&app, "Anna Lind").await;
    wait_until(&app, "failed status", |rows| {
        rows.len() == 5 && rows.iter().all(|r| r.status == "failed")
    })
    .await;
    let rows = outbox::Entity::find().all(&app.db).await.expect("outbox");
    assert!(
        rows.iter()
            .all(|r| r.attempts == 2 && r.last_error.is_some())
    );
    let token = app.admin_token().await;
    let failed = app
        .admin_get(&token, "/api/v1/admin/outbox?status=failed")
        .await;
    assert_eq!(failed.ok(200)["total"], 5);
}

#[tokio::test]
async fn a_row_left_sending_by_a_dead_worker_is_sent_after_its_lease() {
    let sink = Sink::start().await;
    let queued = builder()
        .env("COORDINATOR_EMAIL", COORDINATOR)
        .spawn()
        .await;
    paid_order(&queued, "Anna Lind").await;
    // A worker claimed every row and died: its lease ran out a second ago.
    use sea_orm::sea_query::Expr;
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value("sending"))
        .col_expr(
            outbox::Column::LockedUntil,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .exec(&queued.db)
        .await
        .expect("stale lease");
    let _worker = builder()
        .database(&queued.database_url)
        .env("SMTP_URL", &sink.url())
        .env("COORDINATOR_EMAIL", COORDINATOR)
        .env("MAIL_POLL_MS", "20")
        .spawn()
        .await;
    sink.wait_for(5).await;
    wait_until(&queued, "all sent", |rows| {
        rows.iter().all(|r| r.status == "sent")
    })
    .await;
}
