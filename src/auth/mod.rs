//! Admin authentication: argon2id passwords, opaque bearer tokens stored hashed,
//! rate-limited login.
pub mod accounts;
pub mod password;
pub mod rate_limit;
pub mod routes;
pub mod service;
pub mod token;

pub use service::{AdminIdentity, AuthError};
