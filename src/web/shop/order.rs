//! The buyer's pages for one order: its private page (the link in every email; Stripe sends
//! the buyer back here) and the page that confirms their address.
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::context;
use serde::Deserialize;

use super::buy::cross_site_refused;
use crate::orders::{OrderError, holds, reference, views};
use crate::state::AppState;
use crate::web::frame::frame;
use crate::web::i18n;
use crate::web::origin::same_origin;
use crate::web::visitor::Visitor;

#[derive(Deserialize)]
pub struct OrderQuery {
    token: Option<String>,
    checkout: Option<String>,
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
    match views::for_buyer(&state.db, &state.config, &id, &token).await {
        Ok(order) => {
            let held_until = order
                .order
                .expires_at
                .format("%Y-%m-%d %H:%M UTC")
                .to_string();
            frame(&state, &visitor).render(
                StatusCode::OK,
                "order.html",
                context! {
                    o => order,
                    held_until => held_until,
                    checkout => query.checkout.filter(|c| c == "success" || c == "cancelled"),
                },
            )
        }
        // A wrong token looks exactly like a missing order.
        Err(OrderError::NotFound(_)) => link_invalid(&state, &visitor),
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
    match holds::confirm(&state.db, &state.config, &state.mail, &id, &token).await {
        Ok(_) => HttpResponse::SeeOther()
            .insert_header((LOCATION, state.mail.order_link(&id)))
            .finish(),
        Err(OrderError::NotFound(_)) => link_invalid(&state, &visitor),
        Err(err) => failed(&state, &visitor, &err),
    }
}
