//! Paying by hand, as a supporter in Sweden meets it: the NGO's ways to pay in the buyer's
//! language with the amount, the reference and one deadline in their own time; "I have paid";
//! a reminder before the hold ends; a transfer that arrives after the hold ended.
use chrono::Utc;
use entity::{order, outbox};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::*;

fn organisation() -> Value {
    json!({
        "contact": {"name": "Föreningen Hunar", "email": "hej@hunar.example",
                    "whatsapp": "+46 (0)70-123 45 67", "phone": null},
        "payment_options": [
            {"method": "bank_transfer", "currency": null, "account_holder": "Föreningen Hunar",
             "iban": "se45 5000 0000 0583 9825 7466", "bic": "eseessess", "bank": null,
             "account_number": null, "swish_number": null,
             "notes": {"sv": "Skriv referensen i meddelandet.", "en": "Put the reference in the message."}},
            {"method": "swish", "currency": "SEK", "account_holder": null, "iban": null,
             "bic": null, "bank": null, "account_number": null, "swish_number": "123 456 78 90",
             "notes": {}},
            {"method": "cash", "currency": null, "account_holder": null, "iban": null,
             "bic": null, "bank": null, "account_number": null, "swish_number": null,
             "notes": {"fa": "پول را به هماهنگ‌کننده در کابل بدهید."}}
        ]
    })
}

async fn with_organisation() -> (TestApp, String, Catalog) {
    let app = builder()
        .env("COORDINATOR_EMAIL", "coordinator@hunar.example")
        .spawn()
        .await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    app.request(
        reqwest::Method::PUT,
        "/api/v1/admin/organisation",
        Some(&token),
        Some(organisation()),
    )
    .await
    .ok(200);
    (app, token, catalog)
}

fn swedish_order(artwork: &str) -> Value {
    let mut body = order_body(artwork);
    body["language"] = json!("sv");
    body["time_zone"] = json!("Europe/Stockholm");
    body
}

async fn emails_of(app: &TestApp, order_id: &str) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::OrderId.eq(order_id))
        .all(&app.db)
        .await
        .expect("outbox")
}

#[tokio::test]
async fn the_organisation_is_kept_checked_and_shown_to_everyone() {
    let (app, token, _) = with_organisation().await;
    let kept = app.admin_get(&token, "/api/v1/admin/organisation").await;
    let kept = kept.ok(200);
    assert_eq!(
        kept["payment_options"][0]["iban"],
        "SE45 5000 0000 0583 9825 7466"
    );
    assert!(
        kept["payment_options"][0]["id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    let public = app.get("/api/v1/contact").await;
    assert_eq!(public.ok(200)["name"], "Föreningen Hunar");
    // The shop's footer names the NGO and how to reach it, on every page.
    let home = app.get("/").await;
    assert!(home.text.contains("Föreningen Hunar"), "{}", home.text);
    assert!(home.text.contains("https://wa.me/46701234567"));
    assert!(home.text.contains("mailto:hej@hunar.example"));
    // A way to pay a buyer could not use is refused, naming the field; nothing changes.
    let mut bad = organisation();
    bad["payment_options"][1]["swish_number"] = Value::Null;
    bad["contact"]["name"] = json!("Hunar\nsecond line");
    let refused = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/admin/organisation",
            Some(&token),
            Some(bad),
        )
        .await;
    refused.invalid_field("payment_options[1].method");
    refused.invalid_field("contact.name");
    let still = app.admin_get(&token, "/api/v1/admin/organisation").await;
    assert_eq!(
        still.ok(200)["payment_options"][1]["swish_number"],
        "123 456 78 90"
    );
}

#[tokio::test]
async fn a_swedish_buyer_gets_one_deadline_in_their_time_and_language_and_can_say_they_paid() {
    let (app, token, catalog) = with_organisation().await;
    let placed = app
        .place_order(&new_key(), &swedish_order(&catalog.artwork))
        .await;
    let placed = placed.ok(201).clone();
    let id = placed["order"]["id"].as_str().expect("id").to_string();
    let access = placed["access_token"].as_str().expect("token").to_string();
    let instructions = placed["payment"]["instructions"].as_str().expect("text");
    // In Swedish, with the NGO's account, the amount, the reference and the deadline in
    // Stockholm's time; the SEK-only Swish is not offered for a USD order.
    for expected in [
        "Betala 50.00 USD senast",
        "(Europe/Stockholm)",
        "SE45 5000 0000 0583 9825 7466",
        "Skriv referensen i meddelandet.",
        "Kontant via samordnaren",
    ] {
        assert!(
            instructions.contains(expected),
            "{expected}: {instructions}"
        );
    }
    assert!(!instructions.contains("Swish"), "{instructions}");
    let mails = emails_of(&app, &id).await;
    let to_buyer = mails
        .iter()
        .find(|m| m.kind == "order_placed_buyer")
        .expect("the buyer's email");
    assert_eq!(to_buyer.language, "sv");
    assert!(
        to_buyer.subject.starts_with("Din beställning"),
        "{}",
        to_buyer.subject
    );
    let text = plain(&to_buyer.body_text);
    assert!(text.contains("Frågor?"), "{text}");
    assert!(text.contains("(Europe/Stockholm)"));
    assert!(
        text.contains("frakt till Sverige."),
        "the destination in Swedish: {text}"
    );

    // The page the buyer follows, in Swedish though this browser said nothing.
    let page = app
        .client
        .get(app.url(&format!("/orders/{id}?token={access}")))
        .send()
        .await
        .expect("page");
    let page = Reply::read(page).await;
    assert_eq!(page.status.as_u16(), 200);
    for expected in [
        "lang=\"sv\"",
        "Jag har betalat",
        "SE45 5000 0000 0583 9825 7466",
        "Europe/Stockholm",
        "Föreningen Hunar",
    ] {
        assert!(page.text.contains(expected), "{expected}");
    }

    // "I have paid": the coordinator is told, and the hold lasts while the money travels.
    let said = app
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/orders/{id}/paid?token={access}"),
            None,
            None,
        )
        .await;
    let said = said.ok(200);
    assert!(said["paid_claimed_at"].is_string());
    let held_until: chrono::DateTime<Utc> = said["expires_at"]
        .as_str()
        .expect("a time")
        .parse()
        .expect("rfc3339");
    assert!(held_until > Utc::now() + chrono::Duration::days(13));
    app.request(
        reqwest::Method::POST,
        &format!("/api/v1/orders/{id}/paid?token={access}"),
        None,
        None,
    )
    .await
    .ok(200);
    let told: Vec<_> = emails_of(&app, &id)
        .await
        .into_iter()
        .filter(|m| m.kind == "order_paid_claimed_coordinator")
        .collect();
    assert_eq!(told.len(), 1, "told once");
    let wrong = app
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/orders/{id}/paid?token=wrong"),
            None,
            None,
        )
        .await;
    wrong.problem(404);
    // The console's order shows it; the coordinator confirms the money as usual.
    let detail = app
        .admin_get(&token, &format!("/api/v1/admin/orders/{id}"))
        .await;
    assert!(detail.ok(200)["paid_claimed_at"].is_string());
    assert_eq!(detail.body["language"], "sv");
    // Today lists it once: among the buyers who say they paid, not also as still waiting.
    let today = hunar::orders::attention::now(&app.db).await.expect("today");
    let listed = |w: &hunar::orders::attention::Waiting<hunar::orders::views::AdminOrderView>| {
        w.items.iter().any(|o| o.order.id == id)
    };
    assert!(listed(&today.said_paid) && !listed(&today.awaiting_payment));
}

#[tokio::test]
async fn a_buyer_whose_hold_ends_soon_is_reminded_once_in_their_language() {
    let (app, _token, catalog) = with_organisation().await;
    let placed = app
        .place_order(&new_key(), &swedish_order(&catalog.artwork))
        .await;
    let id = placed.ok(201)["order"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    // A confirmed hold (as after the link in the first email) ending in 12 hours.
    order::Entity::update(order::ActiveModel {
        id: Set(id.clone()),
        hold_confirmed_at: Set(Some(Utc::now())),
        expires_at: Set(Utc::now() + chrono::Duration::hours(12)),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .expect("age");
    let ahead = chrono::Duration::hours(24);
    for _ in 0..2 {
        hunar::orders::claims::remind_due(&app.db, &app.state.mail, Utc::now(), ahead)
            .await
            .expect("remind");
    }
    let reminders: Vec<_> = emails_of(&app, &id)
        .await
        .into_iter()
        .filter(|m| m.kind == "order_hold_ending_buyer")
        .collect();
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].language, "sv");
    assert!(
        reminders[0].subject.contains("reserverad åt dig"),
        "{}",
        reminders[0].subject
    );
}

/// A transfer that arrives after the hold ended, for a painting another buyer bought
/// meanwhile: recorded, said plainly, and kept until the coordinator gives the money back or
/// gives the buyer another painting.
#[tokio::test]
async fn money_for_a_painting_sold_meanwhile_is_kept_until_refunded_or_given_another() {
    let (app, token, catalog) = with_organisation().await;
    let other = app
        .create_artwork(&token, &catalog.artist, &catalog.tier, "available")
        .await;
    let expire = |id: String| {
        let app = &app;
        async move {
            order::Entity::update(order::ActiveModel {
                id: Set(id),
                expires_at: Set(Utc::now() - chrono::Duration::seconds(1)),
                ..Default::default()
            })
            .exec(&app.db)
            .await
            .expect("age");
            hunar::orders::expiry::expire_due(&app.db, &app.state.mail, Utc::now())
                .await
                .expect("expire");
        }
    };
    let confirm = |id: String, reference: &'static str| {
        let (app, token) = (&app, &token);
        async move {
            app.admin_post(
                token,
                &format!("/api/v1/admin/orders/{id}/confirm-payment"),
                json!({"reference": reference}),
            )
            .await
        }
    };
    let mut late_orders = Vec::new();
    for buyer in ["first@example.se", "second@example.se"] {
        let mut body = order_body(&catalog.artwork);
        body["buyer"]["email"] = json!(buyer);
        let placed = app.place_order(&new_key(), &body).await;
        let id = placed.ok(201)["order"]["id"]
            .as_str()
            .expect("id")
            .to_string();
        expire(id.clone()).await;
        // Another buyer takes the painting and pays.
        let mut quick = order_body(&catalog.artwork);
        quick["buyer"]["email"] = json!(format!("quick-{buyer}"));
        let taken = app.place_order(&new_key(), &quick).await;
        let taken = taken.ok(201)["order"]["id"]
            .as_str()
            .expect("id")
            .to_string();
        confirm(taken.clone(), "BANK-QUICK").await.ok(200);
        // The late transfer: recorded, with a clear refusal to sell what is gone.
        let late = confirm(id.clone(), "BANK-LATE").await;
        assert_eq!(late.problem(409)["code"], "painting_sold_meanwhile");
        let detail = app
            .admin_get(&token, &format!("/api/v1/admin/orders/{id}"))
            .await;
        assert_eq!(detail.ok(200)["status"], "expired");
        assert_eq!(detail.body["late_payment_reference"], "BANK-LATE");
        late_orders.push(id);
        // Put the painting back on sale for the second round (the quick buyer cancels).
        app.admin_post(
            &token,
            &format!("/api/v1/admin/orders/{taken}/cancel"),
            json!({"reason": "changed their mind", "release_artwork": true}),
        )
        .await
        .ok(200);
    }
    // Give the money back.
    let refunded = app
        .admin_post(
            &token,
            &format!(
                "/api/v1/admin/orders/{}/refund-late-payment",
                late_orders[0]
            ),
            json!({"reference": "returned by bank 2026-12-08"}),
        )
        .await;
    assert_eq!(refunded.ok(200)["status"], "refunded");
    // Or another painting, which becomes theirs.
    let swapped = app
        .admin_post(
            &token,
            &format!("/api/v1/admin/orders/{}/another-painting", late_orders[1]),
            json!({"artwork_id": other}),
        )
        .await;
    let swapped = swapped.ok(200);
    assert_eq!(swapped["status"], "paid");
    assert_eq!(swapped["artwork_id"], other.as_str());
    assert_eq!(swapped["payment_reference"], "BANK-LATE");
    assert_eq!(artwork_status(&app, &other).await, "sold");
    // Neither can be done twice, or on an order without a late payment.
    app.admin_post(
        &token,
        &format!(
            "/api/v1/admin/orders/{}/refund-late-payment",
            late_orders[1]
        ),
        json!({"reference": "x"}),
    )
    .await
    .problem(409);
    let sold_elsewhere = app
        .admin_post(
            &token,
            &format!("/api/v1/admin/orders/{}/another-painting", late_orders[0]),
            json!({"artwork_id": other}),
        )
        .await;
    sold_elsewhere.problem(409);
}
