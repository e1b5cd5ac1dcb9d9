//! `?page=1&per_page=24` → `{"items", "page", "per_page", "total"}`.
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::FieldErrors;

pub const DEFAULT_PER_PAGE: u64 = 24;
pub const MAX_PER_PAGE: u64 = 100;
/// Far past any real catalogue, and small enough that the offset always fits the database's
/// signed 64-bit integer (a page number near u64::MAX once crashed a worker).
pub const MAX_PAGE: u64 = 1_000_000;

/// `page` as `Pagination::new` takes it.
pub fn page_schema() -> utoipa::openapi::Object {
    page_param(MAX_PAGE)
}

/// `per_page` as `Pagination::new` takes it.
pub fn per_page_schema() -> utoipa::openapi::Object {
    page_param(MAX_PER_PAGE)
}

fn page_param(max: u64) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::Integer)
        .minimum(Some(1))
        .maximum(Some(max as f64))
        .build()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pagination {
    pub page: u64,
    pub per_page: u64,
}

impl Pagination {
    /// Page 0 and per_page outside 1..=100 are refused rather than silently clamped, so a
    /// client bug shows up instead of returning a page it did not ask for.
    pub fn new(page: Option<u64>, per_page: Option<u64>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        if !(1..=MAX_PAGE).contains(&page) {
            errors.add("page", format!("must be from 1 to {MAX_PAGE}"));
        }
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            errors.add("per_page", format!("must be from 1 to {MAX_PER_PAGE}"));
        }
        errors.into_result()?;
        Ok(Self { page, per_page })
    }

    pub fn offset(&self) -> u64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, pagination: Pagination, total: u64) -> Self {
        Self {
            items,
            page: pagination.page,
            per_page: pagination.per_page,
            total,
        }
    }
}

/// One page of `select`, and how many rows it pages through.
pub async fn fetch<E, C>(
    conn: &C,
    select: sea_orm::Select<E>,
    page: Pagination,
) -> Result<(Vec<E::Model>, u64), sea_orm::DbErr>
where
    E: sea_orm::EntityTrait,
    E::Model: Send + Sync,
    C: sea_orm::ConnectionTrait,
{
    use sea_orm::{PaginatorTrait, QuerySelect};
    // Independent reads: on a pool they run side by side.
    let (total, rows) = futures_util::try_join!(
        select.clone().count(conn),
        select.offset(page.offset()).limit(page.per_page).all(conn),
    )?;
    Ok((rows, total))
}

/// `fetch`, each row turned into its view.
pub async fn fetch_views<E, C, V>(
    conn: &C,
    select: sea_orm::Select<E>,
    page: Pagination,
) -> Result<Page<V>, sea_orm::DbErr>
where
    E: sea_orm::EntityTrait,
    E::Model: Send + Sync,
    C: sea_orm::ConnectionTrait,
    V: From<E::Model>,
{
    let (rows, total) = fetch(conn, select, page).await?;
    Ok(Page::new(
        rows.into_iter().map(V::from).collect(),
        page,
        total,
    ))
}

/// `fetch`, each row opened into its view (views that show sealed personal data).
pub async fn fetch_opened<E, C, V>(
    conn: &C,
    select: sea_orm::Select<E>,
    page: Pagination,
    open: impl Fn(E::Model) -> Result<V, sea_orm::DbErr>,
) -> Result<Page<V>, sea_orm::DbErr>
where
    E: sea_orm::EntityTrait,
    E::Model: Send + Sync,
    C: sea_orm::ConnectionTrait,
{
    let (rows, total) = fetch(conn, select, page).await?;
    let views = rows.into_iter().map(open).collect::<Result<_, _>>()?;
    Ok(Page::new(views, page, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_accepted_page_has_an_offset_the_database_can_hold() {
        for (page, per_page) in [
            (Some(0), None),
            (Some(MAX_PAGE + 1), None),
            (Some(u64::MAX), Some(87)),
            (None, Some(0)),
            (None, Some(101)),
        ] {
            assert!(
                Pagination::new(page, per_page).is_err(),
                "{page:?} {per_page:?}"
            );
        }
        let last = Pagination::new(Some(MAX_PAGE), Some(MAX_PER_PAGE)).expect("the last page");
        assert!(i64::try_from(last.offset()).is_ok());
        assert_eq!(Pagination::new(None, None).map(|p| p.offset()), Ok(0));
    }

    proptest::proptest! {
        /// In bounds is accepted and its offset fits the database's signed 64-bit integer;
        /// out of bounds is a 422, never a clamp or an overflow.
        #[test]
        fn pages_are_bounded_and_offsets_fit(
            page in proptest::option::of(proptest::prelude::any::<u64>()),
            small_page in proptest::option::of(0u64..=MAX_PAGE + 1),
            per_page in proptest::option::of(0u64..=MAX_PER_PAGE + 1),
        ) {
            for page in [page, small_page] {
                let in_bounds = (1..=MAX_PAGE).contains(&page.unwrap_or(1))
                    && (1..=MAX_PER_PAGE).contains(&per_page.unwrap_or(DEFAULT_PER_PAGE));
                match Pagination::new(page, per_page) {
                    Ok(p) => {
                        proptest::prop_assert!(in_bounds);
                        proptest::prop_assert!(i64::try_from(p.offset()).is_ok());
                        proptest::prop_assert!(i64::try_from(p.per_page).is_ok());
                    }
                    Err(_) => proptest::prop_assert!(!in_bounds),
                }
            }
        }
    }
}
