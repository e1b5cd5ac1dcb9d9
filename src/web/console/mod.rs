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
pub mod second_factor;
pub mod session;
pub mod settings;
pub mod signin;
pub mod today;
pub mod uploads;
pub mod zones;

pub use page::Console;
