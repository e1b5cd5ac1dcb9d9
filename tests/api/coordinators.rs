//! The coordinators' accounts through the API: listed, added and disabled with the caller's
//! password asked again; a disabled account's token and console cookie stop at once.
use entity::{admin, audit_log};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Reply, TestApp, all_at_once, builder, spawn_app,
};

const SECOND_EMAIL: &str = "second@example.org";
const SECOND_PASSWORD: &str = "the second coordinator's password";

async fn add(app: &TestApp, token: &str, email: &str, password: &str) -> Value {
    app.admin_post(
        token,
        "/api/v1/admin/admins",
        json!({"email": email, "password": password, "current_password": ADMIN_PASSWORD}),
    )
    .await
    .ok(201)
    .clone()
}

/// Signs in at the console as a browser would; the session cookie's `name=value`.
async fn console_cookie(app: &TestApp, email: &str, password: &str) -> String {
    let reply = Reply::read(
        app.client
            .post(app.url("/admin/sign-in"))
            .header("Accept", "text/html")
            .header("Origin", &app.address)
            .form(&[("email", email), ("password", password), ("next", "/admin")])
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("hunar_console="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_string()
}

async fn console_today(app: &TestApp, cookie: &str) -> StatusCode {
    app.client
        .get(app.url("/admin"))
        .header("Accept", "text/html")
        .header("Cookie", cookie)
        .send()
        .await
        .expect("send")
        .status()
}

async fn actions_on(app: &TestApp, id: &str) -> Vec<String> {
    audit_log::Entity::find()
        .filter(audit_log::Column::EntityId.eq(id))
        .order_by_asc(audit_log::Column::CreatedAt)
        .all(&app.db)
        .await
        .expect("audit")
        .into_iter()
        .map(|a| a.action)
        .collect()
}

#[tokio::test]
async fn adding_a_coordinator_asks_for_the_callers_password_again() {
    let app = spawn_app().await;
    let token = app.admin_token().await;

    let list = app.admin_get(&token, "/api/v1/admin/admins").await;
    let list = list.ok(200);
    assert_eq!(list["total"], 1);
    let me = &list["items"][0];
    assert_eq!(me["email"], ADMIN_EMAIL);
    assert_eq!(me["second_factor"], false);
    assert_eq!(me["disabled"], false);
    assert!(me["created_at"].is_string());
    assert!(me["last_sign_in_at"].is_string(), "signed in just now");

    let body = json!({"email": SECOND_EMAIL, "password": SECOND_PASSWORD});
    let without = app
        .admin_post(&token, "/api/v1/admin/admins", body.clone())
        .await;
    assert_eq!(without.problem(403)["code"], "reauthentication_required");
    let mut wrong = body.clone();
    wrong["current_password"] = json!("not my password at all");
    let wrong = app.admin_post(&token, "/api/v1/admin/admins", wrong).await;
    assert_eq!(wrong.problem(403)["code"], "reauthentication_required");
    assert_eq!(
        admin::Entity::find().count(&app.db).await.expect("count"),
        1
    );
    assert_eq!(app.login(SECOND_EMAIL, SECOND_PASSWORD).await.status, 401);

    // Bad input is refused with its field, and nothing is written.
    for (field, value) in [("email", "not an address"), ("password", "short")] {
        let mut bad = body.clone();
        bad["current_password"] = json!(ADMIN_PASSWORD);
        bad[field] = json!(value);
        app.admin_post(&token, "/api/v1/admin/admins", bad)
            .await
            .invalid_field(field);
    }
    let mut unknown = body.clone();
    unknown["role"] = json!("owner");
    app.admin_post(&token, "/api/v1/admin/admins", unknown)
        .await
        .invalid_field("role");
    assert_eq!(
        admin::Entity::find().count(&app.db).await.expect("count"),
        1
    );

    let added = add(&app, &token, "Second@Example.org ", SECOND_PASSWORD).await;
    assert_eq!(added["email"], SECOND_EMAIL);
    assert_eq!(added["disabled"], false);
    assert!(added["last_sign_in_at"].is_null());
    app.login(SECOND_EMAIL, SECOND_PASSWORD).await.ok(200);
    let id = added["id"].as_str().expect("id");
    assert_eq!(actions_on(&app, id).await, ["admin.create"]);
    let list = app.admin_get(&token, "/api/v1/admin/admins").await;
    assert_eq!(list.ok(200)["total"], 2);
}

#[tokio::test]
async fn a_disabled_coordinator_is_signed_out_everywhere_at_once() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let second = add(&app, &token, SECOND_EMAIL, SECOND_PASSWORD).await;
    let id = second["id"].as_str().expect("id");
    let their_token = app.login(SECOND_EMAIL, SECOND_PASSWORD).await.ok(200)["token"]
        .as_str()
        .expect("token")
        .to_string();
    let their_cookie = console_cookie(&app, SECOND_EMAIL, SECOND_PASSWORD).await;
    app.admin_get(&their_token, "/api/v1/admin/orders")
        .await
        .ok(200);
    assert_eq!(console_today(&app, &their_cookie).await, StatusCode::OK);

    let path = format!("/api/v1/admin/admins/{id}/disable");
    let without = app.admin_post(&token, &path, json!({})).await;
    assert_eq!(without.problem(403)["code"], "reauthentication_required");
    app.admin_get(&their_token, "/api/v1/admin/orders")
        .await
        .ok(200);

    let disabled = app
        .admin_post(&token, &path, json!({"current_password": ADMIN_PASSWORD}))
        .await;
    assert_eq!(disabled.ok(200)["disabled"], true);
    // Their token and their console session end at once; their password opens nothing.
    app.admin_get(&their_token, "/api/v1/admin/orders")
        .await
        .problem(401);
    assert_eq!(
        console_today(&app, &their_cookie).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.login(SECOND_EMAIL, SECOND_PASSWORD).await.problem(401)["code"],
        "invalid_credentials"
    );
    // Asked again, it stays done.
    let again = app
        .admin_post(&token, &path, json!({"current_password": ADMIN_PASSWORD}))
        .await;
    assert_eq!(again.ok(200)["disabled"], true);

    // The one left cannot disable themselves: nobody could undo it.
    let me = app.admin_get(&token, "/api/v1/admin/admins").await.ok(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|a| a["email"] == ADMIN_EMAIL)
        .expect("me")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let last = app
        .admin_post(
            &token,
            &format!("/api/v1/admin/admins/{me}/disable"),
            json!({"current_password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(last.problem(409)["code"], "last_enabled_admin");
    app.admin_get(&token, "/api/v1/admin/orders").await.ok(200);

    let missing = app
        .admin_post(
            &token,
            "/api/v1/admin/admins/no-such-id/disable",
            json!({"current_password": ADMIN_PASSWORD}),
        )
        .await;
    missing.problem(404);

    let enabled = app
        .admin_post(
            &token,
            &format!("/api/v1/admin/admins/{id}/enable"),
            json!({"current_password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(enabled.ok(200)["disabled"], false);
    app.login(SECOND_EMAIL, SECOND_PASSWORD).await.ok(200);
    // The old token stays ended: enabling lets them sign in, it does not bring sessions back.
    app.admin_get(&their_token, "/api/v1/admin/orders")
        .await
        .problem(401);
    assert_eq!(
        actions_on(&app, id).await,
        ["admin.create", "admin.disable", "admin.enable"]
    );
}

#[tokio::test]
async fn two_coordinators_disabling_each_other_at_once_leave_one_who_can_sign_in() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let other = add(&app, &token, SECOND_EMAIL, SECOND_PASSWORD).await;
    let people = [
        (
            ADMIN_EMAIL,
            ADMIN_PASSWORD,
            admin_id(&app, ADMIN_EMAIL).await,
        ),
        (
            SECOND_EMAIL,
            SECOND_PASSWORD,
            other["id"].as_str().expect("id").to_string(),
        ),
    ];
    // Both passwords are checked side by side (one core each), so the two disablings reach
    // the database within a moment of each other, round after round.
    for round in 0..12 {
        let mut tokens = Vec::new();
        for (email, password, _) in &people {
            let reply = app.login(email, password).await;
            tokens.push(reply.ok(200)["token"].as_str().expect("token").to_string());
        }
        let requests = (0..2)
            .map(|i| {
                let other = &people[1 - i].2;
                app.client
                    .post(app.url(&format!("/api/v1/admin/admins/{other}/disable")))
                    .bearer_auth(&tokens[i])
                    .json(&json!({"current_password": people[i].1}))
            })
            .collect();
        let replies = all_at_once(requests).await;
        let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
        let enabled = admin::Entity::find()
            .filter(admin::Column::DisabledAt.is_null())
            .all(&app.db)
            .await
            .expect("admins");
        assert_eq!(enabled.len(), 1, "round {round}: {statuses:?}");
        assert!(
            statuses.contains(&200) && statuses.iter().all(|s| [200, 401, 409].contains(s)),
            "round {round}: {statuses:?}"
        );
        // The one left lets the other back in for the next round.
        let left = people
            .iter()
            .find(|p| p.2 == enabled[0].id)
            .expect("one of the two");
        let gone = people.iter().find(|p| p.2 != left.2).expect("the other");
        let token = app.login(left.0, left.1).await.ok(200)["token"]
            .as_str()
            .expect("token")
            .to_string();
        app.admin_post(
            &token,
            &format!("/api/v1/admin/admins/{}/enable", gone.2),
            json!({"current_password": left.1}),
        )
        .await
        .ok(200);
    }
}

async fn admin_id(app: &TestApp, email: &str) -> String {
    admin::Entity::find()
        .filter(admin::Column::Email.eq(email))
        .one(&app.db)
        .await
        .expect("admin")
        .expect("exists")
        .id
}

#[tokio::test]
async fn guessing_the_callers_password_again_is_limited_like_signing_in() {
    let app = builder().default_limits().spawn().await;
    let token = app.admin_token().await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let reply = app
            .admin_post(
                &token,
                "/api/v1/admin/admins",
                json!({"email": SECOND_EMAIL, "password": SECOND_PASSWORD,
                       "current_password": "a guess at the password"}),
            )
            .await;
        statuses.push(reply.status.as_u16());
    }
    assert_eq!(statuses[0], 403);
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    // Even the right password waits until the window ends.
    let right = app
        .admin_post(
            &token,
            "/api/v1/admin/admins",
            json!({"email": SECOND_EMAIL, "password": SECOND_PASSWORD,
                   "current_password": ADMIN_PASSWORD}),
        )
        .await;
    right.problem(429);
    assert_eq!(
        admin::Entity::find().count(&app.db).await.expect("count"),
        1
    );
}
