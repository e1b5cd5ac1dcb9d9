//! Orders: the list with its filters, one order with everything about it, and the actions
//! its state allows, each behind a page that says what it will do before it is done.
use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use super::Console;
use super::forms::NoFields;
use super::forms::{field_messages, given};
use super::session::Posted;
use crate::catalog::artists;
use crate::error::FieldErrors;
use crate::orders::actions::{self, Action};
use crate::orders::views::{self, AdminOrderDetail, AdminOrderFilter};
use crate::orders::{OrderError, OrderStatus};
use crate::pagination::Pagination;

/// The list's filters as the form sends them: empty fields mean "any".
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ListQuery {
    status: Option<String>,
    artist: Option<String>,
    payment_method: Option<String>,
    reference: Option<String>,
    buyer_email: Option<String>,
    placed_from: Option<String>,
    placed_to: Option<String>,
    page: Option<String>,
}

impl ListQuery {
    fn filter(&self, console: &Console) -> Result<AdminOrderFilter, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut day = |field: &str, v: &Option<String>| {
            given(v).and_then(
                |d| match chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d") {
                    Ok(d) => Some(d),
                    Err(_) => {
                        errors.add(field, console.text("console-error-date"));
                        None
                    }
                },
            )
        };
        let placed_from = day("placed_from", &self.placed_from);
        let placed_to = day("placed_to", &self.placed_to);
        let page = match given(&self.page).map(|p| p.parse::<u64>()) {
            None => None,
            Some(Ok(p)) => Some(p),
            Some(Err(_)) => {
                errors.add("page", console.text("console-error-page"));
                None
            }
        };
        errors.into_result()?;
        Ok(AdminOrderFilter {
            status: given(&self.status),
            artist: given(&self.artist),
            payment_method: given(&self.payment_method),
            reference: given(&self.reference),
            buyer_email: given(&self.buyer_email),
            placed_from,
            placed_to,
            page,
            per_page: Some(50),
            time_zone: console.account.time_zone.parse().ok(),
        })
    }

    /// This query's url with another page number.
    fn page_url(&self, page: u64) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("status", &self.status),
            ("artist", &self.artist),
            ("payment_method", &self.payment_method),
            ("reference", &self.reference),
            ("buyer_email", &self.buyer_email),
            ("placed_from", &self.placed_from),
            ("placed_to", &self.placed_to),
        ] {
            if let Some(v) = given(v) {
                q.append_pair(k, &v);
            }
        }
        q.append_pair("page", &page.to_string());
        format!("/admin/orders?{}", q.finish())
    }
}

/// Every artist, for the filter (a few dozen at most in this campaign).
async fn artist_choices(console: &Console) -> Vec<(String, String)> {
    let Ok(page) = Pagination::new(Some(1), Some(100)) else {
        return Vec::new();
    };
    match artists::list(&console.state.db, page).await {
        Ok(page) => page
            .items
            .into_iter()
            .map(|a| (a.id, a.display_name))
            .collect(),
        Err(err) => {
            tracing::warn!(error = %err, "artists for the order filter could not be read");
            Vec::new()
        }
    }
}

#[get("/admin/orders")]
pub async fn list(console: Console, query: web::Query<ListQuery>) -> HttpResponse {
    let query = query.into_inner();
    let statuses: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
    let found = async {
        match query.filter(&console) {
            Ok(filter) => views::list(&console.state.db, &console.state.core.vault, filter).await,
            Err(errors) => Err(OrderError::Invalid(errors)),
        }
    };
    let (artists, found) = futures_util::join!(artist_choices(&console), found);
    let (status, page, errors) = match found {
        Ok(page) => (StatusCode::OK, Some(page), BTreeMap::new()),
        Err(OrderError::Invalid(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            field_messages(&errors, console.lang()),
        ),
        Err(err) => return console.failed(&err),
    };
    let pages = page
        .as_ref()
        .map_or(1, |p| p.total.div_ceil(p.per_page).max(1));
    let current = page.as_ref().map_or(1, |p| p.page);
    console.render(
        status,
        "console/orders.html",
        context! {
            section => "orders",
            q => &query,
            page => page,
            errors => errors,
            statuses => statuses,
            artists => artists,
            pages => pages,
            prev_url => (current > 1).then(|| query.page_url(current - 1)),
            next_url => (current < pages).then(|| query.page_url(current + 1)),
        },
    )
}

fn detail_context(detail: &AdminOrderDetail) -> Value {
    let o = &detail.order;
    let actions = Action::available(
        o.order.status,
        &o.payment_method,
        o.late_payment_at.is_some(),
    );
    let erasable = o.buyer_erased_at.is_none()
        && crate::orders::erasure::ended(o.order.status, o.late_payment_at.is_some());
    context! { o => o, detail => detail, actions => actions, erasable => erasable }
}

/// Erases the buyer's personal data now (a person's request), once the order has ended.
#[post("/admin/orders/{id}/erase-buyer")]
pub async fn erase_buyer(posted: Posted<NoFields>, id: web::Path<String>) -> HttpResponse {
    let console = posted.console;
    let by = &console.identity.admin_id;
    match crate::orders::erasure::erase_buyer(&console.state.db, by, &id).await {
        Ok(_) => console.done(&format!("/admin/orders/{id}"), "buyer-erased"),
        Err(OrderError::NotFound(_)) => console.not_found(),
        Err(OrderError::StillOpen) => console.message(
            StatusCode::CONFLICT,
            "console-order-erase-title",
            "console-order-erase-open",
        ),
        Err(err) => console.failed(&err),
    }
}

#[get("/admin/orders/{id}")]
pub async fn show(console: Console, id: web::Path<String>) -> HttpResponse {
    let db = &console.state.db;
    let found = futures_util::try_join!(async { views::detail(db, &id).await }, async {
        Ok::<_, OrderError>(crate::ledger::accounts::shipping_of(db, &id).await?)
    },);
    match found {
        Ok((detail, shipping)) => {
            let actors = actors(&console, &detail).await;
            let reasons = reasons(&console, &detail);
            console.page(
                "console/order.html",
                context! { section => "orders", shipping => shipping, actors => actors, reasons => reasons, ..detail_context(&detail) },
            )
        }
        Err(OrderError::NotFound(_)) => console.not_found(),
        Err(err) => console.failed(&err),
    }
}

/// Who made each change in the order's history, as the coordinator reads it: a coordinator by
/// their email (the stored actor is an account id), the buyer, Hunar itself or Stripe.
async fn actors(
    console: &Console,
    detail: &AdminOrderDetail,
) -> std::collections::BTreeMap<String, String> {
    let accounts = crate::auth::accounts::all(&console.state.db)
        .await
        .unwrap_or_default();
    detail
        .history
        .iter()
        .map(|h| {
            let (kind, id) = h.actor.split_once(':').unwrap_or((h.actor.as_str(), ""));
            let name = match kind {
                "admin" => accounts.iter().find(|a| a.id == id).map_or_else(
                    || console.text("console-actor-coordinator"),
                    |a| a.email.clone(),
                ),
                "buyer" | "system" | "stripe" => console.text(&format!("console-actor-{kind}")),
                _ => h.actor.clone(),
            };
            (h.actor.clone(), name)
        })
        .collect()
}

/// Why each change in the order's history was made, in the console's language: the words of
/// a reason Hunar wrote, and what it was about (a payment's reference) as it was written.
/// A coordinator's own words (a cancellation's reason) are not here and show as written.
fn reasons(
    console: &Console,
    detail: &AdminOrderDetail,
) -> std::collections::BTreeMap<String, (String, Option<String>)> {
    use crate::orders::state::Reason;
    detail
        .history
        .iter()
        .filter_map(|h| h.reason.as_deref())
        .filter_map(|stored| {
            let (reason, about) = Reason::read(stored)?;
            let words = console.text(&format!("console-reason-{}", reason.code()));
            Some((stored.to_string(), (words, about.map(str::to_string))))
        })
        .collect()
}

/// What an action's form sends; each action reads the fields it needs.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ActionForm {
    #[serde(default)]
    reference: String,
    #[serde(default)]
    carrier: String,
    #[serde(default)]
    tracking_number: String,
    #[serde(default)]
    reason: String,
    /// A checkbox: present when ticked.
    release_artwork: Option<String>,
    /// The painting a buyer with a late payment chose instead.
    #[serde(default)]
    artwork_id: String,
}

/// The action's page: what it will do, its fields, and one button. Also shown again with the
/// reason when the order's state does not allow it, or a field needs correcting.
#[allow(clippy::too_many_arguments)]
fn action_page(
    console: &Console,
    for_sale: &[crate::catalog::artworks::ForSale],
    status: StatusCode,
    detail: &AdminOrderDetail,
    action: Action,
    form: &ActionForm,
    errors: BTreeMap<String, String>,
    refusal: Option<String>,
) -> HttpResponse {
    let o = &detail.order;
    let applies = action.applies(
        o.order.status,
        &o.payment_method,
        o.late_payment_at.is_some(),
    );
    console.render(
        status,
        "console/order-action.html",
        context! {
            section => "orders",
            for_sale => for_sale,
            action => action.slug(),
            applies => applies,
            form => form,
            errors => errors,
            refusal => refusal,
            carriers => crate::orders::carriers::names().collect::<Vec<_>>(),
            // The explanation promises emails only when they will be sent.
            mail_server => console.state.mail.smtp_configured,
            ..detail_context(detail)
        },
    )
}

#[get("/admin/orders/{id}/{action}")]
pub async fn action_form(console: Console, path: web::Path<(String, String)>) -> HttpResponse {
    let (id, action) = path.into_inner();
    let Some(action) = Action::parse(&action) else {
        return console.not_found();
    };
    match views::detail(&console.state.db, &id).await {
        Ok(detail) => {
            let o = &detail.order;
            let applies = action.applies(
                o.order.status,
                &o.payment_method,
                o.late_payment_at.is_some(),
            );
            let status = if applies {
                StatusCode::OK
            } else {
                StatusCode::CONFLICT
            };
            let for_sale = if action == Action::AnotherPainting {
                crate::catalog::artworks::for_sale(&console.state.db)
                    .await
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            action_page(
                &console,
                &for_sale,
                status,
                &detail,
                action,
                &ActionForm::default(),
                BTreeMap::new(),
                None,
            )
        }
        Err(OrderError::NotFound(_)) => console.not_found(),
        Err(err) => console.failed(&err),
    }
}

#[post("/admin/orders/{id}/{action}")]
pub async fn act(posted: Posted<ActionForm>, path: web::Path<(String, String)>) -> HttpResponse {
    let Posted { console, form } = posted;
    let (id, action) = path.into_inner();
    let Some(action) = Action::parse(&action) else {
        return console.not_found();
    };
    let state = &console.state;
    let admin = console.identity.admin_id.as_str();
    let done = match action {
        Action::ConfirmPayment => {
            actions::confirm_payment(&state.db, &state.mail, admin, &id, &form.reference).await
        }
        Action::ExtendHold => actions::extend_hold(&state.db, &state.config, admin, &id).await,
        Action::Ship => {
            actions::ship(
                &state.db,
                &state.mail,
                admin,
                &id,
                &form.carrier,
                &form.tracking_number,
            )
            .await
        }
        Action::Deliver => actions::deliver(&state.db, &state.mail, admin, &id).await,
        Action::RefundLatePayment => {
            actions::refund_late_payment(&state.db, &state.mail, admin, &id, &form.reference).await
        }
        Action::AnotherPainting => {
            actions::give_another_painting(&state.db, &state.mail, admin, &id, &form.artwork_id)
                .await
        }
        Action::Cancel => {
            actions::cancel(
                &state.db,
                &state.mail,
                state.payments.as_deref(),
                admin,
                &id,
                Some(form.reason.clone()),
                Some(form.release_artwork.is_some()),
            )
            .await
        }
    };
    let note = match action {
        Action::ConfirmPayment => "payment-confirmed",
        Action::ExtendHold => "hold-extended",
        Action::Ship => "shipped",
        Action::Deliver => "delivered",
        Action::Cancel => "cancelled",
        Action::RefundLatePayment => "late-payment-refunded",
        Action::AnotherPainting => "another-painting-given",
    };
    let (status, errors, refusal) = match done {
        Ok(_) => return console.done(&format!("/admin/orders/{id}"), note),
        // Money recorded; the order page now offers the refund or another painting.
        Err(OrderError::PaintingSoldMeanwhile) => {
            return console.done(&format!("/admin/orders/{id}"), "late-payment-recorded");
        }
        Err(OrderError::NotFound(_)) => return console.not_found(),
        Err(OrderError::Invalid(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            field_messages(&errors, console.lang()),
            None,
        ),
        Err(err @ (OrderError::IllegalTransition { .. } | OrderError::NotAllowed(_))) => {
            (StatusCode::CONFLICT, BTreeMap::new(), Some(err.to_string()))
        }
        Err(OrderError::Payment(err)) => (
            StatusCode::BAD_GATEWAY,
            BTreeMap::new(),
            Some(err.to_string()),
        ),
        Err(err) => return console.failed(&err),
    };
    match views::detail(&state.db, &id).await {
        Ok(detail) => {
            let for_sale = if action == Action::AnotherPainting {
                crate::catalog::artworks::for_sale(&state.db)
                    .await
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            action_page(
                &console, &for_sale, status, &detail, action, &form, errors, refusal,
            )
        }
        Err(err) => console.failed(&err),
    }
}
