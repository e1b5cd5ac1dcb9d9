//! What reached the artist. An append-only account per artist, in integer minor units of
//! each entry's own currency: a paid order credits the sale; the card fee, the shipping the
//! NGO paid and the NGO's agreed share are debits against it; a refund undoes the sale; a
//! payout debits what is owed. Nothing is edited: a mistake is undone by a reversing entry.
//!
//! `entries` writes the automatic entries inside the order's own transaction, `terms` keeps
//! what each artist agreed, `accounts` reads balances, `coordinator` records what a
//! coordinator enters (payouts, shipping, reversals), `fees` reads card fees from Stripe,
//! `export` writes the bookkeeping CSV and `transparency` the public report.
pub mod accounts;
pub mod coordinator;
pub mod entries;
pub mod export;
pub mod fees;
pub mod terms;
pub mod transparency;

use sea_orm::DbErr;

use crate::error::{DomainError, FieldErrors};

/// What an entry is. Stored by `as_str`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A paid order: what the buyer paid for the painting (+).
    Sale,
    /// The NGO's agreed share of a sale (−).
    NgoShare,
    /// Stripe's fee for a card payment, in the currency Stripe settled it in (−).
    CardFee,
    /// What the NGO paid to send the painting (−).
    Shipping,
    /// A refunded or cancelled sale: undoes the sale and its share.
    Refund,
    /// Money handed to the artist (−).
    Payout,
    /// A coordinator undoing an entry made by mistake.
    Reversal,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Self::Sale,
        Self::NgoShare,
        Self::CardFee,
        Self::Shipping,
        Self::Refund,
        Self::Payout,
        Self::Reversal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sale => "sale",
            Self::NgoShare => "ngo_share",
            Self::CardFee => "card_fee",
            Self::Shipping => "shipping",
            Self::Refund => "refund",
            Self::Payout => "payout",
            Self::Reversal => "reversal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A cost the NGO paid on the artist's behalf (reported as "costs" in totals).
    pub fn is_cost(self) -> bool {
        matches!(self, Self::CardFee | Self::Shipping)
    }
}

/// How a payout reached the artist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayoutMethod {
    BankTransfer,
    Hawala,
    /// Western Union, MoneyGram and the like.
    Remittance,
    Cash,
    Other,
}

impl PayoutMethod {
    pub const ALL: [PayoutMethod; 5] = [
        Self::BankTransfer,
        Self::Hawala,
        Self::Remittance,
        Self::Cash,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BankTransfer => "bank_transfer",
            Self::Hawala => "hawala",
            Self::Remittance => "remittance",
            Self::Cash => "cash",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn schema() -> utoipa::openapi::Object {
        crate::validate::schema::one_of(Self::ALL.map(Self::as_str), false)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Invalid(#[from] FieldErrors),
    /// A payout larger than what is owed, not marked as an advance.
    #[error("{message}")]
    OverBalance {
        owed_minor: i64,
        currency: String,
        message: String,
    },
    /// A payout while sold paintings' shipping costs are not entered, not marked as such.
    #[error("{message}")]
    ShippingMissing {
        references: Vec<String>,
        message: String,
    },
    #[error("{0}")]
    AlreadyReversed(String),
    #[error("{0}")]
    NotAllowed(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<LedgerError> for DomainError {
    fn from(err: LedgerError) -> Self {
        match err {
            LedgerError::NotFound(what) => DomainError::NotFound(what),
            LedgerError::Invalid(errors) => DomainError::Validation(errors),
            LedgerError::OverBalance { message, .. } => {
                DomainError::conflict("balance_exceeded", message)
            }
            LedgerError::ShippingMissing { message, .. } => {
                DomainError::conflict("shipping_cost_missing", message)
            }
            LedgerError::AlreadyReversed(detail) => {
                DomainError::conflict("already_reversed", detail)
            }
            LedgerError::NotAllowed(detail) => DomainError::conflict("not_allowed", detail),
            LedgerError::Db(e) => e.into(),
        }
    }
}
