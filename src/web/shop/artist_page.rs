//! The artist's own page, behind the link a coordinator made (and every message to the
//! artist carries): no account, no script, in the artist's language unless this browser
//! chose another of the artists' languages.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::state::AppState;
use crate::web::frame::frame;
use crate::web::i18n::{self, Lang};
use crate::web::visitor::Visitor;

#[derive(Deserialize)]
pub struct PageQuery {
    token: Option<String>,
}

#[derive(Serialize)]
struct LangLink {
    code: &'static str,
    name: &'static str,
    current: bool,
}

#[get("/page")]
pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let token = query.into_inner().token.unwrap_or_default();
    let mut visitor = visitor;
    let page = match crate::artist_page::open(&state.db, &token).await {
        Ok(page) => page,
        Err(err) => {
            tracing::error!(error = %err, "an artist's page failed");
            return frame(&state, &visitor).message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-title",
                i18n::text(visitor.lang, "error-text", &[]),
            );
        }
    };
    let Some(page) = page else {
        // An old, wrong or expired link all look alike.
        if !Lang::AFGHAN.contains(&visitor.lang) {
            visitor.lang = Lang::En;
        }
        return frame(&state, &visitor).message(
            StatusCode::NOT_FOUND,
            "ap-invalid-title",
            i18n::text(visitor.lang, "ap-invalid-text", &[]),
        );
    };
    if !(visitor.chose_lang && Lang::AFGHAN.contains(&visitor.lang)) {
        visitor.lang = Lang::parse(&page.language)
            .filter(|l| Lang::AFGHAN.contains(l))
            .unwrap_or(Lang::En);
    }
    let page_langs: Vec<LangLink> = Lang::AFGHAN
        .into_iter()
        .map(|l| LangLink {
            code: l.code(),
            name: l.native_name(),
            current: l == visitor.lang,
        })
        .collect();
    let handover: Vec<_> = page.to_hand_over().collect();
    frame(&state, &visitor).render(
        StatusCode::OK,
        "artist-page.html",
        context! { p => &page, handover => handover, page_langs => page_langs },
    )
}
