//! Hunar's core: the marketplace's domains (catalog, orders, payments, ledger, notifications,
//! media, auth, backup, the organisation) and what they stand on (configuration, the database,
//! money, validation). No HTTP here: the binary crate is the edge that speaks it (the JSON API,
//! the shop, the console) and maps this crate's typed results to answers. That the core does
//! not depend on actix is what keeps the layers apart: the compiler refuses the other way.
pub mod artist_page;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod catalog;
pub mod client;
pub mod config;
pub mod country;
pub mod db;
pub mod error;
pub mod files;
pub mod gauges;
pub mod ledger;
pub mod markup;
pub mod media;
pub mod money;
pub mod notifications;
pub mod orders;
pub mod organisation;
pub mod pagination;
pub mod payments;
pub mod seed;
pub mod services;
pub mod storage;
pub mod validate;
pub mod vault;
