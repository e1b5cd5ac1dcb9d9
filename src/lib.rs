//! Hunar: the backend of a marketplace where artists deported to Afghanistan sell their
//! paintings to supporters abroad.
//!
//! This crate is the edge: the JSON API (`api`), the shop and the console (`web`), one
//! `router` that lists every route, the state a request can reach, and the mapping of the
//! core's typed results to HTTP (`error`). The domains live in `hunar-core`, which knows no
//! HTTP; they are re-exported here under their own names so a path reads the same from
//! either side.
pub use hunar_core::{
    artist_page, audit, auth, backup, catalog, config, country, db, files, ledger, markup, media,
    money, notifications, orders, organisation, pagination, payments, seed, services, storage,
    validate, vault,
};

pub mod api;
pub mod client;
pub mod error;
pub mod extract;
pub mod headers;
pub mod health;
pub mod log_writer;
pub mod metrics;
pub mod openapi;
pub mod router;
pub mod safety;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod telemetry_span;
pub mod threads;
pub mod web;
