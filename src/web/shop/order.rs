//! The buyer's pages for one order: its private page (the link in every email; Stripe sends
//! the buyer back here) and the page that confirms their address.
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::context;
use serde::Deserialize;

use super::buy::cross_site_refused;
use crate::notifications::render::local_time;
use crate::orders::{OrderError, OrderStatus, buyer_view, holds, reference};
use crate::state::AppState;
use crate::web::frame::frame;
use crate::web::i18n;
use crate::web::origin::same_origin;
use crate::web::visitor::Visitor;

#[derive(Deserialize)]
pub struct OrderQuery {
    token: Option<String>,
    checkout: Option<String>,
    /// `paid`, after the buyer said so; `confirmed`, after they confirmed their address.
    said: Option<String>,
}

fn link_invalid(state: &AppState, visitor: &Visitor) -> HttpResponse {
    frame(state, visitor).message(
        StatusCode::NOT_FOUND,
        "link-invalid-title",
        i18n::text(visitor.lang, "link-invalid-text", &[]),
    )
}

fn failed(state: &AppState, visitor: &Visitor, err: &OrderError) -> HttpResponse {
    tracing::error!(error = %err, "a buyer's order page failed");
    frame(state, visitor).message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "error-title",
        i18n::text(visitor.lang, "error-text", &[]),
    )
}

#[get("/orders/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    query: web::Query<OrderQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let token = query.token.unwrap_or_default();
    match buyer_view::for_buyer(&state.db, &state.config, &id, &token).await {
        Ok(order) => {
            // In the language the buyer ordered in, unless this browser chose another.
            let mut visitor = visitor;
            if !visitor.chose_lang
                && let Some(lang) = i18n::Lang::parse(&order.language)
            {
                visitor.lang = lang;
            }
            let tz = order.time_zone.as_deref();
            let deadline = local_time(order.pay_by.unwrap_or(order.order.expires_at), tz);
            let pending = order.order.status == OrderStatus::PendingPayment;
            // A manual hold still the short one: the buyer has hours to confirm the address.
            let confirm_hours = order
                .hold_after_email_confirmation
                .filter(|_| pending && order.paid_claimed_at.is_none())
                .map(|_| {
                    // Rounded up: 5 h 59 min left reads "6 hours", as the email said.
                    let minutes = (order.order.expires_at - chrono::Utc::now()).num_minutes();
                    ((minutes + 59) / 60).max(1)
                });
            let option_notes: Vec<Option<minijinja::Value>> = order
                .payment_options
                .iter()
                .map(|option| {
                    option
                        .note(visitor.lang.code())
                        .map(|(lang, text)| context! { lang => lang, text => text })
                })
                .collect();
            frame(&state, &visitor).render(
                StatusCode::OK,
                "order.html",
                context! {
                    deadline => deadline,
                    confirm_hours => confirm_hours,
                    paid_claimed_local => order.paid_claimed_at.map(|at| local_time(at, tz)),
                    option_notes => option_notes,
                    token => &token,
                    said_paid_now => query.said.as_deref() == Some("paid"),
                    confirmed_now => query.said.as_deref() == Some("confirmed"),
                    held_elsewhere => query.said.as_deref() == Some("held-elsewhere"),
                    o => order,
                    checkout => query.checkout.filter(|c| c == "success" || c == "cancelled"),
                },
            )
        }
        // A wrong token looks exactly like a missing order.
        Err(OrderError::NotFound(_)) => link_invalid(&state, &visitor),
        Err(err) => failed(&state, &visitor, &err),
    }
}

fn back_to_order(id: &str, token: &str, then: &str) -> HttpResponse {
    let token: String = form_urlencoded::byte_serialize(token.as_bytes()).collect();
    HttpResponse::SeeOther()
        .insert_header((LOCATION, format!("/orders/{id}?token={token}{then}")))
        .finish()
}

/// The buyer says they paid (the button on their order page).
#[post("/orders/{id}/paid")]
pub async fn claim_paid(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    query: web::Query<Token>,
) -> HttpResponse {
    if !same_origin(&req) {
        return cross_site_refused(&state, &visitor);
    }
    let token = query.into_inner().token.unwrap_or_default();
    match crate::orders::claims::claim_paid(&state.db, &state.config, &state.mail, &id, &token)
        .await
    {
        Ok(()) => back_to_order(&id, &token, "&said=paid"),
        Err(OrderError::NotFound(_)) => link_invalid(&state, &visitor),
        // Paid, expired or a card order meanwhile: the page says where it stands.
        Err(OrderError::NotAllowed(_)) => back_to_order(&id, &token, ""),
        Err(err) => failed(&state, &visitor, &err),
    }
}

/// Opening the link (as a mail scanner does) changes nothing: one button does.
#[get("/orders/{id}/confirm")]
pub async fn confirm_page(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    frame(&state, &visitor).render(
        StatusCode::OK,
        "confirm.html",
        context! { reference => reference(&id) },
    )
}

#[derive(Deserialize)]
pub struct Token {
    token: Option<String>,
}

#[post("/orders/{id}/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
    query: web::Query<Token>,
) -> HttpResponse {
    if !same_origin(&req) {
        return cross_site_refused(&state, &visitor);
    }
    let token = query.into_inner().token.unwrap_or_default();
    let back = |said: &str| {
        let link = state.mail.order_link(&id);
        let join = if link.contains('?') { '&' } else { '?' };
        HttpResponse::SeeOther()
            .insert_header((LOCATION, format!("{link}{join}said={said}")))
            .finish()
    };
    match holds::confirm(&state.db, &state.config, &state.mail, &id, &token).await {
        // A waiting order that took its painting, or ended because another supporter bought
        // it first: the order page says which (and, once, that it worked).
        Ok(_) => {
            state.catalog_cache.invalidate();
            back("confirmed")
        }
        // Held by another order that may yet lapse: this one keeps waiting.
        Err(OrderError::ArtworkUnavailable(status))
            if status == crate::catalog::ArtworkStatus::Reserved.as_str() =>
        {
            back("held-elsewhere")
        }
        Err(OrderError::ArtworkUnavailable(_)) => {
            state.catalog_cache.invalidate();
            back("confirmed")
        }
        Err(OrderError::NotFound(_)) => link_invalid(&state, &visitor),
        Err(OrderError::TooManyHolds {
            retry_after_secs, ..
        }) => super::buy::limited(&state, &visitor, retry_after_secs),
        Err(err) => failed(&state, &visitor, &err),
    }
}
