//! The console over HTTP, as a coordinator's browser meets it: signing in and out, the pages
//! behind the session, forms that only this site's own pages may send, and the order actions
//! each allowed only in the states where they make sense.
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Catalog, Reply, TestApp, artwork_status, builder, new_key,
    order_body, small_png, spawn_app,
};

const ORIGIN_HEADER: &str = "Origin";

/// A browser signed in to the console: its session cookie and the form token of its pages.
struct Browser<'a> {
    app: &'a TestApp,
    cookie: String,
    csrf: String,
}

fn session_cookie(reply: &Reply) -> Option<String> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("hunar_console="))
        .map(str::to_string)
}

/// The form token in a page's HTML.
fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a form token on the page")
        .to_string()
}

async fn sign_in_form(app: &TestApp, email: &str, password: &str, origin: Option<&str>) -> Reply {
    let mut req = app
        .client
        .post(app.url("/admin/sign-in"))
        .header("Accept", "text/html")
        .form(&[("email", email), ("password", password), ("next", "/admin")]);
    if let Some(origin) = origin {
        req = req.header(ORIGIN_HEADER, origin);
    }
    Reply::read(req.send().await.expect("send")).await
}

impl<'a> Browser<'a> {
    async fn sign_in(app: &'a TestApp) -> Browser<'a> {
        let _ =
            hunar::auth::service::create_admin(&app.db, ADMIN_EMAIL, ADMIN_PASSWORD.into()).await;
        let reply = sign_in_form(app, ADMIN_EMAIL, ADMIN_PASSWORD, Some(&app.address)).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
        let cookie = session_cookie(&reply).expect("a session cookie");
        let cookie = cookie.split(';').next().expect("name=value").to_string();
        let mut browser = Browser {
            app,
            cookie,
            csrf: String::new(),
        };
        let today = browser.get("/admin").await;
        assert_eq!(today.status, StatusCode::OK, "{}", today.text);
        browser.csrf = csrf_of(&today.text);
        browser
    }

    async fn get(&self, path: &str) -> Reply {
        let req = self
            .app
            .client
            .get(self.app.url(path))
            .header("Accept", "text/html")
            .header("Cookie", &self.cookie);
        Reply::read(req.send().await.expect("send")).await
    }

    /// Posts a form as this site's own page would: same origin, this session's token.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let mut form = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        self.post_raw(path, &form, Some(&self.app.address)).await
    }

    async fn post_raw(&self, path: &str, form: &[(&str, &str)], origin: Option<&str>) -> Reply {
        let mut req = self
            .app
            .client
            .post(self.app.url(path))
            .header("Accept", "text/html")
            .header("Cookie", &self.cookie)
            .form(form);
        if let Some(origin) = origin {
            req = req.header(ORIGIN_HEADER, origin);
        }
        Reply::read(req.send().await.expect("send")).await
    }
}

fn location(reply: &Reply) -> String {
    match reply.headers.get("location") {
        Some(to) => to.to_str().expect("location").to_string(),
        None => panic!("no redirect: {} {}", reply.status, reply.text),
    }
}

/// A catalog and a manual order waiting for payment; returns (catalog, order id).
async fn manual_order(app: &TestApp) -> (Catalog, String) {
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let order = app
        .place_order(&new_key(), &order_body(&catalog.artwork))
        .await;
    let id = order.ok(201)["order"]["id"]
        .as_str()
        .expect("order id")
        .to_string();
    (catalog, id)
}

async fn order_status(app: &TestApp, id: &str) -> String {
    let token = app.admin_token().await;
    app.admin_get(&token, &format!("/api/v1/admin/orders/{id}"))
        .await
        .ok(200)["status"]
        .as_str()
        .expect("status")
        .to_string()
}

#[tokio::test]
async fn every_console_page_needs_a_session() {
    let app = spawn_app().await;
    for path in [
        "/admin",
        "/admin/orders?status=paid",
        "/admin/orders/some-id",
        "/admin/orders/some-id/ship",
        "/admin/emails",
        "/admin/audit",
        "/admin/account",
        "/admin/ledger",
        "/admin/ledger.csv",
        "/admin/artists/some-id/ledger",
    ] {
        let reply = app
            .client
            .get(app.url(path))
            .header("Accept", "text/html")
            .send()
            .await
            .expect("send");
        assert_eq!(reply.status(), StatusCode::SEE_OTHER, "{path}");
        let to = reply.headers()["location"].to_str().expect("location");
        assert!(
            to.starts_with("/admin/sign-in?next=%2Fadmin"),
            "{path} → {to}"
        );
        assert_eq!(
            reply.headers()["cache-control"].to_str().expect("cc"),
            "no-store"
        );
    }
    // A form posted without a session changes nothing and goes to the sign-in page.
    let (_, id) = manual_order(&app).await;
    let reply = app
        .client
        .post(app.url(&format!("/admin/orders/{id}/confirm-payment")))
        .form(&[("reference", "BANK-1")])
        .send()
        .await
        .expect("send");
    assert_eq!(reply.status(), StatusCode::SEE_OTHER);
    assert_eq!(order_status(&app, &id).await, "pending_payment");

    let form = app
        .request(reqwest::Method::GET, "/admin/sign-in", None, None)
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains("name=\"password\""));
    assert!(form.text.contains("autocomplete=\"current-password\""));
}

#[tokio::test]
async fn signing_in_sets_a_strict_cookie_and_signing_out_ends_the_session() {
    let app = spawn_app().await;
    let _ = hunar::auth::service::create_admin(&app.db, ADMIN_EMAIL, ADMIN_PASSWORD.into()).await;

    let wrong = sign_in_form(&app, ADMIN_EMAIL, "not the password", Some(&app.address)).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .text
            .contains("The email or the password is not right.")
    );
    assert!(session_cookie(&wrong).is_none());
    assert!(
        !wrong.text.contains("not the password"),
        "the attempt is not echoed"
    );

    // Another site's page cannot sign anybody in.
    let forged = sign_in_form(
        &app,
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        Some("https://evil.example"),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(session_cookie(&forged).is_none());

    let ok = sign_in_form(&app, ADMIN_EMAIL, ADMIN_PASSWORD, Some(&app.address)).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&ok), "/admin");
    let cookie = session_cookie(&ok).expect("cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http here: {cookie}");
    let token = cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_string())
        .expect("token");
    // Stored hashed, like the API's tokens, and marked as a browser's session.
    let stored = hunar::auth::service::authenticate(
        &app.db,
        hunar::auth::service::SessionKind::Console,
        &token,
    )
    .await
    .expect("a console session");
    let sessions = entity::admin_session::Entity::find()
        .all(&app.db)
        .await
        .expect("sessions");
    assert!(sessions.iter().all(|s| s.token_hash != token));
    assert!(sessions.iter().any(|s| s.kind == "console"));
    assert!(!stored.session_id.is_empty());

    // The cookie opens no API route, and an API token opens no console page.
    let api = app.admin_get(&token, "/api/v1/admin/orders").await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    let api_token = app.admin_token().await;
    let page = app
        .client
        .get(app.url("/admin"))
        .header("Cookie", format!("hunar_console={api_token}"))
        .send()
        .await
        .expect("send");
    assert_eq!(page.status(), StatusCode::SEE_OTHER);

    let browser = Browser::sign_in(&app).await;
    let today = browser.get("/admin").await;
    assert!(today.text.contains(ADMIN_EMAIL));
    assert!(
        today
            .text
            .contains("<meta name=\"robots\" content=\"noindex, nofollow\">")
    );
    let out = browser.post("/admin/sign-out", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let removal = session_cookie(&out).expect("removal cookie");
    assert!(removal.contains("Max-Age=0"), "{removal}");
    assert_eq!(browser.get("/admin").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn forms_from_elsewhere_or_without_the_token_change_nothing() {
    let app = spawn_app().await;
    let (_, id) = manual_order(&app).await;
    let browser = Browser::sign_in(&app).await;
    let path = format!("/admin/orders/{id}/confirm-payment");

    let no_token = browser
        .post_raw(&path, &[("reference", "BANK-1")], Some(&app.address))
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    assert!(no_token.text.contains("Nothing was changed"));
    let wrong_token = browser
        .post_raw(
            &path,
            &[("csrf", "0123456789abcdef"), ("reference", "BANK-1")],
            Some(&app.address),
        )
        .await;
    assert_eq!(wrong_token.status, StatusCode::FORBIDDEN);
    let other_site = browser
        .post_raw(
            &path,
            &[("csrf", &browser.csrf), ("reference", "BANK-1")],
            Some("https://evil.example"),
        )
        .await;
    assert_eq!(other_site.status, StatusCode::FORBIDDEN);
    let fetch_metadata = app
        .client
        .post(app.url(&path))
        .header("Cookie", &browser.cookie)
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[("csrf", browser.csrf.as_str()), ("reference", "BANK-1")])
        .send()
        .await
        .expect("send");
    assert_eq!(fetch_metadata.status(), StatusCode::FORBIDDEN);
    assert_eq!(order_status(&app, &id).await, "pending_payment");

    let done = browser.post(&path, &[("reference", "BANK-1")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert_eq!(
        location(&done),
        format!("/admin/orders/{id}?done=payment-confirmed")
    );
    assert_eq!(order_status(&app, &id).await, "paid");
}

#[tokio::test]
async fn an_order_goes_through_the_console_and_each_action_waits_for_its_state() {
    let app = spawn_app().await;
    let (catalog, id) = manual_order(&app).await;
    let browser = Browser::sign_in(&app).await;

    // Today: a manual order waiting for payment, linked.
    let today = browser.get("/admin").await;
    assert!(today.text.contains(&format!("/admin/orders/{id}")));
    assert!(today.text.contains("Manual orders waiting for payment"));

    let page = browser.get(&format!("/admin/orders/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for expected in [
        "Storgatan 1",
        "Private: never shown publicly",
        "Confirm the payment",
        "Cancel the order",
    ] {
        assert!(page.text.contains(expected), "{expected}");
    }
    assert!(
        !page.text.contains("Mark as shipped"),
        "not before it is paid"
    );

    // Shipping an unpaid order is refused with the reason, on the page and by the POST.
    let early = browser.get(&format!("/admin/orders/{id}/ship")).await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert!(early.text.contains("this cannot be done now"));
    let early = browser
        .post(
            &format!("/admin/orders/{id}/ship"),
            &[("carrier", "PostNord"), ("tracking_number", "RR123")],
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert!(
        early
            .text
            .contains("cannot go from pending_payment to shipped"),
        "{}",
        early.text
    );
    assert_eq!(order_status(&app, &id).await, "pending_payment");

    let confirm = browser
        .get(&format!("/admin/orders/{id}/confirm-payment"))
        .await;
    assert!(confirm.text.contains("The order becomes paid"));
    // This test's server has no mail server: the page says the emails it names stay unsent.
    assert!(
        confirm
            .text
            .contains("No mail server is set up: the emails named here are kept in the outbox"),
        "{}",
        confirm.text
    );
    // An empty reference is pointed at, next to its field.
    let empty = browser
        .post(
            &format!("/admin/orders/{id}/confirm-payment"),
            &[("reference", "  ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text.contains("id=\"reference-error\""));
    assert!(empty.text.contains("aria-invalid=\"true\""));
    browser
        .post(
            &format!("/admin/orders/{id}/confirm-payment"),
            &[("reference", "BANK-7")],
        )
        .await;
    let shown = browser
        .get(&format!("/admin/orders/{id}?done=payment-confirmed"))
        .await;
    assert!(shown.text.contains("The payment is confirmed."));
    assert!(shown.text.contains("BANK-7"));
    assert!(shown.text.contains("Mark as shipped"));
    // The history names the coordinator who did it, and the buyer, in words: no account ids.
    let history = shown.text.split("<ol").nth(1).unwrap_or_default();
    assert!(
        history.contains(&format!("<bdi>{ADMIN_EMAIL}</bdi>"))
            && history.contains("<bdi>the buyer</bdi>")
            && !history.contains("admin:"),
        "{}",
        shown.text
    );
    // Why, in the console's words, with the reference as it was typed.
    assert!(
        history.contains("payment confirmed by hand: <bdi>BANK-7</bdi>"),
        "{history}"
    );
    let mut dari = Browser::sign_in(&app).await;
    dari.cookie = format!("{}; lang=fa", dari.cookie);
    let dari = dari.get(&format!("/admin/orders/{id}")).await;
    assert!(
        dari.text
            .contains("پرداخت به‌دست تأیید شد: <bdi>BANK-7</bdi>")
            && !dari.text.contains("manual payment confirmed"),
        "the reason in Dari"
    );

    let missing = browser
        .post(
            &format!("/admin/orders/{id}/ship"),
            &[("carrier", "PostNord")],
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.text.contains("id=\"tracking_number-error\""));
    assert!(
        missing.text.contains("value=\"PostNord\""),
        "what was typed stays"
    );
    // The form suggests the carriers Hunar can link to.
    assert!(
        missing
            .text
            .contains("<datalist id=\"carriers\"><option value=\"PostNord\">")
    );
    let shipped = browser
        .post(
            &format!("/admin/orders/{id}/ship"),
            &[
                ("carrier", "postnord"),
                ("tracking_number", "RR123456789SE"),
            ],
        )
        .await;
    assert_eq!(
        location(&shipped),
        format!("/admin/orders/{id}?done=shipped")
    );
    let delivered = browser
        .post(&format!("/admin/orders/{id}/deliver"), &[])
        .await;
    assert_eq!(
        location(&delivered),
        format!("/admin/orders/{id}?done=delivered")
    );
    assert_eq!(order_status(&app, &id).await, "delivered");
    let done = browser.get(&format!("/admin/orders/{id}")).await;
    assert!(done.text.contains("Nothing is left to do for this order."));
    assert!(done.text.contains("RR123456789SE"));
    // Typed in lower case, still the carrier with a tracking page; the link tells the
    // carrier nothing of where it was followed from.
    assert!(done.text.contains(
        "<a href=\"https://tracking.postnord.com/se/?id=RR123456789SE\" rel=\"noreferrer noopener\">Follow the parcel</a>"
    ));
    assert_eq!(artwork_status(&app, &catalog.artwork).await, "sold");

    // Every action is in the audit log, in the coordinator's name.
    let audit = browser.get("/admin/audit").await;
    // In words, with the stored name for whoever needs it.
    for (action, words) in [
        ("order.confirm_payment", "confirmed a payment"),
        ("order.ship", "marked an order shipped"),
        ("order.deliver", "marked an order delivered"),
    ] {
        assert!(
            audit
                .text
                .contains(&format!("<span title=\"{action}\">{words}</span>")),
            "{action}"
        );
    }
    assert!(audit.text.contains(ADMIN_EMAIL));
    // Each line names its record: the order by its reference, linked.
    assert!(audit.text.contains(&format!(
        "<a href=\"/admin/orders/{id}\"><bdi>{}</bdi></a>",
        hunar::orders::reference::reference(&id)
    )));

    // Unknown orders and actions are the console's 404.
    assert_eq!(
        browser.get("/admin/orders/nope").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        browser
            .get(&format!("/admin/orders/{id}/teleport"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn cancelling_a_waiting_order_puts_the_painting_back_on_sale() {
    let app = spawn_app().await;
    let (catalog, id) = manual_order(&app).await;
    let browser = Browser::sign_in(&app).await;
    let form = browser.get(&format!("/admin/orders/{id}/cancel")).await;
    assert!(form.text.contains("the painting is for sale again at once"));
    assert_eq!(artwork_status(&app, &catalog.artwork).await, "reserved");
    let cancelled = browser
        .post(
            &format!("/admin/orders/{id}/cancel"),
            &[("reason", "the buyer asked")],
        )
        .await;
    assert_eq!(
        location(&cancelled),
        format!("/admin/orders/{id}?done=cancelled")
    );
    assert_eq!(order_status(&app, &id).await, "cancelled");
    assert_eq!(artwork_status(&app, &catalog.artwork).await, "available");
    let page = browser.get(&format!("/admin/orders/{id}")).await;
    assert!(page.text.contains("the buyer asked"));
}

#[tokio::test]
async fn the_order_list_filters_and_finds_by_reference() {
    let app = spawn_app().await;
    let (_, id) = manual_order(&app).await;
    let browser = Browser::sign_in(&app).await;
    let reference = hunar::orders::reference(&id);

    let all = browser.get("/admin/orders").await;
    assert!(all.text.contains(&reference));
    let found = browser
        .get(&format!(
            "/admin/orders?reference={}",
            reference.to_lowercase()
        ))
        .await;
    assert!(found.text.contains(&reference));
    assert!(found.text.contains("One order"));
    let none = browser.get("/admin/orders?status=shipped").await;
    assert!(!none.text.contains(&reference));
    assert!(none.text.contains("No order matches."));
    let manual = browser
        .get("/admin/orders?status=pending_payment&payment_method=manual&artist=&placed_from=&placed_to=")
        .await;
    assert!(manual.text.contains(&reference));
    let today = chrono::Utc::now().date_naive();
    let tomorrow = today.succ_opt().expect("a tomorrow");
    let dated = browser
        .get(&format!(
            "/admin/orders?placed_from={today}&placed_to={today}"
        ))
        .await;
    assert!(dated.text.contains(&reference));
    let later = browser
        .get(&format!("/admin/orders?placed_from={tomorrow}"))
        .await;
    assert!(!later.text.contains(&reference));

    // By the buyer's whole address (sealed in the database, found by its keyed hash), in
    // any case and with a +tag; the order's page shows the buyer opened.
    let by_email = browser
        .get("/admin/orders?buyer_email=Anna%2Bshop%40Example.SE")
        .await;
    assert!(by_email.text.contains(&reference), "{}", by_email.text);
    let other = browser
        .get("/admin/orders?buyer_email=anne%40example.se")
        .await;
    assert!(!other.text.contains(&reference));
    let page = browser.get(&format!("/admin/orders/{id}")).await;
    for shown in ["Anna Lind", "anna@example.se", "Storgatan 1", "Tack!"] {
        assert!(page.text.contains(shown), "{shown}");
    }
    let bad = browser.get("/admin/orders?buyer_email=anna").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("id=\"buyer_email-error\""));

    let bad = browser.get("/admin/orders?placed_from=yesterday").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("id=\"placed_from-error\""));
    let bad = browser.get("/admin/orders?status=lost").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_console_speaks_dari_right_to_left_and_shows_dates_in_ones_time_zone() {
    let app = spawn_app().await;
    let (_, id) = manual_order(&app).await;
    let mut browser = Browser::sign_in(&app).await;

    let saved = browser
        .post("/admin/account/time-zone", &[("time_zone", "Asia/Kabul")])
        .await;
    assert_eq!(location(&saved), "/admin/account?done=time-zone-saved");
    let bad = browser
        .post("/admin/account/time-zone", &[("time_zone", "Mars/Olympus")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("Mars/Olympus"));

    let placed: chrono::DateTime<chrono::Utc> = {
        let token = app.admin_token().await;
        let detail = app
            .admin_get(&token, &format!("/api/v1/admin/orders/{id}"))
            .await;
        serde_json::from_value(detail.ok(200)["created_at"].clone()).expect("a time")
    };
    let kabul = placed.with_timezone(&chrono_tz::Asia::Kabul);
    let page = browser.get(&format!("/admin/orders/{id}")).await;
    assert!(
        page.text
            .contains(&kabul.format("%Y-%m-%d %H:%M +0430").to_string()),
        "the order's time in Kabul"
    );

    browser.cookie = format!("{}; lang=fa", browser.cookie);
    let dari = browser.get("/admin").await;
    assert!(dari.text.contains("<html lang=\"fa\" dir=\"rtl\">"));
    assert!(dari.text.contains("سفارش‌های دستی در انتظار پرداخت"));
    // A refused field is said in Dari, by its code: not "must not be empty".
    let refused = browser
        .post(
            "/admin/artists",
            &[("display_name", " "), ("email", "not-an-email")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text.contains("لطفاً این را پر کنید."),
        "{}",
        refused.text
    );
    assert!(refused.text.contains("این نشانی ایمیل نیست."));
    assert!(!refused.text.contains("must not be empty"));
    // Swedish, the shop's third language, reads English in the console.
    browser.cookie = browser.cookie.replace("lang=fa", "lang=sv");
    let english = browser.get("/admin").await;
    assert!(english.text.contains("<html lang=\"en\" dir=\"ltr\">"));
}

#[tokio::test]
async fn a_coordinator_disables_another_from_the_console_with_their_password_again() {
    let app = spawn_app().await;
    let mut browser = Browser::sign_in(&app).await;
    let added = browser
        .post(
            "/admin/admins",
            &[
                ("email", "leaving@example.org"),
                ("password", "a password soon taken"),
            ],
        )
        .await;
    // Without the caller's own password nobody is added.
    assert_eq!(added.status, StatusCode::FORBIDDEN);
    assert!(
        added
            .text
            .contains("Your own password was missing or not right.")
    );
    assert!(added.text.contains("value=\"leaving@example.org\""));
    let added = browser
        .post(
            "/admin/admins",
            &[
                ("email", "leaving@example.org"),
                ("password", "a password soon taken"),
                ("current_password", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(location(&added), "/admin/account?done=admin-added");
    let theirs = sign_in_form(
        &app,
        "leaving@example.org",
        "a password soon taken",
        Some(&app.address),
    )
    .await;
    let their_cookie = session_cookie(&theirs).expect("a cookie");
    let their_cookie = their_cookie
        .split(';')
        .next()
        .expect("name=value")
        .to_string();
    let them = Browser {
        app: &app,
        cookie: their_cookie,
        csrf: String::new(),
    };
    assert_eq!(them.get("/admin").await.status, StatusCode::OK);

    let id = hunar::auth::coordinators::list(
        &app.db,
        hunar::pagination::Pagination::new(None, None).expect("page"),
    )
    .await
    .expect("list")
    .items
    .into_iter()
    .find(|c| c.email == "leaving@example.org")
    .expect("added")
    .id;
    let account = browser.get("/admin/account").await;
    assert!(
        account
            .text
            .contains(&format!("href=\"/admin/admins/{id}/disable\""))
    );
    let form = browser.get(&format!("/admin/admins/{id}/disable")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains("signed out everywhere at once"));
    let wrong = browser
        .post(
            &format!("/admin/admins/{id}/disable"),
            &[("current_password", "a wrong guess")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(
        wrong
            .text
            .contains("Your own password was missing or not right.")
    );
    assert_eq!(them.get("/admin").await.status, StatusCode::OK);
    let done = browser
        .post(
            &format!("/admin/admins/{id}/disable"),
            &[("current_password", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(location(&done), "/admin/account?done=admin-disabled");
    assert_eq!(them.get("/admin").await.status, StatusCode::SEE_OTHER);
    let account = browser.get("/admin/account?done=admin-disabled").await;
    assert!(account.text.contains("signed out everywhere"));
    assert!(
        account
            .text
            .contains(&format!("href=\"/admin/admins/{id}/enable\""))
    );

    // The last one who can sign in cannot lock the NGO out, in Dari too.
    let me = hunar::auth::coordinators::list(
        &app.db,
        hunar::pagination::Pagination::new(None, None).expect("page"),
    )
    .await
    .expect("list")
    .items
    .into_iter()
    .find(|c| c.email == ADMIN_EMAIL)
    .expect("me")
    .id;
    browser.cookie = format!("{}; lang=fa", browser.cookie);
    let last = browser
        .post(
            &format!("/admin/admins/{me}/disable"),
            &[("current_password", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(last.status, StatusCode::CONFLICT);
    assert!(
        last.text.contains("این آخرین هماهنگ‌کننده‌ای است"),
        "{}",
        last.text
    );
    assert_eq!(browser.get("/admin").await.status, StatusCode::OK);
    let unknown = browser.get("/admin/admins/nobody/disable").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let odd = browser.get(&format!("/admin/admins/{id}/delete")).await;
    assert_eq!(odd.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_coordinator_keeps_their_account_and_adds_another() {
    let app = spawn_app().await;
    let browser = Browser::sign_in(&app).await;
    let api_token = app.admin_token().await;

    let account = browser.get("/admin/account").await;
    assert!(account.text.contains("This browser"), "{}", account.text);
    assert!(account.text.contains("API token"));

    let weak = browser
        .post(
            "/admin/admins",
            &[
                ("email", "second@example.org"),
                ("password", "short"),
                ("current_password", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let added = browser
        .post(
            "/admin/admins",
            &[
                ("email", "second@example.org"),
                ("password", "another long password"),
                ("current_password", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(location(&added), "/admin/account?done=admin-added");
    assert_eq!(
        app.login("second@example.org", "another long password")
            .await
            .status,
        StatusCode::OK
    );
    let twice = browser
        .post(
            "/admin/admins",
            &[
                ("email", "Second@example.org"),
                ("password", "another long password"),
                ("current_password", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(twice.text.contains("already exists"));

    let wrong = browser
        .post(
            "/admin/account/password",
            &[
                ("current", "not it at all"),
                ("new", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text.contains("current password is not right"));
    assert_eq!(
        app.admin_get(&api_token, "/api/v1/admin/orders")
            .await
            .status,
        StatusCode::OK
    );
    let changed = browser
        .post(
            "/admin/account/password",
            &[("current", ADMIN_PASSWORD), ("new", "a brand new password")],
        )
        .await;
    assert_eq!(location(&changed), "/admin/account?done=password-changed");
    // Every other session ends; this one goes on.
    assert_eq!(
        app.admin_get(&api_token, "/api/v1/admin/orders")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(browser.get("/admin").await.status, StatusCode::OK);
    assert_eq!(
        app.login(ADMIN_EMAIL, "a brand new password").await.status,
        StatusCode::OK
    );

    let actions: Vec<String> = entity::audit_log::Entity::find()
        .all(&app.db)
        .await
        .expect("audit")
        .into_iter()
        .map(|r| r.action)
        .collect();
    for action in ["admin.create", "change_password"] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }

    // A session can be ended from the list; ending one's own is signing out.
    let unknown = browser
        .post("/admin/account/sessions/not-a-session/revoke", &[])
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let listed = browser.get("/admin/account").await;
    let session_of = |marker: &str| {
        listed
            .text
            .split("<li>")
            .find(|item| item.contains(marker))
            .and_then(|item| item.split("/admin/account/sessions/").nth(1))
            .and_then(|s| s.split('/').next())
            .expect("a session to end")
            .to_string()
    };
    let (script, own) = (session_of("API token"), session_of("This browser"));
    let ended = browser
        .post(&format!("/admin/account/sessions/{script}/revoke"), &[])
        .await;
    assert_eq!(location(&ended), "/admin/account?done=session-revoked");
    let ended = browser
        .post(&format!("/admin/account/sessions/{own}/revoke"), &[])
        .await;
    assert_eq!(location(&ended), "/admin/sign-in");
    assert_eq!(browser.get("/admin").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn console_sign_in_has_the_api_limits() {
    let app = builder().default_limits().spawn().await;
    let _ = hunar::auth::service::create_admin(&app.db, ADMIN_EMAIL, ADMIN_PASSWORD.into()).await;
    let mut last = None;
    for _ in 0..8 {
        last = Some(sign_in_form(&app, ADMIN_EMAIL, "guess guess guess", Some(&app.address)).await);
    }
    let limited = last.expect("a reply");
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.contains_key("retry-after"));
    assert!(limited.text.contains("Too many tries"));
}

#[tokio::test]
async fn emails_can_be_read_and_a_failed_one_sent_again() {
    let app = spawn_app().await;
    let (_, id) = manual_order(&app).await;
    let browser = Browser::sign_in(&app).await;
    // Never tried yet (and not before the year 2100): they go out by themselves, and no
    // "send again" suggests otherwise.
    app.db
        .execute_unprepared(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = '2100-01-01T00:00:00Z'",
        )
        .await
        .expect("wait");
    let emails = browser.get("/admin/emails").await;
    assert_eq!(emails.status, StatusCode::OK);
    assert!(emails.text.contains("Waiting to be sent"));
    assert!(!emails.text.contains("/retry\""), "{}", emails.text);
    assert!(emails.text.contains("anna@example.se"));
    assert!(emails.text.contains(&format!("/admin/orders/{id}")));
    // Each names its order by the reference the coordinator knows it by.
    assert!(emails.text.contains(&format!(
        "<bdi dir=\"ltr\">{}</bdi></a>",
        hunar::orders::reference::reference(&id)
    )));
    // An email that failed for good is listed on Today and can be queued again.
    // As the worker records it: the server's reply sealed (it may quote the address).
    let reply = app.state.core.vault.seal("mailbox unavailable");
    app.db
        .execute_unprepared(&format!(
            "UPDATE outbox SET status = 'failed', attempts = 8, last_error = '{}'",
            reply.stored()
        ))
        .await
        .expect("fail them");
    let today = browser.get("/admin").await;
    assert!(today.text.contains("Emails that could not be sent"));
    let failed = browser.get("/admin/emails?status=failed").await;
    assert!(failed.text.contains("mailbox unavailable"));
    let email_id = failed
        .text
        .split("/admin/emails/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("a retry form")
        .to_string();
    let retried = browser
        .post(&format!("/admin/emails/{email_id}/retry"), &[])
        .await;
    assert_eq!(location(&retried), "/admin/emails?done=email-queued");
    let row = entity::outbox::Entity::find_by_id(email_id.clone())
        .one(&app.db)
        .await
        .expect("query")
        .expect("row");
    assert_ne!(row.status, "failed");
    let audit = browser.get("/admin/audit").await;
    assert!(
        audit
            .text
            .contains("<span title=\"email.retry\">sent an email again</span>")
    );
}

impl Browser<'_> {
    async fn upload(&self, path: &str, csrf: Option<&str>, files: usize) -> Reply {
        let mut form = reqwest::multipart::Form::new().text("alt", "Kites over a hill");
        for i in 0..files {
            form = form.part(
                "file",
                reqwest::multipart::Part::bytes(small_png()).file_name(format!("kites-{i}.png")),
            );
        }
        let url = match csrf {
            Some(token) => format!("{path}?csrf={token}"),
            None => path.to_string(),
        };
        let req = self
            .app
            .client
            .post(self.app.url(&url))
            .header("Cookie", &self.cookie)
            .header(ORIGIN_HEADER, &self.app.address)
            .multipart(form);
        Reply::read(req.send().await.expect("send")).await
    }
}

/// The id in a redirect to `/admin/{room}/{id}?done=…`.
fn created_id(reply: &Reply, room: &str) -> String {
    let to = location(reply);
    to.strip_prefix(&format!("/admin/{room}/"))
        .and_then(|rest| rest.split('?').next())
        .unwrap_or_else(|| panic!("a new {room}: {to} {}", reply.text))
        .to_string()
}

#[tokio::test]
async fn a_coordinator_adds_an_artist_and_a_painting_with_photos_and_the_shop_shows_it() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let zones = app.create_zones(&token).await;
    let tier = app.create_tier(&token, &zones).await;
    let browser = Browser::sign_in(&app).await;

    let form = browser.get("/admin/artists/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains("Private: never shown publicly"));
    // Languages are offered only with their emails written: Dari and Pashto, not Swedish.
    assert!(form.text.contains("<option value=\"fa\""));
    assert!(form.text.contains("<option value=\"ps\""));
    assert!(
        !form.text.contains("<option value=\"sv\""),
        "Swedish is for buyers"
    );
    let bad = browser
        .post(
            "/admin/artists",
            &[("display_name", " "), ("email", "not-an-email")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("id=\"display_name-error\""));
    assert!(bad.text.contains("id=\"email-error\""));
    let created = browser
        .post(
            "/admin/artists",
            &[
                ("display_name", "Marjan Q."),
                ("bio", "Paints kites."),
                ("bio_fa", "کاغذپران می‌کشد."),
                ("deported_from", "DE"),
                ("email", "PRIVATE-MARKER-EMAIL@example.org"),
                ("phone", "+93 700 123 456"),
                ("preferred_language", "fa"),
                ("notes", "PRIVATE-MARKER-NOTE lives near the bazaar"),
            ],
        )
        .await;
    let artist = created_id(&created, "artists");
    let audit = browser.get("/admin/audit").await;
    assert!(
        audit.text.contains(&format!(
            "<a href=\"/admin/artists/{artist}\"><bdi>Marjan Q.</bdi></a>"
        )),
        "the audit log names the artist"
    );
    // A tier of the artist's own beside the shop-wide one of the same size: the painting
    // form's menu tells them apart by currency and artist.
    app.admin_post(
        &token,
        "/api/v1/admin/size-tiers",
        serde_json::json!({"name": "20×30 cm", "width_cm": 20, "height_cm": 30,
            "artist_id": artist, "currency": "SEK",
            "prices": [{"zone_id": zones.0, "amount": "450"}, {"zone_id": zones.1, "amount": "500"}]}),
    )
    .await
    .ok(201);
    let new_painting = browser.get("/admin/paintings/new").await;
    for label in ["20×30 cm · USD<", "20×30 cm · SEK · Marjan Q.<"] {
        assert!(
            new_painting.text.contains(label),
            "{label}: {}",
            new_painting.text
        );
    }
    // How the artist is told, and their own page's link, shown once and working.
    let told = browser
        .post(
            &format!("/admin/artists/{artist}"),
            &[
                ("display_name", "Marjan Q."),
                ("bio", "Paints kites."),
                ("bio_fa", "کاغذپران می‌کشد."),
                ("deported_from", "DE"),
                ("phone", "+93 700 123 456"),
                ("email", "PRIVATE-MARKER-EMAIL@example.org"),
                ("preferred_language", "fa"),
                ("notes", "PRIVATE-MARKER-NOTE lives near the bazaar"),
                ("notify_by", "both"),
                ("plain_messages", "yes"),
            ],
        )
        .await;
    assert_eq!(told.status, StatusCode::SEE_OTHER, "{}", told.text);
    let stored = app
        .admin_get(&token, &format!("/api/v1/admin/artists/{artist}"))
        .await;
    assert_eq!(stored.ok(200)["notify_by"], "both");
    assert_eq!(stored.ok(200)["plain_messages"], true);
    let made = browser
        .post(&format!("/admin/artists/{artist}/page-link"), &[])
        .await;
    assert_eq!(made.status, StatusCode::OK);
    let link = made
        .text
        .split(['<', '>', '"'])
        .find(|part| part.contains("/page?token="))
        .expect("the new link, shown once")
        .to_string();
    let own = app.get(&link[link.find("/page").expect("path")..]).await;
    assert_eq!(own.status, StatusCode::OK);
    let again = browser.get(&format!("/admin/artists/{artist}")).await;
    assert!(
        !again.text.contains("/page?token="),
        "the link is shown only once"
    );
    let page = browser.get(&format!("/admin/artists/{artist}")).await;
    assert!(page.text.contains("PRIVATE-MARKER-NOTE"));
    assert!(page.text.contains("selected>Germany") || page.text.contains("value=\"DE\" selected"));
    let portrait = browser
        .upload(
            &format!("/admin/artists/{artist}/portrait"),
            Some(&browser.csrf),
            1,
        )
        .await;
    assert_eq!(
        location(&portrait),
        format!("/admin/artists/{artist}?done=saved")
    );

    let bad = browser
        .post(
            "/admin/paintings",
            &[
                ("title", "Kites"),
                ("artist_id", &artist),
                ("width_cm", "wide"),
                ("height_cm", "30"),
                ("size_tier_id", &tier),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("id=\"width_cm-error\""));
    assert!(bad.text.contains("value=\"Kites\""), "what was typed stays");
    let created = browser
        .post(
            "/admin/paintings",
            &[
                ("title", "Kites over Kabul"),
                ("artist_id", &artist),
                ("description", "Oil on canvas."),
                ("medium", "Oil"),
                ("width_cm", "20"),
                ("height_cm", "30"),
                ("year", "2025"),
                ("size_tier_id", &tier),
                ("status", "draft"),
            ],
        )
        .await;
    let painting = created_id(&created, "paintings");
    // A draft is not in the shop.
    assert_eq!(
        app.get(&format!("/api/v1/artworks/{painting}"))
            .await
            .status,
        404
    );

    // Photos: the token travels in the query string; without it nothing is stored.
    let path = format!("/admin/paintings/{painting}/photos");
    let forged = browser.upload(&path, None, 1).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let added = browser.upload(&path, Some(&browser.csrf), 2).await;
    assert_eq!(
        location(&added),
        format!("/admin/paintings/{painting}?done=photos-added")
    );
    let page = browser.get(&format!("/admin/paintings/{painting}")).await;
    assert_eq!(page.text.matches("Remove this photo").count(), 2);
    let junk = {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(b"not a picture".to_vec()).file_name("notes.txt"),
        );
        let req = app
            .client
            .post(app.url(&format!("{path}?csrf={}", browser.csrf)))
            .header("Cookie", &browser.cookie)
            .header(ORIGIN_HEADER, &app.address)
            .multipart(form);
        Reply::read(req.send().await.expect("send")).await
    };
    assert_eq!(junk.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(junk.text.contains("notes.txt"), "the refused file is named");

    // Put on sale with a price override, then the shop has it.
    let saved = browser
        .post(
            &format!("/admin/paintings/{painting}"),
            &[
                ("title", "Kites over Kabul"),
                ("artist_id", &artist),
                ("description", "Oil on canvas."),
                ("medium", "Oil"),
                ("width_cm", "20"),
                ("height_cm", "30"),
                ("year", "2025"),
                ("size_tier_id", &tier),
                ("status", "available"),
                ("price_amount", "120.00"),
                ("price_currency", "usd"),
            ],
        )
        .await;
    assert_eq!(
        location(&saved),
        format!("/admin/paintings/{painting}?done=saved")
    );
    let public = app
        .get(&format!("/api/v1/artworks/{painting}?country=SE"))
        .await;
    assert_eq!(public.ok(200)["price"]["amount"], "120.00");
    let shop = app
        .client
        .get(app.url(&format!("/artworks/{painting}")))
        .header("Accept", "text/html")
        .header("Cookie", "country=SE")
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("html");
    assert!(shop.contains("Kites over Kabul"));
    assert!(shop.contains("<picture>"));

    // No private field of the artist anywhere in the shop.
    for path in [
        "/".to_string(),
        "/artworks".to_string(),
        format!("/artworks/{painting}"),
        "/artists/marjan-q".to_string(),
        format!("/artworks/{painting}/buy"),
        "/sitemap.xml".to_string(),
    ] {
        let html = app
            .client
            .get(app.url(&path))
            .header("Accept", "text/html")
            .header("Cookie", "country=SE")
            .send()
            .await
            .expect("send")
            .text()
            .await
            .expect("html");
        for private in ["PRIVATE-MARKER", "+93 700 123", "bazaar"] {
            assert!(!html.contains(private), "{path} shows {private}");
        }
    }

    // The second photo, described and put first: the shop's first photo is now that one.
    let second = {
        let token = app.admin_token().await;
        let detail = app
            .admin_get(&token, &format!("/api/v1/admin/artworks/{painting}"))
            .await;
        detail.ok(200)["images"][1]["id"]
            .as_str()
            .expect("a second photo")
            .to_string()
    };
    let edited = browser
        .post(
            &format!("/admin/paintings/{painting}/photos/{second}"),
            &[("alt", "The kites, close up"), ("first", "1")],
        )
        .await;
    assert_eq!(
        location(&edited),
        format!("/admin/paintings/{painting}?done=saved")
    );
    let public = app.get(&format!("/api/v1/artworks/{painting}")).await;
    assert_eq!(public.ok(200)["images"][0]["alt"], "The kites, close up");
    let too_long = "x".repeat(501);
    let refused = browser
        .post(
            &format!("/admin/paintings/{painting}/photos/{second}"),
            &[("alt", too_long.as_str())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A size's prices, edited on the price page.
    let tier_page = browser.get(&format!("/admin/prices/tiers/{tier}")).await;
    assert_eq!(tier_page.status, StatusCode::OK);
    let (af, intl) = (&zones.0, &zones.1);
    let bad = browser
        .post(
            &format!("/admin/prices/tiers/{tier}"),
            &[
                (&format!("price.{af}"), "forty"),
                (&format!("price.{intl}"), "55"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("value=\"forty\""), "what was typed stays");
    let bad_currency = browser
        .post(
            &format!("/admin/prices/tiers/{tier}"),
            &[
                (&format!("price.{af}"), "40"),
                (&format!("price.{intl}"), "55.50"),
                (&format!("currency.{intl}"), "EURO"),
            ],
        )
        .await;
    assert_eq!(bad_currency.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad_currency
            .text
            .contains(&format!("id=\"currency.{intl}-error\"")),
        "the currency's own field says what is wrong: {}",
        bad_currency.text
    );
    let saved = browser
        .post(
            &format!("/admin/prices/tiers/{tier}"),
            &[
                (&format!("price.{af}"), "40"),
                (&format!("price.{intl}"), "55.50"),
                (&format!("currency.{intl}"), "eur"),
            ],
        )
        .await;
    assert_eq!(location(&saved), "/admin/prices?done=saved");
    // The zone's own currency in the form, and the change from what to what in the log.
    let tier_page = browser.get(&format!("/admin/prices/tiers/{tier}")).await;
    assert!(
        tier_page.text.contains("value=\"EUR\""),
        "{}",
        tier_page.text
    );
    let audit = browser.get("/admin/audit").await;
    assert!(
        audit.text.contains("International 50.00 USD")
            && audit.text.contains("International 55.50 EUR"),
        "{}",
        audit.text
    );

    // A zone of its own for the Nordic countries, then priced.
    let bad = browser
        .post(
            "/admin/prices/zones",
            &[("name", "Nordics"), ("countries", "SE XX")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("id=\"countries-error\""));
    assert!(bad.text.contains("value=\"SE XX\""));
    let nordics = browser
        .post(
            "/admin/prices/zones",
            &[("name", "Nordics"), ("countries", "se, no dk")],
        )
        .await;
    assert_eq!(location(&nordics), "/admin/prices?done=created");
    let grid = browser.get("/admin/prices").await;
    assert!(grid.text.contains("Nordics"));
    assert!(
        grid.text.contains("not shipped"),
        "the new zone has no price yet"
    );
    let zone_id = grid
        .text
        .split("/admin/prices/zones/")
        .filter_map(|s| s.split('"').next())
        .find(|id| *id != "new" && grid.text.contains(&format!("{id}\"><strong><bdi>Nordics")))
        .expect("the zone's link")
        .to_string();
    let renamed = browser
        .post(
            &format!("/admin/prices/zones/{zone_id}"),
            &[("name", "Norden"), ("countries", "SE NO DK FI")],
        )
        .await;
    assert_eq!(location(&renamed), "/admin/prices?done=saved");
    let edit = browser.get(&format!("/admin/prices/zones/{zone_id}")).await;
    assert!(edit.text.contains("value=\"SE NO DK FI\"") || edit.text.contains("Finland"));

    // The lists and the price grid.
    let list = browser
        .get(&format!(
            "/admin/paintings?artist={artist}&status=available"
        ))
        .await;
    assert!(list.text.contains("Kites over Kabul"));
    assert!(list.text.contains("One painting"));
    let none = browser.get("/admin/paintings?status=sold").await;
    assert!(none.text.contains("No painting matches."));
    let found = browser.get("/admin/artists?q=marj").await;
    assert!(found.text.contains("Marjan Q."));
    let not_found = browser.get("/admin/artists?q=zzz").await;
    assert!(not_found.text.contains("No artist found."));
    let prices = browser.get("/admin/prices").await;
    assert_eq!(prices.status, StatusCode::OK);
    assert!(prices.text.contains("Norden"));
    assert!(prices.text.contains("International") && prices.text.contains("Afghanistan"));
    assert!(
        prices
            .text
            .contains("<td class=\"num\" data-label=\"Afghanistan\">$40</td>")
            && prices
                .text
                .contains("<td class=\"num\" data-label=\"International\">€55.50</td>"),
        "{}",
        prices.text
    );

    // An artist with paintings cannot be deleted; the page says why before the click.
    let delete = browser
        .get(&format!("/admin/artists/{artist}/delete"))
        .await;
    assert!(delete.text.contains("This artist still has 1 paintings."));
    assert!(
        !delete
            .text
            .contains(&format!("action=\"/admin/artists/{artist}/delete\"")),
        "no button to press"
    );
    let refused = browser
        .post(&format!("/admin/artists/{artist}/delete"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let lonely = browser
        .post("/admin/artists", &[("display_name", "Nobody Yet")])
        .await;
    let lonely = created_id(&lonely, "artists");
    let deleted = browser
        .post(&format!("/admin/artists/{lonely}/delete"), &[])
        .await;
    assert_eq!(location(&deleted), "/admin/artists?done=deleted");
    assert_eq!(
        browser
            .get(&format!("/admin/artists/{lonely}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_link_from_an_email_reaches_the_page_with_the_strict_cookie() {
    let app = spawn_app().await;
    let (_, id) = manual_order(&app).await;
    let path = format!("/admin/orders/{id}");
    // Followed from webmail: the browser holds the cookie back; the page reloads from here.
    let from_mail = app
        .client
        .get(app.url(&path))
        .header("Accept", "text/html")
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .await
        .expect("send");
    assert_eq!(from_mail.status(), StatusCode::OK);
    assert_eq!(
        from_mail.headers()["referrer-policy"]
            .to_str()
            .expect("policy"),
        "same-origin"
    );
    let html = from_mail.text().await.expect("html");
    assert!(
        html.contains(&format!("content=\"0; url={path}\"")),
        "{html}"
    );
    assert!(
        !html.contains("Storgatan"),
        "nothing of the order without the session"
    );
    // The reload, from this site, with no session: the sign-in page.
    let reload = app
        .client
        .get(app.url(&path))
        .header("Sec-Fetch-Site", "same-origin")
        .send()
        .await
        .expect("send");
    assert_eq!(reload.status(), StatusCode::SEE_OTHER);
    // With the session it is simply the page.
    let browser = Browser::sign_in(&app).await;
    assert_eq!(browser.get(&path).await.status, StatusCode::OK);
}

#[tokio::test]
async fn odd_query_strings_get_console_pages_and_typed_fields_stay() {
    let app = spawn_app().await;
    let browser = Browser::sign_in(&app).await;
    for path in [
        "/admin/emails?page=abc",
        "/admin/audit?page=-1",
        "/admin/paintings?page=1e9",
        "/admin/artists?page=two",
    ] {
        let reply = browser.get(path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert!(reply.content_type().starts_with("text/html"), "{path}");
    }
    let refused = browser
        .post(
            "/admin/admins",
            &[
                ("email", "new.coordinator@example.org"),
                ("password", "short"),
                ("current_password", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text
            .contains("value=\"new.coordinator@example.org\"")
    );
    // The language switch on a refused post leads to a page that exists.
    assert!(refused.text.contains("/lang/fa?next=/admin/account\""));
}

#[tokio::test]
async fn the_api_order_filters_the_console_added_refuse_what_they_cannot_read() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    for (query, field) in [
        ("payment_method=cash", "payment_method"),
        ("reference=HN-", "reference"),
        ("placed_from=yesterday", "placed_from"),
        ("placed_to=2026-13-40", "placed_to"),
    ] {
        app.admin_get(&token, &format!("/api/v1/admin/orders?{query}"))
            .await
            .invalid_field(field);
    }
    let fine = app
        .admin_get(
            &token,
            "/api/v1/admin/orders?payment_method=manual&reference=HN-1234&placed_from=2026-01-01",
        )
        .await;
    assert_eq!(fine.ok(200)["total"], 0);
}

#[tokio::test]
async fn today_says_whether_backups_are_taken() {
    let app = spawn_app().await;
    let browser = Browser::sign_in(&app).await;
    let today = browser.get("/admin").await;
    // Said first, with what is at risk, not under "nothing needs you".
    let before_orders = today
        .text
        .split("id=\"to-ship\"")
        .next()
        .unwrap_or_default();
    assert!(
        before_orders.contains("Nothing is copied off this server")
            && before_orders.contains("every order, every buyer"),
        "{}",
        today.text
    );
    assert!(!today.text.contains("Nothing needs you"), "{}", today.text);

    let dir = tempfile::tempdir().expect("dir");
    let scheduled = builder()
        .env("BACKUP_DIR", &dir.path().display().to_string())
        .env("BACKUP_EVERY", "24h")
        .spawn()
        .await;
    let browser = Browser::sign_in(&scheduled).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let today = browser.get("/admin").await;
        if today.text.contains("Last good backup:") {
            let backups = today
                .text
                .split("aria-labelledby=\"backups\"")
                .nth(1)
                .unwrap_or_default();
            assert!(!backups.contains("class=\"warning\""), "{}", today.text);
            // Where it is, and that a folder on this server is lost with it.
            assert!(
                backups.contains(&dir.path().display().to_string())
                    && backups.contains("own disks: have it copied somewhere else"),
                "{}",
                today.text
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{}", today.text);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_coordinator_records_a_payout_reverses_a_mistake_and_enters_shipping_in_the_console() {
    let app = spawn_app().await;
    let (catalog, order) = manual_order(&app).await;
    let browser = Browser::sign_in(&app).await;
    let confirmed = browser
        .post(
            &format!("/admin/orders/{order}/confirm-payment"),
            &[("reference", "BANK-77")],
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::SEE_OTHER);
    let artist = catalog.artist.as_str();
    let ledger_page = format!("/admin/artists/{artist}/ledger");

    let summary = browser.get("/admin/ledger").await;
    assert_eq!(summary.status, StatusCode::OK);
    assert!(summary.text.contains(&ledger_page), "{}", summary.text);
    assert!(summary.text.contains("$50"));

    // A mistyped amount: the form comes back with the field marked, nothing recorded.
    let payouts = format!("/admin/artists/{artist}/payouts");
    let payout = |amount: &'static str| {
        [
            ("amount", amount),
            ("currency", "usd"),
            ("method", "hawala"),
            ("reference", "K-9"),
            ("paid_on", "2026-11-20"),
            ("exchange_rate", ""),
            ("paid_currency", ""),
            ("note", ""),
        ]
    };
    let wrong = browser.post(&payouts, &payout("fifty")).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text.contains("id=\"amount-error\""), "{}", wrong.text);
    // More than is owed: refused with the reason.
    let over = browser.post(&payouts, &payout("60")).await;
    assert_eq!(over.status, StatusCode::CONFLICT);
    assert!(over.text.contains("id=\"amount-error\""), "{}", over.text);
    assert!(over.text.contains("Only $50 is owed"), "{}", over.text);

    // The shipping is not entered yet: asked first, naming the order, with a box to pay anyway.
    let early = browser.post(&payouts, &payout("50")).await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert!(
        early.text.contains("id=\"before_shipping-error\"")
            && early.text.contains(&hunar::orders::reference(&order))
            && early.text.contains("name=\"before_shipping\""),
        "{}",
        early.text
    );
    let mut anyway = payout("50").to_vec();
    anyway.push(("before_shipping", "yes"));
    let paid = browser.post(&payouts, &anyway).await;
    assert_eq!(
        location(&paid),
        format!("{ledger_page}?done=payout-recorded")
    );
    let page = browser.get(&ledger_page).await;
    assert!(page.text.contains("K-9"));
    let reverse_link = page
        .text
        .split("href=\"/admin/ledger/entries/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a reverse link")
        .to_string();
    let reverse = format!("/admin/ledger/entries/{reverse_link}");
    assert_eq!(browser.get(&reverse).await.status, StatusCode::OK);
    let no_reason = browser.post(&reverse, &[("reason", "")]).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reversed = browser
        .post(&reverse, &[("reason", "paid to the wrong cousin")])
        .await;
    assert_eq!(location(&reversed), format!("{ledger_page}?done=reversed"));

    let shipping = format!("/admin/orders/{order}/shipping-cost");
    assert!(
        browser
            .get(&format!("/admin/orders/{order}"))
            .await
            .text
            .contains(&shipping)
    );
    assert_eq!(browser.get(&shipping).await.status, StatusCode::OK);
    let recorded = browser
        .post(
            &shipping,
            &[("amount", "12,50"), ("currency", "USD"), ("note", "")],
        )
        .await;
    assert_eq!(
        location(&recorded),
        format!("/admin/orders/{order}?done=shipping-recorded")
    );
    let order_page = browser.get(&format!("/admin/orders/{order}")).await;
    assert!(
        order_page.text.contains("Shipping cost recorded: $12.50"),
        "{}",
        order_page.text
    );
    assert!(!order_page.text.contains(&shipping));

    let token = app.admin_token().await;
    let ledger = app
        .admin_get(&token, &format!("/api/v1/admin/artists/{artist}/ledger"))
        .await;
    assert_eq!(
        ledger.ok(200)["balances"],
        serde_json::json!([{"currency": "USD", "owed": "37.50"}])
    );
    let csv = browser.get(&format!("{ledger_page}.csv?from=&to=")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.text.contains("paid to the wrong cousin"));
    // Before she is named, the coordinator can show her what the page would say: ended
    // quarters only (this one is running), with her sales (the payout here was reversed).
    let page = browser.get(&ledger_page).await;
    assert!(
        page.text
            .contains("What the transparency page would show for her")
    );
    assert!(
        page.text
            .contains("Nothing yet: only quarters that have ended")
    );
    for sql in [
        "UPDATE ledger_entries SET created_at = '2026-06-15 12:00:00+00:00'",
        "UPDATE ledger_entries SET paid_on = '2026-06-10' WHERE paid_on IS NOT NULL",
    ] {
        app.db
            .execute_unprepared(sql)
            .await
            .expect("an ended quarter");
    }
    let page = browser.get(&ledger_page).await;
    let preview = page
        .text
        .split("<details class=\"preview\">")
        .nth(1)
        .unwrap_or_default();
    assert!(
        preview.contains("<bdi dir=\"ltr\">2026-Q2</bdi></strong>: 1 painting sold"),
        "{preview}"
    );
    // Naming her publicly asks how she agreed, and keeps it with who recorded it and when.
    let unsaid = browser
        .post(
            &format!("/admin/artists/{artist}/payout-terms"),
            &[("ngo_share_percent", "12.5"), ("transparency", "yes")],
        )
        .await;
    assert_eq!(unsaid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unsaid.text.contains("id=\"consent_how-error\""));
    let public = app.get("/api/v1/transparency").await;
    assert_eq!(public.ok(200)["artists"], serde_json::json!([]));
    let terms = browser
        .post(
            &format!("/admin/artists/{artist}/payout-terms"),
            &[
                ("ngo_share_percent", "12.5"),
                ("transparency", "yes"),
                ("consent_how", "WhatsApp voice message, 2 December"),
            ],
        )
        .await;
    assert_eq!(location(&terms), format!("{ledger_page}?done=saved"));
    let public = app.get("/api/v1/transparency").await;
    assert_eq!(public.ok(200)["artists"][0]["slug"], "test-painter");
    let page = browser.get(&ledger_page).await;
    assert!(
        page.text
            .contains("<bdi>WhatsApp voice message, 2 December</bdi>")
            && page.text.contains(&format!("<bdi>{ADMIN_EMAIL}</bdi>")),
        "the consent as recorded"
    );
    // Saved again without new words, the consent recorded stays.
    let again = browser
        .post(
            &format!("/admin/artists/{artist}/payout-terms"),
            &[("ngo_share_percent", "10"), ("transparency", "yes")],
        )
        .await;
    assert_eq!(location(&again), format!("{ledger_page}?done=saved"));
    let page = browser.get(&ledger_page).await;
    assert!(
        page.text
            .contains("<bdi>WhatsApp voice message, 2 December</bdi>")
    );
    // Taken off the page, her consent is forgotten: naming her again asks again.
    let off = browser
        .post(
            &format!("/admin/artists/{artist}/payout-terms"),
            &[("ngo_share_percent", "10")],
        )
        .await;
    assert_eq!(location(&off), format!("{ledger_page}?done=saved"));
    let unsaid = browser
        .post(
            &format!("/admin/artists/{artist}/payout-terms"),
            &[("ngo_share_percent", "10"), ("transparency", "yes")],
        )
        .await;
    assert_eq!(unsaid.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// A coordinator writes the NGO's contact and its ways to be paid in the console (in Dari
/// too); a buyer's order page then shows them.
#[tokio::test]
async fn a_coordinator_keeps_the_contact_and_the_ways_to_pay_in_the_console() {
    let app = spawn_app().await;
    let browser = Browser::sign_in(&app).await;
    let page = browser.get("/admin/settings").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("No way to pay is written yet"));
    let saved = browser
        .post(
            "/admin/settings/contact",
            &[
                ("name", "Föreningen Hunar"),
                ("email", "hej@hunar.example"),
                ("whatsapp", "+46 70 123 45 67"),
                ("phone", ""),
            ],
        )
        .await;
    assert_eq!(location(&saved), "/admin/settings?done=saved");
    // A way to pay a buyer could not use is sent back, naming what is missing.
    let refused = browser
        .post(
            "/admin/settings/payment-options/new",
            &[
                ("method", "swish"),
                ("currency", "SEK"),
                ("swish_number", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("Swish number"), "{}", refused.text);
    let added = browser
        .post(
            "/admin/settings/payment-options/new",
            &[
                ("method", "bank_transfer"),
                ("currency", ""),
                ("account_holder", "Föreningen Hunar"),
                ("iban", "SE45 5000 0000 0583 9825 7466"),
                ("note_sv", "Skriv referensen i meddelandet."),
                ("note_fa", "شمارهٔ سفارش را در پیام بنویسید."),
            ],
        )
        .await;
    assert_eq!(location(&added), "/admin/settings?done=saved");
    let token = app.admin_token().await;
    let kept = app.admin_get(&token, "/api/v1/admin/organisation").await;
    let kept = kept.ok(200);
    assert_eq!(kept["contact"]["whatsapp"], "+46 70 123 45 67");
    let option_id = kept["payment_options"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    // In Dari, right to left, the account number kept left to right.
    let dari = browser
        .app
        .client
        .get(app.url("/admin/settings"))
        .header("Cookie", format!("{}; lang=fa", browser.cookie))
        .send()
        .await
        .expect("dari");
    let dari = Reply::read(dari).await;
    assert!(dari.text.contains("dir=\"rtl\""));
    assert!(dari.text.contains("راه‌های پرداخت دستی"));
    assert!(
        dari.text
            .contains("<bdi dir=\"ltr\" class=\"copyable\">SE45 5000 0000 0583 9825 7466</bdi>")
    );
    // A buyer's order page shows the way to pay and the contact.
    let catalog = app.small_catalog(&token).await;
    let placed = app
        .place_order(&new_key(), &order_body(&catalog.artwork))
        .await;
    let placed = placed.ok(201).clone();
    let (id, access) = (
        placed["order"]["id"].as_str().expect("id"),
        placed["access_token"].as_str().expect("token"),
    );
    let order_page = app.get(&format!("/orders/{id}?token={access}")).await;
    assert!(order_page.text.contains("SE45 5000 0000 0583 9825 7466"));
    assert!(order_page.text.contains("https://wa.me/46701234567"));
    // Deleted, it is gone.
    let deleted = browser
        .post(
            &format!("/admin/settings/payment-options/{option_id}/delete"),
            &[],
        )
        .await;
    assert_eq!(location(&deleted), "/admin/settings?done=deleted");
    let kept = app.admin_get(&token, "/api/v1/admin/organisation").await;
    assert_eq!(kept.ok(200)["payment_options"], serde_json::json!([]));
}

/// Today says only what is true about emails: with no mail server, that nothing is sent and
/// how many wait, never "every email went out".
#[tokio::test]
async fn today_says_when_emails_wait_because_no_mail_server_is_set() {
    let app = spawn_app().await;
    let browser = Browser::sign_in(&app).await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    app.place_order(&new_key(), &order_body(&catalog.artwork))
        .await
        .ok(201);
    let today = browser.get("/admin").await;
    assert!(
        today.text.contains("No mail server is set up"),
        "{}",
        today.text
    );
    assert!(!today.text.contains("Every email went out"));
}

#[tokio::test]
async fn a_coordinator_erases_an_ended_orders_buyer_from_the_order_page() {
    let app = spawn_app().await;
    let browser = Browser::sign_in(&app).await;
    let (_, id) = manual_order(&app).await;
    let page = format!("/admin/orders/{id}");
    let open = browser.get(&page).await;
    assert!(open.text.contains("Anna Lind"));
    assert!(
        !open.text.contains("/erase-buyer"),
        "no erasing while it is open"
    );
    let refused = browser.post(&format!("{page}/erase-buyer"), &[]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.text.contains("still open"));

    let token = app.admin_token().await;
    app.admin_post(
        &token,
        &format!("/api/v1/admin/orders/{id}/cancel"),
        serde_json::json!({"reason": "asked by the buyer"}),
    )
    .await
    .ok(200);
    let ended = browser.get(&page).await;
    assert!(
        ended
            .text
            .contains(&format!("action=\"{page}/erase-buyer\""))
    );
    let done = browser.post(&format!("{page}/erase-buyer"), &[]).await;
    assert_eq!(location(&done), format!("{page}?done=buyer-erased"));
    let after = browser.get(&format!("{page}?done=buyer-erased")).await;
    assert!(after.text.contains("were erased on"));
    assert!(!after.text.contains("Anna Lind"));
    assert!(!after.text.contains("Storgatan"));
    let list = browser.get("/admin/orders").await;
    assert!(!list.text.contains("Anna Lind"));
    assert!(list.text.contains("erased"));
}

#[tokio::test]
async fn guessing_the_current_password_on_the_account_page_is_limited() {
    let app = builder().default_limits().spawn().await;
    let browser = Browser::sign_in(&app).await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let reply = browser
            .post(
                "/admin/account/password",
                &[
                    ("current", "a guess at it"),
                    ("new", "a brand new password"),
                ],
            )
            .await;
        statuses.push(reply.status.as_u16());
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(
                reply.text.contains("Too many wrong passwords"),
                "{}",
                reply.text
            );
        }
    }
    assert_eq!(statuses[0], 422);
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
}
