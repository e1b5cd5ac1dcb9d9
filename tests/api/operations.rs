use std::collections::BTreeSet;

use reqwest::Method;

use crate::helpers::{builder, spawn_app};

#[tokio::test]
async fn health_endpoints() {
    let app = spawn_app().await;
    app.get("/health/live").await.ok(200);
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.ok(200)["database"], "ok");
    assert_eq!(ready.body["card_payments"], "not configured");
    assert!(ready.headers.contains_key("x-request-id"));
}

/// The routes of the API contract that exist so far; each must be in the spec.
const CONTRACT: &[(&str, &str)] = &[
    ("get", "/api/v1/artists"),
    ("get", "/api/v1/artists/{slug}"),
    ("get", "/api/v1/artworks"),
    ("get", "/api/v1/artworks/{id}"),
    ("get", "/api/v1/artworks/{id}/quote"),
    ("post", "/api/v1/admin/login"),
    ("post", "/api/v1/admin/logout"),
    ("get", "/api/v1/admin/artists"),
    ("post", "/api/v1/admin/artists"),
    ("get", "/api/v1/admin/artists/{id}"),
    ("patch", "/api/v1/admin/artists/{id}"),
    ("delete", "/api/v1/admin/artists/{id}"),
    ("get", "/api/v1/admin/shipping-zones"),
    ("post", "/api/v1/admin/shipping-zones"),
    ("patch", "/api/v1/admin/shipping-zones/{id}"),
    ("delete", "/api/v1/admin/shipping-zones/{id}"),
    ("get", "/api/v1/admin/size-tiers"),
    ("post", "/api/v1/admin/size-tiers"),
    ("patch", "/api/v1/admin/size-tiers/{id}"),
    ("delete", "/api/v1/admin/size-tiers/{id}"),
    ("get", "/api/v1/admin/artworks"),
    ("post", "/api/v1/admin/artworks"),
    ("get", "/api/v1/admin/artworks/{id}"),
    ("patch", "/api/v1/admin/artworks/{id}"),
    ("delete", "/api/v1/admin/artworks/{id}"),
    ("get", "/health/live"),
    ("get", "/health/ready"),
];

#[tokio::test]
async fn openapi_describes_every_route_and_only_real_ones() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let spec = app.get("/api/openapi.json").await;
    let spec = spec.ok(200).clone();
    assert!(
        spec["openapi"].as_str().unwrap_or("").starts_with("3.1"),
        "{}",
        spec["openapi"]
    );
    let mut documented = BTreeSet::new();
    for (path, ops) in spec["paths"].as_object().expect("paths") {
        for method in ops.as_object().expect("ops").keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    for (method, path) in CONTRACT {
        assert!(
            documented.contains(&(method.to_string(), path.to_string())),
            "{method} {path} missing from the spec"
        );
    }
    // Every documented operation is served by the app (never the unknown-route 404).
    for (method, path) in &documented {
        let concrete = path.replace("{id}", "unknown").replace("{slug}", "unknown");
        let method: Method = method.to_uppercase().parse().expect("method");
        let body = matches!(method, Method::POST | Method::PATCH).then(|| serde_json::json!({}));
        let reply = app
            .request(method.clone(), &concrete, Some(&token), body)
            .await;
        assert_ne!(
            reply.body["code"], "route_not_found",
            "{method} {path} is documented but not routed"
        );
    }
    let docs = app.get("/docs/").await;
    assert_eq!(docs.status, 200);
    assert!(
        docs.headers["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/html")
    );
}

/// What SDK generators and Redocly's recommended rules need of every operation: a unique
/// operationId, its security said out loud, at least one 4xx, and problem+json on every error.
#[tokio::test]
async fn openapi_gives_generated_clients_what_they_need() {
    let app = builder()
        .env("PUBLIC_BASE_URL", "https://shop.example.org/")
        .spawn()
        .await;
    let spec = app.get("/api/openapi.json").await.ok(200).clone();
    assert_eq!(spec["servers"][0]["url"], "https://shop.example.org");
    let mut ids = BTreeSet::new();
    for (path, ops) in spec["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("ops") {
            let id = op["operationId"].as_str().unwrap_or_default().to_string();
            assert!(
                id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                    && id.chars().all(|c| c.is_ascii_alphanumeric()),
                "{method} {path}: operationId {id:?} is not camelCase"
            );
            assert!(ids.insert(id.clone()), "operationId {id} is used twice");
            let admin = path.starts_with("/api/v1/admin/") && path != "/api/v1/admin/login";
            assert_eq!(admin, id.starts_with("admin") && id != "adminLogin", "{id}");
            let expected = if admin {
                serde_json::json!([{"bearer": []}])
            } else {
                serde_json::json!([])
            };
            assert_eq!(op["security"], expected, "{method} {path}");
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('4')),
                "{method} {path} lists no 4xx"
            );
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        response["content"]["application/problem+json"]["schema"]["$ref"],
                        "#/components/schemas/Problem",
                        "{method} {path} {status}"
                    );
                    assert_ne!(response["description"], "", "{method} {path} {status}");
                }
            }
        }
    }
    assert!(ids.contains("listArtworks") && ids.contains("adminListArtworks"));
}

/// A documented path asked with a method it lacks: 405 naming the ones it has, on public
/// and admin paths alike; an unknown path stays a 404.
#[tokio::test]
async fn a_wrong_method_on_a_known_path_is_405_with_allow() {
    let app = spawn_app().await;
    // Admin paths check the token first: without one they are 401 whatever the method.
    let token = app.admin_token().await;
    for (method, path, allow) in [
        ("TRACE", "/api/v1/artworks", "GET"),
        ("DELETE", "/api/v1/artworks/abc", "GET"),
        ("PUT", "/api/v1/admin/artists/abc", "GET, PATCH, DELETE"),
        ("GET", "/api/v1/orders", "POST"),
        ("POST", "/health/live", "GET"),
        (
            "PATCH",
            "/api/v1/admin/artists/abc/portrait",
            "POST, DELETE",
        ),
    ] {
        let method: Method = method.parse().expect("method");
        let reply = app.request(method.clone(), path, Some(&token), None).await;
        assert_eq!(
            reply.problem(405)["code"],
            "method_not_allowed",
            "{method} {path}"
        );
        assert_eq!(
            reply.headers.get("allow").and_then(|v| v.to_str().ok()),
            Some(allow),
            "{method} {path}"
        );
    }
    let unknown = app
        .request(Method::TRACE, "/api/v1/nothing", None, None)
        .await;
    assert_eq!(unknown.problem(404)["code"], "route_not_found");
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = builder()
        .env("CORS_ORIGINS", "https://shop.example.org")
        .spawn()
        .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/api/v1/artworks"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .send()
    };
    let allowed = preflight("https://shop.example.org").await.expect("send");
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://shop.example.org")
    );
    let refused = preflight("https://evil.example.com").await.expect("send");
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn seeding_happens_once_and_creates_the_first_admin() {
    let app = crate::helpers::spawn_seeded_app().await;
    assert_eq!(app.get("/api/v1/artists").await.ok(200)["total"], 2);
    assert_eq!(
        hunar::auth::service::admin_count(&app.db)
            .await
            .expect("count"),
        1
    );
    // A second run on the same database adds nothing.
    let again = hunar::seed::seed_if_empty(&app.db, &app.state.core.vault)
        .await
        .expect("seed");
    assert!(again.login.is_none() && !again.catalog);
    assert_eq!(app.get("/api/v1/artworks").await.ok(200)["total"], 6);
}
