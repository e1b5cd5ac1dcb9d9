use serde_json::{Value, json};

use crate::helpers::{Reply, id_of, spawn_app, spawn_seeded_app};

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["title"].as_str().unwrap_or("").to_string())
        .collect()
}

async fn artwork_id(app: &crate::helpers::TestApp, artist: &str, title: &str) -> String {
    let page = app
        .get(&format!("/api/v1/artworks?artist={artist}&per_page=100"))
        .await;
    page.ok(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|a| a["title"] == title)
        .map(id_of)
        .unwrap_or_else(|| panic!("{title} not found"))
}

#[tokio::test]
async fn demo_prices_per_country_are_exact() {
    let app = spawn_seeded_app().await;
    let cases = [
        (
            "shabnam-r",
            "Bamiyan at dusk",
            "SE",
            "50.00",
            "USD",
            "International",
        ),
        (
            "shabnam-r",
            "Bamiyan at dusk",
            "US",
            "50.00",
            "USD",
            "International",
        ),
        (
            "shabnam-r",
            "Bamiyan at dusk",
            "AF",
            "45.00",
            "USD",
            "Afghanistan",
        ),
        (
            "shabnam-r",
            "Market in Herat",
            "SE",
            "100.00",
            "USD",
            "International",
        ),
        (
            "shabnam-r",
            "Market in Herat",
            "AF",
            "45.00",
            "USD",
            "Afghanistan",
        ),
        (
            "shabnam-r",
            "Mother's garden",
            "DE",
            "200.00",
            "USD",
            "International",
        ),
        (
            "farid-n",
            "Snow in Gothenburg",
            "SE",
            "1000.00",
            "SEK",
            "International",
        ),
        (
            "farid-n",
            "Letters home",
            "GB",
            "1000.00",
            "SEK",
            "International",
        ),
    ];
    for (artist, title, country, amount, currency, zone) in cases {
        let id = artwork_id(&app, artist, title).await;
        let quote = app
            .get(&format!("/api/v1/artworks/{id}/quote?country={country}"))
            .await;
        assert_eq!(
            quote.ok(200),
            &json!({"amount": amount, "currency": currency, "zone": zone, "shipping_included": true}),
            "{title} to {country}"
        );
        let detail = app
            .get(&format!("/api/v1/artworks/{id}?country={country}"))
            .await;
        assert_eq!(
            detail.ok(200)["price"],
            json!({"amount": amount, "currency": currency, "zone": zone})
        );
    }
    // Without a country: no price for a destination, and every zone's price in `prices`
    // (one shape each, whatever the query: a typed client needs no guard).
    let id = artwork_id(&app, "shabnam-r", "Bamiyan at dusk").await;
    let detail = app.get(&format!("/api/v1/artworks/{id}")).await;
    assert_eq!(detail.ok(200)["price"], Value::Null);
    let with_country = app.get(&format!("/api/v1/artworks/{id}?country=SE")).await;
    assert_eq!(with_country.ok(200)["prices"], detail.body["prices"]);
    let mut prices = detail.body["prices"]
        .as_array()
        .expect("every zone")
        .clone();
    prices.sort_by_key(|p| p["zone"].as_str().unwrap_or("").to_string());
    assert_eq!(
        prices,
        vec![
            json!({"amount": "45.00", "currency": "USD", "zone": "Afghanistan"}),
            json!({"amount": "50.00", "currency": "USD", "zone": "International"}),
        ]
    );
    // An unknown or malformed country is a 422, on the quote and on the listing.
    for country in ["XX", "se", "SWE", ""] {
        app.get(&format!("/api/v1/artworks/{id}/quote?country={country}"))
            .await
            .invalid_field("country");
    }
    app.get(&format!("/api/v1/artworks/{id}/quote"))
        .await
        .invalid_field("country");
    app.get("/api/v1/artworks?country=XX")
        .await
        .invalid_field("country");
    app.get("/api/v1/artworks/no-such-id/quote?country=SE")
        .await
        .problem(404);
}

#[tokio::test]
async fn artist_page_lists_their_tiers_and_prices() {
    let app = spawn_seeded_app().await;
    let farid = app.get("/api/v1/artists/farid-n?country=SE").await;
    let farid = farid.ok(200);
    assert_eq!(farid["display_name"], "Farid N.");
    assert_eq!(farid["artwork_count"], 2);
    assert_eq!(
        farid["size_tiers"][0]["prices"],
        json!([{"amount": "1000.00", "currency": "SEK", "zone": "International"}])
    );
    let shabnam = app.get("/api/v1/artists/shabnam-r").await;
    let tiers = shabnam.ok(200)["size_tiers"]
        .as_array()
        .expect("tiers")
        .clone();
    let names: Vec<&str> = tiers
        .iter()
        .map(|t| t["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, vec!["20×30 cm", "30×40 cm", "60×80 cm"]);
    assert_eq!(tiers[0]["prices"].as_array().map(Vec::len), Some(2));
    app.get("/api/v1/artists/nobody").await.problem(404);

    let list = app.get("/api/v1/artists").await;
    let list = list.ok(200);
    assert_eq!(list["total"], 2);
    assert!(
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|a| a["portrait"].is_null())
    );
}

#[tokio::test]
async fn filters_and_sorts() {
    let app = spawn_seeded_app().await;
    let asc = app
        .get("/api/v1/artworks?artist=shabnam-r&sort=price_asc&country=SE")
        .await;
    let amounts: Vec<String> = asc.ok(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["price"]["amount"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(amounts, vec!["50.00", "50.00", "100.00", "200.00"]);
    let desc = app
        .get("/api/v1/artworks?artist=shabnam-r&sort=price_desc")
        .await;
    assert_eq!(titles(desc.ok(200))[0], "Mother's garden");

    let all = app.get("/api/v1/artworks").await;
    assert_eq!(all.ok(200)["total"], 6);
    let tier_id = all.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|a| a["title"] == "Market in Herat")
        .map(|a| a["size_tier"]["id"].as_str().unwrap_or("").to_string())
        .expect("herat");
    let by_tier = app
        .get(&format!("/api/v1/artworks?size_tier={tier_id}"))
        .await;
    assert_eq!(titles(by_tier.ok(200)), vec!["Market in Herat"]);
    let nobody = app.get("/api/v1/artworks?artist=no-such-artist").await;
    assert_eq!(nobody.ok(200)["total"], 0);

    app.get("/api/v1/artworks?status=sold").await.ok(200);
    for status in ["draft", "withdrawn", "gone"] {
        app.get(&format!("/api/v1/artworks?status={status}"))
            .await
            .invalid_field("status");
    }
    app.get("/api/v1/artworks?sort=cheapest")
        .await
        .invalid_field("sort");
}

#[tokio::test]
async fn pagination_edges() {
    let app = spawn_seeded_app().await;
    for (query, field) in [
        ("page=0", "page"),
        ("per_page=1000", "per_page"),
        ("per_page=0", "per_page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        // Once a worker crash: an offset past what the database's integer holds.
        ("page=3688211477184307200&per_page=87", "page"),
        ("page=18446744073709551615", "page"),
    ] {
        app.get(&format!("/api/v1/artworks?{query}"))
            .await
            .invalid_field(field);
        app.get(&format!("/api/v1/artists?{query}"))
            .await
            .invalid_field(field);
    }
    let first = app.get("/api/v1/artworks?per_page=4&page=1").await;
    let second = app.get("/api/v1/artworks?per_page=4&page=2").await;
    let past = app.get("/api/v1/artworks?per_page=4&page=3").await;
    assert_eq!(first.ok(200)["items"].as_array().map(Vec::len), Some(4));
    assert_eq!(second.ok(200)["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(past.ok(200)["items"], json!([]));
    assert_eq!(past.body["total"], 6);
    assert_eq!(past.body["page"], 3);
    assert_eq!(past.body["per_page"], 4);
    let mut seen = titles(&first.body);
    seen.extend(titles(&second.body));
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 6, "pages overlap: {seen:?}");
    let max = app.get("/api/v1/artworks?per_page=100").await;
    assert_eq!(max.ok(200)["per_page"], 100);
    // Page after page is the whole list in its order (PostgreSQL reads the pages past the
    // first from the card the skipped ones end at).
    let mut paged = titles(&first.body);
    paged.extend(titles(&second.body));
    assert_eq!(paged, titles(&max.body));
    for per_page in [1, 5] {
        let mut paged = Vec::new();
        for page in 1..=7 {
            let got = app
                .get(&format!(
                    "/api/v1/artworks?per_page={per_page}&page={page}&sort=newest"
                ))
                .await;
            paged.extend(titles(got.ok(200)));
        }
        assert_eq!(paged, titles(&max.body), "{per_page} a page");
    }
}

#[tokio::test]
async fn drafts_and_withdrawn_are_invisible() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let draft = app
        .create_artwork(&token, &catalog.artist, &catalog.tier, "draft")
        .await;
    let withdrawn = app
        .create_artwork(&token, &catalog.artist, &catalog.tier, "withdrawn")
        .await;
    for id in [&draft, &withdrawn] {
        app.get(&format!("/api/v1/artworks/{id}"))
            .await
            .problem(404);
        app.get(&format!("/api/v1/artworks/{id}/quote?country=SE"))
            .await
            .problem(404);
    }
    assert_eq!(app.get("/api/v1/artworks").await.ok(200)["total"], 1);
    // An artist whose only work is a draft is not listed.
    let hidden = app
        .create_artist(&token, json!({"display_name": "Hidden", "slug": "hidden"}))
        .await;
    app.create_artwork(&token, &hidden, &catalog.tier, "draft")
        .await;
    let artists = app.get("/api/v1/artists").await;
    assert_eq!(artists.ok(200)["total"], 1);
    app.get("/api/v1/artists/hidden").await.problem(404);
}

#[tokio::test]
async fn an_override_replaces_the_tier_price_everywhere() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    app.admin_patch(
        &token,
        &format!("/api/v1/admin/artworks/{}", catalog.artwork),
        json!({"price_override": {"amount": "1500", "currency": "SEK"}}),
    )
    .await
    .ok(200);
    for country in ["AF", "SE"] {
        let quote = app
            .get(&format!(
                "/api/v1/artworks/{}/quote?country={country}",
                catalog.artwork
            ))
            .await;
        assert_eq!(quote.ok(200)["amount"], "1500.00");
        assert_eq!(quote.body["currency"], "SEK");
    }
}

#[tokio::test]
async fn a_country_without_a_zone_or_price_cannot_be_quoted() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    app.unpriced_zone_for_sweden(&token).await;
    let quote = app
        .get(&format!(
            "/api/v1/artworks/{}/quote?country=SE",
            catalog.artwork
        ))
        .await;
    quote.invalid_field("country");
    let detail = app
        .get(&format!("/api/v1/artworks/{}?country=SE", catalog.artwork))
        .await;
    assert!(detail.ok(200)["price"].is_null());
    let quote = app
        .get(&format!(
            "/api/v1/artworks/{}/quote?country=NO",
            catalog.artwork
        ))
        .await;
    assert_eq!(quote.ok(200)["amount"], "50.00");
}

/// Scans a public response for anything from an artist's private fields.
fn assert_no_private_data(reply: &Reply, secrets: &[&str]) {
    for secret in secrets {
        assert!(
            !reply.text.contains(secret),
            "private value {secret} leaked: {}",
            reply.text
        );
    }
    fn walk(v: &Value, path: &str) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    assert!(
                        !["email", "phone", "notes", "city", "preferred_language"]
                            .contains(&k.as_str()),
                        "private key {path}.{k} in public response"
                    );
                    walk(v, &format!("{path}.{k}"));
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, path)),
            _ => {}
        }
    }
    walk(&reply.body, "");
}

#[tokio::test]
async fn private_fields_never_appear_in_public_responses() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let secrets = [
        "secret.artist@example.org",
        "+93 799 123 456",
        "Lives near the old bazaar",
    ];
    app.admin_patch(
        &token,
        &format!("/api/v1/admin/artists/{}", catalog.artist),
        json!({"email": secrets[0], "phone": secrets[1], "notes": secrets[2], "preferred_language": "ps"}),
    )
    .await
    .ok(200);
    let slug = "test-painter";
    let id = &catalog.artwork;
    for path in [
        "/api/v1/artists".to_string(),
        format!("/api/v1/artists/{slug}"),
        format!("/api/v1/artists/{slug}?country=AF"),
        "/api/v1/artworks".to_string(),
        "/api/v1/artworks?country=SE&sort=price_asc".to_string(),
        format!("/api/v1/artworks?artist={slug}"),
        format!("/api/v1/artworks/{id}"),
        format!("/api/v1/artworks/{id}?country=AF"),
        format!("/api/v1/artworks/{id}/quote?country=SE"),
    ] {
        let reply = app.get(&path).await;
        reply.ok(200);
        assert_no_private_data(&reply, &secrets);
    }
    // The admin view has them.
    let admin = app
        .admin_get(&token, &format!("/api/v1/admin/artists/{}", catalog.artist))
        .await;
    assert_eq!(admin.ok(200)["email"], secrets[0]);
}

#[tokio::test]
async fn an_admin_edit_shows_on_public_pages_at_once() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let path = format!("/api/v1/artworks/{}?country=SE", catalog.artwork);
    assert_eq!(app.get(&path).await.ok(200)["title"], "Kites");
    assert_eq!(
        titles(app.get("/api/v1/artworks").await.ok(200)),
        vec!["Kites"]
    );
    app.admin_patch(
        &token,
        &format!("/api/v1/admin/artworks/{}", catalog.artwork),
        json!({"title": "Kites at noon"}),
    )
    .await
    .ok(200);
    assert_eq!(app.get(&path).await.ok(200)["title"], "Kites at noon");
    assert_eq!(
        titles(app.get("/api/v1/artworks").await.ok(200)),
        vec!["Kites at noon"]
    );
}

#[tokio::test]
async fn a_change_made_elsewhere_shows_after_the_cache_lifetime() {
    let (app, catalog) = cached_catalog("200").await;
    assert_eq!(app.get("/api/v1/artworks").await.ok(200)["total"], 1);
    // Another process (here: the database directly) withdraws the painting.
    withdraw_elsewhere(&app, &catalog.artwork).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        if app.get("/api/v1/artworks").await.ok(200)["total"] == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "stale page outlived the cache TTL"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A cached page is answered before its query is read (only built answers are kept), so
/// the cache must never let a bad query through: each bad query beside a cached good one
/// is still a 422, every time, and the good ones are served from memory.
#[tokio::test]
async fn the_microcache_answers_good_queries_and_still_refuses_bad_ones() {
    let (app, catalog) = cached_catalog("60000").await;
    let good = [
        "/api/v1/artworks?country=SE".to_string(),
        format!("/api/v1/artworks/{}?country=SE", catalog.artwork),
        "/api/v1/artists?per_page=10".to_string(),
        "/api/v1/artists/test-painter?country=SE".to_string(),
    ];
    let bad = [
        "/api/v1/artworks?country=SE&page=0".to_string(),
        "/api/v1/artworks?country=SE&sort=cheapest".to_string(),
        format!("/api/v1/artworks/{}?country=12", catalog.artwork),
        format!("/api/v1/artworks/{}?country=S", catalog.artwork),
        "/api/v1/artists?per_page=0".to_string(),
        "/api/v1/artists/test-painter?country=ZZ".to_string(),
    ];
    let first: Vec<Value> = futures_util::future::join_all(good.iter().map(|p| app.get(p)))
        .await
        .iter()
        .map(|reply| reply.ok(200).clone())
        .collect();
    // Another process withdraws the painting: this process's cached answers stay as they
    // were until they expire, which shows they are served from memory.
    withdraw_elsewhere(&app, &catalog.artwork).await;
    for _ in 0..2 {
        for (path, before) in good.iter().zip(&first) {
            assert_eq!(app.get(path).await.ok(200), before, "{path}");
        }
        for path in &bad {
            app.get(path).await.problem(422);
        }
    }
    // A new URL is built from the database, not from a neighbour's answer.
    assert_eq!(
        app.get("/api/v1/artworks?country=US").await.ok(200)["total"],
        0
    );
    app.get(&format!("/api/v1/artworks/{}?country=US", catalog.artwork))
        .await
        .problem(404);
}

/// A small catalog behind a microcache that keeps answers for `ttl_ms`.
async fn cached_catalog(ttl_ms: &str) -> (crate::helpers::TestApp, crate::helpers::Catalog) {
    let app = crate::helpers::builder()
        .env("CATALOG_CACHE_MS", ttl_ms)
        .spawn()
        .await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    (app, catalog)
}

/// What another process's change looks like here: the database changes under this one.
async fn withdraw_elsewhere(app: &crate::helpers::TestApp, artwork: &str) {
    use sea_orm::{ActiveValue::Set, EntityTrait};
    entity::artwork::Entity::update(entity::artwork::ActiveModel {
        id: Set(artwork.to_string()),
        status: Set("withdrawn".into()),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .expect("withdraw");
}
