//! What the security review of 2026-12-06 found, each tried as the attacker did: a link that
//! leaves the site, the API viewer's script, oversized sign-ins, paragraphs in one-line
//! fields, caches a query string bypasses, HSTS. (Files' modes are in `cli.rs`, a link in a
//! backup in `backups.rs`, the CSV and the forwarded header in the unit tests.)
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::*;

fn location(reply: &Reply) -> &str {
    reply
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Browsers drop a tab or a line break from a URL and read `\` as `/`: `/<TAB>/evil.example`
/// is `//evil.example`, another site. No `next` may lead off the site, in any switch.
#[tokio::test]
async fn no_next_link_leads_off_the_site() {
    let app = spawn_app().await;
    let sneaky = [
        "/%09/evil.example/",
        "/%0A/evil.example",
        "/%0D%0A/evil.example",
        "/%20/evil.example",
        "/%5C/evil.example",
        "//evil.example",
        "/%2F/evil.example",
        "https://evil.example/",
        "/\\evil.example",
    ];
    for next in sneaky {
        for path in [
            format!("/lang/en?next={next}"),
            format!("/country?code=SE&next={next}"),
        ] {
            let reply = app.get(&path).await;
            assert_eq!(reply.status.as_u16(), 303, "{path}: {}", reply.text);
            let to = location(&reply);
            assert!(
                to.starts_with('/')
                    && !to.starts_with("//")
                    && !to.contains('\\')
                    && !to.chars().any(|c| c.is_control() || c.is_whitespace()),
                "{path} goes to {to:?}"
            );
            assert!(!to.contains("evil"), "{path} goes to {to:?}");
        }
        // The console's sign-in page keeps a `next` to go to after signing in.
        let page = app.get(&format!("/admin/sign-in?next={next}")).await;
        assert!(
            page.text.contains(r#"name="next" value="/admin""#),
            "{next}: {}",
            page.text
        );
    }
    // A path on the site comes back as it was.
    let reply = app.get("/lang/sv?next=%2Fartworks%3Fpage%3D2").await;
    assert_eq!(location(&reply), "/artworks?page=2");
}

/// The viewer is served from the binary: every script and style from this origin, under
/// the pages' policy, and nothing it asks of another site; `API_DOCS=off` removes it.
#[tokio::test]
async fn the_api_viewer_loads_nothing_from_another_origin_and_can_be_turned_off() {
    let app = spawn_app().await;
    let moved = app.get("/docs").await;
    assert_eq!(location(&moved), "/docs/");
    let page = app.get("/docs/").await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text);
    let policy = page.headers["content-security-policy"]
        .to_str()
        .expect("ascii");
    assert_eq!(policy, hunar::headers::csp(None));
    assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe"));
    for attribute in ["src=\"", "href=\""] {
        for (i, _) in page.text.match_indices(attribute) {
            let url = &page.text[i + attribute.len()..];
            assert!(
                !url.starts_with("http") && !url.starts_with("//"),
                "{}",
                &url[..url.len().min(60)]
            );
        }
    }
    let init = app.get("/docs/swagger-initializer.js").await;
    assert_eq!(init.status.as_u16(), 200);
    assert!(
        init.text.contains(r#""url": "/api/openapi.json""#),
        "{}",
        init.text
    );
    assert!(
        init.text.contains(r#""validatorUrl": "none""#),
        "{}",
        init.text
    );
    for script in ["swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"] {
        let file = app.get(&format!("/docs/{script}")).await;
        assert_eq!(file.status.as_u16(), 200, "{script}");
    }

    let off = builder().env("API_DOCS", "off").spawn().await;
    assert_eq!(off.get("/docs/").await.status.as_u16(), 404);
    assert_eq!(off.get("/docs").await.status.as_u16(), 404);
    assert_eq!(off.get("/api/openapi.json").await.status.as_u16(), 200);
}

/// An address over 254 characters or a password over 1,024 bytes is refused before any
/// limiter counts it or Argon2 hashes it: a burst of them is not kept in memory for an
/// hour, and does not use up the client's sign-in attempts.
#[tokio::test]
async fn oversized_sign_in_input_is_refused_before_any_work() {
    let app = builder().default_limits().spawn().await;
    app.admin_token().await;
    let long_email = format!("{}@example.org", "a".repeat(60_000));
    for _ in 0..30 {
        app.login(&long_email, "whatever")
            .await
            .invalid_field("email");
    }
    let long_password = "p".repeat(1025);
    for _ in 0..30 {
        app.login(ADMIN_EMAIL, &long_password)
            .await
            .invalid_field("password");
    }
    // 1,024 bytes is still a password (wrong here, so a 401, counted as one).
    let most = "ü".repeat(512);
    assert_eq!(app.login(ADMIN_EMAIL, &most).await.status.as_u16(), 401);
    // Sixty refusals did not use up the client's twenty attempts a minute.
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.ok(200);
    // The console's form is refused the same way, without echoing the address back.
    let form = app
        .client
        .post(app.url("/admin/sign-in"))
        .header("origin", &app.address)
        .form(&[
            (
                "email",
                format!("{}@example.org", "a".repeat(1000)).as_str(),
            ),
            ("password", "x"),
        ])
        .send()
        .await
        .expect("send");
    let form = Reply::read(form).await;
    assert_eq!(form.status.as_u16(), 422);
    assert!(!form.text.contains(&"a".repeat(300)));
}

/// A one-line field with a line break would put a buyer's paragraph into the NGO's emails
/// as if the NGO wrote it: refused with a 422 naming the field, and nothing is held or kept.
#[tokio::test]
async fn a_line_break_in_a_one_line_field_is_refused_and_nothing_is_kept() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let forged = "Stockholm.\n\nThe coordinator asks: send a photo of your ID to +93 700 000 000";
    let cases: [(&str, &[&str], serde_json::Value); 8] = [
        (
            "shipping_address.city",
            &["shipping_address", "city"],
            json!(forged),
        ),
        (
            "shipping_address.line1",
            &["shipping_address", "line1"],
            json!("Storgatan 1\r\nPS"),
        ),
        (
            "shipping_address.line2",
            &["shipping_address", "line2"],
            json!("lgh\u{2028}1102"),
        ),
        (
            "shipping_address.postal_code",
            &["shipping_address", "postal_code"],
            json!("411\t01"),
        ),
        (
            "shipping_address.region",
            &["shipping_address", "region"],
            json!("V\u{85}G"),
        ),
        ("buyer.name", &["buyer", "name"], json!("Anna\nLind")),
        ("buyer.phone", &["buyer", "phone"], json!("+46 70\n123")),
        (
            "buyer.email",
            &["buyer", "email"],
            json!("anna@example.se\n"),
        ),
    ];
    for (field, path, value) in cases {
        let mut body = order_body(&catalog.artwork);
        body[path[0]][path[1]] = value;
        app.place_order(&new_key(), &body)
            .await
            .invalid_field(field);
    }
    assert_eq!(artwork_status(&app, &catalog.artwork).await, "available");
    let orders = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) FROM orders",
        ))
        .await
        .expect("count")
        .expect("row");
    assert_eq!(orders.try_get_by_index::<i64>(0).expect("n"), 0);

    // The coordinator's one-line fields too.
    let title = app
        .admin_patch(
            &token,
            &format!("/api/v1/admin/artworks/{}", catalog.artwork),
            json!({"title": "Kites\nover a hill"}),
        )
        .await;
    title.invalid_field("title");
    let artist = app
        .admin_post(
            &token,
            "/api/v1/admin/artists",
            json!({"display_name": "Shabnam\r\nR"}),
        )
        .await;
    artist.invalid_field("display_name");
    // The order's note may keep its line breaks.
    let mut body = order_body(&catalog.artwork);
    body["note"] = json!("Tack!\n\nHälsningar, Anna");
    app.place_order(&new_key(), &body).await.ok(201);
}

/// Change what a cached page shows behind the server's back (no write through it empties
/// the cache), then ask again with another query string: a page that reads no parameter
/// is the same entry, so the answer is the one kept, not a new read of the database.
#[tokio::test]
async fn a_query_string_does_not_bypass_the_public_caches() {
    let app = builder().env("CATALOG_CACHE_MS", "60000").spawn().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    app.request(
        reqwest::Method::PUT,
        &format!("/api/v1/admin/artists/{}/payout-terms", catalog.artist),
        Some(&token),
        Some(json!({"ngo_share_percent": "0", "transparency": true, "consent_how": "in person"})),
    )
    .await
    .ok(200);
    // A sale in a quarter that has ended, so the report has something to show.
    let placed = app
        .place_order(&new_key(), &order_body(&catalog.artwork))
        .await;
    let order = placed.ok(201)["order"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    app.admin_post(
        &token,
        &format!("/api/v1/admin/orders/{order}/confirm-payment"),
        json!({"reference": "bank 1"}),
    )
    .await
    .ok(200);
    app.db
        .execute_unprepared("UPDATE ledger_entries SET created_at = '2026-06-15 12:00:00+00:00'")
        .await
        .expect("backdate");
    app.state.catalog_cache.invalidate();
    let html = |path: &'static str| {
        let app = &app;
        async move {
            let res = app
                .client
                .get(app.url(path))
                .header("accept", "text/html")
                .header("cookie", "lang=en; country=SE")
                .send()
                .await
                .expect("get");
            Reply::read(res).await
        }
    };
    let first = [
        app.get("/api/v1/transparency?a=1").await,
        html("/transparency?a=1").await,
        html("/?a=1").await,
        app.get("/api/v1/artworks?country=SE&status=sold&a=1").await,
        app.get("/sitemap.xml").await,
    ];
    for reply in &first {
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert!(
            reply.text.contains("Test Painter") || reply.text.contains("test-painter"),
            "{}",
            reply.text
        );
    }
    for sql in [
        "UPDATE artists SET display_name = 'Renamed Painter', slug = 'renamed-painter'",
        "DELETE FROM catalog_cards",
        "UPDATE ledger_entries SET created_at = '2099-01-01 00:00:00+00:00'",
    ] {
        app.db.execute_unprepared(sql).await.expect("change");
    }
    let again = [
        app.get("/api/v1/transparency?a=2").await,
        html("/transparency?a=2").await,
        html("/?b=2").await,
        app.get("/api/v1/artworks?a=2&status=sold&country=SE").await,
        app.get("/sitemap.xml?x=1").await,
    ];
    for (before, after) in first.iter().zip(&again) {
        assert_eq!(after.status.as_u16(), 200, "{}", after.text);
        assert!(
            !after.text.contains("Renamed") && !after.text.contains("renamed-painter"),
            "read again: {}",
            &after.text[..after.text.len().min(400)]
        );
        if before.content_type().starts_with("application/json") {
            assert_eq!(before.body, after.body);
        } else {
            assert_eq!(before.text, after.text);
        }
    }
    // The switches on the cached pages lead back to the page itself, not to a query.
    assert!(
        again[1].text.contains("/lang/sv?next=/transparency\""),
        "{}",
        again[1].text
    );
}

/// Over https, browsers are told to come back only over https, for a year.
#[tokio::test]
async fn https_sites_send_strict_transport_security() {
    let https = builder()
        .env("PUBLIC_BASE_URL", "https://shop.example.org")
        .spawn()
        .await;
    for path in ["/", "/api/v1/artworks", "/admin/sign-in", "/no/such/page"] {
        let reply = https.get(path).await;
        assert_eq!(
            reply.headers["strict-transport-security"], "max-age=31536000",
            "{path}"
        );
    }
    let http = spawn_app().await;
    assert!(
        !http
            .get("/")
            .await
            .headers
            .contains_key("strict-transport-security")
    );
}

/// The document states each rule the server keeps, in the same words: amounts, percentages,
/// rates and currencies as patterns and an enum, `price` as one shape and `prices` as a
/// list, photos as the formats they are served in. A client generated from it (or a fuzzer)
/// meets no surprise.
#[tokio::test]
async fn the_document_states_amounts_currencies_and_prices_as_the_server_keeps_them() {
    use hunar::money::wire;
    let app = spawn_app().await;
    let doc = app.get("/api/openapi.json").await.ok(200).clone();
    let schema = |name: &str| doc["components"]["schemas"][name].clone();
    for (component, field, pattern) in [
        ("PayoutInput", "amount", wire::AMOUNT),
        ("ShippingCostInput", "amount", wire::AMOUNT),
        ("PriceInput", "amount", wire::AMOUNT),
        ("MoneyDto", "amount", wire::AMOUNT),
        ("TermsInput", "ngo_share_percent", wire::PERCENT),
        ("PayoutInput", "exchange_rate", wire::RATE),
        ("EntryView", "amount", wire::SIGNED_AMOUNT),
        ("ZonePrice", "amount", wire::SIGNED_AMOUNT),
        ("ZonePrice", "currency", wire::CURRENCY),
        ("Quote", "currency", wire::CURRENCY),
    ] {
        assert_eq!(
            schema(component)["properties"][field]["pattern"],
            pattern,
            "{component}.{field}"
        );
    }
    let codes = schema("CurrencyCode")["enum"].clone();
    let codes = codes.as_array().expect("an enum");
    assert!(codes.contains(&json!("SEK")) && codes.contains(&json!("AFN")));
    assert!(!codes.contains(&json!("XAU")), "no minor unit, no price");
    for code in codes {
        let code = code.as_str().expect("a code");
        assert!(hunar::money::Currency::parse(code).is_ok(), "{code}");
    }
    assert_eq!(
        schema("MoneyDto")["properties"]["currency"]["$ref"],
        "#/components/schemas/CurrencyCode"
    );
    // One shape each: `price` a price or null, `prices` always a list.
    let view = schema("ArtworkView");
    assert_eq!(view["properties"]["prices"]["type"], "array");
    let price = view["properties"]["price"].to_string();
    assert!(
        price.contains("#/components/schemas/ZonePrice") && !price.contains("array"),
        "{price}"
    );
    assert!(doc["components"]["schemas"].get("Price").is_none());
    // An exchange rate and its currency come together; a zone not the fallback has a country.
    assert!(schema("PayoutInput")["allOf"].is_array());
    assert!(schema("ZoneInput")["allOf"].is_array());
    assert_eq!(schema("OrderRequest")["additionalProperties"], false);
    assert_eq!(
        doc["components"]["schemas"]["BuyerInput"]["properties"]["email"]["maxLength"],
        254
    );
    let media = doc["paths"]["/media/{key}"]["get"]["responses"]["200"]["content"].clone();
    assert!(
        media.get("image/jpeg").is_some() && media.get("image/webp").is_some(),
        "{media}"
    );
}
