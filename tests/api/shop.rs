//! The shop's pages over HTTP, as a browser would ask for them: status, language, headers,
//! the buy form end to end, and no private field anywhere in the HTML.
use entity::order;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use crate::helpers::{Reply, TestApp, builder, new_key, order_body, spawn_seeded_app};
use crate::stripe_mock::StripeMock;

/// A page as a browser asks for it, with cookies and a language.
async fn page(app: &TestApp, path: &str, cookies: &str, accept_language: &str) -> Reply {
    let mut req = app
        .client
        .get(app.url(path))
        .header("Accept", "text/html,application/xhtml+xml");
    if !cookies.is_empty() {
        req = req.header("Cookie", cookies);
    }
    if !accept_language.is_empty() {
        req = req.header("Accept-Language", accept_language);
    }
    Reply::read(req.send().await.expect("send")).await
}

async fn first_artwork(app: &TestApp) -> (String, String) {
    let list = app.get("/api/v1/artworks?sort=price_asc").await;
    let item = &list.ok(200)["items"][0];
    (
        item["id"].as_str().expect("id").to_string(),
        item["artist"]["slug"].as_str().expect("slug").to_string(),
    )
}

/// Whatever the page loads, it loads from here: no other origin in a src or srcset, or in a
/// `<link>`'s href (a stylesheet, an icon). A link for the visitor to follow (`<a href>`, the
/// NGO's WhatsApp chat) loads nothing until they follow it.
fn loads_nothing_from_elsewhere(html: &str) {
    let elsewhere = |value: &str| {
        (value.starts_with("http") || value.starts_with("//")) && !value.contains("127.0.0.1")
    };
    for attr in ["src=\"", "srcset=\""] {
        for part in html.split(attr).skip(1) {
            let value = part.split('"').next().unwrap_or("");
            assert!(!elsewhere(value), "{attr}{value}");
        }
    }
    for tag in html.split("<link ").skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        if let Some(value) = tag
            .split("href=\"")
            .nth(1)
            .and_then(|v| v.split('"').next())
        {
            assert!(!elsewhere(value), "<link href=\"{value}\"");
        }
    }
}

fn assert_page(reply: &Reply, status: u16) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.text);
    assert!(
        reply.content_type().starts_with("text/html"),
        "{}",
        reply.content_type()
    );
    let csp = reply.headers["content-security-policy"]
        .to_str()
        .expect("csp");
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(reply.headers["x-content-type-options"], "nosniff");
    assert_eq!(reply.headers["referrer-policy"], "no-referrer");
    assert!(!reply.text.contains("<script>"), "no inline script");
    assert!(reply.text.starts_with("<!doctype html>"));
    assert_eq!(reply.text.matches("<head>").count(), 1, "one head");
    assert_eq!(
        reply.text.matches("<meta charset").count(),
        1,
        "one charset"
    );
    loads_nothing_from_elsewhere(&reply.text);
}

#[tokio::test]
async fn every_page_renders_in_every_language() {
    let app = spawn_seeded_app().await;
    let (artwork, artist) = first_artwork(&app).await;
    let paths = [
        "/".to_string(),
        "/artworks".into(),
        "/artworks?status=sold&sort=price_desc&page=1".into(),
        format!("/artworks/{artwork}"),
        format!("/artworks/{artwork}/buy"),
        format!("/artists/{artist}"),
        "/country".into(),
    ];
    for (lang, dir, word) in [
        ("en", "ltr", "Paintings"),
        ("sv", "ltr", "Målningar"),
        ("fa", "rtl", "نقاشی‌ها"),
    ] {
        for path in &paths {
            let reply = page(&app, path, &format!("lang={lang}; country=SE"), "").await;
            assert_page(&reply, 200);
            assert!(
                reply
                    .text
                    .contains(&format!("<html lang=\"{lang}\" dir=\"{dir}\">")),
                "{path} in {lang}"
            );
            assert!(reply.text.contains(word), "{path} in {lang} says {word}");
        }
    }
}

#[tokio::test]
async fn the_browser_language_and_region_pick_the_first_visit() {
    let app = spawn_seeded_app().await;
    let (artwork, _) = first_artwork(&app).await;
    let swedish = page(
        &app,
        &format!("/artworks/{artwork}"),
        "",
        "sv-SE,sv;q=0.9,en;q=0.5",
    )
    .await;
    assert_page(&swedish, 200);
    assert!(swedish.text.contains("<html lang=\"sv\""));
    // Sweden is the destination: a price, with shipping said plainly.
    assert!(swedish.text.contains("frakt ingår"), "{}", swedish.text);
    let german = page(&app, "/", "", "de").await;
    assert!(german.text.contains("<html lang=\"de\""));
    let unknown = page(&app, "/", "", "fr").await;
    assert!(unknown.text.contains("<html lang=\"en\""));
    // No region: the price to most countries, and the switch beside it.
    assert!(
        unknown.text.contains("to most countries") && unknown.text.contains("Another country?"),
        "{}",
        unknown.text
    );
}

#[tokio::test]
async fn the_switches_remember_language_and_destination() {
    let app = spawn_seeded_app().await;
    let lang = app.get("/lang/fa?next=/artworks").await;
    assert_eq!(lang.status, 303);
    assert_eq!(lang.headers["location"], "/artworks");
    let cookie = lang.headers["set-cookie"].to_str().expect("cookie");
    assert!(
        cookie.starts_with("lang=fa") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    // No open redirect.
    let away = app.get("/lang/sv?next=//evil.example/").await;
    assert_eq!(away.headers["location"], "/");

    let country = app.get("/country?code=se&next=/").await;
    assert_eq!(country.status, 303);
    assert!(
        country.headers["set-cookie"]
            .to_str()
            .expect("cookie")
            .starts_with("country=SE")
    );
    let bad = page(&app, "/country?code=XX", "", "").await;
    assert_page(&bad, 422);

    // Prices follow the destination: SEK for the Swedish artist, USD on the shared tiers.
    let se = page(&app, "/artworks", "country=SE", "").await;
    assert!(
        se.text.contains("SEK") && se.text.contains('$'),
        "{}",
        se.text
    );
    let af = page(&app, "/artworks", "country=AF; lang=fa", "").await;
    assert!(
        af.text.contains("دالر") || af.text.contains("افغانی"),
        "{}",
        af.text
    );
}

#[tokio::test]
async fn unknown_pages_are_the_shops_404_and_the_api_keeps_problem_json() {
    let app = spawn_seeded_app().await;
    let missing = page(&app, "/no/such/page", "lang=sv", "").await;
    assert_page(&missing, 404);
    assert!(missing.text.contains("Sidan finns inte"));
    let painting = page(&app, "/artworks/not-a-painting", "", "").await;
    assert_page(&painting, 404);
    let api = page(&app, "/api/v1/no-such", "", "").await;
    api.problem(404);
    // A wrong order token looks like a missing order.
    let order = page(&app, "/orders/anything?token=wrong", "", "").await;
    assert_page(&order, 404);
}

#[tokio::test]
async fn assets_have_hashed_names_and_are_kept_a_year() {
    let app = spawn_seeded_app().await;
    let home = page(&app, "/", "", "").await;
    let css = home
        .text
        .split("stylesheet\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("stylesheet")
        .replace("&#x2f;", "/");
    assert!(
        css.starts_with("/static/shop.") && css.ends_with(".css"),
        "{css}"
    );
    let served = app.get(&css).await;
    assert_eq!(served.status, 200);
    assert_eq!(
        served.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(served.text.contains("--accent"));
    assert_eq!(app.get("/static/shop.0000.css").await.status, 404);
    let sitemap = app.get("/sitemap.xml").await;
    assert!(
        sitemap
            .text
            .contains("<loc>http://127.0.0.1:8080/artworks/")
    );
    assert!(app.get("/robots.txt").await.text.contains("Sitemap:"));
    let icon = app.get("/favicon.ico").await;
    assert_eq!(icon.status, 200);
    assert!(icon.text.starts_with("<svg"));
}

/// The form's hidden Idempotency-Key.
fn form_key(html: &str) -> String {
    html.split("name=\"key\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("key in form")
        .to_string()
}

fn buy_fields(key: &str) -> Vec<(&'static str, String)> {
    vec![
        ("key", key.to_string()),
        ("name", "Anna Lind".into()),
        ("email", "anna@example.se".into()),
        ("phone", "+46 70 123 45 67".into()),
        ("line1", "Storgatan 1".into()),
        ("line2", String::new()),
        ("city", "Göteborg".into()),
        ("postal_code", "411 01".into()),
        ("region", String::new()),
        ("country", "SE".into()),
        ("note", "Tack!".into()),
        ("payment_method", "manual".into()),
    ]
}

/// Posts a form as a browser would; the visitor has chosen Sweden unless `cookies` says else.
async fn post_form(app: &TestApp, path: &str, fields: &[(&str, String)], cookies: &str) -> Reply {
    let cookies = if cookies.contains("country=") {
        cookies.to_string()
    } else {
        format!("{cookies}; country=SE")
    };
    let res = app
        .client
        .post(app.url(path))
        .header("Accept", "text/html")
        .header("Cookie", cookies)
        .header("Origin", app.address.clone())
        .form(fields)
        .send()
        .await
        .expect("send");
    Reply::read(res).await
}

#[tokio::test]
async fn buying_with_manual_payment_lands_on_the_order_page_once() {
    let app = spawn_seeded_app().await;
    let (artwork, _) = first_artwork(&app).await;
    let form = page(&app, &format!("/artworks/{artwork}/buy"), "country=SE", "").await;
    assert_page(&form, 200);
    let key = form_key(&form.text);
    let fields = buy_fields(&key);
    let placed = post_form(
        &app,
        &format!("/artworks/{artwork}/buy"),
        &fields,
        "country=SE",
    )
    .await;
    assert_eq!(placed.status, 303, "{}", placed.text);
    let location = placed.headers["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(
        location.starts_with("/orders/") && location.contains("?token="),
        "{location}"
    );
    // A double click: the same key and form, the same order.
    let again = post_form(
        &app,
        &format!("/artworks/{artwork}/buy"),
        &fields,
        "country=SE",
    )
    .await;
    assert_eq!(
        again.headers["location"].to_str().expect("location"),
        location
    );
    assert_eq!(
        order::Entity::find().count(&app.db).await.expect("count"),
        1
    );

    let order_page = page(&app, &location, "", "").await;
    assert_page(&order_page, 200);
    assert_eq!(order_page.headers["cache-control"], "no-store");
    assert!(order_page.text.contains("Waiting for payment"));
    assert!(
        order_page.text.contains("HN-"),
        "instructions with the reference"
    );
    assert!(
        !order_page.text.contains("Storgatan"),
        "no address on the page"
    );
    // The painting is no longer for sale.
    let painting = page(&app, &format!("/artworks/{artwork}"), "", "").await;
    assert!(painting.text.contains("Reserved"));
    assert!(!painting.text.contains("Buy this painting"));
}

#[tokio::test]
async fn form_errors_stand_next_to_their_fields_in_the_pages_language() {
    let app = spawn_seeded_app().await;
    let (artwork, _) = first_artwork(&app).await;
    let form = page(
        &app,
        &format!("/artworks/{artwork}/buy"),
        "lang=sv; country=SE",
        "",
    )
    .await;
    let mut fields = buy_fields(&form_key(&form.text));
    fields[1].1 = "   ".into(); // name
    fields[2].1 = "not-an-address".into(); // email
    let refused = post_form(
        &app,
        &format!("/artworks/{artwork}/buy"),
        &fields,
        "lang=sv",
    )
    .await;
    assert_page(&refused, 422);
    assert!(refused.text.contains("id=\"e-name\""), "{}", refused.text);
    assert!(refused.text.contains("Fyll i det här."));
    assert!(refused.text.contains("Det här är ingen e-postadress."));
    assert!(refused.text.contains("aria-invalid=\"true\""));
    // What was typed stays; the refused key is replaced by a fresh one.
    assert!(refused.text.contains("Storgatan 1"));
    assert_ne!(form_key(&refused.text), fields[0].1);
    assert_eq!(
        order::Entity::find().count(&app.db).await.expect("count"),
        0
    );
}

#[tokio::test]
async fn losing_the_race_is_a_kind_just_sold_page() {
    let app = spawn_seeded_app().await;
    let (artwork, _) = first_artwork(&app).await;
    let form = page(&app, &format!("/artworks/{artwork}/buy"), "country=SE", "").await;
    let key = form_key(&form.text);
    // Someone else is quicker.
    app.place_order(&new_key(), &order_body(&artwork))
        .await
        .ok(201);
    let late = post_form(
        &app,
        &format!("/artworks/{artwork}/buy"),
        &buy_fields(&key),
        "",
    )
    .await;
    assert_page(&late, 409);
    assert!(late.text.contains("Just sold"), "{}", late.text);
    assert!(
        late.text.contains("/artworks/"),
        "other paintings are offered"
    );
}

#[tokio::test]
async fn two_browsers_buying_one_painting_make_one_order() {
    let app = spawn_seeded_app().await;
    let (artwork, _) = first_artwork(&app).await;
    let mut requests = Vec::new();
    for i in 0..6 {
        let mut fields = buy_fields(&new_key());
        fields[2].1 = format!("buyer{i}@example.org");
        requests.push(
            app.client
                .post(app.url(&format!("/artworks/{artwork}/buy")))
                .header("Origin", app.address.clone())
                .header("Cookie", "country=SE")
                .form(&fields),
        );
    }
    let replies = crate::helpers::all_at_once(requests).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 303).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 303 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(
        order::Entity::find().count(&app.db).await.expect("count"),
        1
    );
}

#[tokio::test]
async fn a_form_posted_from_another_site_changes_nothing() {
    let app = spawn_seeded_app().await;
    let (artwork, _) = first_artwork(&app).await;
    for (header, value) in [
        ("Origin", "https://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
    ] {
        let res = app
            .client
            .post(app.url(&format!("/artworks/{artwork}/buy")))
            .header(header, value)
            .form(&buy_fields(&new_key()))
            .send()
            .await
            .expect("send");
        let reply = Reply::read(res).await;
        assert_page(&reply, 403);
    }
    assert_eq!(
        order::Entity::find().count(&app.db).await.expect("count"),
        0
    );
}

#[tokio::test]
async fn card_payment_goes_to_stripes_checkout_page() {
    let stripe = StripeMock::start().await;
    let app = stripe.app().seeded().spawn().await;
    let (artwork, _) = first_artwork(&app).await;
    let form = page(&app, &format!("/artworks/{artwork}/buy"), "country=SE", "").await;
    assert!(form.text.contains("value=\"stripe\""));
    let mut fields = buy_fields(&form_key(&form.text));
    fields[11].1 = "stripe".into();
    let placed = post_form(&app, &format!("/artworks/{artwork}/buy"), &fields, "").await;
    assert_eq!(placed.status, 303, "{}", placed.text);
    let location = placed.headers["location"].to_str().expect("location");
    assert!(
        location.starts_with("https://checkout.stripe.com/"),
        "{location}"
    );
}

#[tokio::test]
async fn no_private_field_reaches_any_shop_page() {
    let app = spawn_seeded_app().await;
    let token = app.admin_token().await;
    let artists = app.admin_get(&token, "/api/v1/admin/artists").await;
    for (i, artist) in artists.ok(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .enumerate()
    {
        let id = artist["id"].as_str().expect("id");
        app.admin_patch(
            &token,
            &format!("/api/v1/admin/artists/{id}"),
            json!({"email": format!("private-mail-{i}@marker.example"), "phone": "+93 700 111 222",
                   "notes": format!("PRIVATE-NOTE-MARKER-{i}")}),
        )
        .await
        .ok(200);
    }
    let mut body = order_body(&first_artwork(&app).await.0);
    body["buyer"]["email"] = json!("buyer-marker@example.org");
    body["shipping_address"]["line1"] = json!("BUYER-STREET-MARKER 9");
    let placed = app.place_order(&new_key(), &body).await;
    let placed = placed.ok(201);
    let order_path = format!(
        "/orders/{}?token={}",
        placed["order"]["id"].as_str().expect("id"),
        placed["access_token"].as_str().expect("token")
    );
    let mut paths = vec![
        "/".to_string(),
        "/artworks".into(),
        "/artworks?status=sold".into(),
        "/country".into(),
        "/sitemap.xml".into(),
        order_path,
    ];
    let list = app.get("/api/v1/artworks?per_page=100").await;
    for a in list.ok(200)["items"].as_array().expect("items") {
        let id = a["id"].as_str().expect("id");
        paths.push(format!("/artworks/{id}"));
        paths.push(format!("/artworks/{id}/buy"));
        paths.push(format!(
            "/artists/{}",
            a["artist"]["slug"].as_str().expect("slug")
        ));
    }
    for path in &paths {
        for lang in ["en", "fa"] {
            let reply = page(&app, path, &format!("lang={lang}; country=SE"), "").await;
            for marker in [
                "marker.example",
                "700 111 222",
                "NOTE-MARKER",
                "BUYER-STREET-MARKER",
                "buyer-marker@",
            ] {
                assert!(!reply.text.contains(marker), "{path} shows {marker}");
            }
        }
    }
}

#[tokio::test]
async fn a_fresh_demo_shop_has_pictures_in_every_size() {
    let app = builder()
        .seeded()
        .env("SEED_PICTURES", "true")
        .spawn()
        .await;
    let home = page(&app, "/", "country=SE", "").await;
    assert_page(&home, 200);
    assert!(home.text.contains("<picture>"), "{}", home.text);
    assert!(home.text.contains("type=\"image/webp\""));
    // Real sizes, so nothing jumps; the first cards load at once, the rest lazily.
    assert!(
        home.text.contains("width=\"1200\" height=\"900\"")
            || home.text.contains("width=\"900\" height=\"1200\"")
    );
    assert!(home.text.contains("loading=\"lazy\""));
    let (artwork, _) = first_artwork(&app).await;
    let painting = page(&app, &format!("/artworks/{artwork}"), "", "").await;
    assert!(
        painting
            .text
            .contains("property=\"og:image\" content=\"http://127.0.0.1:8080/media/"),
        "{}",
        painting.text
    );
    // Every variant the page names is served.
    let src = painting
        .text
        .split("<img src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("img")
        .replace("&#x2f;", "/")
        .replace("http://127.0.0.1:8080", "");
    assert_eq!(app.get(&src).await.status, 200, "{src}");
}

#[tokio::test]
async fn the_price_shown_is_the_price_charged() {
    let app = spawn_seeded_app().await;
    let (artwork, _) = first_artwork(&app).await;
    // No destination yet: the form asks for one first, and comes back.
    let form = page(&app, &format!("/artworks/{artwork}/buy"), "", "").await;
    assert_eq!(form.status, 303);
    let to = form.headers["location"].to_str().expect("location");
    assert!(
        to.starts_with("/country?next=") && to.contains("buy"),
        "{to}"
    );
    // The destination is the banner's: a country typed into the form changes nothing.
    let form = page(&app, &format!("/artworks/{artwork}/buy"), "country=AF", "").await;
    let mut fields = buy_fields(&form_key(&form.text));
    fields[9].1 = "SE".into();
    let placed = post_form(
        &app,
        &format!("/artworks/{artwork}/buy"),
        &fields,
        "country=AF",
    )
    .await;
    assert_eq!(placed.status, 303, "{}", placed.text);
    let quote = app
        .get(&format!("/api/v1/artworks/{artwork}/quote?country=AF"))
        .await;
    let order = order::Entity::find()
        .one(&app.db)
        .await
        .expect("q")
        .expect("order");
    assert_eq!(order.ship_country, "AF");
    let amount = hunar::money::stored_amount(order.amount_minor, &order.currency).to_string();
    assert_eq!(amount, quote.ok(200)["amount"].as_str().expect("amount"));

    // A link shared from a page with a destination previews that price; without one, none.
    let second = app.get("/api/v1/artworks?country=SE").await;
    let second = &second.ok(200)["items"][0];
    let id = second["id"].as_str().expect("id");
    let shared = page(&app, &format!("/artworks/{id}"), "country=SE", "").await;
    let price = &second["price"];
    for (property, value) in [
        ("og:price:amount", price["amount"].as_str().expect("amount")),
        (
            "og:price:currency",
            price["currency"].as_str().expect("currency"),
        ),
    ] {
        assert!(
            shared.text.contains(&format!(
                "<meta property=\"{property}\" content=\"{value}\">"
            )),
            "{property}: {}",
            shared.text
        );
    }
    // The footer says where the money goes as the ledger does it: not all to the artist.
    assert!(
        shared
            .text
            .contains("keeps the share it agreed with each artist")
            && !shared
                .text
                .contains("shipping included, goes to the artist"),
        "{}",
        shared.text
    );
    // With no destination chosen (a link preview's fetcher never has one): the price to most
    // countries, with the switch beside it and the Buy button, not "choose a country" alone.
    let usual = page(&app, &format!("/artworks/{id}"), "", "").await;
    let international = second["prices"]
        .as_array()
        .expect("prices")
        .iter()
        .find(|p| p["zone"] == "International")
        .expect("the fallback zone's price");
    assert!(
        usual.text.contains(&format!(
            "<meta property=\"og:price:amount\" content=\"{}\">",
            international["amount"].as_str().expect("amount")
        )) && usual.text.contains("to most countries")
            && usual.text.contains("Another country?")
            && usual.text.contains(&format!("href=\"/artworks/{id}/buy\"")),
        "{}",
        usual.text
    );
    let home = page(&app, "/", "", "").await;
    assert!(home.text.contains("to most countries"), "{}", home.text);
}

/// The home page is kept for a moment (like the catalog API), per language, destination and
/// URL, but never past a change: a coordinator's edit and a buyer's order show at once.
#[tokio::test]
async fn the_home_page_is_kept_but_never_outlives_a_change() {
    let app = builder().env("CATALOG_CACHE_MS", "60000").spawn().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let home = |cookies: &'static str| page(&app, "/", cookies, "");
    let path = format!("/artworks/{}", catalog.artwork);
    for cookies in [
        "lang=en; country=SE",
        "lang=fa; country=SE",
        "lang=en; country=US",
    ] {
        let first = home(cookies).await;
        assert_page(&first, 200);
        assert!(
            first.text.contains(&path),
            "{cookies}: the painting is listed"
        );
        assert_eq!(home(cookies).await.text, first.text, "{cookies}: kept");
    }
    // Each language and destination has its own page.
    assert!(
        home("lang=fa; country=SE")
            .await
            .text
            .contains("dir=\"rtl\"")
    );
    assert!(
        !home("lang=en; country=SE")
            .await
            .text
            .contains("dir=\"rtl\"")
    );

    app.admin_patch(
        &token,
        &format!("/api/v1/admin/artworks/{}", catalog.artwork),
        json!({"title": "Kites over Kabul"}),
    )
    .await
    .ok(200);
    assert!(
        home("lang=en; country=SE")
            .await
            .text
            .contains("Kites over Kabul")
    );

    let placed = app
        .place_order(&new_key(), &order_body(&catalog.artwork))
        .await;
    placed.ok(201);
    for cookies in ["lang=en; country=SE", "lang=fa; country=SE"] {
        assert!(
            !home(cookies).await.text.contains(&path),
            "{cookies}: a reserved painting leaves the home page at once"
        );
    }
}

#[tokio::test]
async fn what_reached_the_artists_is_a_page_in_every_language_with_no_private_detail() {
    let app = crate::helpers::spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let placed = app
        .place_order(
            &crate::helpers::new_key(),
            &crate::helpers::order_body(&catalog.artwork),
        )
        .await;
    let order = placed.ok(201)["order"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    app.admin_post(
        &token,
        &format!("/api/v1/admin/orders/{order}/confirm-payment"),
        serde_json::json!({"reference": "bank 5"}),
    )
    .await
    .ok(200);
    app.request(
        reqwest::Method::PUT,
        &format!("/api/v1/admin/artists/{}/payout-terms", catalog.artist),
        Some(&token),
        Some(serde_json::json!({"ngo_share_percent": "0", "transparency": true, "consent_how": "in person"})),
    )
    .await
    .ok(200);
    // The sale, moved to a quarter that has ended.
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        "UPDATE ledger_entries SET created_at = '2026-03-02 10:00:00+00:00'",
    )
    .await
    .expect("backdate");
    app.state.catalog_cache.invalidate();
    for (lang, title, sold) in [
        ("en", "What reached the artists", "1 painting sold"),
        ("sv", "Det som nådde konstnärerna", "1 målning såld"),
        ("fa", "آنچه به هنرمندان رسید", "نقاشی فروخته شد"),
    ] {
        let page = app
            .client
            .get(app.url("/transparency"))
            .header("Cookie", format!("lang={lang}"))
            .send()
            .await
            .expect("page");
        assert_eq!(page.status(), 200);
        let html = page.text().await.expect("html");
        assert!(html.contains(title), "{lang}: {html}");
        assert!(html.contains(sold), "{lang}");
        assert!(html.contains("2026-Q1") && html.contains("/artists/test-painter"));
        for private in ["Anna", "anna@", "Göteborg", "bank 5", "HN-", &order] {
            assert!(!html.contains(private), "{lang}: `{private}` on the page");
        }
    }
    let home = app.get("/").await;
    assert!(home.text.contains("href=\"/transparency\""));
}

/// A painting described in Dari with a Swedish translation: a Swedish reader gets the Swedish
/// words, an English one the Dari words marked as Dari (never under an English label as if
/// they were English); the API says which is which; a language the shop does not speak is
/// refused by name.
#[tokio::test]
async fn a_paintings_words_are_shown_in_the_readers_language_or_as_written_and_marked() {
    let app = builder().spawn().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let path = format!("/api/v1/admin/artworks/{}", catalog.artwork);
    let patched = app
        .admin_patch(
            &token,
            &path,
            json!({"description": "کوه‌های بامیان در غروب", "medium": "رنگ روغن روی بوم",
                   "text_lang": "fa",
                   "translations": {"sv": {"description": "Bamiyans berg i skymningen",
                                           "medium": "Olja på duk"},
                                    "fa": {"description": "dropped: the words as written are Dari"}}}),
        )
        .await;
    let patched = patched.ok(200);
    assert_eq!(patched["text_lang"], "fa");
    assert_eq!(
        patched["translations"],
        json!({"sv": {"description": "Bamiyans berg i skymningen", "medium": "Olja på duk"}})
    );
    let public = app
        .get(&format!("/api/v1/artworks/{}", catalog.artwork))
        .await;
    let public = public.ok(200);
    assert_eq!(public["text_lang"], "fa");
    assert_eq!(public["translations"]["sv"]["medium"], "Olja på duk");

    let page_path = format!("/artworks/{}", catalog.artwork);
    let swedish = page(&app, &page_path, "lang=sv", "").await;
    assert!(
        swedish.text.contains(r#"<bdi lang="sv">Olja på duk</bdi>"#),
        "{}",
        swedish.text
    );
    assert!(
        swedish
            .text
            .contains(r#"lang="sv">Bamiyans berg i skymningen</p>"#)
    );
    assert!(!swedish.text.contains("رنگ روغن روی بوم"));
    let english = page(&app, &page_path, "lang=en", "").await;
    assert!(
        english
            .text
            .contains(r#"<bdi lang="fa">رنگ روغن روی بوم</bdi>"#),
        "{}",
        english.text
    );

    // Only the shop's languages; a patch without translations keeps them.
    let refused = app
        .admin_patch(
            &token,
            &path,
            json!({"translations": {"de": {"medium": "Öl"}}}),
        )
        .await;
    refused.problem(422);
    let refused = app
        .admin_patch(&token, &path, json!({"text_lang": "de"}))
        .await;
    assert_eq!(refused.problem(422)["errors"][0]["field"], "text_lang");
    let kept = app
        .admin_patch(&token, &path, json!({"title": "Bamiyan"}))
        .await;
    assert_eq!(kept.ok(200)["translations"]["sv"]["medium"], "Olja på duk");
}
