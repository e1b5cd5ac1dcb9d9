//! The page a buyer reaches from the link in their first email: one button that confirms the
//! address is theirs. Opening the link changes nothing (mail scanners open links too); the
//! button's POST does, and leads on to the order's page.
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;

use super::{escape, page};
use crate::orders::{OrderError, holds, reference};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct Token {
    token: Option<String>,
}

fn not_found() -> HttpResponse {
    page(
        StatusCode::NOT_FOUND,
        "Link not valid",
        "<h1>This link is not valid</h1>\n<p>Please open the link exactly as it is in the \
         email we sent you.</p>",
    )
}

#[get("/orders/{id}/confirm")]
pub async fn show(id: web::Path<String>) -> HttpResponse {
    // The form posts back to this very URL, token and all.
    let body = format!(
        "<h1>Confirm your email address</h1>\n<p>You ordered a painting on Hunar (order {reference}). \
         Confirm that this email address is yours, and we hold the painting for you for the \
         full time while you pay.</p>\n\
         <form method=\"post\">\n\
         <button type=\"submit\">Yes, this is my address</button>\n</form>",
        reference = escape(&reference(&id)),
    );
    page(StatusCode::OK, "Confirm your email address", &body)
}

#[post("/orders/{id}/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<Token>,
) -> HttpResponse {
    let token = query.into_inner().token.unwrap_or_default();
    match holds::confirm(&state.db, &state.config, &state.mail, &id, &token).await {
        Ok(_) => HttpResponse::SeeOther()
            .insert_header((LOCATION, state.mail.order_link(&id)))
            .finish(),
        Err(OrderError::NotFound(_)) => not_found(),
        Err(err) => {
            tracing::error!(error = %err, "confirming a buyer's address failed");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                "<h1>Something went wrong on our side</h1>\n<p>Please open the link again in a \
                 minute.</p>",
            )
        }
    }
}
