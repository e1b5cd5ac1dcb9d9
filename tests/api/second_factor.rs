//! A coordinator's second factor: enrolment, sign-in with a code or a recovery code (each good
//! once, also when sent twice at the same moment), turning it off, `REQUIRE_SECOND_FACTOR`,
//! the console's two-step sign-in, and the limits on guessing codes.
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Reply, TestApp, all_at_once, builder, spawn_app,
};
use hunar::auth::second_factor::{code_next_step, code_now};

async fn enrol(app: &TestApp, token: &str) -> (String, Vec<String>) {
    let started = app
        .admin_post(token, "/api/v1/admin/account/second-factor", json!({}))
        .await;
    let started = started.ok(200);
    let secret = started["secret"].as_str().expect("secret").to_string();
    let url = started["otpauth_url"].as_str().expect("url");
    assert!(url.starts_with("otpauth://totp/"), "{url}");
    assert!(url.contains(&format!("secret={secret}")));
    let confirmed = app
        .admin_post(
            token,
            "/api/v1/admin/account/second-factor/confirm",
            json!({"code": code_now(&secret).expect("code")}),
        )
        .await;
    let codes: Vec<String> = confirmed.ok(200)["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("code").to_string())
        .collect();
    (secret, codes)
}

async fn login_with(app: &TestApp, code: Option<&str>) -> Reply {
    let mut body = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD});
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    app.request(
        reqwest::Method::POST,
        "/api/v1/admin/login",
        None,
        Some(body),
    )
    .await
}

#[tokio::test]
async fn a_second_factor_is_set_up_used_once_per_code_and_turned_off() {
    let app = spawn_app().await;
    let token = app.admin_token().await;

    let early = app
        .admin_post(
            &token,
            "/api/v1/admin/account/second-factor/confirm",
            json!({"code": "123456"}),
        )
        .await;
    assert_eq!(early.problem(409)["code"], "second_factor_not_started");
    let started = app
        .admin_post(&token, "/api/v1/admin/account/second-factor", json!({}))
        .await;
    let secret = started.ok(200)["secret"]
        .as_str()
        .expect("secret")
        .to_string();
    for bad in ["12345", "not a code", &"9".repeat(40)] {
        let wrong = app
            .admin_post(
                &token,
                "/api/v1/admin/account/second-factor/confirm",
                json!({"code": bad}),
            )
            .await;
        assert_eq!(wrong.problem(403)["code"], "second_factor_invalid");
    }
    assert!(!secret.is_empty());
    // Nothing changed yet: the password alone still signs in.
    login_with(&app, None).await.ok(200);

    let (secret, codes) = enrol(&app, &token).await;
    assert_eq!(codes.len(), 10);
    let mut distinct = codes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 10);
    let listed = app.admin_get(&token, "/api/v1/admin/admins").await;
    assert_eq!(listed.ok(200)["items"][0]["second_factor"], true);
    let again = app
        .admin_post(&token, "/api/v1/admin/account/second-factor", json!({}))
        .await;
    assert_eq!(again.problem(409)["code"], "second_factor_on");

    assert_eq!(
        login_with(&app, None).await.problem(401)["code"],
        "second_factor_required"
    );
    assert_eq!(
        login_with(&app, Some("000000")).await.problem(401)["code"],
        "second_factor_invalid"
    );
    // The code used to confirm is spent; the app's next one works, once.
    let used = code_now(&secret).expect("code");
    let replay = login_with(&app, Some(&used)).await;
    if replay.status != StatusCode::OK {
        assert_eq!(replay.problem(401)["code"], "second_factor_invalid");
    }
    let next = code_next_step(&secret).expect("code");
    login_with(&app, Some(&next)).await.ok(200);
    assert_eq!(
        login_with(&app, Some(&next)).await.problem(401)["code"],
        "second_factor_invalid"
    );
    // A recovery code, typed loosely, works once.
    let loose = codes[0].to_lowercase().replace('-', " ");
    login_with(&app, Some(&loose)).await.ok(200);
    assert_eq!(
        login_with(&app, Some(&codes[0])).await.problem(401)["code"],
        "second_factor_invalid"
    );

    let off = "/api/v1/admin/account/second-factor/disable";
    let wrong_password = app
        .admin_post(
            &token,
            off,
            json!({"password": "not the password", "code": codes[1]}),
        )
        .await;
    assert_eq!(
        wrong_password.problem(403)["code"],
        "reauthentication_required"
    );
    let wrong_code = app
        .admin_post(
            &token,
            off,
            json!({"password": ADMIN_PASSWORD, "code": "ZZZZZ-ZZZZZ"}),
        )
        .await;
    assert_eq!(wrong_code.problem(403)["code"], "second_factor_invalid");
    let done = app
        .admin_post(
            &token,
            off,
            json!({"password": ADMIN_PASSWORD, "code": codes[1]}),
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.text);
    login_with(&app, None).await.ok(200);
    assert_eq!(
        app.admin_post(
            &token,
            off,
            json!({"password": ADMIN_PASSWORD, "code": codes[2]})
        )
        .await
        .problem(409)["code"],
        "second_factor_off"
    );
}

#[tokio::test]
async fn one_code_sent_twice_at_once_signs_in_once() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let (secret, codes) = enrol(&app, &token).await;
    for code in [code_next_step(&secret).expect("code"), codes[3].clone()] {
        let requests = (0..2)
            .map(|_| {
                app.client
                    .post(app.url("/api/v1/admin/login"))
                    .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "code": code}))
            })
            .collect();
        let replies = all_at_once(requests).await;
        let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "{code}: {statuses:?}"
        );
        assert!(statuses.contains(&401), "{statuses:?}");
    }
}

#[tokio::test]
async fn required_second_factor_lets_an_account_without_one_only_set_it_up() {
    let app = builder().env("REQUIRE_SECOND_FACTOR", "true").spawn().await;
    let token = app.admin_token().await;
    // Another token opened with the password alone, as a phisher would hold it.
    let phished = app.admin_token().await;
    let refused = app.admin_get(&token, "/api/v1/admin/orders").await;
    assert_eq!(
        refused.problem(403)["code"],
        "second_factor_enrolment_required"
    );
    let add = app
        .admin_post(
            &token,
            "/api/v1/admin/admins",
            json!({"email": "x@example.org", "password": "a long password here", "current_password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(add.problem(403)["code"], "second_factor_enrolment_required");
    enrol(&app, &token).await;
    // The token that set it up goes on; the one opened by the password alone ends.
    app.admin_get(&token, "/api/v1/admin/orders").await.ok(200);
    app.admin_get(&phished, "/api/v1/admin/orders")
        .await
        .problem(401);

    // The console sends an account without one to the page that sets it up.
    let other = app.admin_post(
        &token,
        "/api/v1/admin/admins",
        json!({"email": "new@example.org", "password": "a long password here", "current_password": ADMIN_PASSWORD}),
    );
    other.await.ok(201);
    let cookie = console_first_step(&app, "new@example.org", "a long password here").await;
    let cookie = match cookie {
        FirstStep::Session(cookie) => cookie,
        FirstStep::Code(_) => panic!("no second factor yet"),
    };
    let today = console_get(&app, &cookie, "/admin").await;
    assert_eq!(today.status, StatusCode::SEE_OTHER);
    assert_eq!(
        today.headers.get("location").expect("to"),
        "/admin/account/second-factor"
    );
    let page = console_get(&app, &cookie, "/admin/account/second-factor").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("must sign in with a code"));
}

enum FirstStep {
    Session(String),
    Code(Reply),
}

async fn console_first_step(app: &TestApp, email: &str, password: &str) -> FirstStep {
    let reply = Reply::read(
        app.client
            .post(app.url("/admin/sign-in"))
            .header("Accept", "text/html")
            .header("Origin", &app.address)
            .form(&[
                ("email", email),
                ("password", password),
                ("next", "/admin/orders"),
            ])
            .send()
            .await
            .expect("send"),
    )
    .await;
    match session_cookie(&reply) {
        Some(cookie) => FirstStep::Session(cookie),
        None => FirstStep::Code(reply),
    }
}

fn session_cookie(reply: &Reply) -> Option<String> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("hunar_console=") && !v.starts_with("hunar_console=;"))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

async fn console_get(app: &TestApp, cookie: &str, path: &str) -> Reply {
    Reply::read(
        app.client
            .get(app.url(path))
            .header("Accept", "text/html")
            .header("Cookie", cookie)
            .send()
            .await
            .expect("send"),
    )
    .await
}

async fn second_step(app: &TestApp, pending: &str, code: &str) -> Reply {
    Reply::read(
        app.client
            .post(app.url("/admin/sign-in/code"))
            .header("Accept", "text/html")
            .header("Origin", &app.address)
            .form(&[
                ("pending", pending),
                ("code", code),
                ("next", "/admin/orders"),
            ])
            .send()
            .await
            .expect("send"),
    )
    .await
}

fn pending_of(page: &str) -> String {
    page.split("name=\"pending\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the first step's token in the page")
        .to_string()
}

#[tokio::test]
async fn the_console_asks_for_the_code_on_a_second_page() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let (secret, codes) = enrol(&app, &token).await;
    let FirstStep::Code(page) = console_first_step(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await else {
        panic!("signed in without a code");
    };
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("autocomplete=\"one-time-code\""));
    assert!(!page.text.contains(ADMIN_PASSWORD));
    let pending = pending_of(&page.text);
    // The first step's token opens nothing by itself.
    let as_cookie = console_get(&app, &format!("hunar_console={pending}"), "/admin").await;
    assert_eq!(as_cookie.status, StatusCode::SEE_OTHER);
    app.admin_get(&pending, "/api/v1/admin/orders")
        .await
        .problem(401);

    let wrong = second_step(&app, &pending, "000000").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text.contains("not right"));
    let right = second_step(&app, &pending, &code_next_step(&secret).expect("code")).await;
    assert_eq!(right.status, StatusCode::SEE_OTHER, "{}", right.text);
    assert_eq!(right.headers.get("location").expect("to"), "/admin/orders");
    let cookie = session_cookie(&right).expect("a session");
    assert_eq!(
        console_get(&app, &cookie, "/admin/orders").await.status,
        StatusCode::OK
    );
    // The first step's token is spent.
    let again = second_step(&app, &pending, &codes[0]).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert!(again.text.contains("Sign in again"));

    // The enrolment page shows the state, and the QR code is drawn in the page itself.
    let page = console_get(&app, &cookie, "/admin/account/second-factor").await;
    assert!(page.text.contains("Your second factor is on"));
    assert!(!page.text.contains(&secret));
}

#[tokio::test]
async fn the_console_sets_up_a_second_factor_with_a_qr_code_drawn_here() {
    let app = spawn_app().await;
    app.admin_token().await;
    let FirstStep::Session(cookie) = console_first_step(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await
    else {
        panic!("no second factor yet");
    };
    let page = console_get(&app, &cookie, "/admin/account/second-factor").await;
    let csrf = page
        .text
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("csrf")
        .to_string();
    let post = |path: &'static str, fields: Vec<(&'static str, String)>| {
        let mut form = vec![("csrf", csrf.clone())];
        form.extend(fields);
        app.client
            .post(app.url(path))
            .header("Accept", "text/html")
            .header("Origin", &app.address)
            .header("Cookie", &cookie)
            .form(&form)
            .send()
    };
    let started = Reply::read(
        post("/admin/account/second-factor", vec![])
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    let page = console_get(&app, &cookie, "/admin/account/second-factor").await;
    assert!(
        page.text
            .contains("<svg xmlns=\"http://www.w3.org/2000/svg\"")
    );
    assert!(!page.text.contains("<?xml"));
    let secret: String = page
        .text
        .split("class=\"secret\" dir=\"ltr\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("the key")
        .split_whitespace()
        .collect();
    let wrong = Reply::read(
        post(
            "/admin/account/second-factor/confirm",
            vec![("code", "000000".into())],
        )
        .await
        .expect("send"),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let confirmed = Reply::read(
        post(
            "/admin/account/second-factor/confirm",
            vec![("code", code_now(&secret).expect("code"))],
        )
        .await
        .expect("send"),
    )
    .await;
    assert_eq!(confirmed.status, StatusCode::OK);
    let shown = confirmed.text.matches("<li><code>").count();
    assert_eq!(shown, 10, "{}", confirmed.text);
    assert_eq!(
        login_with(&app, None).await.problem(401)["code"],
        "second_factor_required"
    );
    // Typed on a Dari keyboard: ۰–۹ are the app's 0–9.
    let dari: String = code_next_step(&secret)
        .expect("code")
        .chars()
        .map(|c| char::from_u32(0x06F0 + c.to_digit(10).expect("digit")).expect("digit"))
        .collect();
    login_with(&app, Some(&dari)).await.ok(200);
}

#[tokio::test]
async fn guessing_codes_is_limited_like_passwords() {
    let app = builder().default_limits().spawn().await;
    let token = app.admin_token().await;
    enrol(&app, &token).await;
    let mut statuses = Vec::new();
    for n in 0..8 {
        let reply = login_with(&app, Some(&format!("{:06}", 111_111 * (n % 9)))).await;
        statuses.push(reply.status.as_u16());
    }
    assert_eq!(statuses[0], 401);
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    let body: &Value = &login_with(&app, Some("123456")).await.body;
    assert_eq!(body["code"], "rate_limited");
}

#[tokio::test]
async fn wrong_codes_from_everywhere_are_capped_for_the_account() {
    // Per-client limits lifted, as for a guesser with many addresses.
    let app = builder()
        .env("LOGIN_PER_IP_PER_MINUTE", "10000")
        .env("LOGIN_PER_ACCOUNT_PER_MINUTE", "10000")
        .spawn()
        .await;
    let token = app.admin_token().await;
    let (secret, _) = enrol(&app, &token).await;
    let mut statuses = Vec::new();
    for n in 0..12u32 {
        let guess = format!("{:06}", (n * 7919 + 13) % 1_000_000);
        if guess == code_next_step(&secret).expect("code")
            || guess == code_now(&secret).expect("code")
        {
            continue;
        }
        statuses.push(login_with(&app, Some(&guess)).await.status.as_u16());
    }
    assert_eq!(&statuses[..10], &[401; 10], "{statuses:?}");
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    // Even the right code waits: whoever guesses codes has the password already.
    let right = login_with(&app, Some(&code_next_step(&secret).expect("code"))).await;
    assert_eq!(right.problem(429)["code"], "rate_limited");
}
