//! The shop in a real browser: Debian's Chromium driven over WebDriver (chromedriver), as a
//! supporter on a phone would use it, with JavaScript on and off, with axe-core checking
//! every page type for accessibility. `scripts/browser-tools.sh` installs what it needs.
//! Without Chromium these tests say so in one line and do nothing, unless
//! `HUNAR_BROWSER_TESTS=required` (CI), where a missing browser is a failure.
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, ClientBuilder, Locator};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, builder};
use crate::smtp::Sink;
use crate::stripe_mock::StripeMock;

/// One browser at a time: Chromium is heavy on a 2-core machine.
pub(crate) static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub(crate) struct Driver {
    process: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

pub(crate) fn required() -> bool {
    std::env::var("HUNAR_BROWSER_TESTS").is_ok_and(|v| v == "required")
}

/// chromedriver on a free port, or None (and one line saying why) when there is none.
pub(crate) async fn driver() -> Option<Driver> {
    let found = Command::new("chromedriver")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            !required(),
            "HUNAR_BROWSER_TESTS=required but chromedriver is missing"
        );
        eprintln!(
            "browser tests not run: no chromedriver here (run scripts/browser-tools.sh, then cargo test)"
        );
        return None;
    }
    let port = crate::smtp::free_port().await;
    let process = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Some(Driver { process, url })
}

/// A phone-sized headless Chromium; `javascript: false` turns scripts off.
pub(crate) async fn browser(driver: &Driver, javascript: bool) -> Client {
    let mut args = vec![
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=390,844",
        "--lang=en-US",
    ];
    if !javascript {
        args.push("--blink-settings=scriptEnabled=false");
    }
    let mut options = json!({ "args": args });
    if !javascript {
        options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

/// Finds an element, waiting for it: a page may still be loading after a click.
/// axe-core's script, or None (and one line saying why) when it is not installed.
pub(crate) fn axe_source() -> Option<String> {
    let axe_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/browser-tools/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&axe_path) {
        Ok(source) => Some(source),
        Err(_) => {
            assert!(
                !required(),
                "HUNAR_BROWSER_TESTS=required but axe-core is missing"
            );
            eprintln!("accessibility checks not run: no axe-core (run scripts/browser-tools.sh)");
            None
        }
    }
}

/// Saves what the browser shows as `target/screenshots/{name}.png`, at `width`×`height`: the
/// The pictures in the README and docs/GUIDE.md come from here (`scripts/screenshots.sh` copies them to docs/).
pub(crate) async fn screenshot(c: &Client, name: &str, width: u32, height: u32) {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/screenshots")
        .join(format!("{name}.png"));
    std::fs::create_dir_all(file.parent().expect("folder")).expect("screenshot folder");
    c.set_window_size(width, height).await.expect("window size");
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(file, png).expect("write screenshot");
    c.set_window_size(390, 844).await.expect("window size");
}

pub(crate) async fn find(c: &Client, locator: Locator<'_>) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(locator)
        .await
        .expect("element on the page")
}

/// Waits (30 s at most) until the browser's url satisfies `done`.
pub(crate) async fn wait_for_url(c: &Client, done: impl Fn(&str) -> bool) -> String {
    for _ in 0..300 {
        let url = c.current_url().await.expect("url").to_string();
        if done(&url) {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    c.current_url().await.expect("url").to_string()
}

pub(crate) async fn text_of(c: &Client, css: &str) -> String {
    find(c, Locator::Css(css)).await.text().await.expect("text")
}

pub(crate) async fn fill(c: &Client, name: &str, value: &str) {
    let field = find(c, Locator::Css(&format!("[name='{name}']"))).await;
    field.clear().await.expect("clear");
    field.send_keys(value).await.expect("type");
}

/// The buy form, filled as Anna in Sweden would.
async fn fill_buy_form(c: &Client, email: &str) {
    fill(c, "name", "Anna Lind").await;
    fill(c, "email", email).await;
    fill(c, "line1", "Storgatan 1").await;
    fill(c, "city", "Göteborg").await;
    fill(c, "postal_code", "411 01").await;
}

async fn submit(c: &Client) {
    find(c, Locator::Css("form.form button[type='submit']"))
        .await
        .click()
        .await
        .expect("submit");
}

/// The manual journey: choose Sweden, see prices, open a painting, buy it, land on the order
/// page. Returns the order page's url.
async fn manual_journey(c: &Client, app: &TestApp, email: &str) -> String {
    to_sweden(c, app).await;
    find(c, Locator::Css(".grid .card")).await;
    let home = c.source().await.expect("home");
    assert!(home.contains("Sweden"), "the destination is shown");
    assert!(
        home.contains("SEK") && home.contains('$'),
        "SEK and USD prices"
    );
    find(c, Locator::Css(".card h3 a"))
        .await
        .click()
        .await
        .expect("open it");
    assert!(text_of(c, ".price").await.contains("shipping included"));
    find(c, Locator::LinkText("Buy this painting"))
        .await
        .click()
        .await
        .expect("to the form");
    wait_for_url(c, |u| u.ends_with("/buy")).await;
    fill_buy_form(c, email).await;
    find(c, Locator::Css("input[value='manual']"))
        .await
        .click()
        .await
        .expect("choose manual");
    submit(c).await;
    let url = wait_for_url(c, |u| u.contains("/orders/")).await;
    assert!(url.contains("/orders/") && url.contains("token="), "{url}");
    assert!(text_of(c, "h1").await.contains("HN-"));
    assert!(
        c.source()
            .await
            .expect("page")
            .contains("Waiting for payment")
    );
    url
}

#[tokio::test]
async fn a_supporter_on_a_phone_buys_with_and_without_javascript() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(driver) = driver().await else { return };
    let sink = Sink::start().await;
    let app = builder()
        .reachable()
        .seeded()
        .env("SMTP_URL", &sink.url())
        .env("COORDINATOR_EMAIL", "coordinator@hunar.example")
        .env("MAIL_POLL_MS", "20")
        .spawn()
        .await;
    for (javascript, email) in [(true, "anna@example.se"), (false, "nojs@example.se")] {
        let c = browser(&driver, javascript).await;
        manual_journey(&c, &app, email).await;
        c.close().await.expect("close");
    }
    // Each order told its buyer and the coordinator, through the SMTP listener.
    let mails = sink.wait_for(4).await;
    let to = |who: &str| {
        mails
            .iter()
            .filter(|m| m.recipients.iter().any(|r| r == who))
            .count()
    };
    assert_eq!(to("anna@example.se"), 1);
    assert_eq!(to("nojs@example.se"), 1);
    assert_eq!(to("coordinator@hunar.example"), 2);
}

#[tokio::test]
async fn card_payment_goes_to_checkout_and_two_browsers_race_for_one_painting() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(driver) = driver().await else { return };
    let stripe = StripeMock::start().await;
    let app = stripe.app().seeded().spawn().await;
    let list = app.get("/api/v1/artworks?sort=price_asc").await;
    let items = list.ok(200)["items"].as_array().expect("items").clone();
    let first = items[0]["id"].as_str().expect("id").to_string();
    let second = items[1]["id"].as_str().expect("id").to_string();

    let c = browser(&driver, true).await;
    // Sweden chosen in the banner's picker; the form ships there.
    c.goto(&app.url(&format!("/country?code=SE&next=/artworks/{first}/buy")))
        .await
        .expect("form");
    fill_buy_form(&c, "card@example.se").await;
    find(&c, Locator::Css("input[value='stripe']"))
        .await
        .click()
        .await
        .expect("choose card");
    submit(&c).await;
    // Stripe is not reachable from here; the browser was sent there all the same.
    let url = wait_for_url(&c, |u| u.starts_with("https://checkout.stripe.com/")).await;
    assert!(url.starts_with("https://checkout.stripe.com/"), "{url}");
    c.close().await.expect("close");

    // Two supporters fill in the form for one painting and send it at the same moment.
    let a = browser(&driver, true).await;
    let b = browser(&driver, true).await;
    for (c, email) in [(&a, "first@example.se"), (&b, "second@example.se")] {
        c.goto(&app.url(&format!("/country?code=SE&next=/artworks/{second}/buy")))
            .await
            .expect("form");
        fill_buy_form(c, email).await;
        find(c, Locator::Css("input[value='manual']"))
            .await
            .click()
            .await
            .expect("choose");
    }
    tokio::join!(submit(&a), submit(&b));
    let mut outcomes = Vec::new();
    for c in [&a, &b] {
        // The winner is sent to the order page; the loser's answer stays at the form's url.
        let mut outcome = "other";
        for _ in 0..300 {
            let h1 = c
                .find(Locator::Css("h1"))
                .await
                .ok()
                .map(|e| async move { e.text().await.unwrap_or_default() });
            let h1 = match h1 {
                Some(text) => text.await,
                None => String::new(),
            };
            if h1.contains("Just sold") {
                outcome = "sold";
                break;
            }
            if h1.contains("HN-") {
                outcome = "order";
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        outcomes.push(outcome);
    }
    outcomes.sort_unstable();
    assert_eq!(
        outcomes,
        ["order", "sold"],
        "one order, one kind 'just sold' page"
    );
    a.close().await.expect("close");
    b.close().await.expect("close");
}

/// axe-core's violations on the page the browser shows (rules for WCAG 2.1 A and AA, and
/// best practices).
pub(crate) async fn axe(c: &Client, axe_source: &str) -> Vec<Value> {
    c.execute(axe_source, vec![]).await.expect("inject axe");
    let result = c
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa','best-practice']}})\
                .then(r => done(r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))))\
                .catch(e => done([{id: 'axe-error', help: String(e)}]));",
            vec![],
        )
        .await
        .expect("axe.run");
    result.as_array().cloned().unwrap_or_default()
}

/// Tabs through the page: every link, field and button is reached, and the focused one
/// shows it (an outline).
pub(crate) async fn keyboard_reaches_everything(c: &Client) {
    let script = "\
        const focusable = Array.from(document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea'))\
            .filter(e => !e.disabled && !e.hidden && e.offsetParent !== null);\
        return focusable.length;";
    let count = c
        .execute(script, vec![])
        .await
        .expect("count")
        .as_u64()
        .unwrap_or(0);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..count + 2 {
        let tab = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: '\u{e004}' })
            .then(KeyAction::Up { value: '\u{e004}' });
        c.perform_actions(tab).await.expect("Tab");
        let (id, outlined): (String, bool) = serde_json::from_value(
            c.execute(
                "const e = document.activeElement; const s = getComputedStyle(e);\
                 const i = (e === document.body || e === document.documentElement) ? -1\
                     : Array.from(document.querySelectorAll('*')).indexOf(e);\
                 return [String(i), s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0];",
                vec![],
            )
            .await
            .expect("active element"),
        )
        .unwrap_or_default();
        if id != "-1" {
            assert!(outlined, "the focused element shows it (element #{id})");
            seen.insert(id);
        }
    }
    assert!(
        seen.len() as u64 >= count,
        "{} of {count} reached by Tab",
        seen.len()
    );
}

/// The demo shop with its pictures, and a manual order for its first painting: the public
/// list as it was and the answer to the order.
pub(crate) async fn demo_with_an_order() -> (TestApp, Value, Value) {
    let app = builder()
        .reachable()
        .seeded()
        .env("SEED_PICTURES", "true")
        .spawn()
        .await;
    let list = app.get("/api/v1/artworks").await.ok(200).clone();
    let artwork = list["items"][0]["id"].as_str().expect("id").to_string();
    let placed = app
        .place_order(
            &crate::helpers::new_key(),
            &crate::helpers::order_body(&artwork),
        )
        .await
        .ok(201)
        .clone();
    (app, list, placed)
}

#[tokio::test]
async fn every_page_type_passes_axe_and_works_by_keyboard() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(driver) = driver().await else { return };
    let Some(axe_source) = axe_source() else {
        return;
    };
    let (app, list, placed) = demo_with_an_order().await;
    let artist = list["items"][0]["artist"]["slug"]
        .as_str()
        .expect("slug")
        .to_string();
    let order_page = format!(
        "/orders/{}?token={}",
        placed["order"]["id"].as_str().expect("id"),
        placed["access_token"].as_str().expect("token")
    );
    let other = list["items"][1]["id"].as_str().expect("id").to_string();
    // The artist's own page, as its link opens it: the artist of the ordered painting, with
    // that sale paid and a payment sent by hawala (its pickup code shown only there).
    let token = app.admin_token().await;
    let artists = app
        .admin_get(&token, "/api/v1/admin/artists")
        .await
        .ok(200)
        .clone();
    let first_artist = artists["items"]
        .as_array()
        .expect("artists")
        .iter()
        .find(|a| a["slug"] == list["items"][0]["artist"]["slug"])
        .expect("the ordered painting's artist")["id"]
        .as_str()
        .expect("id")
        .to_string();
    app.admin_post(
        &token,
        &format!(
            "/api/v1/admin/orders/{}/confirm-payment",
            placed["order"]["id"].as_str().expect("id")
        ),
        serde_json::json!({"reference": "BANK-42"}),
    )
    .await
    .ok(200);
    // Part of what the sale earned, in the currency it is owed in (the demo has a SEK artist).
    let ledger = app
        .admin_get(
            &token,
            &format!("/api/v1/admin/artists/{first_artist}/ledger"),
        )
        .await
        .ok(200)
        .clone();
    let owed = &ledger["balances"][0];
    app.admin_post(
        &token,
        &format!("/api/v1/admin/artists/{first_artist}/payouts"),
        serde_json::json!({"amount": "10.00", "currency": owed["currency"], "method": "hawala",
               "reference": "K-7781", "paid_on": "2026-11-20", "before_shipping": true}),
    )
    .await
    .ok(201);
    let own_page = app
        .admin_post(
            &token,
            &format!("/api/v1/admin/artists/{first_artist}/page-link"),
            serde_json::json!({}),
        )
        .await
        .ok(201)["url"]
        .as_str()
        .expect("url")
        .to_string();
    let own_page = own_page[own_page.find("/page?").expect("path")..].to_string();
    let c = browser(&driver, true).await;
    let mut found = Vec::new();
    let mut rtl = Vec::new();
    // The supporters' languages, and the artists' (right to left).
    for lang in ["en", "de", "nb", "fa", "ps"] {
        c.goto(&app.url(&format!("/lang/{lang}?next=/")))
            .await
            .expect("language");
        c.goto(&app.url("/country?code=SE&next=/"))
            .await
            .expect("destination");
        for (page, path) in [
            "/".to_string(),
            "/artworks".into(),
            format!("/artworks/{other}"),
            format!("/artworks/{other}/buy"),
            format!("/artists/{artist}"),
            order_page.clone(),
            "/country".into(),
            "/transparency".into(),
            "/no/such/page".into(),
            format!(
                "/orders/{}/confirm?token=x",
                placed["order"]["id"].as_str().unwrap_or("")
            ),
            own_page.clone(),
        ]
        .into_iter()
        .enumerate()
        {
            c.goto(&app.url(&path)).await.expect("page");
            // Each page type at phone width in the new languages, for a reader to look at.
            let kind = [
                "home",
                "list",
                "painting",
                "buy",
                "artist",
                "order",
                "country",
                "transparency",
                "not-found",
                "confirm",
                "artist-page",
            ][page];
            match (lang, path.as_str()) {
                ("en", "/") => screenshot(&c, "shop-desktop-en", 1280, 900).await,
                ("de", "/") => screenshot(&c, "shop-desktop-de", 1280, 900).await,
                ("fa" | "nb" | "ps", "/artworks") => {
                    screenshot(&c, &format!("shop-phone-{lang}"), 390, 844).await;
                }
                ("fa" | "ps", p) if p == own_page => {
                    screenshot(&c, &format!("artist-page-phone-{lang}"), 390, 844).await;
                }
                _ => {}
            }
            // Every page type at phone width in the languages added last, for a reader of
            // each to look at (kept apart from the pictures docs/ shows).
            if lang != "en" {
                screenshot(&c, &format!("languages/{kind}-phone-{lang}"), 390, 1600).await;
            }
            for v in axe(&c, &axe_source).await {
                found.push(format!(
                    "{path} ({lang}): {} – {} at {}",
                    v["id"], v["help"], v["nodes"]
                ));
            }
            if lang == "fa" || lang == "ps" {
                let dir = c
                    .execute("return document.documentElement.dir", vec![])
                    .await
                    .expect("dir");
                assert_eq!(dir, "rtl", "{path}");
                // A Dari reader on a phone: nothing off the screen, no size, date or amount
                // reordered, no English word (the painting's own words aside: they carry
                // their language).
                for problem in crate::console_browser::rtl_phone_problems(&c).await {
                    rtl.push(format!("{path}: {problem}"));
                }
                c.set_window_size(1280, 900).await.expect("window size");
            }
        }
    }
    assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
    assert!(
        rtl.is_empty(),
        "the Dari and Pashto shop on a 390 px phone:\n{}",
        rtl.join("\n")
    );
    for path in ["/".to_string(), format!("/artworks/{other}/buy")] {
        c.goto(&app.url(&path)).await.expect("page");
        keyboard_reaches_everything(&c).await;
    }
    c.close().await.expect("close");
}

/// The first email that reached `to` (waiting up to 15 s for it).
async fn mail_to(sink: &Sink, to: &str) -> crate::smtp::Received {
    for _ in 0..300 {
        if let Some(m) = sink
            .messages()
            .into_iter()
            .find(|m| m.recipients.iter().any(|r| r == to))
        {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no email reached {to}");
}

/// The demo shop, reachable by a browser, its emails delivered to `sink`.
pub(crate) fn demo_with_mail(sink: &Sink) -> crate::helpers::TestAppBuilder {
    builder()
        .reachable()
        .seeded()
        .env("SMTP_URL", &sink.url())
        .env("COORDINATOR_EMAIL", "coordinator@hunar.example")
        .env("MAIL_POLL_MS", "20")
}

/// The shop in Swedish, with Sweden chosen as the destination.
async fn in_swedish_to_sweden(c: &Client, app: &TestApp) {
    c.goto(&app.url("/lang/sv?next=/")).await.expect("Swedish");
    to_sweden(c, app).await;
}

/// Sweden chosen on the destination picker, as a visitor does.
async fn to_sweden(c: &Client, app: &TestApp) {
    c.goto(&app.url("/country?next=/")).await.expect("picker");
    find(c, Locator::Css("#country option[value='SE']"))
        .await
        .click()
        .await
        .expect("choose Sweden");
    submit(c).await;
    wait_for_url(c, |u| !u.contains("/country")).await;
}

/// Anna in Sweden, in Swedish on a phone, pays by bank transfer: the order page and her
/// emails are Swedish, "Jag har betalat" tells the coordinator and keeps the hold, and the
/// transfer, confirmed only after the hold has ended, still buys the painting (still free).
#[tokio::test]
async fn a_swedish_supporter_pays_by_bank_transfer_says_so_and_a_late_payment_still_buys() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(driver) = driver().await else { return };
    let sink = Sink::start().await;
    let app = demo_with_mail(&sink)
        .env("RESERVATION_SWEEP_MS", "50")
        .spawn()
        .await;
    let c = browser(&driver, true).await;
    in_swedish_to_sweden(&c, &app).await;
    find(&c, Locator::Css(".card h3 a"))
        .await
        .click()
        .await
        .expect("open a painting");
    find(&c, Locator::LinkText("Köp målningen"))
        .await
        .click()
        .await
        .expect("to the form");
    wait_for_url(&c, |u| u.ends_with("/buy")).await;
    fill_buy_form(&c, "anna@example.se").await;
    find(&c, Locator::Css("input[value='manual']"))
        .await
        .click()
        .await
        .expect("bank transfer");
    submit(&c).await;
    let url = wait_for_url(&c, |u| u.contains("/orders/")).await;
    let page = c.source().await.expect("page");
    assert!(page.contains("<html lang=\"sv\""));
    assert!(page.contains("Väntar på betalning") && page.contains("Betala senast"));
    assert!(page.contains("Så betalar du"));
    // Every way to pay fits a phone's width: nothing to scroll sideways for.
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth",
            vec![],
        )
        .await
        .expect("widths");
    assert!(
        overflow.as_i64().unwrap_or(1) <= 0,
        "{overflow} px off the screen"
    );
    screenshot(&c, "shop-order-phone-sv", 390, 844).await;

    // "Jag har betalat": the coordinator is told, and the page says the hold is kept.
    find(&c, Locator::Css("form[action*='/paid'] button"))
        .await
        .click()
        .await
        .expect("I have paid");
    wait_for_url(&c, |u| u != url).await;
    find(&c, Locator::Css("p.alert.ok")).await;
    let page = c.source().await.expect("page");
    assert!(page.contains("Tack! Samordnaren vet nu"), "{page}");
    assert!(page.contains("reserverad åt dig till"));
    screenshot(&c, "shop-order-desktop-sv", 1280, 900).await;

    // Her emails are Swedish; the coordinator hears of the order and of her word.
    let mails = sink.wait_for(3).await;
    let subjects = |who: &str| -> Vec<String> {
        mails
            .iter()
            .filter(|m| m.recipients.iter().any(|r| r == who))
            .map(|m| {
                let message = mail_parser::MessageParser::default()
                    .parse(&m.data)
                    .expect("MIME");
                message.subject().unwrap_or("").to_string()
            })
            .collect()
    };
    let anna = subjects("anna@example.se");
    assert!(
        anna.iter().any(|s| s.starts_with("Din beställning av")),
        "{anna:?}"
    );
    assert_eq!(subjects("coordinator@hunar.example").len(), 2);

    // The (kept) hold ends before the transfer is found; confirmed late, it still buys the
    // painting, which nobody else took meanwhile.
    let id = url
        .split("/orders/")
        .nth(1)
        .and_then(|s| s.split('?').next())
        .expect("the order's id")
        .to_string();
    app.db
        .execute_unprepared(&format!(
            "UPDATE orders SET expires_at = '2000-01-01T00:00:00Z' WHERE id = '{id}'"
        ))
        .await
        .expect("end the hold");
    let token = app.admin_token().await;
    let path = format!("/api/v1/admin/orders/{id}");
    for _ in 0..200 {
        if app.admin_get(&token, &path).await.body["status"] == "expired" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.admin_get(&token, &path).await.body["status"], "expired");
    app.admin_post(
        &token,
        &format!("{path}/confirm-payment"),
        json!({"reference": "BANKGIRO-5521"}),
    )
    .await
    .ok(200);
    c.goto(&url).await.expect("her page again");
    assert!(c.source().await.expect("page").contains("Betald, tack"));
    // The receipt comes after the expiry's emails, in whatever order the outbox sends them.
    let receipt = || {
        sink.messages().iter().any(|m| {
            m.recipients.iter().any(|r| r == "anna@example.se")
                && mail_parser::MessageParser::default()
                    .parse(&m.data)
                    .and_then(|message| message.subject().map(|s| s.starts_with("Kvitto för")))
                    .unwrap_or(false)
        })
    };
    for _ in 0..300 {
        if receipt() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(receipt(), "a Swedish receipt");
    c.close().await.expect("close");
}

/// Lena orders from her office, whose connection already holds three unconfirmed orders of
/// her colleagues. She is not turned away: her order waits for her (the page and her Swedish
/// email say what to do, and that the painting is still for sale meanwhile), and following
/// the link in the email makes it hers, with the ways to pay.
#[tokio::test]
async fn a_supporter_behind_a_busy_connection_gets_an_order_that_holds_once_she_confirms() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(driver) = driver().await else { return };
    let sink = Sink::start().await;
    let app = demo_with_mail(&sink).default_limits().spawn().await;
    let list = app.get("/api/v1/artworks?country=SE").await;
    let ids: Vec<String> = list.ok(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|a| a["price"]["amount"].is_string())
        .map(|a| a["id"].as_str().expect("id").to_string())
        .collect();
    assert!(ids.len() >= 4, "{ids:?}");
    // Her colleagues' three orders, from the same address (the browser's, 127.0.0.1).
    for (i, id) in ids[..3].iter().enumerate() {
        let mut body = crate::helpers::order_body(id);
        body["buyer"]["email"] = json!(format!("colleague{i}@example.se"));
        let placed = app.place_order(&crate::helpers::new_key(), &body).await;
        assert_eq!(placed.ok(201)["order"]["status"], "pending_payment");
    }
    let painting = &ids[3];
    let c = browser(&driver, true).await;
    in_swedish_to_sweden(&c, &app).await;
    c.goto(&app.url(&format!("/artworks/{painting}/buy")))
        .await
        .expect("the form");
    fill_buy_form(&c, "lena@example.se").await;
    find(&c, Locator::Css("input[value='manual']"))
        .await
        .click()
        .await
        .expect("bank transfer");
    submit(&c).await;
    wait_for_url(&c, |u| u.contains("/orders/")).await;
    let page = c.source().await.expect("page");
    assert!(
        page.contains("Väntar på att du bekräftar din e-postadress"),
        "{page}"
    );
    assert!(page.contains("fortfarande till salu"), "{page}");
    assert!(!page.contains("Så betalar du"), "nothing to pay yet");
    screenshot(&c, "shop-waiting-phone-sv", 390, 844).await;
    assert_eq!(
        crate::helpers::artwork_status(&app, painting).await,
        "available"
    );

    // Her email, in Swedish, with the link.
    // Her colleagues' emails come first; hers is the one to her.
    let lena = mail_to(&sink, "lena@example.se").await;
    let message = mail_parser::MessageParser::default()
        .parse(&lena.data)
        .expect("MIME");
    assert!(
        message
            .subject()
            .unwrap_or("")
            .starts_with("Bekräfta din e-post"),
        "{:?}",
        message.subject()
    );
    let text = message.body_text(0).expect("text").to_string();
    let start = text.find("/orders/").expect("a link");
    let link = text[start..]
        .split_whitespace()
        .next()
        .expect("link")
        .to_string();
    assert!(link.contains("/confirm?token="), "{link}");
    c.goto(&app.url(&link)).await.expect("the link");
    find(&c, Locator::Css("main form button"))
        .await
        .click()
        .await
        .expect("yes, my address");
    wait_for_url(&c, |u| u.contains("token=") && !u.contains("/confirm")).await;
    let page = c.source().await.expect("page");
    assert!(page.contains("Väntar på betalning"), "{page}");
    assert!(
        page.contains(
            "Tack! Din e-postadress är bekräftad och målningen är reserverad åt dig till"
        ),
        "{page}"
    );
    assert!(page.contains("Så betalar du"), "{page}");
    assert_eq!(
        crate::helpers::artwork_status(&app, painting).await,
        "reserved"
    );
    c.close().await.expect("close");
}
