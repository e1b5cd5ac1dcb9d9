//! What the system did: the outbox (every email, its state and attempts; a failed one can be
//! sent again) and the audit log (who changed what, when, from where).
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::Console;
use super::session::Posted;
use crate::error::DomainError;
use crate::notifications::outbox::{self, OutboxFilter};
use crate::web::console::forms::NoFields;

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct EmailQuery {
    status: Option<String>,
    page: Option<String>,
}

const STATUSES: [&str; 9] = outbox::STATUSES;

#[get("/admin/emails")]
pub async fn emails(console: Console, query: web::Query<EmailQuery>) -> HttpResponse {
    let query = query.into_inner();
    let Some(pagination) = super::forms::page_of(&query.page, 50) else {
        return console.not_found();
    };
    let status = query
        .status
        .clone()
        .filter(|s| STATUSES.contains(&s.as_str()));
    let filter = OutboxFilter {
        status: status.clone(),
        channel: None,
        order_id: None,
        page: Some(pagination.page),
        per_page: Some(pagination.per_page),
    };
    match outbox::list(&console.state.db, filter).await {
        Ok(page) => {
            let pages = page.total.div_ceil(page.per_page).max(1);
            let url = |p: u64| match &status {
                Some(s) => format!("/admin/emails?status={s}&page={p}"),
                None => format!("/admin/emails?page={p}"),
            };
            console.page(
                "console/emails.html",
                context! {
                    section => "emails",
                    status => status,
                    statuses => STATUSES,
                    pages => pages,
                    prev_url => (page.page > 1).then(|| url(page.page - 1)),
                    next_url => (page.page < pages).then(|| url(page.page + 1)),
                    page => page,
                },
            )
        }
        Err(DomainError::Validation(_)) => console.not_found(),
        Err(err) => console.failed(&err),
    }
}

#[post("/admin/emails/{id}/retry")]
pub async fn retry_email(posted: Posted<NoFields>, id: web::Path<String>) -> HttpResponse {
    let console = posted.console;
    match outbox::retry(&console.state.db, &console.identity.admin_id, &id).await {
        Ok(_) => console.done("/admin/emails", "email-queued"),
        Err(DomainError::NotFound(_)) => console.not_found(),
        Err(DomainError::Conflict { .. }) => console.message(
            StatusCode::CONFLICT,
            "console-email-retry-title",
            "console-email-retry-refused",
        ),
        Err(err) => console.failed(&err),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    page: Option<String>,
}

#[get("/admin/audit")]
pub async fn audit_log(console: Console, query: web::Query<AuditQuery>) -> HttpResponse {
    let Some(page) = super::forms::page_of(&query.page, 100) else {
        return console.not_found();
    };
    match crate::audit::list(&console.state.db, page).await {
        Ok(page) => {
            let pages = page.total.div_ceil(page.per_page).max(1);
            console.page(
                "console/audit.html",
                context! {
                    section => "audit",
                    pages => pages,
                    prev_url => (page.page > 1).then(|| format!("/admin/audit?page={}", page.page - 1)),
                    next_url => (page.page < pages).then(|| format!("/admin/audit?page={}", page.page + 1)),
                    page => page,
                },
            )
        }
        Err(err) => console.failed(&err),
    }
}
