//! The catalog's endpoints: the public pages and the coordinators' edits.
pub mod admin;
pub mod cache;
pub mod public;
