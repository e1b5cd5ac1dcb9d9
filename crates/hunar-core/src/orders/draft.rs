//! The row a new order is written as, and how long it holds its painting.
use chrono::{DateTime, Utc};
use entity::{artwork, order};

use super::holds::{Holder, Slots};
use super::precheck::PriceSnapshot;
use super::request::{CONFIRM_WAITING_WITHIN_HOURS, NewOrder, PaymentMethod};
use super::state::OrderStatus;
use crate::catalog::zones::ZoneRef;
use crate::config::Config;
use crate::money::Money;
use crate::vault::Vault;

/// How a new order holds its painting: its status, the hold slots it takes, and when it ends.
pub(super) struct HoldPlan {
    pub(super) status: OrderStatus,
    pub(super) client_slot: i32,
    pub(super) email_slot: Option<i32>,
    pub(super) expires_at: DateTime<Utc>,
    /// A manual order's first, short hold, until the buyer confirms their address.
    pub(super) short_hold: Option<DateTime<Utc>>,
    /// The hold a manual order has once its buyer confirmed their address.
    pub(super) full_hold: DateTime<Utc>,
}

impl HoldPlan {
    pub(super) fn new(
        config: &Config,
        method: PaymentMethod,
        slots: Slots,
        now: DateTime<Utc>,
    ) -> Self {
        let full_hold = now + chrono::Duration::days(i64::from(config.manual_reservation_days));
        let waiting = matches!(slots, Slots::Waiting { .. });
        // Until the buyer shows the address is theirs (the link in this order's email), a
        // manual hold is short: a script naming strangers cannot keep paintings off the shop
        // for days.
        let short_hold = (method == PaymentMethod::Manual && !waiting).then(|| {
            now + chrono::Duration::from_std(config.limits.unconfirmed_hold)
                .unwrap_or(chrono::Duration::hours(6))
        });
        let (status, client_slot, email_slot) = match slots {
            Slots::Hold { client, email } => (OrderStatus::PendingPayment, client, Some(email)),
            Slots::Waiting { client } => (OrderStatus::AwaitingConfirmation, client, None),
        };
        let expires_at = match method {
            // The confirmation link works this long; the painting stays for sale meanwhile.
            PaymentMethod::Manual if waiting => {
                now + chrono::Duration::hours(CONFIRM_WAITING_WITHIN_HOURS)
            }
            PaymentMethod::Manual => short_hold.unwrap_or(full_hold),
            // The Checkout Session closes at the same moment. The extra minute keeps it inside
            // Stripe's 30-minute minimum however long the request to Stripe takes.
            PaymentMethod::Stripe => {
                now + chrono::Duration::minutes(i64::from(config.card_reservation_minutes))
                    + chrono::Duration::minutes(1)
            }
        };
        Self {
            status,
            client_slot,
            email_slot,
            expires_at,
            short_hold,
            full_hold,
        }
    }
}

/// The new order's row: the buyer's words as checked, the painting, its price and zone as
/// quoted now, and the hold.
#[allow(clippy::too_many_arguments)]
pub(super) fn order_row(
    vault: &Vault,
    id: &str,
    access_token_hash: String,
    new: &NewOrder,
    (artwork, snapshot): (&artwork::Model, &PriceSnapshot),
    (zone, price): (&ZoneRef, Money),
    hold: &HoldPlan,
    holder: &Holder,
    now: DateTime<Utc>,
) -> order::Model {
    order::Model {
        id: id.to_string(),
        artwork_id: artwork.id.clone(),
        status: hold.status.as_str().into(),
        payment_method: new.method.as_str().into(),
        access_token_hash,
        buyer_name: vault.seal(&new.buyer_name),
        buyer_email: vault.seal(&new.buyer_email),
        buyer_phone: vault.seal_opt(new.buyer_phone.as_deref()),
        ship_line1: vault.seal(&new.line1),
        ship_line2: vault.seal_opt(new.line2.as_deref()),
        ship_city: vault.seal(&new.city),
        ship_postal_code: vault.seal_opt(new.postal_code.as_deref()),
        ship_region: vault.seal_opt(new.region.as_deref()),
        ship_country: new.country.to_string(),
        note: vault.seal_opt(new.note.as_deref()),
        amount_minor: price.minor(),
        currency: price.currency().code().into(),
        zone_id: zone.id.clone(),
        zone_name: zone.name.clone(),
        tier_id: artwork.size_tier_id.clone(),
        tier_name: snapshot.tier_name.clone(),
        artwork_title: artwork.title.clone(),
        artist_id: artwork.artist_id.clone(),
        artist_name: snapshot.artist.display_name.clone(),
        payment_reference: None,
        carrier: None,
        tracking_number: None,
        created_at: now,
        updated_at: now,
        expires_at: hold.expires_at,
        paid_at: None,
        shipped_at: None,
        delivered_at: None,
        closed_at: None,
        client_key: Some(holder.client_key.clone()),
        client_slot: Some(hold.client_slot),
        email_key: Some(holder.email_key.clone()),
        email_slot: hold.email_slot,
        hold_confirmed_at: None,
        language: new.language.to_string(),
        time_zone: new.time_zone.clone(),
        paid_claimed_at: None,
        reminded_at: None,
        late_payment_reference: None,
        late_payment_at: None,
        buyer_erased_at: None,
    }
}
