use chrono::Utc;
use entity::admin_session;
use reqwest::Method;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, builder, spawn_app};

#[tokio::test]
async fn login_token_works_until_logout() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    app.admin_get(&token, "/api/v1/admin/artists").await.ok(200);

    let logout = app
        .request(Method::POST, "/api/v1/admin/logout", Some(&token), None)
        .await;
    assert_eq!(logout.status, 204);
    app.admin_get(&token, "/api/v1/admin/artists")
        .await
        .problem(401);
    // A second login gives a new, working token.
    let again = app.admin_token().await;
    assert_ne!(again, token);
    app.admin_get(&again, "/api/v1/admin/artists").await.ok(200);
}

#[tokio::test]
async fn login_answers_expires_at_and_stores_only_a_hash() {
    let app = spawn_app().await;
    let _ = app.admin_token().await;
    let reply = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let body = reply.ok(200);
    let token = body["token"].as_str().expect("token");
    assert!(token.len() >= 43, "token too short for 256 bits: {token}");
    let expires: chrono::DateTime<Utc> = body["expires_at"]
        .as_str()
        .expect("expires_at")
        .parse()
        .expect("rfc3339");
    assert!(expires > Utc::now() + chrono::Duration::hours(11));
    let sessions = admin_session::Entity::find()
        .all(&app.db)
        .await
        .expect("sessions");
    assert!(
        sessions
            .iter()
            .all(|s| s.token_hash != token && s.token_hash.len() == 64)
    );
}

#[tokio::test]
async fn bad_credentials_are_401_and_say_nothing_about_which_part() {
    let app = spawn_app().await;
    let _ = app.admin_token().await;
    let wrong_password = app.login(ADMIN_EMAIL, "not the password at all").await;
    let unknown_email = app.login("nobody@example.org", ADMIN_PASSWORD).await;
    assert_eq!(
        wrong_password.problem(401)["detail"],
        unknown_email.problem(401)["detail"]
    );
    // Email is case-insensitive.
    app.login(&ADMIN_EMAIL.to_uppercase(), ADMIN_PASSWORD)
        .await
        .ok(200);
}

#[tokio::test]
async fn expired_and_revoked_and_garbage_tokens_are_401() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let session = admin_session::Entity::find()
        .one(&app.db)
        .await
        .expect("query")
        .expect("session row");
    admin_session::Entity::update(admin_session::ActiveModel {
        id: Set(session.id),
        expires_at: Set(Utc::now() - chrono::Duration::seconds(1)),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .expect("expire");
    let reply = app.admin_get(&token, "/api/v1/admin/artists").await;
    reply.problem(401);
    assert_eq!(
        reply
            .headers
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap_or("")),
        Some("Bearer")
    );

    for header in [
        "Bearer ",
        "Bearer nonsense",
        "Basic YWRtaW46YWRtaW4=",
        "token",
    ] {
        let res = app
            .client
            .get(app.url("/api/v1/admin/artists"))
            .header("Authorization", header)
            .send()
            .await
            .expect("send");
        assert_eq!(res.status(), 401, "{header}");
    }
}

#[tokio::test]
async fn login_is_rate_limited_per_account() {
    let app = builder()
        .env("LOGIN_PER_ACCOUNT_PER_MINUTE", "3")
        .spawn()
        .await;
    let _ = app.admin_token().await; // a success: this client's count starts afresh
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            app.login(ADMIN_EMAIL, "wrong password!!")
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(statuses, vec![401, 401, 401, 429]);
    let limited = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    limited.problem(429);
    let retry_after: u64 = limited.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after));
    // Another account from the same address is not blocked by this one's limit.
    app.login("someone-else@example.org", "whatever password")
        .await
        .problem(401);
}

#[tokio::test]
async fn login_is_rate_limited_per_ip() {
    let app = builder()
        .env("LOGIN_PER_IP_PER_MINUTE", "5")
        .env("LOGIN_PER_ACCOUNT_PER_MINUTE", "100")
        .spawn()
        .await;
    let mut statuses = Vec::new();
    for i in 0..7 {
        statuses.push(
            app.login(&format!("user{i}@example.org"), "some password")
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(statuses, vec![401, 401, 401, 401, 401, 429, 429]);
}

/// Every admin route the API describes, without a token or with a bad one: 401.
#[tokio::test]
async fn every_admin_route_requires_a_token() {
    let app = spawn_app().await;
    let spec = app.get("/api/openapi.json").await;
    let paths = spec.ok(200)["paths"].as_object().expect("paths").clone();
    let mut checked = 0;
    for (path, ops) in &paths {
        if !path.starts_with("/api/v1/admin/") || path == "/api/v1/admin/login" {
            continue;
        }
        let concrete = path.replace("{id}", "01a20a49-0000-7000-8000-000000000000");
        for (method, _) in ops.as_object().expect("operations") {
            let method: Method = method.to_uppercase().parse().expect("method");
            for token in [None, Some("not-a-token")] {
                let body = matches!(method, Method::POST | Method::PATCH).then(|| json!({}));
                let reply = app.request(method.clone(), &concrete, token, body).await;
                reply.problem(401);
                assert_eq!(reply.body["code"], "unauthenticated", "{method} {path}");
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 21,
        "only {checked} admin operations found in the spec"
    );
}

#[tokio::test]
async fn login_validates_its_body() {
    let app = spawn_app().await;
    let reply = app
        .request(
            Method::POST,
            "/api/v1/admin/login",
            None,
            Some(json!({"email": "a@b.c"})),
        )
        .await;
    reply.invalid_field("password");
    let reply = app
        .request(
            Method::POST,
            "/api/v1/admin/login",
            None,
            Some(Value::String("x".into())),
        )
        .await;
    reply.problem(422);
}

#[tokio::test]
async fn admins_created_twice_or_weakly_are_refused() {
    let app = spawn_app().await;
    hunar::auth::service::create_admin(&app.db, "a@example.org", "long enough password".into())
        .await
        .expect("first");
    assert!(matches!(
        hunar::auth::service::create_admin(&app.db, "A@example.org", "long enough password".into())
            .await,
        Err(hunar::auth::AuthError::EmailTaken)
    ));
    assert!(matches!(
        hunar::auth::service::create_admin(&app.db, "b@example.org", "short".into()).await,
        Err(hunar::auth::AuthError::WeakPassword)
    ));
    let stored = entity::admin::Entity::find()
        .filter(entity::admin::Column::Email.eq("a@example.org"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("row");
    assert!(stored.password_hash.starts_with("$argon2id$"));
}
