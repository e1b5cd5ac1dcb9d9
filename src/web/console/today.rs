//! The console's first page: what needs a person now, each item a link to the thing to do.
use actix_web::{HttpResponse, get};
use chrono::Utc;
use minijinja::context;

use super::Console;
use crate::backup::runs;
use crate::orders::attention;

#[get("/admin")]
pub async fn today(console: Console) -> HttpResponse {
    let state = &console.state;
    // A page that cannot say how backups are doing still shows the orders.
    let backups = runs::status(&state.db, state.config.backup.as_ref())
        .await
        .map_err(|err| tracing::warn!(error = %err, "backup status unavailable"))
        .ok();
    match attention::now(&console.state.db).await {
        Ok(now) => {
            // How long each manual order has waited, in whole hours (the page words it).
            let waited: Vec<i64> = now
                .awaiting_payment
                .items
                .iter()
                .map(|o| (Utc::now() - o.order.created_at).num_hours().max(0))
                .collect();
            console.page(
                "console/today.html",
                context! { section => "today", now => &now, calm => now.is_empty(), waited => waited, backups => backups, storage => state.storage.last(), mail_server => state.mail.smtp_configured },
            )
        }
        Err(err) => console.failed(&err),
    }
}
