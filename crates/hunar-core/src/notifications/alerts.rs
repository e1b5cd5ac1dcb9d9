//! Emails to the coordinator about the installation itself rather than an order.
use std::net::IpAddr;

use minijinja::context;
use sea_orm::{ConnectionTrait, DbErr};

use super::MailSettings;
use super::outbox::{self, NewEmail};
use super::render::render;

/// Many failed sign-ins on one admin account: once per account and window.
/// A scheduled backup failed: once a day while they keep failing, so a coordinator hears of
/// it without an email every few minutes.
pub async fn backup_failed(
    conn: &impl ConnectionTrait,
    mail: &MailSettings,
    location: &str,
    error: &str,
    last_good: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), DbErr> {
    let Some(coordinator) = mail.coordinator.as_deref() else {
        return Ok(());
    };
    let now = chrono::Utc::now();
    let when = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let ctx = context! {
        location => location, error => error, failed_at => when(now),
        last_good => last_good.map(when),
    };
    let rendered = render("backup_failed_coordinator", "en", ctx)
        .map_err(|e| DbErr::Custom(format!("rendering backup_failed_coordinator: {e}")))?;
    outbox::enqueue(
        conn,
        mail,
        NewEmail {
            dedupe_key: format!("backup-failed:{}", now.format("%Y-%m-%d")),
            order_id: None,
            kind: "backup_failed_coordinator",
            recipient: coordinator,
            role: "coordinator",
            rendered,
        },
    )
    .await
}

pub async fn sign_in_failures(
    conn: &impl ConnectionTrait,
    mail: &MailSettings,
    account: &str,
    failures: u32,
    clients: &[IpAddr],
    window_id: i64,
) -> Result<(), DbErr> {
    let Some(coordinator) = mail.coordinator.as_deref() else {
        return Ok(());
    };
    let clients: Vec<String> = clients.iter().map(ToString::to_string).collect();
    let ctx = context! { account => account, failures => failures, clients => clients };
    let rendered = render("signin_alert_coordinator", "en", ctx)
        .map_err(|e| DbErr::Custom(format!("rendering signin_alert_coordinator: {e}")))?;
    outbox::enqueue(
        conn,
        mail,
        NewEmail {
            dedupe_key: format!("signin-alert:{account}:{window_id}"),
            order_id: None,
            kind: "signin_alert_coordinator",
            recipient: coordinator,
            role: "coordinator",
            rendered,
        },
    )
    .await
}
