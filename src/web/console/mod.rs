//! The console: what the NGO's coordinators use instead of curl. Sign in, see what needs doing
//! today, run the orders, read the outbox and the audit log, keep one's own account. Every
//! page needs a signed-in coordinator; every form that changes something carries the
//! session's form token and must come from this site.
pub mod account;
pub mod orders;
pub mod page;
pub mod records;
pub mod session;
pub mod signin;
pub mod today;

use actix_web::web;

pub use page::Console;

pub fn services(cfg: &mut web::ServiceConfig) {
    cfg.service(signin::sign_in_page)
        .service(signin::sign_in)
        .service(signin::sign_out)
        .service(today::today)
        .service(orders::list)
        .service(orders::show)
        .service(orders::action_form)
        .service(orders::act)
        .service(records::emails)
        .service(records::retry_email)
        .service(records::audit_log)
        .service(account::show)
        .service(account::change_password)
        .service(account::set_time_zone)
        .service(account::revoke_session)
        .service(account::add_admin);
}
