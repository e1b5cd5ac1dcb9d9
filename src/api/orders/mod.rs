//! The orders' endpoints: a buyer's (placing, following, confirming) and the coordinators'.
pub mod admin;
pub mod public;
pub mod submit;
