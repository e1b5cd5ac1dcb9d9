//! The shop: what a supporter sees. Home, the paintings with filters, a painting, an artist,
//! buying, and the buyer's order page.
pub mod buy;
pub mod order;
pub mod pages;
pub mod pictures;
pub mod prefs;

use actix_web::web;

pub fn services(cfg: &mut web::ServiceConfig) {
    cfg.service(crate::web::assets::serve)
        .service(crate::web::assets::favicon)
        .service(prefs::set_lang)
        .service(prefs::choose_country)
        .service(pages::home_page)
        .service(pages::artworks_page)
        .service(buy::show_form)
        .service(buy::submit_form)
        .service(pages::artwork_page)
        .service(pages::artist_page)
        .service(pages::transparency_page)
        .service(pages::sitemap)
        .service(pages::robots)
        .service(order::confirm_page)
        .service(order::confirm)
        .service(order::claim_paid)
        .service(order::show);
}
