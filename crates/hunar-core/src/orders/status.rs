//! An order's statuses and the moves between them: the rule itself, apart from the code that
//! applies it.
use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed from a connection that already holds its share of unconfirmed orders: the
    /// painting is not held (it stays for sale) until the buyer confirms their email address.
    AwaitingConfirmation,
    PendingPayment,
    Paid,
    Shipped,
    Delivered,
    Expired,
    Cancelled,
    Refunded,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 8] = [
        Self::AwaitingConfirmation,
        Self::PendingPayment,
        Self::Paid,
        Self::Shipped,
        Self::Delivered,
        Self::Expired,
        Self::Cancelled,
        Self::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingConfirmation => "awaiting_confirmation",
            Self::PendingPayment => "pending_payment",
            Self::Paid => "paid",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// The legal moves. Anything else is a 409 naming both states.
    pub fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (PendingPayment, Paid | Expired | Cancelled)
                // Confirmed (the painting is taken then, if it is still free), paid by hand
                // before that (likewise), or never confirmed.
                | (AwaitingConfirmation, PendingPayment | Paid | Expired | Cancelled)
                // A card payment that lands just after the reservation ran out (the painting
                // must still be free), or its refund when it was not.
                | (Expired, Paid | Refunded)
                | (Paid, Shipped | Cancelled | Refunded)
                | (Shipped, Delivered | Refunded)
                | (Delivered, Refunded)
                | (Cancelled, Refunded)
        )
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    #[test]
    fn only_the_documented_moves_are_legal() {
        let legal = [
            (AwaitingConfirmation, PendingPayment),
            (AwaitingConfirmation, Paid),
            (AwaitingConfirmation, Expired),
            (AwaitingConfirmation, Cancelled),
            (PendingPayment, Paid),
            (PendingPayment, Expired),
            (PendingPayment, Cancelled),
            (Expired, Paid),
            (Expired, Refunded),
            (Paid, Shipped),
            (Paid, Cancelled),
            (Paid, Refunded),
            (Shipped, Delivered),
            (Shipped, Refunded),
            (Delivered, Refunded),
            (Cancelled, Refunded),
        ];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                assert_eq!(
                    from.can_become(to),
                    legal.contains(&(from, to)),
                    "{from} → {to}"
                );
            }
        }
        assert_eq!(OrderStatus::parse("pending_payment"), Some(PendingPayment));
        assert_eq!(OrderStatus::parse("lost"), None);
    }
}
