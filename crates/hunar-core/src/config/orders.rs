//! Orders: the links buyers and coordinators follow, the buyers' token secret, and how long
//! a painting is held for a buyer who pays by card or by hand.
use std::time::Duration;

use super::{ConfigError, Vars, invalid};

pub const DEFAULT_MANUAL_INSTRUCTIONS: &str = "Thank you! Please pay {amount} by bank transfer \
or in cash through the Hunar coordinator, quoting {reference}. The coordinator confirms \
your payment by hand; the painting is reserved for you until {expires}.";

pub struct Orders {
    pub token_secret: Option<String>,
    pub order_url: String,
    pub admin_order_url: String,
    pub card_reservation_minutes: u32,
    pub manual_reservation_days: u32,
    pub manual_payment_instructions: String,
    pub reservation_sweep: Duration,
    pub buyer_data_days: u32,
}

pub fn read(vars: &Vars, public_base_url: &str) -> Result<Orders, ConfigError> {
    let order_url = vars.or(
        "ORDER_URL",
        &format!("{public_base_url}/orders/{{id}}?token={{token}}"),
    );
    if !(order_url.contains("{id}") && order_url.contains("{token}")) {
        return Err(invalid("ORDER_URL", "must contain {id} and {token}"));
    }
    let admin_order_url = vars.or(
        "ADMIN_ORDER_URL",
        &format!("{public_base_url}/admin/orders/{{id}}"),
    );
    if !admin_order_url.contains("{id}") {
        return Err(invalid("ADMIN_ORDER_URL", "must contain {id}"));
    }
    let token_secret = vars.get("TOKEN_SECRET");
    if token_secret.as_ref().is_some_and(|s| s.len() < 32) {
        return Err(invalid("TOKEN_SECRET", "use at least 32 random characters"));
    }
    Ok(Orders {
        token_secret,
        order_url,
        admin_order_url,
        // Stripe keeps a Checkout Session open for 30 minutes to 24 hours; the reservation
        // and the session end together.
        card_reservation_minutes: vars.number("CARD_RESERVATION_MINUTES", "30", 30, 24 * 60)?,
        manual_reservation_days: vars.number("MANUAL_RESERVATION_DAYS", "7", 1, 90)?,
        manual_payment_instructions: vars
            .or("MANUAL_PAYMENT_INSTRUCTIONS", DEFAULT_MANUAL_INSTRUCTIONS),
        reservation_sweep: vars.millis("RESERVATION_SWEEP_MS", "15000", 10, 3_600_000)?,
        // Ten years is past any bookkeeping rule that would need the buyer's name.
        buyer_data_days: vars.number("BUYER_DATA_DAYS", "180", 0, 3650)?,
    })
}
