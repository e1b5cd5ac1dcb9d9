//! Delivers the outbox over SMTP with lettre (pooled connections), retrying failures with
//! backoff. Safe with several processes: rows are claimed before they are sent.
use std::time::Duration;

use entity::outbox;
use lettre::message::{Mailbox, MultiPart, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::DatabaseConnection;

use super::{MailSettings, header_safe, outbox as queue};

/// Longer than any one send may take (the SMTP timeout), so a row is never sent twice
/// while its first sender is still at it.
const LEASE: Duration = Duration::from_secs(120);
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
const BATCH: u64 = 50;

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    reply_to: Option<Mailbox>,
}

impl Mailer {
    pub fn new(smtp_url: &str, from: &str, reply_to: Option<&str>) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)?
            .timeout(Some(SMTP_TIMEOUT))
            .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(4))
            .build();
        Ok(Self {
            transport,
            from: from.parse()?,
            reply_to: reply_to.map(str::parse).transpose()?,
        })
    }

    /// The message for an outbox row. Replies go to `reply_to` (the organisation's contact
    /// address) when there is one, else to `MAIL_REPLY_TO`: an artist told to reply if the
    /// money does not arrive must reach a person, not `no-reply@`. An artist's email comes
    /// from the NGO's neutral sender name, not the shop's.
    pub fn message(
        &self,
        row: &outbox::Model,
        reply_to: Option<&Mailbox>,
        artist_sender: &str,
    ) -> anyhow::Result<Message> {
        let from = if row.recipient_role == "artist" {
            Mailbox::new(Some(header_safe(artist_sender)), self.from.email.clone())
        } else {
            self.from.clone()
        };
        let mut builder = Message::builder()
            .from(from)
            .to(Mailbox::new(
                None,
                crate::vault::open(&row.recipient)?.parse()?,
            ))
            .subject(header_safe(&row.subject))
            .message_id(None)
            .date_now();
        if let Some(reply_to) = reply_to.or(self.reply_to.as_ref()) {
            builder = builder.reply_to(reply_to.clone());
        }
        Ok(builder.multipart(
            MultiPart::alternative()
                .singlepart(
                    lettre::message::SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(crate::vault::open(&row.body_text)?),
                )
                .singlepart(
                    lettre::message::SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(crate::vault::open(&row.body_html)?),
                ),
        )?)
    }

    /// Sends a plain-text message now, not through the outbox: for when the outbox cannot be
    /// written (the database's disk is full).
    pub async fn send_now(&self, to: &str, subject: &str, text: &str) -> anyhow::Result<()> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to.parse()?))
            .subject(header_safe(subject))
            .message_id(None)
            .date_now();
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        let message = builder
            .header(ContentType::TEXT_PLAIN)
            .body(text.to_string())?;
        self.transport.send(message).await?;
        Ok(())
    }

    async fn deliver(
        &self,
        row: &outbox::Model,
        reply_to: Option<&Mailbox>,
        artist_sender: &str,
    ) -> anyhow::Result<()> {
        let message = self.message(row, reply_to, artist_sender)?;
        self.transport.send(message).await?;
        Ok(())
    }
}

/// Claims and sends one batch; returns how many rows it handled.
pub async fn run_once(
    db: &DatabaseConnection,
    mailer: &Mailer,
    mail: &MailSettings,
) -> anyhow::Result<usize> {
    let claimed = queue::claim(db, "email", BATCH, LEASE).await?;
    let count = claimed.len();
    let mut rows = Vec::with_capacity(count);
    for row in claimed {
        if super::quota::allow(db, mail, &row).await? {
            rows.push(row);
        } else {
            tracing::info!(outbox_id = %row.id, kind = %row.kind,
                "email held back: daily cap for an unconfirmed address");
        }
    }
    let org = if rows.is_empty() {
        None
    } else {
        Some(crate::organisation::load(db, &mail.shop_name).await?)
    };
    let reply_to: Option<Mailbox> = org
        .as_ref()
        .and_then(|org| org.contact.email.as_deref())
        .and_then(|email| email.parse().ok());
    let reply_to = reply_to.as_ref();
    let artist_sender = org
        .as_ref()
        .map_or(crate::organisation::ArtistMessages::DEFAULT_SENDER, |org| {
            org.artist_messages.sender()
        });
    let sends = rows
        .iter()
        .map(|row| async move { (row, mailer.deliver(row, reply_to, artist_sender).await) });
    for (row, result) in futures_util::future::join_all(sends).await {
        match result {
            Ok(()) => queue::mark_sent(db, row).await?,
            Err(err) => {
                // The SMTP server's reply may quote the recipient's address: it goes to the
                // outbox row (admin-only), not to the log.
                tracing::warn!(outbox_id = %row.id, kind = %row.kind, attempts = row.attempts,
                    "email not delivered; will retry (the outbox row has the error)");
                queue::mark_failed(db, row, &err.to_string(), mail).await?;
            }
        }
    }
    Ok(count)
}

/// The delivery loop, started with the server when SMTP is configured.
pub fn spawn(
    db: DatabaseConnection,
    mailer: Mailer,
    mail: MailSettings,
    poll: Duration,
) -> tokio::task::JoinHandle<()> {
    // An email held for a WhatsApp message Meta never reported delivered goes out after a
    // day, also when WhatsApp has since been switched off. A day's deadline needs no check
    // every poll: every 120 polls (two minutes by default) keeps the query off the hot loop.
    let release_every = poll * 120;
    tokio::spawn(async move {
        let mut released_at: Option<std::time::Instant> = None;
        loop {
            if released_at.is_none_or(|at| at.elapsed() >= release_every) {
                released_at = Some(std::time::Instant::now());
                match super::whatsapp::release_stale(&db).await {
                    Ok(0) => {}
                    Ok(released) => tracing::info!(
                        released,
                        "emails held for undelivered WhatsApp messages sent"
                    ),
                    Err(err) => tracing::warn!(error = %err, "held emails not checked; will retry"),
                }
            }
            match run_once(&db, &mailer, &mail).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "outbox delivery failed; will retry"),
            }
            tokio::time::sleep(poll).await;
        }
    })
}
