//! One test binary (linking is the slow part of a build): a module per domain.
mod architecture;
mod auth;
mod browser;
mod catalog_admin;
mod catalog_public;
mod cli;
mod errors;
mod helpers;
mod limits;
mod media;
mod notifications;
mod operations;
mod orders;
mod payments;
mod shop;
mod smtp;
mod stripe_mock;
