//! The artists' own channel: the page behind a link a coordinator makes, and messages to
//! artists that tell an onlooker nothing.
use entity::outbox;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::helpers::{Catalog, Reply, TestApp, new_key, order_body, plain, spawn_app};

/// A manual order for the catalog's painting, confirmed paid (50.00 USD).
async fn sale(app: &TestApp, token: &str, artwork: &str) -> String {
    let placed = app.place_order(&new_key(), &order_body(artwork)).await;
    let id = placed.ok(201)["order"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    app.admin_post(
        token,
        &format!("/api/v1/admin/orders/{id}/confirm-payment"),
        json!({"reference": "BANK-42"}),
    )
    .await
    .ok(200);
    id
}

/// 20.00 USD paid by hawala, collected with the code K-7781.
async fn hawala_payout(app: &TestApp, token: &str, artist: &str) {
    app.admin_post(
        token,
        &format!("/api/v1/admin/artists/{artist}/payouts"),
        json!({"amount": "20.00", "currency": "USD", "method": "hawala",
               "reference": "K-7781", "paid_on": "2026-11-20", "before_shipping": true}),
    )
    .await
    .ok(201);
}

async fn artist_reading(app: &TestApp, token: &str, catalog: &Catalog, language: &str) {
    app.admin_patch(
        token,
        &format!("/api/v1/admin/artists/{}", catalog.artist),
        json!({"email": "painter@example.af", "phone": "+93 700 000 001",
               "preferred_language": language}),
    )
    .await
    .ok(200);
}

async fn page_link(app: &TestApp, token: &str, artist: &str) -> Value {
    app.admin_post(
        token,
        &format!("/api/v1/admin/artists/{artist}/page-link"),
        json!({}),
    )
    .await
    .ok(201)
    .clone()
}

/// The page at `url` (absolute, as the coordinator hands it over), read like a browser.
async fn open(app: &TestApp, url: &str, accept_language: &str) -> Reply {
    let path = url
        .strip_prefix(&app.url(""))
        .or_else(|| {
            url.split_once("://")
                .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
        })
        .expect("a path");
    let res = app
        .client
        .get(app.url(path))
        .header("Accept-Language", accept_language)
        .send()
        .await
        .expect("page");
    Reply::read(res).await
}

/// What a buyer gave that no artist may see.
const BUYER: [&str; 8] = [
    "Anna Lind",
    "anna@example.se",
    "+46 70 123 45 67",
    "Storgatan",
    "lgh 1102",
    "411 01",
    "Göteborg",
    "Västra Götaland",
];

#[tokio::test]
async fn the_artists_page_shows_the_sale_and_account_in_dari_and_pashto_and_nothing_of_the_buyer() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    artist_reading(&app, &token, &catalog, "fa").await;
    sale(&app, &token, &catalog.artwork).await;
    hawala_payout(&app, &token, &catalog.artist).await;

    let link = page_link(&app, &token, &catalog.artist).await;
    let url = link["url"].as_str().expect("url");
    assert!(url.contains("/page?token="), "{url}");
    assert!(link["expires_at"].is_string());

    let dari = open(&app, url, "en").await;
    assert_eq!(dari.status, 200, "{}", dari.text);
    // In the artist's language, whatever this phone's browser asks for.
    assert!(
        dari.text.contains("lang=\"fa\" dir=\"rtl\""),
        "{}",
        dari.text
    );
    assert!(dari.text.contains("حساب شما"), "the account heading");
    // The painting to hand over, the sale's account and what is still owed: 50 sold, no
    // share agreed, 20 paid, 30 owed.
    for needed in ["Kites", "حواله", "K-7781", "50 دالر", "20 دالر", "30 دالر"] {
        assert!(dari.text.contains(needed), "the Dari page lacks {needed}");
    }
    assert!(dari.text.contains("نقاشی‌هایی که باید به هماهنگ‌کننده بدهید"));
    for private in BUYER {
        assert!(!dari.text.contains(private), "the page shows {private}");
    }
    assert!(
        !dari.text.contains("<script"),
        "no script on the artist's page"
    );
    let header = |name: &str| {
        dari.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(header("cache-control"), "no-store");
    assert_eq!(header("referrer-policy"), "no-referrer");
    assert!(header("content-security-policy").contains("default-src 'self'"));
    assert!(
        dari.text
            .contains("<meta name=\"robots\" content=\"noindex, nofollow\">")
    );

    app.admin_patch(
        &token,
        &format!("/api/v1/admin/artists/{}", catalog.artist),
        json!({"preferred_language": "ps"}),
    )
    .await
    .ok(200);
    let pashto = open(&app, url, "sv-SE").await;
    assert_eq!(pashto.status, 200);
    assert!(pashto.text.contains("lang=\"ps\" dir=\"rtl\""));
    for needed in ["K-7781", "30 ډالر"] {
        assert!(
            pashto.text.contains(needed),
            "the Pashto page lacks {needed}"
        );
    }
    for private in BUYER {
        assert!(!pashto.text.contains(private), "the page shows {private}");
    }

    // A new link ends the old one; a wrong one looks the same.
    let newer = page_link(&app, &token, &catalog.artist).await;
    assert_ne!(newer["url"], link["url"]);
    let old = open(&app, url, "fa").await;
    assert_eq!(old.status, 404);
    assert!(!old.text.contains("K-7781"));
    assert_eq!(
        open(&app, newer["url"].as_str().expect("url"), "fa")
            .await
            .status,
        200
    );
    for wrong in ["", "x", &"A".repeat(43), "../../etc/passwd"] {
        let reply = app.get(&format!("/page?token={wrong}")).await;
        assert_eq!(reply.status, 404, "{wrong}");
    }
    // Only a coordinator makes links, and only for an artist who exists.
    let anonymous = app
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/admin/artists/{}/page-link", catalog.artist),
            None,
            Some(json!({})),
        )
        .await;
    anonymous.problem(401);
    app.admin_post(&token, "/api/v1/admin/artists/nobody/page-link", json!({}))
        .await
        .problem(404);
}

/// Words that tell an onlooker what a message is about, in the artists' languages.
const TELLING: [&str; 14] = [
    "sold",
    "money",
    "USD",
    "$",
    "50",
    "20",
    "دالر",
    "فروخته",
    "پول",
    "ډالر",
    "پلورل",
    "پیسې",
    "K-7781",
    "BANK-42",
];

fn first_line(text: &str) -> &str {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or("")
}

async fn artist_letters(app: &TestApp) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::RecipientRole.eq("artist"))
        .order_by_asc(outbox::Column::CreatedAt)
        .all(&app.db)
        .await
        .expect("outbox")
}

#[tokio::test]
async fn messages_to_artists_say_nothing_an_onlooker_could_read() {
    for language in ["en", "fa", "ps"] {
        let app = spawn_app().await;
        let token = app.admin_token().await;
        let catalog = app.small_catalog(&token).await;
        artist_reading(&app, &token, &catalog, language).await;
        let order = sale(&app, &token, &catalog.artwork).await;
        hawala_payout(&app, &token, &catalog.artist).await;
        app.admin_post(
            &token,
            &format!("/api/v1/admin/orders/{order}/ship"),
            json!({"carrier": "DHL", "tracking_number": "JD0146"}),
        )
        .await
        .ok(200);
        let letters = artist_letters(&app).await;
        let kinds: Vec<&str> = letters.iter().map(|l| l.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "order_paid_artist",
                "payout_recorded_artist",
                "order_shipped_artist"
            ],
            "{language}"
        );
        for letter in &letters {
            let text = plain(&letter.body_text);
            let html = plain(&letter.body_html);
            assert_eq!(letter.language, language);
            for word in TELLING {
                assert!(
                    !letter.subject.contains(word),
                    "{language} {}: subject {:?} says {word}",
                    letter.kind,
                    letter.subject
                );
                assert!(
                    !first_line(&text).contains(word),
                    "{language} {}: first line {:?} says {word}",
                    letter.kind,
                    first_line(&text)
                );
            }
            // The pickup code and the payment's reference live on the page only.
            for secret in ["K-7781", "BANK-42"] {
                assert!(!text.contains(secret) && !html.contains(secret), "{secret}");
            }
            for private in BUYER {
                assert!(!text.contains(private), "{} names {private}", letter.kind);
            }
            // Each one leads to the artist's page.
            assert!(text.contains("/page?token="), "{}: {text}", letter.kind);
        }
        // All three carry the same live link, and it opens the page with the code on it.
        let link = |l: &outbox::Model| {
            plain(&l.body_text)
                .split_whitespace()
                .find(|w| w.contains("/page?token="))
                .map(str::to_string)
                .expect("a link")
        };
        assert!(letters.iter().all(|l| link(l) == link(&letters[0])));
        let page = open(&app, &link(&letters[0]), "en").await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("K-7781"));
    }
}

#[tokio::test]
async fn plainer_messages_say_only_that_there_is_news_under_the_ngos_own_subject() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    artist_reading(&app, &token, &catalog, "en").await;
    app.admin_patch(
        &token,
        &format!("/api/v1/admin/artists/{}", catalog.artist),
        json!({"plain_messages": true}),
    )
    .await
    .ok(200);
    let mut org = app
        .admin_get(&token, "/api/v1/admin/organisation")
        .await
        .ok(200)
        .clone();
    // A subject that gives the message away is refused, and nothing is saved.
    for telling in ["Your painting was sold", "Payment 50", "Hunar news"] {
        org["artist_messages"] = json!({"sender_name": "Studio", "subject": telling});
        app.request(
            reqwest::Method::PUT,
            "/api/v1/admin/organisation",
            Some(&token),
            Some(org.clone()),
        )
        .await
        .invalid_field("artist_messages.subject");
    }
    org["artist_messages"] = json!({"sender_name": "Studio", "subject": "Greetings"});
    app.request(
        reqwest::Method::PUT,
        "/api/v1/admin/organisation",
        Some(&token),
        Some(org),
    )
    .await
    .ok(200);
    sale(&app, &token, &catalog.artwork).await;
    let letters = artist_letters(&app).await;
    assert_eq!(letters.len(), 1);
    let text = plain(&letters[0].body_text);
    assert_eq!(letters[0].subject, "Greetings");
    assert!(
        !text.contains("Kites"),
        "a plain message names no painting: {text}"
    );
    assert!(text.contains("/page?token="));
    assert!(text.ends_with("Studio"), "{text}");
}

#[tokio::test]
async fn how_an_artist_is_told_is_checked() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let artist = app
        .create_artist(&token, json!({"display_name": "No Phone"}))
        .await;
    let path = format!("/api/v1/admin/artists/{artist}");
    app.admin_patch(&token, &path, json!({"notify_by": "pigeon"}))
        .await
        .invalid_field("notify_by");
    app.admin_patch(&token, &path, json!({"notify_by": "whatsapp"}))
        .await
        .invalid_field("notify_by");
    // A number without its country code would reach someone else's phone.
    app.admin_patch(
        &token,
        &path,
        json!({"notify_by": "whatsapp", "phone": "0799 123 456"}),
    )
    .await
    .invalid_field("notify_by");
    let told = app
        .admin_patch(
            &token,
            &path,
            json!({"notify_by": "both", "phone": "+93 700 000 002"}),
        )
        .await;
    assert_eq!(told.ok(200)["notify_by"], "both");
    assert_eq!(told.ok(200)["plain_messages"], false);
    assert!(told.ok(200)["page_link_expires_at"].is_null());
}
