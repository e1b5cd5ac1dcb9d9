//! `bench-outbox DATABASE_URL [EMAILS]`: queues EMAILS (default 5,000) rendered emails in the
//! outbox, then lets one process's delivery worker send them all to an SMTP sink on
//! 127.0.0.1 over lettre's pooled connections, and reports emails per second.
use std::time::Instant;

use hunar::notifications::MailSettings;
use hunar::notifications::outbox::{self, NewEmail};
use hunar::notifications::render::render;
use hunar::notifications::worker::{Mailer, run_once};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: bench-outbox DATABASE_URL [EMAILS]")?;
    let emails: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(5000);
    let db = hunar::db::connect(&url).await?;
    hunar::db::migrate(&db).await?;
    let sink = smtp_sink::Sink::start().await;
    let mail = MailSettings {
        coordinator: None,
        public_base_url: "http://127.0.0.1:8080".into(),
        order_url: "http://127.0.0.1:8080/api/v1/orders/{id}?token={token}".into(),
        admin_order_url: "http://127.0.0.1:8080/api/v1/admin/orders/{id}".into(),
        smtp_configured: true,
        max_attempts: 8,
        retry_base: std::time::Duration::from_secs(30),
        tokens: hunar::orders::tokens::OrderTokens::new(b"bench".to_vec()),
    };

    let queued_at = Instant::now();
    for chunk in (0..emails).collect::<Vec<_>>().chunks(500) {
        let txn = hunar::db::begin_write(&db).await?;
        for i in chunk {
            let ctx = minijinja_ctx(*i);
            let rendered = render("order_paid_artist", "en", ctx)?;
            outbox::enqueue(
                &txn,
                &mail,
                NewEmail {
                    dedupe_key: format!("bench:{i}"),
                    order_id: None,
                    kind: "order_paid_artist",
                    recipient: &format!("artist{i}@example.org"),
                    role: "artist",
                    rendered,
                },
            )
            .await?;
        }
        txn.commit().await?;
    }
    let queue_secs = queued_at.elapsed().as_secs_f64();

    let mailer =
        Mailer::new(&sink.url(), "Hunar <no-reply@localhost>", None).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut sent = 0;
    loop {
        let n = run_once(&db, &mailer, &mail)
            .await
            .map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        sent += n;
    }
    let secs = started.elapsed().as_secs_f64();
    let received = sink.messages().len();
    println!(
        "queued {emails} emails in {queue_secs:.2} s; delivered {sent} in {secs:.2} s = {:.0} emails/s; sink received {received}",
        sent as f64 / secs
    );
    if received != emails {
        return Err(format!("sink received {received} of {emails}").into());
    }
    Ok(())
}

/// What an artist's "your painting is sold" email is rendered with.
fn minijinja_ctx(i: usize) -> hunar::notifications::render::Context {
    let values: std::collections::BTreeMap<&str, String> = [
        ("title", format!("Painting {i}")),
        ("artist_name", "Shabnam R.".to_string()),
        ("reference", format!("HN-{i:08X}")),
        ("city", "Göteborg".to_string()),
        ("country_name", "Sweden".to_string()),
    ]
    .into_iter()
    .collect();
    hunar::notifications::render::Context::from_serialize(values)
}
