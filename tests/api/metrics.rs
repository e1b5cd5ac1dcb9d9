//! The operator's metrics: on their own listener (`METRICS_ADDR`), never on the public port;
//! requests counted under their route pattern; the gauges read from the database moving with
//! what happens in the shop.
use hunar::backup::Repo;

use crate::helpers::{TestApp, builder, new_key, order_body};

async fn scrape(app: &TestApp) -> String {
    let base = app.metrics_address.as_deref().expect("metrics listener");
    let res = app
        .client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/plain; version=0.0.4"),
        "Prometheus's text format"
    );
    res.text().await.expect("text")
}

/// The value of one series (`name{labels}` exactly as written), or None when absent.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.trim().parse().expect("a number"))
}

fn sum(text: &str, prefix: &str) -> f64 {
    text.lines()
        .filter(|line| line.starts_with(prefix))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn metrics_are_served_on_their_own_listener_and_follow_the_shop() {
    let app = builder()
        .seeded()
        .env("METRICS_ADDR", "127.0.0.1:0")
        .spawn()
        .await;
    // Never on the public port.
    assert_eq!(app.get("/metrics").await.status, 404);

    let before = scrape(&app).await;
    for name in [
        "hunar_http_requests_total",
        "hunar_http_request_duration_seconds",
        "hunar_outbox_messages",
        "hunar_orders_total",
        "hunar_backup_last_success_timestamp_seconds",
        "hunar_catalog_cache_hits_total",
        "hunar_catalog_cache_misses_total",
        "hunar_db_pool_connections",
        "hunar_db_pool_max_connections",
        "hunar_database_up",
    ] {
        assert!(
            before.contains(&format!("# TYPE {name} ")),
            "{name} missing:\n{before}"
        );
    }
    assert_eq!(value(&before, "hunar_database_up"), Some(1.0));
    assert_eq!(
        value(&before, "hunar_backup_last_success_timestamp_seconds"),
        Some(0.0),
        "no backup yet"
    );
    assert!(value(&before, "hunar_db_pool_connections{state=\"idle\"}").is_some());
    assert!(value(&before, "hunar_db_pool_max_connections").expect("max") >= 1.0);
    let orders_before = sum(&before, "hunar_orders_total{");
    let emails_before = sum(&before, "hunar_outbox_messages{channel=\"email\"");

    // The same painting asked twice: counted under the route's pattern, the second from memory.
    let list = app.get("/api/v1/artworks").await.ok(200).clone();
    let id = list["items"][0]["id"].as_str().expect("id").to_string();
    app.get(&format!("/api/v1/artworks/{id}")).await.ok(200);
    app.get(&format!("/api/v1/artworks/{id}")).await.ok(200);
    app.get("/api/v1/artworks/no-such-painting").await;
    let after = scrape(&app).await;
    assert_eq!(
        value(
            &after,
            "hunar_http_requests_total{route=\"/api/v1/artworks/{id}\",status=\"200\"}"
        ),
        Some(2.0),
        "{after}"
    );
    assert_eq!(
        value(
            &after,
            "hunar_http_requests_total{route=\"/api/v1/artworks/{id}\",status=\"404\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &after,
            "hunar_http_request_duration_seconds_count{route=\"/api/v1/artworks/{id}\"}"
        ),
        Some(3.0)
    );
    // A path no route takes is one series, however many such paths are tried.
    assert_eq!(
        value(
            &after,
            "hunar_http_requests_total{route=\"unmatched\",status=\"404\"}"
        ),
        Some(1.0),
        "the public /metrics"
    );
    assert!(!after.contains(&id), "no id in a label");
    assert!(!after.contains("no-such-painting"), "no path in a label");
    assert!(value(&after, "hunar_catalog_cache_hits_total").expect("hits") >= 1.0);
    assert!(value(&after, "hunar_catalog_cache_misses_total").expect("misses") >= 1.0);

    // An order: one more order, and its emails waiting in the outbox (no mail server here).
    app.place_order(&new_key(), &order_body(&id)).await.ok(201);
    let ordered = scrape(&app).await;
    assert_eq!(sum(&ordered, "hunar_orders_total{"), orders_before + 1.0);
    assert!(
        sum(&ordered, "hunar_outbox_messages{channel=\"email\"") > emails_before,
        "the outbox gauge moves:\n{ordered}"
    );

    // A backup: its time is the one Prometheus alerts on.
    let bucket = std::sync::Arc::new(object_store::memory::InMemory::new());
    crate::backups::backup_of(&app, &Repo::from_store(bucket, "memory")).await;
    let backed_up = scrape(&app).await;
    let at = value(&backed_up, "hunar_backup_last_success_timestamp_seconds").expect("set");
    let now = chrono::Utc::now().timestamp() as f64;
    assert!((now - 120.0..=now + 5.0).contains(&at), "{at} vs {now}");
}

#[tokio::test]
async fn without_metrics_addr_there_is_no_listener() {
    let app = builder().spawn().await;
    assert!(app.metrics_address.is_none());
    assert_eq!(app.get("/metrics").await.status, 404);
}
