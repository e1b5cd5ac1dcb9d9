//! Every route the server answers, in one list: the JSON API (public and coordinators'), the
//! photos, the shop and the console. Handlers live in `api/` and `web/`; this file only says
//! where each is mounted and behind which guard. Routes are tried in the order they are
//! registered, so the public API, most of the traffic, goes before the photos.
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::web;
use utoipa_actix_web::scope::Scope;

use crate::api::{self, catalog, ledger, media, notifications, orders, organisation};
use crate::catalog::cache::CatalogCache;
use crate::web::assets;
use crate::web::console::{
    account, artists, ledger as accounts, orders as console_orders, paintings, prices, records,
    second_factor, settings, signin, today, zones,
};
use crate::web::shop::{artist_page, buy, order, pages, prefs};

/// `/api/v1`: what anyone may ask (the catalog, placing and following an order, the
/// organisation's contact, the transparency report, Stripe's webhook).
pub fn public_api() -> Scope<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    utoipa_actix_web::scope("/api/v1")
        // The busiest first.
        .service(catalog::public::list_artworks)
        .service(catalog::public::get_artwork)
        .service(catalog::public::list_artists)
        .service(catalog::public::get_artist)
        .service(catalog::public::quote)
        .service(orders::public::place)
        .service(orders::public::show)
        .service(orders::public::confirm_email)
        .service(orders::public::claim_paid)
        .service(organisation::contact)
        .service(ledger::public_report)
        .service(api::payments::stripe_webhook)
        .service(api::whatsapp::verify)
        .service(api::whatsapp::receive)
}

/// `/api/v1/admin`: a coordinator's bearer token first; every successful change empties the
/// catalog cache of this process, so a coordinator sees their edit at once.
pub fn admin_api(
    cache: CatalogCache,
) -> Scope<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody + 'static>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    utoipa_actix_web::scope("/api/v1/admin")
        .wrap(from_fn(move |req, next| {
            catalog::cache::invalidate_on_write(cache.clone(), req, next)
        }))
        .wrap(from_fn(api::auth::require_admin))
        .service(api::auth::logout)
        .service(api::account::start)
        .service(api::account::confirm)
        .service(api::account::disable)
        .service(api::coordinators::list)
        .service(api::coordinators::add)
        .service(api::coordinators::disable)
        .service(api::coordinators::enable)
        .service(notifications::list_outbox)
        .service(api::backup::status)
        .service(notifications::retry_email)
        .service(organisation::show)
        .service(organisation::replace)
        .service(catalog::admin::list_artists)
        .service(catalog::admin::create_artists)
        .service(catalog::admin::get_artists)
        .service(catalog::admin::update_artists)
        .service(catalog::admin::delete_artists)
        .service(catalog::admin::make_page_link)
        .service(catalog::admin::list_zones)
        .service(catalog::admin::create_zones)
        .service(catalog::admin::get_zones)
        .service(catalog::admin::update_zones)
        .service(catalog::admin::delete_zones)
        .service(catalog::admin::list_tiers)
        .service(catalog::admin::create_tiers)
        .service(catalog::admin::get_tiers)
        .service(catalog::admin::update_tiers)
        .service(catalog::admin::delete_tiers)
        .service(catalog::admin::list_artworks)
        .service(catalog::admin::create_artworks)
        .service(catalog::admin::get_artworks)
        .service(catalog::admin::update_artworks)
        .service(catalog::admin::delete_artworks)
        .service(ledger::artist_ledger)
        .service(ledger::artist_ledger_csv)
        .service(ledger::ledger_csv)
        .service(ledger::summary)
        .service(ledger::set_terms)
        .service(ledger::record_payout)
        .service(ledger::record_shipping)
        .service(ledger::reverse)
        .service(orders::admin::list_orders)
        .service(orders::admin::order_detail)
        .service(orders::admin::confirm_payment)
        .service(orders::admin::ship)
        .service(orders::admin::deliver)
        .service(orders::admin::cancel)
        .service(orders::admin::extend_hold)
        .service(orders::admin::refund_late_payment)
        .service(orders::admin::another_painting)
        .service(orders::admin::erase_buyer)
        .service(media::upload_artwork_image)
        .service(media::delete_artwork_image)
        .service(media::upload_portrait)
        .service(media::delete_portrait)
}

/// The shop's pages (HTML; a supporter's).
pub fn shop(cfg: &mut web::ServiceConfig) {
    cfg.service(assets::serve)
        .service(assets::favicon)
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
        .service(order::show)
        .service(artist_page::show);
}

/// The console's pages (HTML; a coordinator's, each behind a session).
pub fn console(cfg: &mut web::ServiceConfig) {
    cfg.service(signin::sign_in_page)
        .service(signin::sign_in)
        .service(signin::sign_in_code)
        .service(signin::sign_out)
        .service(today::today)
        .service(settings::show)
        .service(settings::save_contact)
        .service(settings::save_artist_messages)
        .service(settings::new_option)
        .service(settings::edit_option)
        .service(settings::delete_option)
        .service(settings::save_option)
        .service(accounts::summary)
        .service(accounts::export_all)
        .service(accounts::artist)
        .service(accounts::export_artist)
        .service(accounts::record_payout)
        .service(accounts::set_terms)
        .service(accounts::reverse_form)
        .service(accounts::reverse)
        .service(accounts::shipping_form)
        .service(accounts::record_shipping)
        .service(console_orders::list)
        .service(console_orders::show)
        .service(console_orders::action_form)
        // Before the generic `{id}/{action}` form, which would take it for an action.
        .service(console_orders::erase_buyer)
        .service(console_orders::act)
        .service(paintings::list)
        .service(paintings::new)
        .service(paintings::create)
        .service(paintings::edit)
        .service(paintings::update)
        .service(paintings::add_photos)
        .service(paintings::delete_photo)
        .service(paintings::edit_photo)
        .service(artists::list)
        .service(artists::new)
        .service(artists::create)
        .service(artists::edit)
        .service(artists::update)
        .service(artists::make_page_link)
        .service(artists::upload_portrait)
        .service(artists::delete_page)
        .service(artists::delete)
        .service(prices::grid)
        .service(prices::tier_form)
        .service(prices::save_tier)
        .service(zones::new)
        .service(zones::create)
        .service(zones::edit)
        .service(zones::update)
        .service(records::emails)
        .service(records::retry_email)
        .service(records::audit_log)
        .service(account::show)
        .service(account::change_password)
        .service(account::set_time_zone)
        .service(account::revoke_session)
        .service(account::add_admin)
        .service(second_factor::show)
        .service(second_factor::start)
        .service(second_factor::confirm)
        .service(second_factor::turn_off)
        .service(account::access_form)
        .service(account::change_access);
}
