//! The SMTP listener the email tests deliver to (shared with the outbox benchmark).
pub use smtp_sink::{Received, Sink, free_port};
