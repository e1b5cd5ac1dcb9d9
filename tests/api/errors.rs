use reqwest::Method;
use serde_json::json;

use crate::helpers::{Reply, spawn_app};

#[tokio::test]
async fn malformed_and_misshapen_json() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let send = |body: &'static str, content_type: &'static str| {
        let req = app
            .client
            .post(app.url("/api/v1/admin/artists"))
            .bearer_auth(&token)
            .header("content-type", content_type)
            .body(body);
        async move { Reply::read(req.send().await.expect("send")).await }
    };
    send("{\"display_name\": ", "application/json")
        .await
        .problem(400);
    send("not json at all", "application/json")
        .await
        .problem(400);
    send("{\"display_name\": \"A\"} trailing", "application/json")
        .await
        .problem(400);
    send("", "application/json").await.problem(400);
    send("{\"display_name\": \"A\", \"age\": 3}", "application/json")
        .await
        .invalid_field("age");
    send("{\"display_name\": [1]}", "application/json")
        .await
        .invalid_field("display_name");
    send("{}", "application/json").await.problem(422);
    send("[]", "application/json").await.problem(422);
    send("{\"display_name\": \"A\"}", "text/plain")
        .await
        .problem(415);
    send("display_name=A", "application/x-www-form-urlencoded")
        .await
        .problem(415);
    // Nothing was created by any of these.
    let list = app.admin_get(&token, "/api/v1/admin/artists").await;
    assert_eq!(list.ok(200)["total"], 0);
}

#[tokio::test]
async fn nested_field_errors_name_the_path() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let reply = app
        .admin_post(
            &token,
            "/api/v1/admin/size-tiers",
            json!({"name": "T", "width_cm": 1, "height_cm": 1, "currency": "USD",
                   "prices": [{"zone_id": "z", "amount": "1"}, {"zone_id": "z", "amount": {"x": 1}}]}),
        )
        .await;
    reply.invalid_field("prices[1].amount");
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let bio = "x".repeat(70 * 1024);
    let reply = app
        .admin_post(
            &token,
            "/api/v1/admin/artists",
            json!({"display_name": "A", "bio": bio}),
        )
        .await;
    reply.problem(413);
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problem_json() {
    let app = spawn_app().await;
    let reply = app.get("/no/such/page").await;
    assert_eq!(reply.problem(404)["code"], "route_not_found");
    app.get("/api/v1/nothing-here").await.problem(404);
    let reply = app
        .request(Method::DELETE, "/api/v1/artworks", None, None)
        .await;
    assert!(reply.status.is_client_error(), "{}", reply.status);
    reply.problem(reply.status.as_u16());
    app.get("/api/v1/artworks/unknown-id").await.problem(404);
}

#[tokio::test]
async fn wrong_query_types_are_422() {
    let app = spawn_app().await;
    app.get("/api/v1/artworks?per_page=lots")
        .await
        .invalid_field("per_page");
    app.get("/api/v1/artists?page=1.5")
        .await
        .invalid_field("page");
}

#[tokio::test]
async fn nul_characters_are_refused_before_the_database() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let reply = app
        .admin_post(
            &token,
            "/api/v1/admin/artists",
            json!({"display_name": "a\u{0}b"}),
        )
        .await;
    reply.invalid_field("body");
    for path in [
        "/api/v1/artworks?artist=%00",
        "/api/v1/artworks/%00",
        "/api/v1/artists/a%00b",
    ] {
        app.get(path).await.problem(400);
    }
    assert_eq!(
        app.admin_get(&token, "/api/v1/admin/artists").await.ok(200)["total"],
        0
    );
}

/// Each refused field carries a code (and its parameters) beside its English message, so a web
/// client, the shop and the console say it in their reader's language without reading English.
#[tokio::test]
async fn refused_fields_carry_codes_a_client_can_translate() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let mut body = crate::helpers::order_body(&catalog.artwork);
    body["buyer"]["name"] = json!("x".repeat(201));
    body["buyer"]["email"] = json!("not-an-address");
    body["shipping_address"]["postal_code"] = json!("ABC");
    body["shipping_address"]["city"] = json!("Göte\nborg");
    let reply = app
        .client
        .post(app.url("/api/v1/orders"))
        .header("Idempotency-Key", crate::helpers::new_key())
        .json(&body)
        .send()
        .await
        .expect("send");
    let reply = Reply::read(reply).await;
    let errors = reply.problem(422)["errors"].clone();
    let of = |field: &str| {
        errors
            .as_array()
            .expect("errors")
            .iter()
            .find(|e| e["field"] == field)
            .cloned()
            .unwrap_or_else(|| panic!("no error for {field}: {errors}"))
    };
    let name = of("buyer.name");
    assert_eq!(
        (&name["code"], &name["max"]),
        (&json!("too_long"), &json!(200))
    );
    assert_eq!(name["message"], "must be at most 200 characters");
    assert_eq!(of("buyer.email")["code"], "not_an_email");
    assert_eq!(of("shipping_address.city")["code"], "not_one_line");
    let postal = of("shipping_address.postal_code");
    assert_eq!(postal["code"], "postal_code_invalid");
    assert_eq!(postal["example"], "411 01");
    // A rule of one endpoint's own says so with `invalid`.
    let tier = app
        .admin_post(
            &token,
            "/api/v1/admin/size-tiers",
            json!({"name": "T", "width_cm": 1, "height_cm": 1, "currency": "USD", "prices": []}),
        )
        .await;
    let tier = tier.problem(422)["errors"][0].clone();
    assert_eq!(
        (&tier["field"], &tier["code"]),
        (&json!("prices"), &json!("invalid"))
    );
}
