//! WhatsApp notices to artists against a stand-in for Meta's Cloud API (wiremock) answering
//! with its real shapes, and status updates signed the way Meta signs them.
use std::time::Duration;

use entity::outbox;
use hmac::{Hmac, Mac};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use sha2::Sha256;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{Reply, TestApp, builder, new_key, order_body, plain};
use crate::smtp::Sink;

const PHONE_NUMBER_ID: &str = "106540352242922";
const TOKEN: &str = "EAAG-test-token";
const APP_SECRET: &str = "meta-app-secret";
const VERIFY_TOKEN: &str = "hunar-verify";
const MESSAGES: &str = "/v21.0/106540352242922/messages";

/// What the Cloud API answers to an accepted message.
fn accepted(wamid: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": "93700000001", "wa_id": "93700000001"}],
        "messages": [{"id": wamid, "message_status": "accepted"}]
    }))
}

/// What it answers when Meta itself is in trouble.
fn unavailable() -> ResponseTemplate {
    ResponseTemplate::new(500).set_body_json(json!({"error": {
        "message": "An unexpected error has occurred. Please retry your request later.",
        "type": "OAuthException", "code": 2, "fbtrace_id": "AbCdEf"}}))
}

async fn meta() -> MockServer {
    MockServer::start().await
}

fn whatsapp_app(meta: &MockServer) -> crate::helpers::TestAppBuilder {
    builder()
        .env("WHATSAPP_API_URL", &format!("{}/v21.0", meta.uri()))
        .env("WHATSAPP_PHONE_NUMBER_ID", PHONE_NUMBER_ID)
        .env("WHATSAPP_TOKEN", TOKEN)
        .env("WHATSAPP_APP_SECRET", APP_SECRET)
        .env("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN)
        .env("MAIL_POLL_MS", "20")
        .env("MAIL_RETRY_BASE_MS", "30")
}

/// An artist told by WhatsApp (`notify_by`), reading Dari, whose painting is sold.
async fn sold_to_whatsapp_artist(app: &TestApp, notify_by: &str) -> String {
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    app.admin_patch(
        &token,
        &format!("/api/v1/admin/artists/{}", catalog.artist),
        json!({"email": "painter@example.af", "phone": "+93 700 000 001",
               "preferred_language": "fa", "notify_by": notify_by}),
    )
    .await
    .ok(200);
    let placed = app
        .place_order(&new_key(), &order_body(&catalog.artwork))
        .await;
    let id = placed.ok(201)["order"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    app.admin_post(
        &token,
        &format!("/api/v1/admin/orders/{id}/confirm-payment"),
        json!({"reference": "BANK-42"}),
    )
    .await
    .ok(200);
    id
}

async fn artist_rows(app: &TestApp) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::RecipientRole.eq("artist"))
        .all(&app.db)
        .await
        .expect("outbox")
}

async fn row_of(app: &TestApp, channel: &str) -> outbox::Model {
    artist_rows(app)
        .await
        .into_iter()
        .find(|r| r.channel == channel)
        .unwrap_or_else(|| panic!("no {channel} row"))
}

/// Waits (up to 10 s) until the artist's `channel` row has `status`.
async fn wait_for_status(app: &TestApp, channel: &str, status: &str) -> outbox::Model {
    for _ in 0..500 {
        let row = row_of(app, channel).await;
        if row.status == status {
            return row;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let row = row_of(app, channel).await;
    panic!(
        "the {channel} row is {} ({:?})",
        row.status,
        row.last_error.as_ref().map(plain)
    );
}

/// A status update as Meta posts it, for the message `wamid` (sent as row `row_id`).
fn status_update(wamid: &str, row_id: &str, status: &str) -> Value {
    let mut item = json!({
        "id": wamid, "status": status, "timestamp": "1765100000",
        "recipient_id": "93700000001", "biz_opaque_callback_data": row_id,
    });
    if status == "failed" {
        item["errors"] = json!([{"code": 131026, "title": "Message undeliverable",
            "message": "Message undeliverable", "error_data": {"details": "Receiver is incapable of receiving this message"}}]);
    }
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398",
        "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
            "statuses": [item]}}]}]})
}

fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn deliver(app: &TestApp, body: &Value, signature: Option<&str>) -> Reply {
    let bytes = serde_json::to_vec(body).expect("json");
    let mut req = app
        .client
        .post(app.url("/api/v1/webhooks/whatsapp"))
        .header("content-type", "application/json")
        .body(bytes);
    if let Some(signature) = signature {
        req = req.header("X-Hub-Signature-256", signature);
    }
    Reply::read(req.send().await.expect("webhook")).await
}

async fn signed(app: &TestApp, body: &Value) -> Reply {
    let bytes = serde_json::to_vec(body).expect("json");
    deliver(app, body, Some(&signature(APP_SECRET, &bytes))).await
}

#[tokio::test]
async fn a_sale_reaches_whatsapp_once_after_two_failures_and_a_signed_update_marks_it_delivered() {
    let meta = meta().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .respond_with(unavailable())
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&meta)
        .await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(accepted("wamid.HBgLOTM3MDAwMDAwMDEVAgARGBI1"))
        .with_priority(2)
        .mount(&meta)
        .await;
    let app = whatsapp_app(&meta).spawn().await;
    sold_to_whatsapp_artist(&app, "whatsapp").await;

    let sent = wait_for_status(&app, "whatsapp", "sent").await;
    assert_eq!(sent.attempts, 3, "two refusals, then through");
    assert_eq!(
        sent.provider_message_id.as_deref(),
        Some("wamid.HBgLOTM3MDAwMDAwMDEVAgARGBI1")
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let requests = meta.received_requests().await.expect("requests");
    assert_eq!(
        requests.len(),
        3,
        "sent until it went through, then never again"
    );
    let body: Value = serde_json::from_slice(&requests[2].body).expect("json");
    assert_eq!(body["messaging_product"], "whatsapp");
    assert_eq!(body["to"], "+93700000001");
    assert_eq!(body["type"], "template");
    assert_eq!(body["template"]["name"], "artist_sale");
    assert_eq!(body["template"]["language"]["code"], "prs_AF");
    assert_eq!(body["biz_opaque_callback_data"], sent.id.as_str());
    let parameters = &body["template"]["components"][0]["parameters"];
    assert_eq!(parameters[0]["text"], "Kites");
    assert!(
        parameters[1]["text"]
            .as_str()
            .is_some_and(|l| l.contains("/page?token=")),
        "{parameters}"
    );
    // Meta learns the number, the template, the title and the link: nothing of the buyer,
    // no amount, not even the artist's name.
    // (The row id and the link's token are random: a "50" inside them says nothing.)
    let raw = String::from_utf8_lossy(&requests[2].body)
        .replace(sent.id.as_str(), "")
        .replace(parameters[1]["text"].as_str().unwrap_or_default(), "");
    for never in [
        "Anna",
        "anna@example.se",
        "Storgatan",
        "Göteborg",
        "50",
        "USD",
        "Test Painter",
    ] {
        assert!(!raw.contains(never), "Meta was sent {never}: {raw}");
    }
    // The email waits, held back, while WhatsApp stands in for it.
    assert_eq!(row_of(&app, "email").await.status, "held");

    // A forged update changes nothing.
    let delivered = status_update("wamid.HBgLOTM3MDAwMDAwMDEVAgARGBI1", &sent.id, "delivered");
    let bytes = serde_json::to_vec(&delivered).expect("json");
    deliver(&app, &delivered, Some(&signature("not the secret", &bytes)))
        .await
        .problem(401);
    deliver(&app, &delivered, None).await.problem(401);
    deliver(&app, &delivered, Some("sha256=00"))
        .await
        .problem(401);
    assert_eq!(row_of(&app, "whatsapp").await.status, "sent");

    // Signed by the app, but about another of its numbers: not this server's to record.
    let mut elsewhere = delivered.clone();
    elsewhere["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = json!("999");
    signed(&app, &elsewhere).await.ok(200);
    assert_eq!(row_of(&app, "whatsapp").await.status, "sent");

    signed(&app, &delivered).await.ok(200);
    assert_eq!(row_of(&app, "whatsapp").await.status, "delivered");
    assert_eq!(row_of(&app, "email").await.status, "unneeded");
    let read = status_update("wamid.HBgLOTM3MDAwMDAwMDEVAgARGBI1", &sent.id, "read");
    signed(&app, &read).await.ok(200);
    // Updates arrive out of order: a late "sent" does not move it back.
    let late = status_update("wamid.HBgLOTM3MDAwMDAwMDEVAgARGBI1", &sent.id, "sent");
    signed(&app, &late).await.ok(200);
    assert_eq!(row_of(&app, "whatsapp").await.status, "read");

    // The coordinator sees the channel and the status.
    let token = app.admin_token().await;
    let listed = app
        .admin_get(&token, "/api/v1/admin/outbox?channel=whatsapp")
        .await;
    let items = listed.ok(200)["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["channel"], "whatsapp");
    assert_eq!(items[0]["status"], "read");
    app.admin_get(&token, "/api/v1/admin/outbox?channel=pigeon")
        .await
        .invalid_field("channel");
    // A signed body that is no notification is a 400; nothing changes.
    signed(&app, &json!([1, 2])).await.problem(400);
}

#[tokio::test]
async fn an_answer_lost_mid_send_is_not_sent_again_once_meta_reports_the_message() {
    let meta = meta().await;
    // Meta takes the message but its answer never reaches the worker (it gives up waiting,
    // as it would if it stopped mid-send).
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .respond_with(accepted("wamid.LOST").set_delay(Duration::from_secs(3)))
        .mount(&meta)
        .await;
    let app = whatsapp_app(&meta)
        .env("WHATSAPP_TIMEOUT_MS", "800")
        .env("MAIL_RETRY_BASE_MS", "4000")
        .spawn()
        .await;
    sold_to_whatsapp_artist(&app, "whatsapp").await;
    let mut waited = 0;
    while meta.received_requests().await.expect("requests").is_empty() && waited < 500 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += 1;
    }
    let row = row_of(&app, "whatsapp").await;
    // Meta's first status update names the row it was given.
    signed(&app, &status_update("wamid.LOST", &row.id, "sent"))
        .await
        .ok(200);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let row = row_of(&app, "whatsapp").await;
    assert_eq!(row.status, "sent");
    assert_eq!(row.provider_message_id.as_deref(), Some("wamid.LOST"));
    // Past the worker's timeout and any retry it could have made: one request only.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert_eq!(meta.received_requests().await.expect("requests").len(), 1);
    assert_eq!(row_of(&app, "whatsapp").await.status, "sent");
}

#[tokio::test]
async fn a_message_whatsapp_cannot_deliver_sends_the_email_instead_and_says_why() {
    let meta = meta().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .respond_with(accepted("wamid.UNDELIVERABLE"))
        .mount(&meta)
        .await;
    let app = whatsapp_app(&meta).spawn().await;
    sold_to_whatsapp_artist(&app, "whatsapp").await;
    let sent = wait_for_status(&app, "whatsapp", "sent").await;
    assert_eq!(row_of(&app, "email").await.status, "held");
    signed(
        &app,
        &status_update("wamid.UNDELIVERABLE", &sent.id, "failed"),
    )
    .await
    .ok(200);
    let failed = row_of(&app, "whatsapp").await;
    assert_eq!(failed.status, "failed");
    let why = failed.last_error.as_ref().map(plain).unwrap_or_default();
    assert!(
        why.contains("131026") && why.contains("sent by email instead"),
        "{why}"
    );
    // No SMTP server here: the email is released to the outbox, waiting to go.
    assert_eq!(row_of(&app, "email").await.status, "pending");
    // A late "sent" does not bring the failed message back.
    signed(
        &app,
        &status_update("wamid.UNDELIVERABLE", &sent.id, "sent"),
    )
    .await
    .ok(200);
    assert_eq!(row_of(&app, "whatsapp").await.status, "failed");
}

#[tokio::test]
async fn a_refused_template_sends_the_email_at_once() {
    let meta = meta().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": {
            "message": "(#132001) Template name does not exist in the translation",
            "type": "OAuthException", "code": 132001,
            "error_data": {"messaging_product": "whatsapp",
                "details": "template name (artist_sale) does not exist in prs_AF"},
            "fbtrace_id": "AbCdEf"}})))
        .mount(&meta)
        .await;
    let app = whatsapp_app(&meta).spawn().await;
    sold_to_whatsapp_artist(&app, "whatsapp").await;
    let failed = wait_for_status(&app, "whatsapp", "failed").await;
    assert_eq!(failed.attempts, 1, "refused for good: not tried again");
    assert!(
        plain(failed.last_error.as_ref().expect("why")).contains("132001"),
        "the coordinator sees Meta's reason"
    );
    // Released just after the row is marked (a moment later than the mark itself).
    wait_for_status(&app, "email", "pending").await;
}

#[tokio::test]
async fn an_email_held_for_a_message_never_reported_delivered_goes_after_a_day() {
    let meta = meta().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .respond_with(accepted("wamid.SILENT"))
        .mount(&meta)
        .await;
    let sink = Sink::start().await;
    let app = whatsapp_app(&meta)
        .env("SMTP_URL", &sink.url())
        .env("COORDINATOR_EMAIL", "coordinator@hunar.test")
        .spawn()
        .await;
    sold_to_whatsapp_artist(&app, "whatsapp").await;
    wait_for_status(&app, "whatsapp", "sent").await;
    let held = row_of(&app, "email").await;
    assert_eq!(held.status, "held");
    // Meta never reports on it (a phone off for weeks): a day on, the email goes anyway.
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::CreatedAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::hours(25)),
        )
        .filter(outbox::Column::Id.eq(held.id.as_str()))
        .exec(&app.db)
        .await
        .expect("a day ago");
    wait_for_status(&app, "email", "sent").await;
    sink.wait_for(1).await;
    assert_eq!(row_of(&app, "whatsapp").await.status, "sent");
}

#[tokio::test]
async fn without_whatsapp_configured_the_artist_gets_the_email() {
    let app = builder().spawn().await;
    sold_to_whatsapp_artist(&app, "whatsapp").await;
    let wa = row_of(&app, "whatsapp").await;
    assert_eq!(wa.status, "failed");
    assert!(
        plain(wa.last_error.as_ref().expect("why")).contains("not configured"),
        "the coordinator sees why"
    );
    let email = row_of(&app, "email").await;
    assert_eq!(email.status, "pending", "the email goes out at once");
    // The webhook of a server without WhatsApp answers nobody.
    signed(&app, &status_update("wamid.X", &wa.id, "delivered"))
        .await
        .problem(401);
    let handshake = app
        .get("/api/v1/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=hunar-verify&hub.challenge=42")
        .await;
    handshake.problem(403);
}

#[tokio::test]
async fn both_channels_when_asked_and_the_handshake_answers_only_the_right_token() {
    let meta = meta().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .respond_with(accepted("wamid.BOTH"))
        .mount(&meta)
        .await;
    let app = whatsapp_app(&meta).spawn().await;
    sold_to_whatsapp_artist(&app, "both").await;
    wait_for_status(&app, "whatsapp", "sent").await;
    assert_eq!(row_of(&app, "email").await.status, "pending");

    let ok = app
        .get("/api/v1/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=hunar-verify&hub.challenge=1158201444")
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.text, "1158201444");
    assert!(ok.content_type().starts_with("text/plain"));
    for wrong in [
        "hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1",
        "hub.mode=unsubscribe&hub.verify_token=hunar-verify&hub.challenge=1",
        "hub.mode=subscribe&hub.verify_token=hunar-verify",
        "",
    ] {
        app.get(&format!("/api/v1/webhooks/whatsapp?{wrong}"))
            .await
            .problem(403);
    }
}
