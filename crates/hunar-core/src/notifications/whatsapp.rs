//! WhatsApp notices to artists through Meta's Cloud API. A message is an approved template
//! (Meta allows no free text to start a conversation) with a few parameters, written to the
//! same durable outbox as emails in the transaction that calls for it, and sent by its own
//! worker with retries and backoff.
//!
//! Never twice for one event: the row is claimed before it is sent; Meta's message id is
//! recorded with it; every request carries the row's id as `biz_opaque_callback_data`, which
//! Meta repeats in its status updates, so a message whose answer was lost (the worker
//! stopped mid-send) is recorded as sent by its first status update, and the outcome of a
//! send is written only while the row is still the sender's.
//!
//! Meta learns the least it needs: the artist's number, which template, the painting's title
//! and the link to the artist's page. Never a name, an amount or anything about a buyer.
use std::time::Duration;

use chrono::Utc;
use entity::outbox;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use super::MailSettings;
use super::outbox as queue;
use crate::config::WhatsAppConfig;
use crate::vault::Vault;

pub const CHANNEL: &str = "whatsapp";
/// Few at a time: every row of a batch must be sent within the batch's lease.
const BATCH: u64 = 5;
/// Meta's error codes worth trying again (throttling, a passing fault, an expired token the
/// operator can renew); any other refusal is about the message itself.
const RETRY_CODES: [i64; 11] = [
    1, 2, 4, 17, 190, 80007, 130429, 131000, 131016, 131056, 133004,
];

/// What a message says, kept sealed in the outbox row until it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateMessage {
    /// The approved template's name (README, "WhatsApp templates").
    pub name: String,
    /// Meta's language code (`en`, `prs_AF`).
    pub language: String,
    /// The body's `{{1}}`, `{{2}}` … in order.
    pub parameters: Vec<String>,
}

/// The templates to register with Meta, by the message they stand for. A plainer message
/// (the artist asked for it) is the same for every event.
pub fn template_name(kind: &str, plain: bool) -> &'static str {
    if plain {
        return "artist_news";
    }
    match kind {
        "order_paid_artist" => "artist_sale",
        "order_shipped_artist" => "artist_shipped",
        "payout_recorded_artist" => "artist_payment",
        _ => "artist_news",
    }
}

/// Meta's code for the artist's language. Meta has no Pashto templates: a Pashto reader gets
/// the Dari ones (most Pashto speakers in Afghanistan read Dari), as the README says.
pub fn language_code(language: &str) -> &'static str {
    match language {
        "fa" | "ps" => "prs_AF",
        _ => "en",
    }
}

/// The parameters of `template`, in the order its body uses them.
pub fn parameters(template: &str, title: Option<&str>, page_link: &str) -> Vec<String> {
    match (template, title) {
        ("artist_sale" | "artist_shipped", Some(title)) => {
            vec![title.to_string(), page_link.to_string()]
        }
        _ => vec![page_link.to_string()],
    }
}

/// A number as the Cloud API takes it: digits with the country code, no `+` or `00`.
pub fn wa_number(phone: &str) -> Option<String> {
    let digits: String = phone
        .replace("(0)", "")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let digits = digits.strip_prefix("00").unwrap_or(&digits).to_string();
    (digits.len() >= 8 && digits.len() <= 15).then_some(digits)
}

/// The outbox row for one WhatsApp message.
pub fn row(
    vault: &Vault,
    dedupe_key: String,
    order_id: Option<&str>,
    kind: &str,
    number: &str,
    language: &str,
    message: &TemplateMessage,
) -> outbox::ActiveModel {
    let mut row = queue::row(
        vault,
        queue::NewEmail {
            dedupe_key,
            order_id,
            kind,
            recipient: number,
            role: "artist",
            rendered: super::render::Rendered {
                language: language.to_string(),
                // The template's name: what a coordinator needs to tell messages apart, and
                // nothing of what they say.
                subject: message.name.clone(),
                text: serde_json::to_string(message).unwrap_or_default(),
                html: String::new(),
            },
        },
    );
    row.channel = sea_orm::ActiveValue::Set(CHANNEL.into());
    row
}

/// Why a send did not go through.
#[derive(Debug)]
pub enum SendError {
    /// Worth trying again later (Meta busy or down, the network, a rate limit).
    Retry(String),
    /// Meta refused the message itself; sending it again would be refused again.
    Permanent(String),
}

#[derive(Clone)]
pub struct WhatsApp {
    client: reqwest::Client,
    config: WhatsAppConfig,
}

#[derive(Deserialize)]
struct Sent {
    messages: Vec<SentMessage>,
}

#[derive(Deserialize)]
struct SentMessage {
    id: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: MetaError,
}

#[derive(Deserialize)]
struct MetaError {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
}

impl WhatsApp {
    pub fn new(config: WhatsAppConfig) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder().timeout(config.timeout).build()?;
        Ok(Self { client, config })
    }

    /// How long a claimed batch stays the claimer's: longer than sending all of it may take,
    /// so no other worker sends a row of it again.
    pub fn lease(&self) -> Duration {
        (self.config.timeout * (BATCH as u32 + 1)).max(Duration::from_secs(2))
    }

    /// Sends `row`; Meta's message id on success.
    pub async fn send(&self, row: &outbox::Model) -> Result<String, SendError> {
        let opened = |sealed: &entity::Sealed| {
            crate::vault::open(sealed).map_err(|e| SendError::Permanent(e.to_string()))
        };
        let message: TemplateMessage = serde_json::from_str(&opened(&row.body_text)?)
            .map_err(|e| SendError::Permanent(format!("unreadable message: {e}")))?;
        let body = serde_json::json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            // With its `+`: a number without one would be read as one of the business's own
            // country.
            "to": format!("+{}", opened(&row.recipient)?),
            "type": "template",
            "template": {
                "name": message.name,
                "language": {"code": message.language},
                "components": [{
                    "type": "body",
                    "parameters": message.parameters.iter()
                        .map(|p| serde_json::json!({"type": "text", "text": p}))
                        .collect::<Vec<_>>(),
                }],
            },
            "biz_opaque_callback_data": row.id,
        });
        let url = format!(
            "{}/{}/messages",
            self.config.api_url, self.config.phone_number_id
        );
        let res = self
            .client
            .post(url)
            .bearer_auth(&self.config.token)
            .json(&body)
            .send()
            .await
            .map_err(|e| SendError::Retry(format!("WhatsApp could not be reached: {e}")))?;
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        if status.is_success() {
            let sent: Sent = serde_json::from_str(&text)
                .map_err(|e| SendError::Retry(format!("WhatsApp's answer was unreadable: {e}")))?;
            return sent
                .messages
                .into_iter()
                .next()
                .map(|m| m.id)
                .ok_or_else(|| SendError::Retry("WhatsApp answered without a message id".into()));
        }
        let error = serde_json::from_str::<ErrorBody>(&text).ok();
        let why = error
            .as_ref()
            .map(|b| {
                format!(
                    "WhatsApp refused it ({}): {}",
                    b.error.code, b.error.message
                )
            })
            .unwrap_or_else(|| format!("WhatsApp answered {status}"));
        // Throttling, a passing fault or an expired token pass; any other refusal is about the
        // message (a template not approved, a number not on WhatsApp) and would come again.
        let passing = error.is_some_and(|b| RETRY_CODES.contains(&b.error.code));
        if passing || status.as_u16() == 429 || status.is_server_error() {
            Err(SendError::Retry(why))
        } else {
            Err(SendError::Permanent(why))
        }
    }
}

/// Claims and sends one batch; returns how many rows it handled.
pub async fn run_once(
    db: &DatabaseConnection,
    wa: &WhatsApp,
    mail: &MailSettings,
) -> anyhow::Result<usize> {
    let claimed = queue::claim(db, CHANNEL, BATCH, wa.lease()).await?;
    let count = claimed.len();
    for row in claimed {
        match wa.send(&row).await {
            Ok(message_id) => queue::mark_sent_as(db, &row, Some(&message_id)).await?,
            Err(SendError::Retry(why)) => {
                tracing::warn!(outbox_id = %row.id, kind = %row.kind, attempts = row.attempts,
                    "WhatsApp message not sent; will retry (the outbox row has the error)");
                give_up(db, mail, &row, &why, false).await?;
            }
            Err(SendError::Permanent(why)) => {
                tracing::warn!(outbox_id = %row.id, kind = %row.kind,
                    "WhatsApp refused a message; the artist is emailed instead");
                give_up(db, mail, &row, &why, true).await?;
            }
        }
    }
    Ok(count)
}

/// Marks a failed send and, when it was the last try, releases the email held for it, in one
/// transaction: a crash between the two must not leave the artist waiting a day for the email.
async fn give_up(
    db: &DatabaseConnection,
    mail: &MailSettings,
    row: &outbox::Model,
    why: &str,
    for_good: bool,
) -> Result<(), DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let given_up = if for_good {
        queue::mark_failed_for_good(&txn, row, why, mail).await?
    } else {
        queue::mark_failed(&txn, row, why, mail).await?
    };
    if given_up {
        fall_back(&txn, mail, &row.id, why).await?;
    }
    txn.commit().await
}

/// The WhatsApp message `id` failed for good: the email held back for it goes out, and the
/// row says so for the coordinator.
pub async fn fall_back(
    db: &impl sea_orm::ConnectionTrait,
    mail: &MailSettings,
    id: &str,
    why: &str,
) -> Result<(), DbErr> {
    let released = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(queue::PENDING))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(Utc::now()))
        .filter(outbox::Column::FallbackFor.eq(id))
        .filter(outbox::Column::Status.eq(queue::HELD))
        .exec(db)
        .await?
        .rows_affected;
    let said = if released > 0 {
        format!("{why}; sent by email instead")
    } else {
        why.to_string()
    };
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::LastError,
            Expr::value(
                mail.vault
                    .seal(&said.chars().take(1000).collect::<String>()),
            ),
        )
        .filter(outbox::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// How long an email waits for the WhatsApp message it stands behind to be delivered. A
/// message Meta never reports on (a phone off for weeks, a webhook not subscribed) must not
/// keep the artist from hearing at all.
pub const HELD_AT_MOST: chrono::Duration = chrono::Duration::hours(24);

/// Sends the held emails whose WhatsApp message was not delivered within `HELD_AT_MOST`.
pub async fn release_stale(db: &DatabaseConnection) -> Result<u64, DbErr> {
    use sea_orm::{QuerySelect, QueryTrait};
    let undelivered = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(outbox::Column::Channel.eq(CHANNEL))
        .filter(outbox::Column::Status.is_not_in([queue::DELIVERED, queue::READ]))
        .into_query();
    Ok(outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(queue::PENDING))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(Utc::now()))
        .filter(outbox::Column::Status.eq(queue::HELD))
        .filter(outbox::Column::CreatedAt.lt(Utc::now() - HELD_AT_MOST))
        .filter(outbox::Column::FallbackFor.in_subquery(undelivered))
        .exec(db)
        .await?
        .rows_affected)
}

/// The delivery loop, started with the server when WhatsApp is configured.
pub fn spawn(
    db: DatabaseConnection,
    wa: WhatsApp,
    mail: MailSettings,
    poll: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match run_once(&db, &wa, &mail).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "WhatsApp delivery failed; will retry"),
            }
            tokio::time::sleep(poll).await;
        }
    })
}
