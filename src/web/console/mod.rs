//! The console: what the NGO's coordinators use instead of curl. Sign in, see what needs doing
//! today, run the orders, keep the artists, paintings and photos, see every price, keep the artists' accounts, read the outbox and the audit log, keep one's own account. Every
//! page needs a signed-in coordinator; every form that changes something carries the
//! session's form token and must come from this site.
pub mod account;
pub mod artists;
pub mod forms;
pub mod ledger;
pub mod orders;
pub mod page;
pub mod paintings;
pub mod prices;
pub mod records;
pub mod session;
pub mod settings;
pub mod signin;
pub mod today;
pub mod uploads;
pub mod zones;

use actix_web::web;

pub use page::Console;

pub fn services(cfg: &mut web::ServiceConfig) {
    cfg.service(signin::sign_in_page)
        .service(signin::sign_in)
        .service(signin::sign_out)
        .service(today::today)
        .service(settings::show)
        .service(settings::save_contact)
        .service(settings::new_option)
        .service(settings::edit_option)
        .service(settings::delete_option)
        .service(settings::save_option)
        // Before the orders' `/admin/orders/{id}/{action}`, which would take `shipping-cost`.
        .service(ledger::summary)
        .service(ledger::export_all)
        .service(ledger::artist)
        .service(ledger::export_artist)
        .service(ledger::record_payout)
        .service(ledger::set_terms)
        .service(ledger::reverse_form)
        .service(ledger::reverse)
        .service(ledger::shipping_form)
        .service(ledger::record_shipping)
        .service(orders::list)
        .service(orders::show)
        .service(orders::action_form)
        .service(orders::act)
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
        .service(account::add_admin);
}
