//! The payout ledger: what each artist was credited, what it cost, what reached them.
use std::time::Duration;

use entity::{ledger_entry, outbox};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{Catalog, TestApp, all_at_once, new_key, order_body, plain, spawn_app};
use crate::stripe_mock::{StripeMock, event, refunded_charge, session, stripe_error};

struct Books {
    app: TestApp,
    token: String,
    catalog: Catalog,
}

async fn books_on(app: TestApp) -> Books {
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    // The artist reads Dari and has an address for the payout email.
    app.admin_patch(
        &token,
        &format!("/api/v1/admin/artists/{}", catalog.artist),
        json!({"email": "painter@example.af", "preferred_language": "fa"}),
    )
    .await
    .ok(200);
    Books {
        app,
        token,
        catalog,
    }
}

impl Books {
    fn ledger_path(&self) -> String {
        format!("/api/v1/admin/artists/{}/ledger", self.catalog.artist)
    }

    async fn ledger(&self) -> Value {
        self.app
            .admin_get(&self.token, &self.ledger_path())
            .await
            .ok(200)
            .clone()
    }

    async fn owed(&self, currency: &str) -> Option<String> {
        self.ledger().await["balances"]
            .as_array()
            .expect("balances")
            .iter()
            .find(|b| b["currency"] == currency)
            .map(|b| b["owed"].as_str().expect("owed").to_string())
    }

    async fn payout(&self, body: Value) -> crate::helpers::Reply {
        self.app
            .admin_post(
                &self.token,
                &format!("/api/v1/admin/artists/{}/payouts", self.catalog.artist),
                body,
            )
            .await
    }

    /// A manual order for the catalog's painting, confirmed paid: 50.00 USD.
    async fn manual_sale(&self) -> String {
        let placed = self
            .app
            .place_order(&new_key(), &order_body(&self.catalog.artwork))
            .await;
        let id = placed.ok(201)["order"]["id"]
            .as_str()
            .expect("id")
            .to_string();
        self.app
            .admin_post(
                &self.token,
                &format!("/api/v1/admin/orders/{id}/confirm-payment"),
                json!({"reference": "bank 4471"}),
            )
            .await
            .ok(200);
        id
    }

    async fn entry_count(&self) -> u64 {
        ledger_entry::Entity::find()
            .count(&self.app.db)
            .await
            .expect("count")
    }

    async fn outbox_count(&self) -> u64 {
        outbox::Entity::find()
            .count(&self.app.db)
            .await
            .expect("count")
    }
}

/// A payout handed over before the sale's shipping cost is entered (these tests are about
/// the balance, not shipping: `a_payout_waits_for_the_shipping_cost_or_says_it_does_not`).
fn hawala(amount: &str) -> Value {
    json!({"amount": amount, "currency": "USD", "method": "hawala",
           "reference": "K-7781", "paid_on": "2026-11-20", "before_shipping": true})
}

/// Entries as (kind, amount, balance), oldest first.
fn lines(ledger: &Value) -> Vec<(String, String, String)> {
    ledger["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().expect("kind").to_string(),
                e["amount"].as_str().expect("amount").to_string(),
                e["balance"].as_str().expect("balance").to_string(),
            )
        })
        .collect()
}

fn owned(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(k, a, b)| (k.to_string(), a.to_string(), b.to_string()))
        .collect()
}

async fn fee_entries(app: &TestApp) -> u64 {
    ledger_entry::Entity::find()
        .filter(ledger_entry::Column::Kind.eq("card_fee"))
        .count(&app.db)
        .await
        .expect("count")
}

/// Waits (up to 10 s) for the card fee lookup that runs after the payment is recorded.
async fn wait_for_fee(app: &TestApp) {
    for _ in 0..100 {
        if fee_entries(app).await > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let lookups = entity::fee_lookup::Entity::find()
        .all(&app.db)
        .await
        .expect("lookups");
    panic!("the card fee was never recorded; lookups: {lookups:?}");
}

#[tokio::test]
async fn a_card_sale_with_fee_shipping_and_two_payouts_is_exact_to_the_minor_unit() {
    let stripe = StripeMock::start().await;
    stripe.charges_with_fee(175, "usd").await;
    let books = books_on(stripe.app().spawn().await).await;
    let app = &books.app;
    // The NGO keeps 10 % of this artist's sales.
    app.request(
        Method::PUT,
        &format!(
            "/api/v1/admin/artists/{}/payout-terms",
            books.catalog.artist
        ),
        Some(&books.token),
        Some(json!({"ngo_share_percent": "10", "transparency": false})),
    )
    .await
    .ok(200);
    let mut card = order_body(&books.catalog.artwork);
    card["payment_method"] = json!("stripe");
    let placed = app.place_order(&new_key(), &card).await;
    let id = placed.ok(201)["order"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (_, paid) = event(
        "checkout.session.completed",
        session(&id, 5000, "usd", "paid"),
    );
    app.deliver(&paid).await.ok(200);
    wait_for_fee(app).await;
    // Replayed, and a second event for the same money: nothing is credited or charged twice.
    assert_eq!(app.deliver(&paid).await.ok(200)["duplicate"], true);
    let (_, again) = event(
        "checkout.session.completed",
        session(&id, 5000, "usd", "paid"),
    );
    assert_eq!(app.deliver(&again).await.ok(200)["duplicate"], false);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fee_entries(app).await, 1);
    // The artist's email (in Dari) names no amount: the sale's arithmetic, as the ledger
    // books it, is on the artist's own page, which the email links to.
    let sold = outbox::Entity::find()
        .filter(outbox::Column::OrderId.eq(id.as_str()))
        .filter(outbox::Column::Kind.eq("order_paid_artist"))
        .one(&app.db)
        .await
        .expect("outbox")
        .expect("the artist's email");
    let text = plain(&sold.body_text);
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/page?token="))
        .expect("the page's link");
    // (The link's token is random: a "50" inside it says nothing.)
    let words = text.replace(link, "");
    assert!(!words.contains("USD") && !words.contains("50"), "{text}");
    let path = &link[link.find("/page").expect("path")..];
    let page = app.get(path).await;
    assert_eq!(page.status, 200);
    for amount in ["50 دالر", "5 دالر"] {
        assert!(page.text.contains(amount), "{amount}");
    }

    app.admin_post(
        &books.token,
        &format!("/api/v1/admin/orders/{id}/ship"),
        json!({"carrier": "DHL", "tracking_number": "JD0146"}),
    )
    .await
    .ok(200);
    let shipping = app
        .admin_post(
            &books.token,
            &format!("/api/v1/admin/orders/{id}/shipping-cost"),
            json!({"amount": "12.34", "currency": "USD", "note": "DHL Kabul"}),
        )
        .await;
    assert_eq!(shipping.ok(201)["balance"], "30.91");
    let twice = app
        .admin_post(
            &books.token,
            &format!("/api/v1/admin/orders/{id}/shipping-cost"),
            json!({"amount": "1.00", "currency": "USD"}),
        )
        .await;
    assert_eq!(twice.problem(409)["code"], "not_allowed");

    books.payout(hawala("20.00")).await.ok(201);
    let second = books
        .payout(
            json!({"amount": "10.91", "currency": "USD", "method": "remittance",
                        "reference": "MTCN 5512", "paid_on": "2026-11-21",
                        "exchange_rate": "71.5", "paid_currency": "AFN"}),
        )
        .await;
    let second = second.ok(201);
    // 10.91 × 71.5 = 780.065 AFN, kept to the afghani's two decimals, half away from zero.
    assert_eq!(second["paid_amount"], "780.07");
    assert_eq!(second["exchange_rate"], "71.5");
    assert_eq!(second["balance"], "0.00");

    let ledger = books.ledger().await;
    assert_eq!(
        lines(&ledger),
        owned(&[
            ("sale", "50.00", "50.00"),
            ("ngo_share", "-5.00", "45.00"),
            ("card_fee", "-1.75", "43.25"),
            ("shipping", "-12.34", "30.91"),
            ("payout", "-20.00", "10.91"),
            ("payout", "-10.91", "0.00"),
        ])
    );
    assert_eq!(
        ledger["balances"],
        json!([{"currency": "USD", "owed": "0.00"}])
    );
    assert_eq!(
        ledger["entries"][0]["order_reference"]
            .as_str()
            .map(|r| r.starts_with("HN-")),
        Some(true)
    );
    assert_eq!(ledger["entries"][2]["created_by"], "stripe");
    assert_eq!(
        ledger["entries"][4]["created_by"],
        crate::helpers::ADMIN_EMAIL
    );

    // Nothing more is owed: a third payout needs to be an advance.
    let over = books.payout(hawala("0.01")).await;
    assert_eq!(over.problem(409)["code"], "balance_exceeded");
    assert_eq!(books.owed("USD").await.as_deref(), Some("0.00"));

    // The bookkeeping CSV: the same figures, to the cent.
    let csv = app
        .admin_get(&books.token, &format!("{}.csv", books.ledger_path()))
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.content_type().starts_with("text/csv"));
    let rows = csv_rows(&csv.text);
    assert_eq!(
        rows[0][..6],
        ["date", "artist", "kind", "amount", "currency", "balance"]
    );
    // Coordinators' notes travel with the file marked as what they are.
    assert!(
        rows[0].iter().any(|h| h == "private_note") && !rows[0].iter().any(|h| h == "note"),
        "{:?}",
        rows[0]
    );
    let figures: Vec<(&str, &str, &str)> = rows[1..]
        .iter()
        .map(|r| (r[2].as_str(), r[3].as_str(), r[5].as_str()))
        .collect();
    assert_eq!(
        figures,
        [
            ("sale", "50.00", "50.00"),
            ("ngo_share", "-5.00", "45.00"),
            ("card_fee", "-1.75", "43.25"),
            ("shipping", "-12.34", "30.91"),
            ("payout", "-20.00", "10.91"),
            ("payout", "-10.91", "0.00"),
        ]
    );
    assert!(csv.text.contains("MTCN 5512") && csv.text.contains("780.07"));
    // A period after every entry: the opening balance, and no entries.
    let later = app
        .admin_get(
            &books.token,
            &format!("{}.csv?from=2099-01-01", books.ledger_path()),
        )
        .await;
    let later = csv_rows(&later.text);
    assert_eq!(later.len(), 2, "{later:?}");
    assert_eq!(
        later[1][..6],
        [
            "2099-01-01",
            "Test Painter",
            "opening_balance",
            "",
            "USD",
            "0.00"
        ]
    );

    let summary = app
        .admin_get(&books.token, "/api/v1/admin/ledger/summary")
        .await;
    assert_eq!(
        summary.ok(200)[0],
        json!({"artist_id": books.catalog.artist, "display_name": "Test Painter",
               "currency": "USD", "paintings_sold": 1, "sales": "50.00", "ngo_share": "5.00",
               "costs": "14.09", "paid_out": "30.91", "owed": "0.00"})
    );

    // Each payout told the artist, in Dari, through the outbox.
    let letters = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("payout_recorded_artist"))
        .all(&app.db)
        .await
        .expect("outbox");
    assert_eq!(letters.len(), 2);
    assert!(
        letters
            .iter()
            .all(|l| plain(&l.recipient) == "painter@example.af")
    );
    assert!(letters.iter().all(|l| l.language == "fa"));
    // Neither the pickup code nor the amount is in a message: they are on the artist's page.
    assert!(
        letters
            .iter()
            .map(|l| plain(&l.body_text))
            .all(|t| !t.contains("MTCN 5512")
                && !t.contains("780.07")
                && t.contains("/page?token="))
    );

    // Refunded from the Stripe dashboard after it was paid out: the sale and its share are
    // taken back (the fee and the shipping were paid and stay), and what is owed is negative.
    let (_, refunded) = event("charge.refunded", refunded_charge(&id, 5000, 5000));
    app.deliver(&refunded).await.ok(200);
    let ledger = books.ledger().await;
    assert_eq!(
        lines(&ledger)[6..],
        owned(&[("refund", "-50.00", "-50.00"), ("refund", "5.00", "-45.00")])
    );
    assert_eq!(
        ledger["balances"],
        json!([{"currency": "USD", "owed": "-45.00"}])
    );
}

#[tokio::test]
async fn a_payout_waits_for_the_shipping_cost_or_says_it_does_not() {
    let books = books_on(spawn_app().await).await;
    let order = books.manual_sale().await;
    let reference = hunar::orders::reference(&order);
    let mut body = hawala("20.00");
    body.as_object_mut()
        .expect("object")
        .remove("before_shipping");
    // The balance still counts the shipping as the artist's: asked first, naming the order.
    let refused = books.payout(body.clone()).await;
    let problem = refused.problem(409);
    assert_eq!(problem["code"], "shipping_cost_missing");
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains(&reference),
        "{problem}"
    );
    assert_eq!(books.owed("USD").await.as_deref(), Some("50.00"));
    // Said knowingly, it is recorded.
    let mut knowing = body.clone();
    knowing["before_shipping"] = json!(true);
    books.payout(knowing).await.ok(201);
    assert_eq!(books.owed("USD").await.as_deref(), Some("30.00"));
    // Once the shipping is entered nothing is missing, and no flag is needed.
    books
        .app
        .admin_post(
            &books.token,
            &format!("/api/v1/admin/orders/{order}/shipping-cost"),
            json!({"amount": "5.00", "currency": "USD"}),
        )
        .await
        .ok(201);
    books.payout(body).await.ok(201);
    assert_eq!(books.owed("USD").await.as_deref(), Some("5.00"));
}

#[tokio::test]
async fn a_refund_after_a_payout_leaves_a_negative_balance_that_is_shown() {
    let books = books_on(spawn_app().await).await;
    let order = books.manual_sale().await;
    books.payout(hawala("50.00")).await.ok(201);
    assert_eq!(books.owed("USD").await.as_deref(), Some("0.00"));
    books
        .app
        .admin_post(
            &books.token,
            &format!("/api/v1/admin/orders/{order}/cancel"),
            json!({"reason": "the buyer changed their mind"}),
        )
        .await
        .ok(200);
    let ledger = books.ledger().await;
    assert_eq!(
        lines(&ledger),
        owned(&[
            ("sale", "50.00", "50.00"),
            ("payout", "-50.00", "0.00"),
            ("refund", "-50.00", "-50.00"),
        ])
    );
    assert_eq!(
        ledger["balances"],
        json!([{"currency": "USD", "owed": "-50.00"}])
    );
    assert_eq!(
        ledger["entries"][2]["reverses_id"],
        ledger["entries"][0]["id"]
    );
    assert_eq!(
        ledger["entries"][0]["reversed_by"],
        ledger["entries"][2]["id"]
    );
    let summary = books
        .app
        .admin_get(&books.token, "/api/v1/admin/ledger/summary")
        .await;
    let row = &summary.ok(200)[0];
    assert_eq!(
        (row["paintings_sold"].as_i64(), row["owed"].as_str()),
        (Some(0), Some("-50.00"))
    );
}

#[tokio::test]
async fn concurrent_payouts_for_one_artist_cannot_both_pass_the_balance_check() {
    let books = books_on(spawn_app().await).await;
    books.manual_sale().await;
    let url = books.app.url(&format!(
        "/api/v1/admin/artists/{}/payouts",
        books.catalog.artist
    ));
    // 50.00 owed; eight coordinators pay 20.00 at the same moment: two fit.
    let requests = (0..8)
        .map(|_| {
            books
                .app
                .client
                .post(&url)
                .bearer_auth(&books.token)
                .json(&hawala("20.00"))
        })
        .collect();
    let replies = all_at_once(requests).await;
    let passed = replies.iter().filter(|r| r.status == 201).count();
    let refused = replies
        .iter()
        .filter(|r| r.status == 409 && r.body["code"] == "balance_exceeded")
        .count();
    assert_eq!((passed, refused), (2, 6));
    assert_eq!(books.owed("USD").await.as_deref(), Some("10.00"));
}

#[tokio::test]
async fn a_reversal_restores_the_balance_once_and_an_advance_may_go_below_zero() {
    let books = books_on(spawn_app().await).await;
    books.manual_sale().await;
    let payout = books.payout(hawala("30.00")).await;
    let payout_id = payout.ok(201)["id"].as_str().expect("id").to_string();
    let path = format!("/api/v1/admin/ledger/entries/{payout_id}/reversal");
    books
        .app
        .admin_post(&books.token, &path, json!({"reason": "   "}))
        .await
        .invalid_field("reason");
    let reversal = books
        .app
        .admin_post(&books.token, &path, json!({"reason": "typed 30 for 3"}))
        .await;
    let reversal = reversal.ok(201).clone();
    assert_eq!(
        (reversal["amount"].as_str(), reversal["balance"].as_str()),
        (Some("30.00"), Some("50.00"))
    );
    assert_eq!(reversal["note"], "typed 30 for 3");
    let again = books
        .app
        .admin_post(&books.token, &path, json!({"reason": "twice"}))
        .await;
    assert_eq!(again.problem(409)["code"], "already_reversed");
    let of_reversal = books
        .app
        .admin_post(
            &books.token,
            &format!(
                "/api/v1/admin/ledger/entries/{}/reversal",
                reversal["id"].as_str().expect("id")
            ),
            json!({"reason": "undo the undo"}),
        )
        .await;
    assert_eq!(of_reversal.problem(409)["code"], "not_allowed");
    assert_eq!(books.owed("USD").await.as_deref(), Some("50.00"));

    let mut advance = hawala("80.00");
    advance["advance"] = json!(true);
    assert_eq!(books.payout(advance).await.ok(201)["advance"], true);
    assert_eq!(books.owed("USD").await.as_deref(), Some("-30.00"));
    // The audit log names each change and who made it.
    let audit = entity::audit_log::Entity::find()
        .filter(entity::audit_log::Column::Action.is_in(["ledger.payout", "ledger.reverse"]))
        .all(&books.app.db)
        .await
        .expect("audit");
    assert_eq!(audit.len(), 3);
    assert!(audit.iter().all(|a| a.admin_id.is_some()));
}

#[tokio::test]
async fn a_card_fee_stripe_could_not_give_is_asked_again_and_recorded_once() {
    let stripe = StripeMock::start().await;
    stripe.fail_charges(stripe_error(500), 2).await;
    stripe.charges_with_fee(175, "usd").await;
    let books = books_on(stripe.app().env("STRIPE_FEE_RETRY_MS", "100").spawn().await).await;
    let app = &books.app;
    let mut card = order_body(&books.catalog.artwork);
    card["payment_method"] = json!("stripe");
    let id = app.place_order(&new_key(), &card).await.ok(201)["order"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (_, paid) = event(
        "checkout.session.completed",
        session(&id, 5000, "usd", "paid"),
    );
    app.deliver(&paid).await.ok(200);
    wait_for_fee(app).await;
    assert!(stripe.requests_to("/v1/charges").await.len() >= 3);
    // More rounds of the retry loop, and the event again: still one fee.
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.deliver(&paid).await.ok(200);
    assert_eq!(fee_entries(app).await, 1);
    assert_eq!(books.owed("USD").await.as_deref(), Some("48.25"));
}

#[tokio::test]
async fn the_transparency_report_shows_only_artists_who_agreed_and_nothing_that_identifies_a_sale()
{
    let books = books_on(spawn_app().await).await;
    let app = &books.app;
    books.manual_sale().await;
    // A second artist who did not agree, with a sale and a payout of their own.
    let other = app
        .create_artist(
            &books.token,
            json!({"display_name": "Quiet Painter", "email": "quiet@example.af"}),
        )
        .await;
    let other_work = app
        .create_artwork(&books.token, &other, &books.catalog.tier, "available")
        .await;
    let placed = app.place_order(&new_key(), &order_body(&other_work)).await;
    let other_order = placed.ok(201)["order"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    app.admin_post(
        &books.token,
        &format!("/api/v1/admin/orders/{other_order}/confirm-payment"),
        json!({"reference": "bank 9"}),
    )
    .await
    .ok(200);
    app.admin_post(
        &books.token,
        &format!("/api/v1/admin/artists/{other}/payouts"),
        hawala("40.00"),
    )
    .await
    .ok(201);
    books
        .payout(
            json!({"amount": "45.00", "currency": "USD", "method": "cash",
                        "reference": "receipt 17", "paid_on": "2026-11-19",
                        "before_shipping": true}),
        )
        .await
        .ok(201);
    // A payout typed by mistake and reversed: neither counts, in the totals or the quarter.
    let mistake = books.payout(hawala("4.00")).await;
    let mistake = mistake.ok(201)["id"].as_str().expect("id").to_string();
    app.admin_post(
        &books.token,
        &format!("/api/v1/admin/ledger/entries/{mistake}/reversal"),
        json!({"reason": "typed 4 for 40"}),
    )
    .await
    .ok(201);
    app.request(
        Method::PUT,
        &format!(
            "/api/v1/admin/artists/{}/payout-terms",
            books.catalog.artist
        ),
        Some(&books.token),
        Some(json!({"ngo_share_percent": "0", "transparency": true})),
    )
    .await
    // Her word first, said how.
    .invalid_field("consent_how");
    let terms = app
        .request(
            Method::PUT,
            &format!(
                "/api/v1/admin/artists/{}/payout-terms",
                books.catalog.artist
            ),
            Some(&books.token),
            Some(json!({
                "ngo_share_percent": "0", "transparency": true,
                "consent_how": "in person in Herat, 1 December"
            })),
        )
        .await;
    let consent = &terms.ok(200)["consent"];
    assert_eq!(consent["how"], "in person in Herat, 1 December");
    assert!(
        consent["recorded_by"]
            .as_str()
            .unwrap_or("")
            .starts_with("admin:")
    );
    assert!(consent["recorded_at"].is_string());

    // The running quarter is not shown: a sale or payout would appear as it happens.
    let running = app.get("/api/v1/transparency").await;
    assert_eq!(
        running.ok(200)["campaign"],
        json!({"paintings_sold": 0, "totals": []})
    );
    assert_eq!(running.body["artists"][0]["quarters"], json!([]));
    // Once the quarter is over (here: the entries moved back to 2026's second quarter).
    for sql in [
        "UPDATE ledger_entries SET created_at = '2026-06-15 12:00:00+00:00'",
        "UPDATE ledger_entries SET paid_on = '2026-06-10' WHERE paid_on IS NOT NULL",
    ] {
        sea_orm::ConnectionTrait::execute_unprepared(&app.db, sql)
            .await
            .expect("backdate");
    }
    app.state.catalog_cache.invalidate();
    let report = app.get("/api/v1/transparency").await;
    let body = report.ok(200);
    assert_eq!(
        body["campaign"],
        json!({"paintings_sold": 2, "totals": [{"currency": "USD", "paid_out": "85.00",
               "owed": "15.00", "costs": "0.00", "ngo_share": "0.00"}]})
    );
    let slugs: Vec<&str> = body["artists"]
        .as_array()
        .expect("artists")
        .iter()
        .map(|a| a["slug"].as_str().expect("slug"))
        .collect();
    assert_eq!(slugs, ["test-painter"]);
    assert_eq!(
        body["artists"][0]["quarters"],
        json!([{"quarter": "2026-Q2", "paintings_sold": 1,
                "paid_out": [{"amount": "45.00", "currency": "USD"}]}])
    );
    // No buyer, order, reference, contact, single sale amount or day.
    for forbidden in [
        "Anna",
        "anna@",
        "HN-",
        "receipt 17",
        "K-7781",
        "2026-11-19",
        "painter@",
        "quiet",
        "Quiet",
        "50.00",
        &other_order,
        "Göteborg",
    ] {
        assert!(
            !report.text.contains(forbidden),
            "`{forbidden}` in {}",
            report.text
        );
    }
    assert!(
        !regex_lite_day(&report.text),
        "a day is named: {}",
        report.text
    );
}

/// A CSV export's rows, read as a spreadsheet would (quoted cells unquoted).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| {
            r.expect("a CSV record")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// Whether `text` holds anything shaped like a date (YYYY-MM-DD).
fn regex_lite_day(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(10).any(|w| {
        w[..4].iter().all(u8::is_ascii_digit)
            && w[4] == b'-'
            && w[5..7].iter().all(u8::is_ascii_digit)
            && w[7] == b'-'
            && w[8..].iter().all(u8::is_ascii_digit)
    })
}

#[tokio::test]
async fn bad_ledger_input_is_a_422_that_changes_nothing() {
    let books = books_on(spawn_app().await).await;
    let order = books.manual_sale().await;
    let entries = books.entry_count().await;
    let letters = books.outbox_count().await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"amount": "abc", "currency": "USD", "method": "cash", "reference": "r", "paid_on": "2026-11-20"}),
            "amount",
        ),
        (
            json!({"amount": "-5", "currency": "USD", "method": "cash", "reference": "r", "paid_on": "2026-11-20"}),
            "amount",
        ),
        (
            json!({"amount": "0", "currency": "USD", "method": "cash", "reference": "r", "paid_on": "2026-11-20"}),
            "amount",
        ),
        (
            json!({"amount": "1.001", "currency": "USD", "method": "cash", "reference": "r", "paid_on": "2026-11-20"}),
            "amount",
        ),
        (
            json!({"amount": "1", "currency": "usd", "method": "cash", "reference": "r", "paid_on": "2026-11-20"}),
            "currency",
        ),
        (
            json!({"amount": "1", "currency": "USD", "method": "pigeon", "reference": "r", "paid_on": "2026-11-20"}),
            "method",
        ),
        (
            json!({"amount": "1", "currency": "USD", "method": "cash", "reference": " ", "paid_on": "2026-11-20"}),
            "reference",
        ),
        (
            json!({"amount": "1", "currency": "USD", "method": "cash", "reference": "r", "paid_on": "20-11-2026"}),
            "paid_on",
        ),
        (
            json!({"amount": "1", "currency": "USD", "method": "cash", "reference": "r", "paid_on": "2999-01-01"}),
            "paid_on",
        ),
        (
            json!({"amount": "1", "currency": "USD", "method": "cash", "reference": "r", "paid_on": "2026-11-20", "exchange_rate": "70"}),
            "paid_currency",
        ),
        (
            json!({"amount": "1", "currency": "USD", "method": "cash", "reference": "r", "paid_on": "2026-11-20", "exchange_rate": "-1", "paid_currency": "AFN"}),
            "exchange_rate",
        ),
        (
            json!({"amount": "1", "currency": "USD", "method": "cash", "reference": "r", "paid_on": "2026-11-20", "extra": 1}),
            "extra",
        ),
        (
            json!({"amount": "92233720368547758.07", "currency": "USD", "method": "cash",
                   "reference": "r", "paid_on": "2026-11-20", "advance": true}),
            "amount",
        ),
        (
            json!({"amount": 5, "currency": "USD", "method": "cash", "reference": "r",
                   "paid_on": "2026-11-20"}),
            "amount",
        ),
    ];
    for (body, field) in cases {
        books.payout(body).await.invalid_field(field);
    }
    let app = &books.app;
    for (body, field) in [
        (json!({"amount": "0.00", "currency": "USD"}), "amount"),
        (json!({"amount": "5", "currency": "XYZ"}), "currency"),
        // Not the sale's currency: it would leave a balance of its own that nothing nets.
        (json!({"amount": "5", "currency": "SEK"}), "currency"),
    ] {
        app.admin_post(
            &books.token,
            &format!("/api/v1/admin/orders/{order}/shipping-cost"),
            body,
        )
        .await
        .invalid_field(field);
    }
    for (body, field) in [
        (
            json!({"ngo_share_percent": "100.5", "transparency": true}),
            "ngo_share_percent",
        ),
        (
            json!({"ngo_share_percent": "0.001", "transparency": true}),
            "ngo_share_percent",
        ),
        (
            json!({"ngo_share_percent": "79228162514264337593543950335", "transparency": true}),
            "ngo_share_percent",
        ),
        (
            json!({"ngo_share_percent": 5, "transparency": true}),
            "ngo_share_percent",
        ),
        (json!({"ngo_share_percent": "5"}), "transparency"),
    ] {
        app.request(
            Method::PUT,
            &format!(
                "/api/v1/admin/artists/{}/payout-terms",
                books.catalog.artist
            ),
            Some(&books.token),
            Some(body),
        )
        .await
        .invalid_field(field);
    }
    for (query, field) in [
        ("from=2026-13-01", "from"),
        ("from=2026-11-02&to=2026-11-01", "to"),
    ] {
        app.admin_get(&books.token, &format!("{}?{query}", books.ledger_path()))
            .await
            .invalid_field(field);
    }
    assert_eq!(
        app.admin_get(&books.token, "/api/v1/admin/artists/nope/ledger")
            .await
            .problem(404)["code"],
        "not_found"
    );
    assert_eq!(books.entry_count().await, entries);
    assert_eq!(books.outbox_count().await, letters);
    // Terms unchanged: still no share, not public.
    assert_eq!(
        books.ledger().await["terms"],
        json!({"ngo_share_percent": "0", "transparency": false, "consent": null})
    );
}

#[tokio::test]
async fn an_artist_with_money_history_is_kept() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let artist = app
        .create_artist(&token, json!({"display_name": "New Painter"}))
        .await;
    let mut advance = hawala("25.00");
    advance["advance"] = json!(true);
    app.admin_post(
        &token,
        &format!("/api/v1/admin/artists/{artist}/payouts"),
        advance,
    )
    .await
    .ok(201);
    let refused = app
        .admin_delete(&token, &format!("/api/v1/admin/artists/{artist}"))
        .await;
    assert_eq!(refused.problem(409)["code"], "in_use");
    app.admin_get(&token, &format!("/api/v1/admin/artists/{artist}/ledger"))
        .await
        .ok(200);
}

#[tokio::test]
async fn consent_stays_with_the_coordinator_who_recorded_it() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let path = format!("/api/v1/admin/artists/{}/payout-terms", catalog.artist);
    let first = app
        .request(
            Method::PUT,
            &path,
            Some(&token),
            Some(
                json!({"ngo_share_percent": "0", "transparency": true, "consent_how": "in person"}),
            ),
        )
        .await;
    let recorded_by = first.ok(200)["consent"]["recorded_by"].clone();
    // Another coordinator changes only the share: the consent is still the first one's.
    let _ = hunar::auth::service::create_admin(
        &app.db,
        "second@hunar.example",
        "a second long passphrase".into(),
    )
    .await;
    let other = app
        .login("second@hunar.example", "a second long passphrase")
        .await;
    let other = other.ok(200)["token"].as_str().expect("token").to_string();
    let second = app
        .request(
            Method::PUT,
            &path,
            Some(&other),
            Some(json!({"ngo_share_percent": "10", "transparency": true})),
        )
        .await;
    let consent = &second.ok(200)["consent"];
    assert_eq!(consent["how"], "in person");
    assert_eq!(consent["recorded_by"], recorded_by);
}
