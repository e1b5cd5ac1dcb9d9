//! What a painting costs a buyer in a given country: the artwork's own override, else its
//! size tier's price for the zone that ships to that country. Shipping is always included.
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::artworks::price_override_of;
use super::tiers::PricedTier;
use super::zones::ZoneRef;
use crate::money::Money;
use entity::artwork;

/// A price as buyers see it: `{"amount": "50.00", "currency": "USD", "zone": "International"}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ZonePrice {
    #[schema(value_type = String, pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "50.00")]
    pub amount: Decimal,
    #[schema(pattern = "^[A-Z]{3}$", example = "USD")]
    pub currency: String,
    /// Name of the shipping zone this price is for.
    #[schema(example = "International")]
    pub zone: String,
}

impl ZonePrice {
    pub fn new(money: Money, zone: &str) -> Self {
        Self {
            amount: money.to_decimal(),
            currency: money.currency().code().to_string(),
            zone: zone.to_string(),
        }
    }
}

/// The price of `artwork` shipped into `zone`, or None when its tier has no price there
/// (a zone added after the tier was priced).
pub fn price_for(
    artwork: &artwork::Model,
    tier: Option<&PricedTier>,
    zone: &ZoneRef,
) -> Option<Money> {
    price_from(artwork, tier.and_then(|t| t.price_in(&zone.id)))
}

/// The same rule from a tier's price already looked up for the zone (the order path reads
/// only that one price).
pub fn price_from(artwork: &artwork::Model, tier_price: Option<Money>) -> Option<Money> {
    price_override_of(artwork).or(tier_price)
}
