//! `bench-load BASE_URL ADMIN_EMAIL ADMIN_PASSWORD PAINTINGS CLIENTS`
//!
//! Creates PAINTINGS available paintings through the admin API, warms up with 4 × CLIENTS
//! orders (untimed), then places one order for each painting from CLIENTS concurrent clients
//! (distinct case), and finally sends 200 concurrent
//! orders for one fresh painting (contention case), BURSTS times (default 5, one fresh
//! painting each: one burst's p99 is its second-slowest request, so a single burst is noisy).
//! Prints throughput, latency percentiles and status counts; exits non-zero on any 5xx or a
//! double sale.
//!
//! `AFTER_WARMUP`, if set, is a shell command run between the warm-up and the timed orders.
//!
//! Every order is a different buyer: its own address and its own client address, sent as
//! `X-Forwarded-For` (run the server with `TRUSTED_PROXIES=127.0.0.1`), so the server's
//! per-client and per-address limits stay as in production. From one address, the 32 clients
//! would be one client holding a thousand paintings, which the limits forbid, and each order
//! would read all of that client's holds.
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::Semaphore;

type Error = Box<dyn std::error::Error + Send + Sync>;

async fn admin_json(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> Result<Value, Error> {
    let mut req = client.request(method, url).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await?;
    let status = res.status();
    let body: Value = res.json().await?;
    if !status.is_success() {
        return Err(format!("{status}: {body}").into());
    }
    Ok(body)
}

async fn create_paintings(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    n: usize,
) -> Result<Vec<String>, Error> {
    let template = admin_json(
        client,
        reqwest::Method::GET,
        format!("{base}/api/v1/admin/artworks?per_page=1"),
        token,
        None,
    )
    .await?;
    let t = &template["items"][0];
    // A painting goes on sale with a photo: each is made a draft, given the photo in PHOTO
    // (a small PNG the script draws), and made available, as a coordinator does.
    let photo = std::fs::read(std::env::var("PHOTO").map_err(|_| "PHOTO: a PNG file to upload")?)?;
    let boundary = "bench-load-photo";
    let mut body = format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"p.png\"\r\n\
         content-type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&photo);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let created = admin_json(
            client,
            reqwest::Method::POST,
            format!("{base}/api/v1/admin/artworks"),
            token,
            Some(json!({
                "artist_id": t["artist_id"], "title": format!("Bench {i}"), "width_cm": t["width_cm"],
                "height_cm": t["height_cm"], "size_tier_id": t["size_tier_id"], "status": "draft"
            })),
        )
        .await?;
        let id = created["id"].as_str().ok_or("no id")?.to_string();
        let uploaded = client
            .post(format!("{base}/api/v1/admin/artworks/{id}/images"))
            .bearer_auth(token)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body.clone())
            .send()
            .await?;
        if !uploaded.status().is_success() {
            return Err(format!("photo upload: {}", uploaded.status()).into());
        }
        admin_json(
            client,
            reqwest::Method::PATCH,
            format!("{base}/api/v1/admin/artworks/{id}"),
            token,
            Some(json!({"status": "available"})),
        )
        .await?;
        ids.push(id);
    }
    Ok(ids)
}

/// Buyers are numbered across the whole run, so no two orders share an address or a client.
static NEXT_BUYER: AtomicUsize = AtomicUsize::new(1);

/// The client address of buyer `i`: one of 10.0.0.0/8.
fn buyer_ip(i: usize) -> String {
    format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)
}

fn order(artwork_id: &str, i: usize) -> Value {
    json!({
        "artwork_id": artwork_id, "payment_method": "manual",
        "buyer": {"name": format!("Buyer {i}"), "email": format!("buyer{i}@example.org")},
        "shipping_address": {"line1": "Storgatan 1", "city": "Göteborg", "postal_code": "411 01", "country": "SE"}
    })
}

struct Outcome {
    elapsed: Duration,
    latencies: Vec<Duration>,
    statuses: BTreeMap<u16, usize>,
}

async fn fire(
    client: &reqwest::Client,
    base: &str,
    targets: Vec<String>,
    clients: usize,
) -> Outcome {
    let gate = Arc::new(Semaphore::new(clients));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(targets.len());
    for artwork in targets {
        let i = NEXT_BUYER.fetch_add(1, Ordering::Relaxed);
        let gate = gate.clone();
        let client = client.clone();
        let url = format!("{base}/api/v1/orders");
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await;
            let sent = Instant::now();
            let at = sent.duration_since(started);
            let status = client
                .post(url)
                .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                .header("X-Forwarded-For", buyer_ip(i))
                .json(&order(&artwork, i))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(599);
            (status, at, sent.elapsed())
        }));
    }
    let mut latencies = Vec::new();
    let mut timeline = Vec::new();
    let mut statuses = BTreeMap::new();
    for task in tasks {
        if let Ok((status, at, latency)) = task.await {
            *statuses.entry(status).or_insert(0) += 1;
            latencies.push(latency);
            timeline.push((at, latency));
        }
    }
    // Where the slow requests fall in the run (a pause of the whole server, or spread out).
    if let Ok(path) = std::env::var("TIMELINE") {
        let lines: String = timeline
            .iter()
            .map(|(at, l)| {
                format!(
                    "{:.3},{:.3}\n",
                    at.as_secs_f64() * 1e3,
                    l.as_secs_f64() * 1e3
                )
            })
            .collect();
        static RUN: AtomicUsize = AtomicUsize::new(0);
        let _ = std::fs::write(
            format!("{path}.{}", RUN.fetch_add(1, Ordering::Relaxed)),
            lines,
        );
    }
    latencies.sort();
    Outcome {
        elapsed: started.elapsed(),
        latencies,
        statuses,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx].as_secs_f64() * 1000.0
}

fn report(name: &str, o: &Outcome) {
    let n = o.latencies.len();
    println!(
        "{name:<34} {n:>5} requests  {:>8.1} req/s  p50 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms  statuses {:?}",
        n as f64 / o.elapsed.as_secs_f64(),
        percentile(&o.latencies, 0.50),
        percentile(&o.latencies, 0.99),
        percentile(&o.latencies, 1.0),
        o.statuses
    );
}

/// Concurrent reads, so the server's database pool and our HTTP pool are open, then a few
/// real orders, so every pooled connection has its statements prepared: the figures are
/// for a running shop, not for its first second.
async fn warm_up(
    client: &reqwest::Client,
    base: &str,
    warm_ids: Vec<String>,
    clients: usize,
) -> Result<(), Error> {
    let warmup = warm_ids.len();
    for _ in 0..5 {
        let mut warm = Vec::new();
        for _ in 0..clients {
            let (client, url) = (client.clone(), format!("{base}/health/ready"));
            warm.push(tokio::spawn(async move {
                client.get(url).send().await.map(|_| ())
            }));
        }
        for task in warm {
            let _ = task.await;
        }
    }
    let warm = fire(client, base, warm_ids, clients).await;
    if warm.statuses.get(&201) != Some(&warmup) {
        return Err(format!("warm-up orders failed: {:?}", warm.statuses).into());
    }
    // What the database does on its own a minute into a busy shop (the script passes
    // PostgreSQL's ANALYZE): plan with statistics of a table that has orders in it, not of
    // the empty one the run started with.
    if let Some(command) = std::env::var("AFTER_WARMUP").ok().filter(|c| !c.is_empty()) {
        let status = std::process::Command::new("sh")
            .args(["-c", &command])
            .status()?;
        if !status.success() {
            return Err(format!("AFTER_WARMUP failed: {status}").into());
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, email, password, paintings, clients] = args.as_slice() else {
        return Err(
            "usage: bench-load BASE_URL ADMIN_EMAIL ADMIN_PASSWORD PAINTINGS CLIENTS".into(),
        );
    };
    let (paintings, clients): (usize, usize) = (paintings.parse()?, clients.parse()?);
    let bursts: usize = match std::env::var("BURSTS") {
        Ok(n) => n.parse()?,
        Err(_) => 5,
    };
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let login: Value = client
        .post(format!("{base}/api/v1/admin/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"].as_str().ok_or("login failed")?.to_string();

    let warmup = clients * 4;
    let mut ids = create_paintings(&client, base, &token, paintings + bursts + warmup).await?;
    let warm_ids = ids.split_off(paintings + bursts);
    let contended = ids.split_off(paintings);
    let distinct = ids;

    warm_up(&client, base, warm_ids, clients).await?;
    let distinct_run = fire(&client, base, distinct, clients).await;
    report(
        &format!("distinct ({paintings} paintings, {clients} clients)"),
        &distinct_run,
    );
    let mut all = Outcome {
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        statuses: BTreeMap::new(),
    };
    let mut bad_bursts = 0;
    for (burst, painting) in contended.iter().enumerate() {
        let run = fire(&client, base, vec![painting.clone(); 200], 200).await;
        report(
            &format!("contention (200 clients, 1 painting) #{}", burst + 1),
            &run,
        );
        if run.statuses.get(&201) != Some(&1) {
            bad_bursts += 1;
        }
        all.elapsed += run.elapsed;
        all.latencies.extend(run.latencies);
        for (status, n) in run.statuses {
            *all.statuses.entry(status).or_insert(0) += n;
        }
    }
    all.latencies.sort();
    report(&format!("contention, all {bursts} bursts"), &all);

    let server_errors: usize = distinct_run
        .statuses
        .iter()
        .chain(all.statuses.iter())
        .filter(|(s, _)| **s >= 500)
        .map(|(_, n)| n)
        .sum();
    if server_errors > 0 || bad_bursts > 0 || distinct_run.statuses.get(&201) != Some(&paintings) {
        return Err(format!(
            "FAILED: {server_errors} server errors, {bad_bursts} bursts without exactly one winner"
        )
        .into());
    }
    Ok(())
}
