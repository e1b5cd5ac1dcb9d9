//! The shop: what a supporter sees. Home, the paintings with filters, a painting, an artist,
//! buying, and the buyer's order page.
pub mod artist_page;
pub mod buy;
pub mod order;
pub mod pages;
pub mod pictures;
pub mod prefs;
