//! Orders: buying a one-of-a-kind painting. Placing an order (`place`) reserves the painting
//! atomically; every later change goes through the state machine in `state.rs`; `views` reads,
//! `actions` is what a coordinator does.
pub mod actions;
pub mod attempts;
pub mod attention;
pub mod buyer_view;
pub mod carriers;
pub mod claims;
mod draft;
pub mod erasure;
mod error;
pub mod expiry;
pub mod holds;
pub mod idempotency;
pub mod place;
mod precheck;
pub mod reference;
mod request;
mod reservation;
pub mod state;
pub mod status;
pub mod tokens;
pub mod turns;
pub mod views;

pub use error::OrderError;
pub use reference::reference;
pub use status::OrderStatus;
