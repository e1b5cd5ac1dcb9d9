use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub artwork_id: String,
    pub status: String,
    pub payment_method: String,
    #[sea_orm(unique)]
    pub access_token_hash: String,
    pub buyer_name: crate::Sealed,
    pub buyer_email: crate::Sealed,
    pub buyer_phone: Option<crate::Sealed>,
    pub ship_line1: crate::Sealed,
    pub ship_line2: Option<crate::Sealed>,
    pub ship_city: crate::Sealed,
    pub ship_postal_code: Option<crate::Sealed>,
    pub ship_region: Option<crate::Sealed>,
    pub ship_country: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<crate::Sealed>,
    pub amount_minor: i64,
    pub currency: String,
    pub zone_id: String,
    pub zone_name: String,
    pub tier_id: String,
    pub tier_name: String,
    pub artwork_title: String,
    pub artist_id: String,
    pub artist_name: String,
    pub payment_reference: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    pub shipped_at: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    /// Keyed hash of the client address that placed it (never the address itself).
    pub client_key: Option<String>,
    /// Which of the client's few open-hold slots this order takes while it waits for payment.
    pub client_slot: Option<i32>,
    /// The buyer's address, trimmed and lower-cased, for counting holds per address.
    pub email_key: Option<String>,
    pub email_slot: Option<i32>,
    /// When the hold became a full one: the buyer confirmed their address, or a coordinator
    /// extended it. None while a manual order's hold is still the short one.
    pub hold_confirmed_at: Option<DateTimeUtc>,
    /// The language the buyer ordered in; their emails and pages are in it.
    pub language: String,
    /// The buyer's IANA time zone, as their browser said or their country suggests.
    pub time_zone: Option<String>,
    /// When the buyer said they had paid (a coordinator still confirms the money).
    pub paid_claimed_at: Option<DateTimeUtc>,
    /// When the buyer was reminded that the hold ends soon.
    pub reminded_at: Option<DateTimeUtc>,
    /// A payment recorded after the hold ended, the painting sold to someone else meanwhile:
    /// kept until a coordinator refunds it or gives the buyer another painting.
    pub late_payment_reference: Option<String>,
    pub late_payment_at: Option<DateTimeUtc>,
    /// When the buyer's name, contact, address and note were erased (the order stays, for
    /// the accounts: reference, painting, amounts, country, dates).
    pub buyer_erased_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
