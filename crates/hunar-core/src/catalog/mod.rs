//! The catalog: artists, shipping zones, size tiers with their prices, and artworks.
pub mod artists;
pub mod artworks;
pub mod cache;
pub mod cards;
pub mod freshness;
pub mod page_statements;
pub mod pricing;
pub mod public;
pub mod reader;
pub mod texts;
pub mod tiers;
pub mod zones;

use sea_orm::DbErr;

use crate::error::{DomainError, FieldErrors};

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Invalid(#[from] FieldErrors),
    /// Deleting something that others still point at.
    #[error("{0}")]
    InUse(String),
    /// A change the current state does not allow (e.g. withdrawing a sold painting).
    #[error("{0}")]
    IllegalState(String),
    /// Made available with no photo: a Buy button beside an empty frame sells nothing, and
    /// a supporter cannot tell a painting from a mistake.
    #[error("a painting goes on sale with a photo: add one, then make it available")]
    PhotoNeeded,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<&CatalogError> for DomainError {
    fn from(err: &CatalogError) -> Self {
        match err {
            CatalogError::NotFound(what) => DomainError::NotFound(what),
            CatalogError::Invalid(errors) => DomainError::Validation(errors.clone()),
            CatalogError::InUse(detail) => DomainError::conflict("in_use", detail.clone()),
            CatalogError::IllegalState(detail) => {
                DomainError::conflict("illegal_state", detail.clone())
            }
            CatalogError::PhotoNeeded => DomainError::conflict("photo_needed", err.to_string()),
            CatalogError::Db(e) => DomainError::Internal(anyhow::anyhow!("{e}")),
        }
    }
}

impl From<CatalogError> for DomainError {
    fn from(err: CatalogError) -> Self {
        match err {
            // Keep the database error itself (its cause chain is logged); the rest maps as above.
            CatalogError::Db(e) => e.into(),
            other => DomainError::from(&other),
        }
    }
}

/// An artwork's life: `draft → available → reserved → sold`, or `withdrawn`. Admins move
/// it between draft, available and withdrawn; orders own reserved and sold.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ArtworkStatus {
    Draft,
    Available,
    Reserved,
    Sold,
    Withdrawn,
}

impl ArtworkStatus {
    pub const PUBLIC: [ArtworkStatus; 3] = [Self::Available, Self::Reserved, Self::Sold];
    pub const ALL: [ArtworkStatus; 5] = [
        Self::Draft,
        Self::Available,
        Self::Reserved,
        Self::Sold,
        Self::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Available => "available",
            Self::Reserved => "reserved",
            Self::Sold => "sold",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "draft" => Self::Draft,
            "available" => Self::Available,
            "reserved" => Self::Reserved,
            "sold" => Self::Sold,
            "withdrawn" => Self::Withdrawn,
            _ => return None,
        })
    }

    pub fn is_public(self) -> bool {
        Self::PUBLIC.contains(&self)
    }

    /// Whether an admin may set this status by hand.
    pub fn is_admin_settable(self) -> bool {
        matches!(self, Self::Draft | Self::Available | Self::Withdrawn)
    }
}

/// `Language::parse`'s codes, for the OpenAPI document (absent means `en`).
pub fn language_schema() -> utoipa::openapi::Object {
    crate::validate::schema::one_of(["en", "fa", "ps"], true)
}

/// Languages artists receive email in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    En,
    Fa,
    Ps,
}

impl Language {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "en" => Self::En,
            "fa" => Self::Fa,
            "ps" => Self::Ps,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Fa => "fa",
            Self::Ps => "ps",
        }
    }
}
