//! What a catalog write calls inside its transaction so that the public cards it changed are
//! rebuilt before it commits (the read model, `cards`, implements it). Writers see only this
//! trait: the read model reads what they write, so they cannot also depend on it.
use sea_orm::DbErr;

use crate::db::WriteTxn;

/// Which paintings' cards a write may have changed.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    Artwork(&'a str),
    Artist(&'a str),
    Tier(&'a str),
    /// Zones name every price: a zone's change touches every card.
    All,
}

#[async_trait::async_trait]
pub trait RefreshCards: Send + Sync {
    /// Rebuilds the cards in `scope` inside `txn`.
    async fn refresh(&self, txn: &WriteTxn, scope: Scope<'_>) -> Result<(), DbErr>;
}
