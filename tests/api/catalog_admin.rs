use entity::audit_log;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{id_of, spawn_app};

#[tokio::test]
async fn artist_crud_round_trip() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let created = app
        .admin_post(
            &token,
            "/api/v1/admin/artists",
            json!({
                "display_name": "Nasima Karimi", "bio": "Paints birds.", "bio_fa": "پرنده‌ها",
                "deported_from": "IR", "email": "nasima@example.org", "phone": "+93 70 000 0000",
                "preferred_language": "fa", "notes": "Prefers WhatsApp."
            }),
        )
        .await;
    let body = created.ok(201).clone();
    assert_eq!(body["slug"], "nasima-karimi");
    assert_eq!(body["email"], "nasima@example.org");
    assert_eq!(body["preferred_language"], "fa");
    let id = id_of(&body);
    let path = format!("/api/v1/admin/artists/{id}");

    assert_eq!(
        app.admin_get(&token, &path).await.ok(200)["notes"],
        "Prefers WhatsApp."
    );
    let patched = app
        .admin_patch(
            &token,
            &path,
            json!({"display_name": "Nasima K.", "phone": null}),
        )
        .await;
    let patched = patched.ok(200);
    assert_eq!(patched["display_name"], "Nasima K.");
    assert_eq!(patched["slug"], "nasima-karimi", "renaming keeps the slug");
    assert!(patched["phone"].is_null());
    assert_eq!(
        patched["email"], "nasima@example.org",
        "absent fields are kept"
    );

    let list = app.admin_get(&token, "/api/v1/admin/artists").await;
    assert_eq!(list.ok(200)["total"], 1);
    assert_eq!(app.admin_delete(&token, &path).await.status, 204);
    app.admin_get(&token, &path).await.problem(404);

    let actions: Vec<String> = audit_log::Entity::find()
        .filter(audit_log::Column::EntityId.eq(id.as_str()))
        .all(&app.db)
        .await
        .expect("audit")
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(
        actions,
        vec!["artist.create", "artist.update", "artist.delete"]
    );
}

#[tokio::test]
async fn artist_validation() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    app.create_artist(
        &token,
        json!({"display_name": "Taken Name", "slug": "taken"}),
    )
    .await;
    for (body, field) in [
        (json!({"display_name": ""}), "display_name"),
        (json!({"display_name": "   "}), "display_name"),
        (json!({"display_name": "x".repeat(101)}), "display_name"),
        (json!({"display_name": "A", "slug": "Not A Slug"}), "slug"),
        (
            json!({"display_name": "A", "slug": "double--hyphen"}),
            "slug",
        ),
        (json!({"display_name": "A", "slug": "taken"}), "slug"),
        (json!({"display_name": "Taken"}), "slug"),
        (
            json!({"display_name": "A", "deported_from": "XX"}),
            "deported_from",
        ),
        (
            json!({"display_name": "A", "deported_from": "ir"}),
            "deported_from",
        ),
        (
            json!({"display_name": "A", "email": "not-an-email"}),
            "email",
        ),
        (
            json!({"display_name": "A", "phone": "call me maybe"}),
            "phone",
        ),
        (
            json!({"display_name": "A", "preferred_language": "de"}),
            "preferred_language",
        ),
        (json!({"display_name": "A", "nickname": "x"}), "nickname"),
        (json!({"display_name": 42}), "display_name"),
    ] {
        app.admin_post(&token, "/api/v1/admin/artists", body)
            .await
            .invalid_field(field);
    }
    // Nothing of the refused requests was written.
    assert_eq!(
        app.admin_get(&token, "/api/v1/admin/artists").await.ok(200)["total"],
        1
    );

    let other = app
        .create_artist(&token, json!({"display_name": "Other"}))
        .await;
    app.admin_patch(
        &token,
        &format!("/api/v1/admin/artists/{other}"),
        json!({"slug": "taken"}),
    )
    .await
    .invalid_field("slug");
}

#[tokio::test]
async fn zone_crud_and_rules() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let (af, intl) = app.create_zones(&token).await;

    for (body, field) in [
        (
            json!({"name": "Second fallback", "is_fallback": true}),
            "is_fallback",
        ),
        (
            json!({"name": "Nordics", "countries": ["SE", "XX"]}),
            "countries[1]",
        ),
        (
            json!({"name": "Nordics", "countries": ["se"]}),
            "countries[0]",
        ),
        (
            json!({"name": "Nordics", "countries": ["SE", "SE"]}),
            "countries[1]",
        ),
        (
            json!({"name": "Nordics", "countries": ["NO", "AF"]}),
            "countries[1]",
        ),
        (json!({"name": "Nordics", "countries": []}), "countries"),
        (json!({"name": "Afghanistan", "countries": ["PK"]}), "name"),
        (json!({"name": "", "countries": ["PK"]}), "name"),
    ] {
        app.admin_post(&token, "/api/v1/admin/shipping-zones", body)
            .await
            .invalid_field(field);
    }

    let nordics = app
        .admin_post(
            &token,
            "/api/v1/admin/shipping-zones",
            json!({"name": "Nordics", "countries": ["SE", "NO"]}),
        )
        .await;
    let nordics = nordics.ok(201);
    assert_eq!(nordics["countries"], json!(["NO", "SE"]));
    let path = format!("/api/v1/admin/shipping-zones/{}", id_of(nordics));
    let patched = app
        .admin_patch(&token, &path, json!({"countries": ["SE", "DK", "FI"]}))
        .await;
    assert_eq!(patched.ok(200)["countries"], json!(["DK", "FI", "SE"]));
    app.admin_patch(&token, &path, json!({"is_fallback": true}))
        .await
        .invalid_field("is_fallback");

    let list = app.admin_get(&token, "/api/v1/admin/shipping-zones").await;
    assert_eq!(list.ok(200)["total"], 3);

    // The fallback zone cannot be deleted; an ordinary one can, and frees its countries.
    app.admin_delete(&token, &format!("/api/v1/admin/shipping-zones/{intl}"))
        .await
        .problem(409);
    assert_eq!(app.admin_delete(&token, &path).await.status, 204);
    app.admin_post(
        &token,
        "/api/v1/admin/shipping-zones",
        json!({"name": "Sweden", "countries": ["SE"]}),
    )
    .await
    .ok(201);
    // Switching the fallback: clear it on one zone, then set it on another.
    app.admin_patch(
        &token,
        &format!("/api/v1/admin/shipping-zones/{intl}"),
        json!({"is_fallback": false}),
    )
    .await
    .invalid_field("countries");
    app.admin_patch(
        &token,
        &format!("/api/v1/admin/shipping-zones/{intl}"),
        json!({"is_fallback": false, "countries": ["US"]}),
    )
    .await
    .ok(200);
    app.admin_patch(
        &token,
        &format!("/api/v1/admin/shipping-zones/{af}"),
        json!({"is_fallback": true}),
    )
    .await
    .ok(200);
}

#[tokio::test]
async fn tier_crud_and_price_rules() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let (af, intl) = app.create_zones(&token).await;
    let tier = app.create_tier(&token, &(af.clone(), intl.clone())).await;
    let path = format!("/api/v1/admin/size-tiers/{tier}");
    let got = app.admin_get(&token, &path).await;
    let got = got.ok(200);
    assert_eq!(got["currency"], "USD");
    let prices = got["prices"].as_array().expect("prices");
    assert_eq!(prices.len(), 2);
    assert!(
        prices
            .iter()
            .any(|p| p["zone_id"] == af && p["amount"] == "45.00" && p["zone"] == "Afghanistan")
    );
    assert!(
        prices
            .iter()
            .any(|p| p["zone_id"] == intl && p["amount"] == "50.00")
    );

    let tier_body = |currency: &str,
                     af_amount: serde_json::Value,
                     intl_amount: serde_json::Value| {
        json!({"name": "T", "width_cm": 30, "height_cm": 40, "currency": currency,
               "prices": [{"zone_id": af, "amount": af_amount}, {"zone_id": intl, "amount": intl_amount}]})
    };
    for (body, field) in [
        (tier_body("XYZ", json!("1"), json!("1")), "currency"),
        (tier_body("usd", json!("1"), json!("1")), "currency"),
        (
            tier_body("USD", json!("-5.00"), json!("1")),
            "prices[0].amount",
        ),
        (tier_body("USD", json!("0"), json!("1")), "prices[0].amount"),
        (
            tier_body("USD", json!("10.005"), json!("1")),
            "prices[0].amount",
        ),
        (
            tier_body("JPY", json!("1000"), json!("10.5")),
            "prices[1].amount",
        ),
        (
            tier_body("USD", json!("ten"), json!("1")),
            "prices[0].amount",
        ),
        (
            json!({"name": "T", "width_cm": 30, "height_cm": 40, "currency": "USD",
                "prices": [{"zone_id": af, "amount": "10"}]}),
            "prices",
        ),
        (
            json!({"name": "T", "width_cm": 30, "height_cm": 40, "currency": "USD",
                "prices": [{"zone_id": af, "amount": "10"}, {"zone_id": af, "amount": "10"}, {"zone_id": intl, "amount": "1"}]}),
            "prices[1].zone_id",
        ),
        (
            json!({"name": "T", "width_cm": 30, "height_cm": 40, "currency": "USD",
                "prices": [{"zone_id": "nope", "amount": "10"}, {"zone_id": af, "amount": "10"}, {"zone_id": intl, "amount": "1"}]}),
            "prices[0].zone_id",
        ),
        (
            json!({"name": "T", "width_cm": 0, "height_cm": 40, "currency": "USD", "prices": []}),
            "width_cm",
        ),
        (
            json!({"name": "T", "width_cm": 30, "height_cm": 40, "currency": "USD", "artist_id": "nobody", "prices": []}),
            "artist_id",
        ),
    ] {
        app.admin_post(&token, "/api/v1/admin/size-tiers", body)
            .await
            .invalid_field(field);
    }

    // An artist's own tier in SEK, exact to the öre on both databases.
    let artist = app
        .create_artist(&token, json!({"display_name": "Farid"}))
        .await;
    let sek = app
        .admin_post(
            &token,
            "/api/v1/admin/size-tiers",
            json!({"name": "30×40 cm", "width_cm": 30, "height_cm": 40, "artist_id": artist, "currency": "SEK",
                   "prices": [{"zone_id": af, "amount": "1234.5"}, {"zone_id": intl, "amount": "1000"}]}),
        )
        .await;
    let sek = sek.ok(201).clone();
    assert_eq!(sek["artist_id"], artist.as_str());
    let amounts: Vec<&str> = sek["prices"]
        .as_array()
        .expect("prices")
        .iter()
        .map(|p| p["amount"].as_str().unwrap_or(""))
        .collect();
    assert!(
        amounts.contains(&"1234.50") && amounts.contains(&"1000.00"),
        "{amounts:?}"
    );

    let sek_path = format!("/api/v1/admin/size-tiers/{}", id_of(&sek));
    app.admin_patch(&token, &sek_path, json!({"currency": "EUR"}))
        .await
        .invalid_field("prices");
    let renamed = app
        .admin_patch(&token, &sek_path, json!({"name": "Medium"}))
        .await;
    assert_eq!(renamed.ok(200)["prices"].as_array().map(Vec::len), Some(2));
    let filtered = app
        .admin_get(
            &token,
            &format!("/api/v1/admin/size-tiers?artist_id={artist}"),
        )
        .await;
    assert_eq!(filtered.ok(200)["total"], 1);

    // In use → 409, and nothing is deleted.
    let artwork = app.create_artwork(&token, &artist, &tier, "draft").await;
    app.admin_delete(&token, &path).await.problem(409);
    app.admin_get(&token, &path).await.ok(200);
    app.admin_delete(&token, &format!("/api/v1/admin/artworks/{artwork}"))
        .await;
    assert_eq!(app.admin_delete(&token, &path).await.status, 204);
}

#[tokio::test]
async fn artwork_crud_and_rules() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let path = format!("/api/v1/admin/artworks/{}", catalog.artwork);
    let got = app.admin_get(&token, &path).await;
    let got = got.ok(200);
    assert_eq!(got["status"], "available");
    assert!(got["price_override"].is_null());

    let patched = app
        .admin_patch(
            &token,
            &path,
            json!({"price_override": {"amount": "75.5", "currency": "EUR"}, "year": null}),
        )
        .await;
    let patched = patched.ok(200);
    assert_eq!(
        patched["price_override"],
        json!({"amount": "75.50", "currency": "EUR"})
    );
    assert!(patched["year"].is_null());
    assert_eq!(patched["title"], "Kites");
    let cleared = app
        .admin_patch(
            &token,
            &path,
            json!({"price_override": null, "status": "withdrawn"}),
        )
        .await;
    assert!(cleared.ok(200)["price_override"].is_null());
    assert_eq!(cleared.body["status"], "withdrawn");

    // The other artist's own tier cannot be used for this artist.
    let other = app
        .create_artist(&token, json!({"display_name": "Other"}))
        .await;
    let own_tier = app
        .admin_post(
            &token,
            "/api/v1/admin/size-tiers",
            json!({"name": "Own", "width_cm": 10, "height_cm": 10, "artist_id": other, "currency": "SEK",
                   "prices": [{"zone_id": catalog.zones.0, "amount": "100"}, {"zone_id": catalog.zones.1, "amount": "200"}]}),
        )
        .await;
    let own_tier = id_of(own_tier.ok(201));

    let base = |extra: serde_json::Value| {
        let mut body = json!({"artist_id": catalog.artist, "title": "T", "width_cm": 20, "height_cm": 30,
                              "size_tier_id": catalog.tier});
        for (k, v) in extra.as_object().expect("object") {
            body[k] = v.clone();
        }
        body
    };
    for (body, field) in [
        (base(json!({"title": ""})), "title"),
        (base(json!({"artist_id": "nobody"})), "artist_id"),
        (base(json!({"size_tier_id": "none"})), "size_tier_id"),
        (base(json!({"size_tier_id": own_tier})), "size_tier_id"),
        (base(json!({"status": "sold"})), "status"),
        (base(json!({"status": "on-sale"})), "status"),
        (base(json!({"year": 1700})), "year"),
        (base(json!({"height_cm": -3})), "height_cm"),
        (
            base(json!({"price_override": {"amount": "1.001", "currency": "USD"}})),
            "price_override",
        ),
        (
            base(json!({"price_override": {"amount": "10", "currency": "ABC"}})),
            "price_override",
        ),
        (
            base(json!({"price_override": {"amount": "0", "currency": "USD"}})),
            "price_override.amount",
        ),
        (base(json!({"width_cm": "wide"})), "width_cm"),
    ] {
        app.admin_post(&token, "/api/v1/admin/artworks", body)
            .await
            .invalid_field(field);
    }

    let filtered = app
        .admin_get(
            &token,
            &format!(
                "/api/v1/admin/artworks?artist_id={}&status=withdrawn",
                catalog.artist
            ),
        )
        .await;
    assert_eq!(filtered.ok(200)["total"], 1);
    app.admin_get(&token, "/api/v1/admin/artworks?status=bogus")
        .await
        .invalid_field("status");

    // An artist with artworks cannot be deleted.
    app.admin_delete(&token, &format!("/api/v1/admin/artists/{}", catalog.artist))
        .await
        .problem(409);
    assert_eq!(app.admin_delete(&token, &path).await.status, 204);
    assert_eq!(
        app.admin_delete(&token, &format!("/api/v1/admin/artists/{}", catalog.artist))
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn reserved_and_sold_paintings_are_locked() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    // Orders own these states; set one directly as an order would.
    use sea_orm::{ActiveValue::Set, EntityTrait};
    entity::artwork::Entity::update(entity::artwork::ActiveModel {
        id: Set(catalog.artwork.clone()),
        status: Set("sold".into()),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .expect("mark sold");
    let path = format!("/api/v1/admin/artworks/{}", catalog.artwork);
    let reply = app
        .admin_patch(&token, &path, json!({"status": "available"}))
        .await;
    assert!(
        reply.problem(409)["detail"]
            .as_str()
            .unwrap_or("")
            .contains("sold")
    );
    app.admin_delete(&token, &path).await.problem(409);
    // Editing its description is still fine, and keeps it sold.
    let edited = app
        .admin_patch(&token, &path, json!({"description": "Sold in winter."}))
        .await;
    assert_eq!(edited.ok(200)["status"], "sold");
}

#[tokio::test]
async fn a_painting_goes_on_sale_with_a_photo_and_keeps_one_while_on_sale() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let body = json!({
        "artist_id": catalog.artist, "title": "Bare", "width_cm": 20, "height_cm": 30,
        "size_tier_id": catalog.tier, "status": "available"
    });
    let refused = app.admin_post(&token, "/api/v1/admin/artworks", body).await;
    assert_eq!(refused.problem(409)["code"], "photo_needed");
    let draft = app
        .create_artwork(&token, &catalog.artist, &catalog.tier, "draft")
        .await;
    let path = format!("/api/v1/admin/artworks/{draft}");
    let refused = app
        .admin_patch(&token, &path, json!({"status": "available"}))
        .await;
    assert_eq!(refused.problem(409)["code"], "photo_needed");
    // Nothing was changed by the refusal: still a draft, out of the shop.
    let detail = app.admin_get(&token, &path).await;
    assert_eq!(detail.ok(200)["status"], "draft");
    assert_eq!(
        app.get(&format!("/api/v1/artworks/{draft}")).await.status,
        404
    );

    app.add_photo(&token, &draft).await;
    app.admin_patch(&token, &path, json!({"status": "available"}))
        .await
        .ok(200);
    // Its only photo stays while it is on sale; withdrawn, it may go.
    let detail = app.admin_get(&token, &path).await;
    let photo = detail.ok(200)["images"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let photo_path = format!("{path}/images/{photo}");
    let refused = app.admin_delete(&token, &photo_path).await;
    assert_eq!(refused.problem(409)["code"], "photo_needed");
    app.admin_patch(&token, &path, json!({"status": "withdrawn"}))
        .await
        .ok(200);
    app.admin_delete(&token, &photo_path).await.ok(204);
}

/// The audit log says what changed, from what to what: a painting's price, a size's prices,
/// an artist's share. An artist's email, phone and notes are named as changed, never written
/// out, in the log's rows or on the console's page.
#[tokio::test]
async fn the_audit_log_keeps_old_and_new_values_but_never_personal_ones() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let (af, intl) = app.create_zones(&token).await;
    let tier = app.create_tier(&token, &(af.clone(), intl.clone())).await;
    let artist = id_of(
        app.admin_post(
            &token,
            "/api/v1/admin/artists",
            json!({"display_name": "Parwin S.", "email": "OLD-MARKER@example.org",
                   "notes": "OLD-NOTE-MARKER"}),
        )
        .await
        .ok(201),
    );
    app.admin_patch(
        &token,
        &format!("/api/v1/admin/artists/{artist}"),
        json!({"display_name": "Parwin Sultani", "email": "NEW-MARKER@example.org",
               "notes": "NEW-NOTE-MARKER"}),
    )
    .await
    .ok(200);
    app.admin_patch(
        &token,
        &format!("/api/v1/admin/size-tiers/{tier}"),
        json!({"prices": [{"zone_id": af, "amount": "45.00"}, {"zone_id": intl, "amount": "65.00"}]}),
    )
    .await
    .ok(200);
    app.request(
        reqwest::Method::PUT,
        &format!("/api/v1/admin/artists/{artist}/payout-terms"),
        Some(&token),
        Some(json!({"ngo_share_percent": "12.5", "transparency": true,
               "consent_how": "CONSENT-MARKER in person"})),
    )
    .await
    .ok(200);

    let painting = app.create_artwork(&token, &artist, &tier, "draft").await;
    app.admin_patch(
        &token,
        &format!("/api/v1/admin/artworks/{painting}"),
        json!({"translations": {"sv": {"medium": "Olja på duk"}},
               "price_override": {"amount": "120", "currency": "EUR"}}),
    )
    .await
    .ok(200);
    let changes_of = |action: &'static str| {
        let app = &app;
        async move {
            let row = audit_log::Entity::find()
                .filter(audit_log::Column::Action.eq(action))
                .one(&app.db)
                .await
                .expect("audit")
                .expect("an entry");
            let detail: serde_json::Value =
                serde_json::from_str(row.detail.as_deref().unwrap_or("{}")).expect("json");
            detail["changes"].clone()
        }
    };
    let artist_changes = changes_of("artist.update").await;
    // Who she is and how to reach her: named as changed, never written out (a name
    // shortened for her safety must not live on in the log).
    for personal in ["display_name", "email", "notes"] {
        assert!(
            artist_changes
                .as_array()
                .expect("changes")
                .contains(&json!({"field": personal})),
            "{artist_changes}"
        );
    }
    // A painting's words in another language and its price, as a coordinator reads them.
    assert_eq!(
        changes_of("artwork.update").await,
        json!([{"field": "medium_sv", "to": "Olja på duk"},
               {"field": "price_override", "to": "120.00 EUR"}])
    );
    let tier_changes = changes_of("size_tier.update").await;
    assert_eq!(
        tier_changes,
        json!([{"field": "prices",
                "from": "Afghanistan 45.00 USD; International 50.00 USD",
                "to": "Afghanistan 45.00 USD; International 65.00 USD"}])
    );
    let terms = changes_of("artist.payout_terms").await;
    assert_eq!(
        terms,
        json!([{"field": "ngo_share_percent", "from": "0", "to": "12.5"},
               {"field": "transparency", "from": "false", "to": "true"},
               {"field": "consent_how"}])
    );
    let every_row: Vec<String> = audit_log::Entity::find()
        .all(&app.db)
        .await
        .expect("audit")
        .into_iter()
        .filter_map(|r| r.detail)
        .collect();
    let all = every_row.join("\n");
    for marker in ["MARKER@", "NOTE-MARKER", "CONSENT-MARKER", "Parwin S."] {
        assert!(!all.contains(marker), "{marker} in the audit log: {all}");
    }
}

/// A shop-wide size in EUR whose Swedish price is in SEK: the Swedish buyer is quoted and
/// charged in SEK, everyone else in EUR; a currency that does not exist is refused by field.
#[tokio::test]
async fn one_zone_of_a_size_can_be_priced_in_its_own_currency() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let nordic = id_of(
        app.admin_post(
            &token,
            "/api/v1/admin/shipping-zones",
            json!({"name": "Sweden", "countries": ["SE"]}),
        )
        .await
        .ok(201),
    );
    let world = id_of(
        app.admin_post(
            &token,
            "/api/v1/admin/shipping-zones",
            json!({"name": "Everywhere else", "countries": [], "is_fallback": true}),
        )
        .await
        .ok(201),
    );
    let refused = app
        .admin_post(
            &token,
            "/api/v1/admin/size-tiers",
            json!({"name": "30×40 cm", "width_cm": 30, "height_cm": 40, "currency": "EUR",
                   "prices": [{"zone_id": nordic, "amount": "1200", "currency": "XX"},
                              {"zone_id": world, "amount": "110"}]}),
        )
        .await;
    assert_eq!(
        refused.problem(422)["errors"][0]["field"],
        "prices[0].currency"
    );
    let tier = app
        .admin_post(
            &token,
            "/api/v1/admin/size-tiers",
            json!({"name": "30×40 cm", "width_cm": 30, "height_cm": 40, "currency": "EUR",
                   "prices": [{"zone_id": nordic, "amount": "1200", "currency": "SEK"},
                              {"zone_id": world, "amount": "110"}]}),
        )
        .await;
    let tier = tier.ok(201).clone();
    let prices = tier["prices"].as_array().expect("prices");
    assert!(prices.iter().any(|p| p["zone_id"] == nordic.as_str()
        && p["amount"] == "1200.00"
        && p["currency"] == "SEK"));
    assert!(
        prices
            .iter()
            .any(|p| p["zone_id"] == world.as_str() && p["currency"] == "EUR")
    );
    let artist = app
        .create_artist(&token, json!({"display_name": "Zahra M."}))
        .await;
    let artwork = app
        .create_artwork(
            &token,
            &artist,
            tier["id"].as_str().expect("id"),
            "available",
        )
        .await;
    let in_sweden = app
        .get(&format!("/api/v1/artworks/{artwork}?country=SE"))
        .await;
    assert_eq!(
        in_sweden.ok(200)["price"],
        json!({"amount": "1200.00", "currency": "SEK", "zone": "Sweden"})
    );
    let in_norway = app
        .get(&format!("/api/v1/artworks/{artwork}?country=NO"))
        .await;
    assert_eq!(in_norway.ok(200)["price"]["currency"], "EUR");
    let order = app
        .client
        .post(app.url("/api/v1/orders"))
        .header("Idempotency-Key", crate::helpers::new_key())
        .json(&crate::helpers::order_body(&artwork))
        .send()
        .await
        .expect("order");
    let order = crate::helpers::Reply::read(order).await;
    let placed = order.ok(201);
    assert_eq!(placed["order"]["amount"], "1200.00");
    assert_eq!(placed["order"]["currency"], "SEK");
}
