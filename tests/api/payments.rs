//! Card payments: Checkout Sessions against a Stripe stand-in, signed webhooks, refunds.
use std::time::Duration;

use chrono::Utc;
use entity::{order, order_history, outbox, stripe_event};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{Catalog, TestApp, all_at_once, artwork_status, builder, new_key, order_body};
use crate::stripe_mock::*;

fn card_order(artwork_id: &str) -> Value {
    let mut body = order_body(artwork_id);
    body["payment_method"] = json!("stripe");
    body
}

async fn order_status(app: &TestApp, id: &str) -> String {
    order::Entity::find_by_id(id.to_string())
        .one(&app.db)
        .await
        .expect("query")
        .expect("order")
        .status
}

async fn history_len(app: &TestApp, id: &str) -> u64 {
    order_history::Entity::find()
        .filter(order_history::Column::OrderId.eq(id))
        .count(&app.db)
        .await
        .expect("count")
}

async fn emails_for(app: &TestApp, id: &str) -> u64 {
    outbox::Entity::find()
        .filter(outbox::Column::OrderId.eq(id))
        .count(&app.db)
        .await
        .expect("count")
}

struct Shop {
    app: TestApp,
    stripe: StripeMock,
    token: String,
    catalog: Catalog,
}

async fn shop_with(
    configure: impl FnOnce(crate::helpers::TestAppBuilder) -> crate::helpers::TestAppBuilder,
) -> Shop {
    let stripe = StripeMock::start().await;
    let app = configure(stripe.app()).spawn().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    Shop {
        app,
        stripe,
        token,
        catalog,
    }
}

async fn shop() -> Shop {
    shop_with(|b| b).await
}

/// Places a card order; returns (order id, access token, checkout url).
async fn place_card(shop: &Shop) -> (String, String, String) {
    let reply = shop
        .app
        .place_order(&new_key(), &card_order(&shop.catalog.artwork))
        .await;
    let body = reply.ok(201);
    (
        body["order"]["id"].as_str().expect("id").to_string(),
        body["access_token"].as_str().expect("token").to_string(),
        body["payment"]["checkout_url"]
            .as_str()
            .expect("checkout url")
            .to_string(),
    )
}

async fn detail(shop: &Shop, id: &str) -> Value {
    shop.app
        .admin_get(&shop.token, &format!("/api/v1/admin/orders/{id}"))
        .await
        .ok(200)
        .clone()
}

async fn pay(shop: &Shop, id: &str) -> String {
    let (event_id, payload) = event(
        "checkout.session.completed",
        session(id, 5000, "usd", "paid"),
    );
    let reply = shop.app.deliver(&payload).await;
    assert_eq!(reply.ok(200)["duplicate"], false);
    event_id
}

#[tokio::test]
async fn a_card_order_opens_a_checkout_session_and_a_signed_completion_marks_it_paid() {
    let shop = shop().await;
    let reply = shop
        .app
        .place_order(&new_key(), &card_order(&shop.catalog.artwork))
        .await;
    let body = reply.ok(201).clone();
    let id = body["order"]["id"].as_str().expect("id").to_string();
    let access = body["access_token"].as_str().expect("token");
    assert_eq!(body["payment"]["method"], "stripe");
    assert_eq!(
        body["payment"]["checkout_url"],
        format!("https://checkout.stripe.com/c/pay/{}", session_id_for(&id))
    );
    assert!(body["payment"].get("instructions").is_none());
    assert_eq!(
        artwork_status(&shop.app, &shop.catalog.artwork).await,
        "reserved"
    );

    // What Stripe received: exactly one form-encoded session request for this order.
    let requests = shop.stripe.requests_to("/v1/checkout/sessions").await;
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert_eq!(
        req.headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok()),
        Some(format!("hunar-checkout-{id}").as_str())
    );
    assert_eq!(
        req.headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(format!("Bearer {SECRET_KEY}").as_str())
    );
    let f = form(req);
    let expires: chrono::DateTime<Utc> = body["order"]["expires_at"]
        .as_str()
        .expect("expires")
        .parse()
        .expect("timestamp");
    for (key, expected) in [
        ("mode", "payment".to_string()),
        ("line_items[0][price_data][unit_amount]", "5000".into()),
        ("line_items[0][price_data][currency]", "usd".into()),
        (
            "line_items[0][price_data][product_data][name]",
            "Kites by Test Painter".into(),
        ),
        ("line_items[0][quantity]", "1".into()),
        ("client_reference_id", id.clone()),
        ("metadata[order_id]", id.clone()),
        ("payment_intent_data[metadata][order_id]", id.clone()),
        ("customer_email", "anna@example.se".into()),
        ("expires_at", expires.timestamp().to_string()),
    ] {
        assert_eq!(f.get(key), Some(&expected), "{key}");
    }
    let minutes = (expires - Utc::now()).num_minutes();
    assert!((30..=31).contains(&minutes), "session open {minutes} min");
    let success = f.get("success_url").expect("success url");
    assert!(
        success.contains(&id) && success.contains(access) && success.contains("checkout=success")
    );
    assert!(
        f.get("cancel_url")
            .expect("cancel url")
            .contains("checkout=cancelled")
    );

    // The buyer's page offers Stripe's page until the order is paid.
    let own = shop
        .app
        .get(&format!("/api/v1/orders/{id}?token={access}"))
        .await;
    assert_eq!(own.ok(200)["checkout_url"], body["payment"]["checkout_url"]);

    let event_id = pay(&shop, &id).await;
    assert_eq!(order_status(&shop.app, &id).await, "paid");
    let own = shop
        .app
        .get(&format!("/api/v1/orders/{id}?token={access}"))
        .await;
    assert!(own.ok(200).get("checkout_url").is_none());
    assert_eq!(
        artwork_status(&shop.app, &shop.catalog.artwork).await,
        "sold"
    );
    let d = detail(&shop, &id).await;
    let payment = &d["payments"][0];
    assert_eq!(payment["status"], "paid");
    assert_eq!(payment["session_id"], session_id_for(&id));
    assert_eq!(payment["payment_intent_id"], intent_id_for(&id));
    assert_eq!(payment["amount"], "50.00");
    assert_eq!(payment["event_ids"], json!([event_id]));
    assert_eq!(d["payment_reference"], intent_id_for(&id));
    let last = d["history"]
        .as_array()
        .expect("history")
        .last()
        .cloned()
        .expect("entry");
    assert_eq!(last["to"], "paid");
    assert_eq!(last["actor"], format!("stripe:{event_id}"));
    // The paid emails (coordinator and buyer; this artist has no address), as for a manual
    // order.
    assert_eq!(emails_for(&shop.app, &id).await, 2);

    // A late `expired` for the same session moves nothing back.
    let (_, expired) = event(
        "checkout.session.expired",
        session(&id, 5000, "usd", "unpaid"),
    );
    shop.app.deliver(&expired).await.ok(200);
    assert_eq!(order_status(&shop.app, &id).await, "paid");
    assert_eq!(
        artwork_status(&shop.app, &shop.catalog.artwork).await,
        "sold"
    );
}

#[tokio::test]
async fn the_same_event_twice_or_at_once_makes_one_transition_and_one_set_of_emails() {
    let shop = shop().await;
    let (id, _, _) = place_card(&shop).await;
    let (_, payload) = event(
        "checkout.session.completed",
        session(&id, 5000, "usd", "paid"),
    );
    let signature = sign(&payload, WEBHOOK_SECRET, now());
    let requests = (0..12)
        .map(|_| {
            shop.app
                .client
                .post(shop.app.url("/api/v1/webhooks/stripe"))
                .header("Stripe-Signature", &signature)
                .header("content-type", "application/json")
                .body(payload.clone())
        })
        .collect();
    let replies = all_at_once(requests).await;
    let fresh = replies
        .iter()
        .filter(|r| r.ok(200)["duplicate"] == false)
        .count();
    assert_eq!(fresh, 1, "exactly one delivery is handled");
    assert_eq!(order_status(&shop.app, &id).await, "paid");
    // placed + paid
    assert_eq!(history_len(&shop.app, &id).await, 2);
    assert_eq!(emails_for(&shop.app, &id).await, 2);
    // And once more, later: acknowledged, nothing done.
    let again = shop.app.deliver(&payload).await;
    assert_eq!(again.ok(200)["duplicate"], true);
    assert_eq!(history_len(&shop.app, &id).await, 2);
    assert_eq!(emails_for(&shop.app, &id).await, 2);
}

#[tokio::test]
async fn only_events_signed_with_a_configured_secret_within_300_s_are_accepted() {
    let shop = shop().await;
    let (id, _, _) = place_card(&shop).await;
    let (_, payload) = event(
        "checkout.session.completed",
        session(&id, 5000, "usd", "paid"),
    );
    let t = now();
    let tampered = payload.replace("\"paid\"", "\"unpaid\"");
    assert_ne!(tampered, payload);
    let cases: Vec<(&str, String, Option<String>)> = vec![
        ("missing header", payload.clone(), None),
        (
            "wrong secret",
            payload.clone(),
            Some(sign(&payload, "whsec_someone_else", t)),
        ),
        (
            "stale timestamp",
            payload.clone(),
            Some(sign(&payload, WEBHOOK_SECRET, t - 301)),
        ),
        // Not t + 301: a second ticking by before the check would bring it within 300 s.
        (
            "future timestamp",
            payload.clone(),
            Some(sign(&payload, WEBHOOK_SECRET, t + 360)),
        ),
        (
            "tampered body",
            tampered,
            Some(sign(&payload, WEBHOOK_SECRET, t)),
        ),
        ("no v1", payload.clone(), Some(format!("t={t}"))),
        ("garbage", payload.clone(), Some("hello".into())),
        (
            "v0 only",
            payload.clone(),
            Some(format!("t={t},v0={}", v1(&payload, WEBHOOK_SECRET, t))),
        ),
    ];
    for (what, body, signature) in cases {
        let reply = shop.app.webhook(&body, signature.as_deref()).await;
        assert_eq!(reply.problem(400)["code"], "invalid_webhook", "{what}");
    }
    let not_utf8 = shop
        .app
        .client
        .post(shop.app.url("/api/v1/webhooks/stripe"))
        .header("Stripe-Signature", sign(&payload, WEBHOOK_SECRET, t))
        .body(vec![0xFF, 0xFE, b'{'])
        .send()
        .await
        .expect("send");
    let reply = crate::helpers::Reply::read(not_utf8).await;
    assert_eq!(reply.problem(400)["code"], "invalid_webhook", "not UTF-8");
    assert_eq!(order_status(&shop.app, &id).await, "pending_payment");
    assert_eq!(
        stripe_event::Entity::find()
            .count(&shop.app.db)
            .await
            .expect("count"),
        0,
        "no event recorded"
    );

    // Rotation: the previous secret still signs; several v1 entries, one of them good.
    let header = format!(
        "t={t},v1={},v1={}",
        "00".repeat(32),
        v1(&payload, OLD_WEBHOOK_SECRET, t)
    );
    shop.app.webhook(&payload, Some(&header)).await.ok(200);
    assert_eq!(order_status(&shop.app, &id).await, "paid");
}

#[tokio::test]
async fn an_asynchronous_payment_confirms_later_or_fails_and_frees_the_painting() {
    let shop = shop().await;
    let (id, _, _) = place_card(&shop).await;
    let (_, processing) = event(
        "checkout.session.completed",
        session(&id, 5000, "usd", "unpaid"),
    );
    shop.app.deliver(&processing).await.ok(200);
    assert_eq!(order_status(&shop.app, &id).await, "pending_payment");
    assert_eq!(
        detail(&shop, &id).await["payments"][0]["status"],
        "processing"
    );
    let (_, failed) = event(
        "checkout.session.async_payment_failed",
        session(&id, 5000, "usd", "unpaid"),
    );
    shop.app.deliver(&failed).await.ok(200);
    assert_eq!(order_status(&shop.app, &id).await, "expired");
    assert_eq!(
        artwork_status(&shop.app, &shop.catalog.artwork).await,
        "available"
    );
    assert_eq!(detail(&shop, &id).await["payments"][0]["status"], "failed");

    // The painting is free: a second buyer pays by bank debit, which succeeds later.
    let (second, _, _) = place_card(&shop).await;
    let (_, processing) = event(
        "checkout.session.completed",
        session(&second, 5000, "usd", "unpaid"),
    );
    shop.app.deliver(&processing).await.ok(200);
    let (_, succeeded) = event(
        "checkout.session.async_payment_succeeded",
        session(&second, 5000, "usd", "paid"),
    );
    shop.app.deliver(&succeeded).await.ok(200);
    assert_eq!(order_status(&shop.app, &second).await, "paid");
    assert_eq!(
        artwork_status(&shop.app, &shop.catalog.artwork).await,
        "sold"
    );
}

#[tokio::test]
async fn stripe_failing_at_session_creation_frees_the_painting_and_a_retry_succeeds() {
    let shop = shop_with(|b| b.env("STRIPE_TIMEOUT_MS", "300")).await;
    for failure in [stripe_error(500), slow(Duration::from_secs(2))] {
        shop.stripe.fail_sessions(failure, 1).await;
        let key = new_key();
        let body = card_order(&shop.catalog.artwork);
        let emails_before = emails_for_all(&shop.app).await;
        let reply = shop.app.place_order(&key, &body).await;
        assert_eq!(reply.problem(502)["code"], "payment_provider_failed");
        assert_eq!(
            artwork_status(&shop.app, &shop.catalog.artwork).await,
            "available"
        );
        let holding = order::Entity::find()
            .filter(order::Column::Status.eq("pending_payment"))
            .count(&shop.app.db)
            .await
            .expect("count");
        assert_eq!(holding, 0, "no order holds the painting");
        assert_eq!(
            emails_for_all(&shop.app).await,
            emails_before,
            "nobody was told anything by mail"
        );

        // The same request again (same key) now goes through.
        let retry = shop.app.place_order(&key, &body).await;
        let id = retry.ok(201)["order"]["id"]
            .as_str()
            .expect("id")
            .to_string();
        assert_eq!(
            artwork_status(&shop.app, &shop.catalog.artwork).await,
            "reserved"
        );
        // Free the painting for the next round.
        shop.app
            .admin_post(
                &shop.token,
                &format!("/api/v1/admin/orders/{id}/cancel"),
                json!({}),
            )
            .await
            .ok(200);
        assert_eq!(
            artwork_status(&shop.app, &shop.catalog.artwork).await,
            "available"
        );
    }
    // Cancelling a pending card order closed its session at Stripe.
    let expired = shop
        .stripe
        .server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path().ends_with("/expire"))
        .count();
    assert_eq!(expired, 2);
}

async fn emails_for_all(app: &TestApp) -> u64 {
    outbox::Entity::find().count(&app.db).await.expect("count")
}

#[tokio::test]
async fn cancelling_a_paid_card_order_refunds_it_and_stripe_confirms() {
    let shop = shop().await;
    let (id, _, _) = place_card(&shop).await;
    pay(&shop, &id).await;
    let path = format!("/api/v1/admin/orders/{id}/cancel");
    // Stripe down: nothing changes, the admin can try again.
    shop.stripe.fail_refunds(stripe_error(500), 1).await;
    let failed = shop.app.admin_post(&shop.token, &path, json!({})).await;
    assert_eq!(failed.problem(502)["code"], "payment_provider_failed");
    assert_eq!(order_status(&shop.app, &id).await, "paid");
    assert_eq!(detail(&shop, &id).await["payments"][0]["status"], "paid");
    let reply = shop
        .app
        .admin_post(
            &shop.token,
            &path,
            json!({"reason": "damaged in the studio"}),
        )
        .await;
    let d = reply.ok(200).clone();
    assert_eq!(d["status"], "cancelled");
    let payment = &d["payments"][0];
    assert_eq!(payment["status"], "refund_pending");
    let payment_id = payment["id"].as_str().expect("id");
    assert!(
        payment["refund_id"]
            .as_str()
            .expect("refund id")
            .starts_with("re_test_")
    );
    // The painting stays sold unless the admin asks.
    assert_eq!(
        artwork_status(&shop.app, &shop.catalog.artwork).await,
        "sold"
    );
    // Asking again refunds nothing twice: the same idempotency key goes to Stripe.
    shop.app
        .admin_post(&shop.token, &path, json!({}))
        .await
        .ok(200);
    // (The failed attempt used the same key too.)
    let refunds = shop.stripe.requests_to("/v1/refunds").await;
    assert_eq!(refunds.len(), 3);
    for r in &refunds {
        assert_eq!(form(r).get("payment_intent"), Some(&intent_id_for(&id)));
        assert_eq!(
            r.headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok()),
            Some(format!("hunar-refund-{payment_id}").as_str())
        );
    }
    let (_, refunded) = event("charge.refunded", refunded_charge(&id, 5000, 5000));
    shop.app.deliver(&refunded).await.ok(200);
    assert_eq!(order_status(&shop.app, &id).await, "refunded");
    let d = detail(&shop, &id).await;
    assert_eq!(d["payments"][0]["status"], "refunded");
    assert_eq!(d["payments"][0]["amount_refunded"], "50.00");
    assert_eq!(
        artwork_status(&shop.app, &shop.catalog.artwork).await,
        "sold"
    );
}

#[tokio::test]
async fn a_wrong_amount_or_currency_is_flagged_and_not_paid() {
    let shop = shop().await;
    let (id, _, _) = place_card(&shop).await;
    for (amount, currency) in [(500, "usd"), (5000, "eur")] {
        let (_, payload) = event(
            "checkout.session.completed",
            session(&id, amount, currency, "paid"),
        );
        shop.app.deliver(&payload).await.ok(200);
        assert_eq!(order_status(&shop.app, &id).await, "pending_payment");
        let flag = detail(&shop, &id).await["payments"][0]["flag"].clone();
        assert!(
            flag.as_str().expect("flag").contains("amount mismatch"),
            "{flag}"
        );
    }
    assert_eq!(
        artwork_status(&shop.app, &shop.catalog.artwork).await,
        "reserved"
    );
}

async fn expire_now(app: &TestApp, id: &str) {
    order::Entity::update(order::ActiveModel {
        id: Set(id.to_string()),
        expires_at: Set(Utc::now() - chrono::Duration::seconds(1)),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .expect("backdate");
    let n = hunar::orders::expiry::expire_due(&app.db, &app.state.mail, Utc::now())
        .await
        .expect("sweep");
    assert!(n >= 1);
}

#[tokio::test]
async fn payment_after_expiry_is_kept_if_the_painting_is_free_else_flagged_for_refund() {
    let shop = shop().await;
    let (late, _, _) = place_card(&shop).await;
    expire_now(&shop.app, &late).await;
    assert_eq!(
        artwork_status(&shop.app, &shop.catalog.artwork).await,
        "available"
    );
    pay(&shop, &late).await;
    assert_eq!(order_status(&shop.app, &late).await, "paid");
    assert_eq!(
        artwork_status(&shop.app, &shop.catalog.artwork).await,
        "sold"
    );
    assert!(detail(&shop, &late).await["closed_at"].is_null());

    // Now one whose painting went to another buyer in between.
    let artwork = shop
        .app
        .create_artwork(
            &shop.token,
            &shop.catalog.artist,
            &shop.catalog.tier,
            "available",
        )
        .await;
    let mut body = card_order(&artwork);
    let first = shop.app.place_order(&new_key(), &body).await;
    let first = first.ok(201)["order"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    expire_now(&shop.app, &first).await;
    body["payment_method"] = json!("manual");
    let other = shop.app.place_order(&new_key(), &body).await;
    let other = other.ok(201)["order"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    pay(&shop, &first).await;
    assert_eq!(order_status(&shop.app, &first).await, "expired");
    assert_eq!(order_status(&shop.app, &other).await, "pending_payment");
    assert_eq!(artwork_status(&shop.app, &artwork).await, "reserved");
    let d = detail(&shop, &first).await;
    let flag = d["payments"][0]["flag"].as_str().expect("flag").to_string();
    assert!(
        flag.contains("refund the buyer") && flag.contains("reserved"),
        "{flag}"
    );

    // The admin refunds it; Stripe confirms; the order ends refunded.
    let reply = shop
        .app
        .admin_post(
            &shop.token,
            &format!("/api/v1/admin/orders/{first}/cancel"),
            json!({}),
        )
        .await;
    assert_eq!(reply.ok(200)["payments"][0]["status"], "refund_pending");
    let (_, refunded) = event("charge.refunded", refunded_charge(&first, 5000, 5000));
    shop.app.deliver(&refunded).await.ok(200);
    assert_eq!(order_status(&shop.app, &first).await, "refunded");
    assert_eq!(order_status(&shop.app, &other).await, "pending_payment");
}

#[tokio::test]
async fn stripes_page_shows_the_paintings_photo_when_it_is_public() {
    let shop = shop_with(|b| b.env("MEDIA_PUBLIC_URL", "https://cdn.hunar.example")).await;
    // A painting on sale has a photo (the test catalog's, added before it went on sale).
    let detail = shop
        .app
        .admin_get(
            &shop.token,
            &format!("/api/v1/admin/artworks/{}", shop.catalog.artwork),
        )
        .await;
    let image = detail.ok(200)["images"][0].clone();
    place_card(&shop).await;
    let requests = shop.stripe.requests_to("/v1/checkout/sessions").await;
    let f = form_of_last(&requests);
    assert_eq!(
        f.get("line_items[0][price_data][product_data][images][0]"),
        image["variants"]["large"]
            .as_str()
            .map(str::to_string)
            .as_ref()
    );
    assert!(
        image["variants"]["large"]
            .as_str()
            .expect("url")
            .starts_with("https://cdn.hunar.example/")
    );
}

fn form_of_last(requests: &[wiremock::Request]) -> std::collections::HashMap<String, String> {
    form(requests.last().expect("a request"))
}

#[tokio::test]
async fn prices_go_to_stripe_in_each_currencys_minor_units() {
    let shop = shop().await;
    let tier = shop
        .app
        .admin_post(
            &shop.token,
            "/api/v1/admin/size-tiers",
            json!({"name": "Large", "width_cm": 60, "height_cm": 80, "artist_id": null,
                   "currency": "SEK",
                   "prices": [{"zone_id": shop.catalog.zones.0, "amount": "900"},
                              {"zone_id": shop.catalog.zones.1, "amount": "1250.50"}]}),
        )
        .await;
    let tier = tier.ok(201)["id"].as_str().expect("id").to_string();
    let artwork = shop
        .app
        .create_artwork(&shop.token, &shop.catalog.artist, &tier, "available")
        .await;
    shop.app
        .place_order(&new_key(), &card_order(&artwork))
        .await
        .ok(201);
    let requests = shop.stripe.requests_to("/v1/checkout/sessions").await;
    let f = form(requests.last().expect("request"));
    assert_eq!(f["line_items[0][price_data][unit_amount]"], "125050");
    assert_eq!(f["line_items[0][price_data][currency]"], "sek");

    // An amount finer than the currency allows never gets that far.
    let reply = shop
        .app
        .admin_post(
            &shop.token,
            "/api/v1/admin/size-tiers",
            json!({"name": "Odd", "width_cm": 10, "height_cm": 10, "artist_id": null,
                   "currency": "SEK",
                   "prices": [{"zone_id": shop.catalog.zones.0, "amount": "12"},
                              {"zone_id": shop.catalog.zones.1, "amount": "12.345"}]}),
        )
        .await;
    assert_eq!(reply.problem(422)["code"], "validation_failed");
    let reply = shop
        .app
        .admin_patch(
            &shop.token,
            &format!("/api/v1/admin/artworks/{artwork}"),
            json!({"price_override": {"amount": "10.5", "currency": "JPY"}}),
        )
        .await;
    assert_eq!(reply.problem(422)["code"], "validation_failed");
}

#[tokio::test]
async fn without_a_stripe_key_cards_are_refused_plainly_and_webhooks_rejected() {
    let app = builder().spawn().await;
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.ok(200)["card_payments"], "not configured");
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let reply = app
        .place_order(&new_key(), &card_order(&catalog.artwork))
        .await;
    reply.invalid_field("payment_method");
    assert!(
        reply
            .body
            .to_string()
            .contains("card payments are not configured")
    );
    let (_, payload) = event("checkout.session.completed", session("x", 1, "usd", "paid"));
    let reply = app.deliver(&payload).await;
    assert_eq!(reply.problem(400)["code"], "invalid_webhook");

    let stripe = StripeMock::start().await;
    let app = stripe.app().spawn().await;
    assert_eq!(
        app.get("/health/ready").await.ok(200)["card_payments"],
        "configured"
    );
    // Events that are not Hunar's are acknowledged and ignored.
    // (Stripe's own fixture: a `plan.created` event.)
    let other = fixture("event").to_string();
    assert_eq!(app.deliver(&other).await.ok(200)["duplicate"], false);
}

#[tokio::test]
async fn a_bank_debit_succeeding_after_the_buyer_was_erased_is_flagged_for_a_refund() {
    let shop = shop().await;
    let (id, _, _) = place_card(&shop).await;
    let (_, processing) = event(
        "checkout.session.completed",
        session(&id, 5000, "usd", "unpaid"),
    );
    shop.app.deliver(&processing).await.ok(200);
    let (_, failed) = event(
        "checkout.session.async_payment_failed",
        session(&id, 5000, "usd", "unpaid"),
    );
    shop.app.deliver(&failed).await.ok(200);
    assert_eq!(order_status(&shop.app, &id).await, "expired");
    shop.app
        .admin_post(
            &shop.token,
            &format!("/api/v1/admin/orders/{id}/erase-buyer"),
            serde_json::json!({}),
        )
        .await
        .ok(200);
    // Stripe says the money came after all: there is nobody to send the painting to.
    let (_, succeeded) = event(
        "checkout.session.async_payment_succeeded",
        session(&id, 5000, "usd", "paid"),
    );
    shop.app.deliver(&succeeded).await.ok(200);
    assert_eq!(order_status(&shop.app, &id).await, "expired");
    assert_eq!(
        artwork_status(&shop.app, &shop.catalog.artwork).await,
        "available"
    );
    let payment = &detail(&shop, &id).await["payments"][0];
    assert_eq!(payment["status"], "paid");
    assert!(
        payment.to_string().contains("refund the buyer"),
        "{payment}"
    );
}
