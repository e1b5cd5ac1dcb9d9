//! The JSON API's handlers, one file per domain: each parses the request, calls the core and
//! answers its result. `startup` mounts them.
pub mod account;
pub mod auth;
pub mod backup;
pub mod catalog;
pub mod coordinators;
pub mod ledger;
pub mod media;
pub mod notifications;
pub mod orders;
pub mod organisation;
pub mod payments;
pub mod whatsapp;
