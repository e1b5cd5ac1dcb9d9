//! Hunar: the backend of a marketplace where artists deported to Afghanistan sell their
//! paintings to supporters abroad.
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod client;
pub mod config;
pub mod country;
pub mod db;
pub mod error;
pub mod extract;
pub mod headers;
pub mod health;
pub mod media;
pub mod money;
pub mod notifications;
pub mod openapi;
pub mod orders;
pub mod pagination;
pub mod payments;
pub mod safety;
pub mod seed;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod telemetry_span;
pub mod validate;
pub mod web;
