//! The console in a real browser (Debian's Chromium over WebDriver, as for the shop): a
//! coordinator's whole day, from a new artist to a shipped painting, with the emails it sends;
//! and every console page type checked by axe-core and by keyboard, in English and Dari.
use std::time::Duration;

use fantoccini::{Client, Locator};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::browser::{
    ONE_AT_A_TIME, axe, axe_source, browser, demo_with_an_order, driver, fill, find,
    keyboard_reaches_everything, screenshot, wait_for_url,
};
use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};
use crate::smtp::Sink;

async fn sign_in(c: &Client, app: &TestApp) {
    let _ = hunar::auth::service::create_admin(&app.db, ADMIN_EMAIL, ADMIN_PASSWORD.into()).await;
    c.goto(&app.url("/admin")).await.expect("console");
    wait_for_url(c, |u| u.contains("/admin/sign-in")).await;
    fill(c, "email", ADMIN_EMAIL).await;
    fill(c, "password", ADMIN_PASSWORD).await;
    click(c, "form.form button[type='submit']").await;
    wait_for_url(c, |u| !u.contains("sign-in")).await;
    find(c, Locator::Css("h1")).await;
}

async fn click(c: &Client, css: &str) {
    find(c, Locator::Css(css))
        .await
        .click()
        .await
        .expect("click");
}

async fn choose(c: &Client, select: &str, value: &str) {
    click(
        c,
        &format!("select[name='{select}'] option[value='{value}']"),
    )
    .await;
}

async fn source(c: &Client) -> String {
    c.source().await.expect("page source")
}

/// The painting's id from a url like `/admin/paintings/{id}?done=created`.
fn id_in(url: &str, room: &str) -> String {
    url.split(&format!("/admin/{room}/"))
        .nth(1)
        .and_then(|rest| rest.split(['?', '/']).next())
        .expect("an id in the url")
        .to_string()
}

fn photo_file() -> tempfile::NamedTempFile {
    let img = image::RgbImage::from_fn(480, 360, |x, y| {
        image::Rgb([(x / 2) as u8, (y / 2) as u8, 140])
    });
    let file = tempfile::Builder::new()
        .suffix(".png")
        .tempfile()
        .expect("temp file");
    img.save_with_format(file.path(), image::ImageFormat::Png)
        .expect("png");
    file
}

/// A supporter buys `painting` with manual payment; returns the order's reference.
async fn buy_manually(c: &Client, app: &TestApp, painting: &str, email: &str) -> String {
    c.goto(&app.url("/country?code=SE&next=/"))
        .await
        .expect("destination");
    c.goto(&app.url(&format!("/artworks/{painting}")))
        .await
        .expect("painting");
    find(c, Locator::LinkText("Buy this painting"))
        .await
        .click()
        .await
        .expect("to the form");
    wait_for_url(c, |u| u.ends_with("/buy")).await;
    fill(c, "name", "Anna Lind").await;
    fill(c, "email", email).await;
    fill(c, "line1", "Storgatan 1").await;
    fill(c, "city", "Göteborg").await;
    fill(c, "postal_code", "411 01").await;
    if let Ok(manual) = c.find(Locator::Css("input[value='manual']")).await {
        manual.click().await.expect("manual");
    }
    click(c, "form.form button[type='submit']").await;
    wait_for_url(c, |u| u.contains("/orders/")).await;
    let title = find(c, Locator::Css("h1"))
        .await
        .text()
        .await
        .expect("title");
    title
        .split_whitespace()
        .find(|w| w.starts_with("HN-"))
        .expect("a reference")
        .to_string()
}

#[tokio::test]
async fn a_coordinator_adds_a_painting_sells_it_ships_it_and_cancels_another() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(driver) = driver().await else { return };
    let sink = Sink::start().await;
    let app = crate::browser::demo_with_mail(&sink).spawn().await;
    let c = browser(&driver, true).await;
    sign_in(&c, &app).await;

    // A new artist who reads Dari, with an email for the sale.
    c.goto(&app.url("/admin/artists/new")).await.expect("form");
    fill(&c, "display_name", "Zahra Test").await;
    fill(&c, "bio", "Paints the mountains she remembers.").await;
    fill(&c, "email", "zahra@artists.example").await;
    choose(&c, "preferred_language", "fa").await;
    choose(&c, "deported_from", "SE").await;
    click(&c, "form.form button[type='submit']").await;
    let url = wait_for_url(&c, |u| u.contains("done=created")).await;
    let artist = id_in(&url, "artists");

    // Her painting, with a photo, put on sale.
    c.goto(&app.url("/admin/paintings/new"))
        .await
        .expect("form");
    fill(&c, "title", "Snow on the Hindu Kush").await;
    choose(&c, "artist_id", &artist).await;
    fill(&c, "medium", "Oil").await;
    fill(&c, "width_cm", "30").await;
    fill(&c, "height_cm", "40").await;
    let tier = c
        .execute(
            "return document.querySelector(\"select[name='size_tier_id'] option:nth-child(2)\").value",
            vec![],
        )
        .await
        .expect("a tier");
    choose(&c, "size_tier_id", tier.as_str().expect("tier id")).await;
    // Asked to go on sale with no photo yet, it is kept as a draft, and the page says why.
    choose(&c, "status", "available").await;
    click(&c, "form.form button[type='submit']").await;
    let url = wait_for_url(&c, |u| u.contains("done=created-as-draft")).await;
    assert!(
        source(&c)
            .await
            .contains("Saved as a draft: a painting goes on sale with a photo.")
    );
    let painting = id_in(&url, "paintings");
    let photo = photo_file();
    find(&c, Locator::Css("#photo-files"))
        .await
        .send_keys(&photo.path().display().to_string())
        .await
        .expect("choose the photo");
    click(&c, "form.upload button[type='submit']").await;
    let url = wait_for_url(&c, |u| u.contains("done=photos-added")).await;
    assert!(url.contains(&painting));
    find(&c, Locator::Css(".thumbs img")).await;
    choose(&c, "status", "available").await;
    click(&c, "form.form button[type='submit']").await;
    wait_for_url(&c, |u| u.contains("done=saved")).await;

    // A supporter buys it with manual payment.
    let reference = buy_manually(&c, &app, &painting, "anna@example.se").await;

    // The coordinator finds the order on Today, confirms the payment and ships it.
    c.goto(&app.url("/admin")).await.expect("today");
    find(&c, Locator::LinkText(&reference))
        .await
        .click()
        .await
        .expect("the order");
    find(&c, Locator::LinkText("Confirm the payment"))
        .await
        .click()
        .await
        .expect("confirm");
    // A mail server is set: the emails the page names will go out, and it says nothing else.
    assert!(!source(&c).await.contains("No mail server is set up"));
    fill(&c, "reference", "SWISH-4411").await;
    click(&c, "form.form button[type='submit']").await;
    wait_for_url(&c, |u| u.contains("done=payment-confirmed")).await;
    find(&c, Locator::LinkText("Mark as shipped"))
        .await
        .click()
        .await
        .expect("ship");
    fill(&c, "carrier", "PostNord").await;
    fill(&c, "tracking_number", "RR123456789SE").await;
    click(&c, "form.form button[type='submit']").await;
    wait_for_url(&c, |u| u.contains("done=shipped")).await;
    assert!(source(&c).await.contains("RR123456789SE"));
    screenshot(&c, "console-order-desktop-en", 1280, 900).await;

    // Emails: the buyer's (placed, paid, shipped), the artist's in Dari, the coordinator's.
    let mails = sink.wait_for(6).await;
    let to = |who: &str| -> Vec<String> {
        mails
            .iter()
            .filter(|m| m.recipients.iter().any(|r| r == who))
            .map(|m| {
                let message = mail_parser::MessageParser::default()
                    .parse(&m.data)
                    .expect("MIME");
                format!(
                    "{}\n{}",
                    message.subject().unwrap_or(""),
                    message.body_text(0).unwrap_or_default()
                )
            })
            .collect()
    };
    let buyer = to("anna@example.se");
    assert!(buyer.len() >= 3, "{} buyer emails", buyer.len());
    assert!(buyer.iter().any(|m| m.contains("RR123456789SE")
        && m.contains("https://tracking.postnord.com/se/?id=RR123456789SE")));
    let artist_mail = to("zahra@artists.example");
    assert!(!artist_mail.is_empty(), "the artist is told of the sale");
    assert!(
        artist_mail
            .iter()
            .any(|m| m.starts_with("پیام تازه") && m.contains("Snow on the Hindu Kush")),
        "in Dari, under a neutral subject: {artist_mail:?}"
    );
    assert!(!to("coordinator@hunar.example").is_empty());

    // Another order, cancelled: the painting is back in the shop.
    let other = {
        let list = app.get("/api/v1/artworks?per_page=1").await;
        list.ok(200)["items"][0]["id"]
            .as_str()
            .expect("id")
            .to_string()
    };
    let second = buy_manually(&c, &app, &other, "bo@example.se").await;
    assert_eq!(
        crate::helpers::artwork_status(&app, &other).await,
        "reserved"
    );
    c.goto(&app.url(&format!("/admin/orders?reference={second}")))
        .await
        .expect("search");
    find(&c, Locator::LinkText(&second))
        .await
        .click()
        .await
        .expect("the order");
    find(&c, Locator::LinkText("Cancel the order"))
        .await
        .click()
        .await
        .expect("cancel");
    assert!(source(&c).await.contains("for sale again at once"));
    fill(&c, "reason", "asked by the buyer").await;
    click(&c, "form.form button[type='submit']").await;
    wait_for_url(&c, |u| u.contains("done=cancelled")).await;
    assert_eq!(
        crate::helpers::artwork_status(&app, &other).await,
        "available"
    );
    c.goto(&app.url(&format!("/artworks/{other}")))
        .await
        .expect("shop");
    find(&c, Locator::LinkText("Buy this painting")).await;
    c.close().await.expect("close");
}

#[tokio::test]
async fn every_console_page_type_passes_axe_and_works_by_keyboard() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(driver) = driver().await else { return };
    let Some(axe_source) = axe_source() else {
        return;
    };
    let (app, list, placed) = demo_with_an_order().await;
    let artwork = list["items"][0]["id"].as_str().expect("id").to_string();
    let artist = list["items"][0]["artist"]["id"]
        .as_str()
        .expect("artist")
        .to_string();
    let order = placed["order"]["id"].as_str().expect("order").to_string();
    let tier = {
        let token = app.admin_token().await;
        let tiers = app.admin_get(&token, "/api/v1/admin/size-tiers").await;
        tiers.ok(200)["items"][0]["id"]
            .as_str()
            .expect("a tier")
            .to_string()
    };
    // A second painting sold and partly paid out, so the Money pages have entries.
    let (sold_artist, payout) = {
        let token = app.admin_token().await;
        let second = list["items"][1]["id"].as_str().expect("second").to_string();
        let placed = app
            .place_order(
                &crate::helpers::new_key(),
                &crate::helpers::order_body(&second),
            )
            .await;
        let id = placed.ok(201)["order"]["id"]
            .as_str()
            .expect("id")
            .to_string();
        let paid = app
            .admin_post(
                &token,
                &format!("/api/v1/admin/orders/{id}/confirm-payment"),
                serde_json::json!({"reference": "bank 12"}),
            )
            .await;
        let currency = paid.ok(200)["currency"].clone();
        let artist = list["items"][1]["artist"]["id"]
            .as_str()
            .expect("artist")
            .to_string();
        let payout = app
            .admin_post(
                &token,
                &format!("/api/v1/admin/artists/{artist}/payouts"),
                serde_json::json!({"amount": "10.00", "currency": currency,
                    "method": "hawala", "reference": "K-1", "paid_on": "2026-11-20",
                    "before_shipping": true}),
            )
            .await;
        (
            artist,
            payout.ok(201)["id"].as_str().expect("id").to_string(),
        )
    };
    // A change for the audit log to show from what to what.
    {
        let token = app.admin_token().await;
        let third = list["items"][2]["id"].as_str().expect("a third painting");
        app.admin_patch(
            &token,
            &format!("/api/v1/admin/artworks/{third}"),
            serde_json::json!({"price_override": {"amount": "120.00", "currency": "USD"}}),
        )
        .await
        .ok(200);
    }
    let c = browser(&driver, true).await;
    sign_in(&c, &app).await;
    let mut found = Vec::new();
    let mut rtl = Vec::new();
    let me = entity::admin::Entity::find()
        .filter(entity::admin::Column::Email.eq(ADMIN_EMAIL))
        .one(&app.db)
        .await
        .expect("admins")
        .expect("the coordinator")
        .id;
    for lang in ["en", "fa", "ps"] {
        c.goto(&app.url(&format!("/lang/{lang}?next=/admin")))
            .await
            .expect("language");
        for path in [
            "/admin".to_string(),
            "/admin/orders".into(),
            "/admin/orders?placed_from=not-a-date".into(),
            format!("/admin/orders/{order}"),
            format!("/admin/orders/{order}/confirm-payment"),
            format!("/admin/orders/{order}/cancel"),
            "/admin/paintings".into(),
            "/admin/paintings/new".into(),
            format!("/admin/paintings/{artwork}"),
            "/admin/artists".into(),
            format!("/admin/artists/{artist}"),
            format!("/admin/artists/{artist}/delete"),
            "/admin/prices".into(),
            format!("/admin/prices/tiers/{tier}"),
            "/admin/prices/zones/new".into(),
            "/admin/emails".into(),
            "/admin/audit".into(),
            "/admin/account".into(),
            format!("/admin/admins/{me}/disable"),
            "/admin/account/second-factor".into(),
            "/admin/ledger".into(),
            format!("/admin/artists/{sold_artist}/ledger"),
            format!("/admin/ledger/entries/{payout}/reverse"),
            format!("/admin/orders/{order}/shipping-cost"),
            "/admin/settings".into(),
            "/admin/nothing-here".into(),
        ] {
            c.goto(&app.url(&path)).await.expect("page");
            let ledger = format!("/admin/artists/{sold_artist}/ledger");
            match (lang, path.as_str()) {
                ("en", "/admin") => screenshot(&c, "console-today-desktop-en", 1280, 900).await,
                ("fa", "/admin") => screenshot(&c, "console-today-phone-fa", 390, 844).await,
                ("ps", "/admin") => screenshot(&c, "console-today-phone-ps", 390, 844).await,
                ("ps", "/admin/settings") => {
                    screenshot(&c, "console-settings-phone-ps", 390, 844).await;
                }
                ("fa" | "ps", "/admin/orders") => {
                    screenshot(&c, &format!("console-orders-phone-{lang}"), 390, 844).await;
                }
                // The pages this issue's work changed, at both widths and in both languages.
                (_, "/admin/audit" | "/admin/emails") => {
                    let name = path.trim_start_matches("/admin/");
                    page_pictures(&c, &format!("console-{name}"), lang).await;
                }
                (_, p) if p == format!("/admin/orders/{order}") => {
                    page_pictures(&c, "console-order-pending", lang).await;
                }
                (_, "/admin/account") => page_pictures(&c, "console-account", lang).await,
                (_, "/admin/account/second-factor") => {
                    page_pictures(&c, "console-second-factor", lang).await;
                }
                (_, p) if p == format!("/admin/admins/{me}/disable") => {
                    page_pictures(&c, "console-admin-disable", lang).await;
                }
                (_, p) if p == format!("/admin/paintings/{artwork}") => {
                    page_pictures(&c, "console-painting", lang).await;
                }
                (_, p) if p == format!("/admin/prices/tiers/{tier}") => {
                    page_pictures(&c, "console-tier", lang).await;
                }
                ("en", p) if p == ledger => {
                    screenshot(&c, "console-ledger-desktop-en", 1280, 900).await;
                }
                ("fa" | "ps", p) if p == ledger => {
                    screenshot(&c, &format!("console-ledger-phone-{lang}"), 390, 844).await;
                    // Nothing may widen the page on a phone (a table scrolls in its own box).
                    let overflow: Value = c
                        .execute(
                            "return document.documentElement.scrollWidth > document.documentElement.clientWidth",
                            vec![],
                        )
                        .await
                        .expect("width");
                    assert_eq!(
                        overflow,
                        Value::Bool(false),
                        "the Dari account page scrolls sideways"
                    );
                }
                _ => {}
            }
            if lang == "fa" || lang == "ps" {
                for problem in rtl_phone_problems(&c).await {
                    rtl.push(format!("{path} ({lang}): {problem}"));
                }
            }
            for v in axe(&c, &axe_source).await {
                found.push(format!(
                    "{path} ({lang}): {} – {} at {}",
                    v["id"], v["help"], v["nodes"]
                ));
            }
            let dir: Value = c
                .execute("return document.documentElement.dir", vec![])
                .await
                .expect("dir");
            let rtl_lang = lang == "fa" || lang == "ps";
            assert_eq!(dir, if rtl_lang { "rtl" } else { "ltr" }, "{path}");
        }
    }
    // The sign-in page, signed out.
    c.goto(&app.url("/admin/account")).await.expect("account");
    click(&c, "header form button[type='submit']").await;
    wait_for_url(&c, |u| u.contains("/admin/sign-in")).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    for v in axe(&c, &axe_source).await {
        found.push(format!("/admin/sign-in: {} – {}", v["id"], v["help"]));
    }
    assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
    assert!(
        rtl.is_empty(),
        "the Dari and Pashto console on a 390 px phone:\n{}",
        rtl.join("\n")
    );

    sign_in(&c, &app).await;
    c.goto(&app.url("/lang/en?next=/admin")).await.expect("en");
    for path in ["/admin".to_string(), format!("/admin/paintings/{artwork}")] {
        c.goto(&app.url(&path)).await.expect("page");
        keyboard_reaches_everything(&c).await;
    }
    c.close().await.expect("close");
}

/// The page shown, on a phone in Dari or on a desktop in English (docs/GUIDE.md's pictures).
async fn page_pictures(c: &Client, name: &str, lang: &str) {
    if lang == "fa" || lang == "ps" {
        screenshot(c, &format!("{name}-phone-{lang}"), 390, 844).await;
    } else {
        screenshot(c, &format!("{name}-desktop-en"), 1280, 900).await;
    }
}

/// What a coordinator reading Dari on a phone would hit on the page shown, at 390 px:
/// - an element laid out beyond the screen's edge (a table must turn into cards, not scroll);
/// - a left-to-right run of several parts (a size "30×40 cm", a date and time, an amount and
///   its currency, a reference, a postal code "903 26", an address line) that is not isolated
///   from the right-to-left text around it (`<bdi>`, a `dir` of its own, or
///   `unicode-bidi: isolate`): the bidi algorithm reorders its parts ("40×30");
/// - an English word outside such an isolated run: a text not translated.
pub(crate) async fn rtl_phone_problems(c: &Client) -> Vec<String> {
    c.set_window_size(390, 844).await.expect("window size");
    let found: Value = c
        .execute(
            r#"
const width = document.documentElement.clientWidth;
const problems = [];
const say = (e) => {
  const text = (e.textContent || e.value || '').trim().replace(/\s+/g, ' ').slice(0, 50);
  return `<${e.tagName.toLowerCase()}${e.className ? ' class="' + e.className + '"' : ''}> "${text}"`;
};
const hidden = (e) => {
  for (let a = e; a && a !== document.body; a = a.parentElement) {
    const s = getComputedStyle(a);
    if (s.display === 'none' || s.visibility === 'hidden') return true;
    if (s.position === 'absolute' && (s.clip !== 'auto' || s.clipPath !== 'none')) return true;
    if (a.hasAttribute('hidden')) return true;
  }
  return false;
};
for (const e of document.body.querySelectorAll('*')) {
  const r = e.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) continue;
  if ((r.right > width + 1 || r.left < -1) && !hidden(e)) {
    problems.push(`off screen (${Math.round(r.left)}..${Math.round(r.right)} of ${width}): ${say(e)}`);
  }
}
// Blocks and table cells are isolates by default; what matters is the direction their text
// is laid out in: `ltr` (a `dir="ltr"`, a `<bdi>` or `dir="auto"` whose text is left to
// right, `direction: ltr`) keeps the run's parts in order.
const isolated = (e) => ['TEXTAREA', 'OPTION'].includes(e.tagName) || getComputedStyle(e).direction === 'ltr';
// The bidi algorithm keeps a run in order when a letter comes first ("Storgatan 1",
// "HN-93BF9CDE"): digits after a left-to-right letter take its direction. A run that starts
// with a number and goes on past a space, × or / ("30×40 cm", "2026-12-06 22:19",
// "903 26 Umeå", "+46 70 123") is laid out right to left, its parts reversed.
const run = /[+]?[0-9][0-9A-Za-z\u00C0-\u024F.,:\-+]*(?:[\s×\/·]+[0-9A-Za-z\u00C0-\u024F][0-9A-Za-z\u00C0-\u024F.,:\-+]*)+/;
// A word with small Latin letters, not inside a left-to-right isolate: English in the Dari
// page (acronyms such as CSV or IBAN are names, and read the same in either direction).
const word = /\b[A-Za-z]*[a-z]{2,}[A-Za-z]*\b/;
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const e = n.parentElement;
  if (!e || ['SCRIPT', 'STYLE', 'NOSCRIPT'].includes(e.tagName) || hidden(e)) continue;
  // Fluent puts each argument between FSI and PDI (U+2068, U+2069), and a text may isolate
  // a run itself with LRI or RLI: each is laid out whole. But the isolates themselves are
  // neutral to the text around them: FSI 20 PDI × FSI 30 PDI is still reordered to read 30 × 20, so
  // an isolated number stays a number here. A left-to-right isolate (LRI) around the
  // whole run keeps it in order.
  const text = n.textContent
    .replace(/\u2066[^\u2069]*\u2069/g, ' ')
    .replace(/[\u2067\u2068]([^\u2069]*)\u2069/g, (_, inner) => /^[+]?[0-9]/.test(inner) ? '0' : ' ');
  if (isolated(e)) continue;
  const m = text.match(run) || text.match(word);
  if (m) problems.push(`not isolated "${m[0]}" in ${say(e)}`);
}
return problems;
"#,
            vec![],
        )
        .await
        .expect("checks");
    found
        .as_array()
        .expect("a list")
        .iter()
        .map(|p| p.as_str().unwrap_or_default().to_string())
        .collect()
}

/// The two-step sign-in as a coordinator with a second factor meets it, in English and in
/// Dari on a phone: password, then the code page (axe-clean, right to left in Dari), then in.
#[tokio::test]
async fn a_coordinator_with_a_second_factor_signs_in_in_two_steps() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(driver) = driver().await else { return };
    let Some(axe_source) = axe_source() else {
        return;
    };
    let app = crate::helpers::spawn_app().await;
    let token = app.admin_token().await;
    let started = app
        .admin_post(
            &token,
            "/api/v1/admin/account/second-factor",
            serde_json::json!({}),
        )
        .await;
    let secret = started.ok(200)["secret"]
        .as_str()
        .expect("secret")
        .to_string();
    let confirmed = app
        .admin_post(
            &token,
            "/api/v1/admin/account/second-factor/confirm",
            serde_json::json!({"code": hunar::auth::second_factor::code_now(&secret).expect("code")}),
        )
        .await;
    let recovery = confirmed.ok(200)["recovery_codes"][0]
        .as_str()
        .expect("a recovery code")
        .to_string();

    let c = browser(&driver, true).await;
    let mut found = Vec::new();
    for lang in ["en", "fa"] {
        c.goto(&app.url(&format!("/lang/{lang}?next=/admin/orders")))
            .await
            .expect("language");
        wait_for_url(&c, |u| u.contains("/admin/sign-in")).await;
        fill(&c, "email", ADMIN_EMAIL).await;
        fill(&c, "password", ADMIN_PASSWORD).await;
        click(&c, "form.form button[type='submit']").await;
        find(&c, Locator::Css("input[name='code']")).await;
        for v in axe(&c, &axe_source).await {
            found.push(format!("code page ({lang}): {} – {}", v["id"], v["help"]));
        }
        if lang == "fa" {
            for problem in crate::console_browser::rtl_phone_problems(&c).await {
                found.push(format!("code page (fa): {problem}"));
            }
        }
        screenshot(&c, &format!("console-sign-in-code-{lang}"), 390, 844).await;
        // A wrong code first: said on the same page, the code field ready again.
        fill(&c, "code", "000000").await;
        click(&c, "form.form button[type='submit']").await;
        find(&c, Locator::Css("#code-error")).await;
        for v in axe(&c, &axe_source).await {
            found.push(format!("wrong code ({lang}): {} – {}", v["id"], v["help"]));
        }
        // Each code works once (the one that confirmed is spent): the app's next code, then a
        // recovery code as someone without their phone would type it.
        let code = if lang == "en" {
            hunar::auth::second_factor::code_next_step(&secret).expect("code")
        } else {
            recovery.to_lowercase()
        };
        fill(&c, "code", &code).await;
        click(&c, "form.form button[type='submit']").await;
        let url = wait_for_url(&c, |u| u.ends_with("/admin/orders")).await;
        assert!(
            url.ends_with("/admin/orders") && !url.contains("sign-in"),
            "{url}"
        );
        let dir: Value = c
            .execute("return document.documentElement.dir", vec![])
            .await
            .expect("dir");
        assert_eq!(dir, if lang == "fa" { "rtl" } else { "ltr" });
        click(&c, "header form button[type='submit']").await;
        wait_for_url(&c, |u| u.contains("/admin/sign-in")).await;
    }
    c.close().await.expect("close");
    assert!(found.is_empty(), "{}", found.join("\n"));
}
