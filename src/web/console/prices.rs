//! Prices at a glance: the shipping zones with their countries, and every size tier's price
//! in every zone on one grid, so a coordinator sees each shipped price a buyer can meet.
use actix_web::{HttpResponse, get};
use minijinja::context;

use super::Console;
use crate::catalog::tiers::{self, TierFilter};
use crate::catalog::zones;
use crate::pagination::Pagination;

#[get("/admin/prices")]
pub async fn grid(console: Console) -> HttpResponse {
    let db = &console.state.db;
    let Ok(all) = Pagination::new(Some(1), Some(100)) else {
        return console.not_found();
    };
    let loaded = async {
        let zones = zones::list(db, all).await?;
        let tiers = tiers::list(db, TierFilter::default(), all).await?;
        Ok::<_, crate::catalog::CatalogError>((zones, tiers))
    };
    match loaded.await {
        Ok((zones, tiers)) => console.page(
            "console/prices.html",
            context! { section => "prices", zones => zones.items, tiers => tiers.items },
        ),
        Err(err) => console.failed(&err),
    }
}
