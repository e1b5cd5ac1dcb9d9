//! A short-lived cache of public catalog responses (microcaching). Browsing is almost all of
//! the traffic and the catalog changes rarely, so a page is built once and served from
//! memory until it expires or an admin changes something in this process.
//!
//! With several processes, another process's change shows here after at most the TTL
//! (`CATALOG_CACHE_MS`, default 1 s). That staleness is harmless: placing an order always
//! checks the painting in the database, never in this cache.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;

use super::CatalogError;
use crate::error::DomainError;

/// Upper bound on cached bytes, so the cache cannot push the process past its memory budget.
const MAX_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Clone)]
pub struct CatalogCache {
    pages: Option<moka::future::Cache<String, Bytes>>,
    counts: Arc<Counts>,
}

/// Pages served from memory and pages built, for the operator's metrics.
#[derive(Default)]
struct Counts {
    hits: AtomicU64,
    misses: AtomicU64,
}

impl CatalogCache {
    /// A zero TTL disables caching.
    pub fn new(ttl: Duration) -> Self {
        let pages = (!ttl.is_zero()).then(|| {
            moka::future::Cache::builder()
                .time_to_live(ttl)
                .weigher(|key: &String, body: &Bytes| {
                    u32::try_from(key.len() + body.len()).unwrap_or(u32::MAX)
                })
                .max_capacity(MAX_BYTES)
                .build()
        });
        Self {
            pages,
            counts: Arc::default(),
        }
    }

    /// Pages served from memory, and pages built (every page when the cache is off).
    pub fn hits_and_misses(&self) -> (u64, u64) {
        (
            self.counts.hits.load(Ordering::Relaxed),
            self.counts.misses.load(Ordering::Relaxed),
        )
    }

    /// The JSON body for `key`, built by `build` on a miss. Concurrent misses for one key
    /// wait for a single build instead of all hitting the database.
    pub async fn json<T, F>(&self, key: String, build: F) -> Result<Bytes, DomainError>
    where
        T: Serialize,
        F: Future<Output = Result<T, CatalogError>>,
    {
        self.body(key, async { to_json(&build.await?) }).await
    }

    /// `json` for a body that is written out already (the read model's pages).
    pub async fn body<F>(&self, key: String, build: F) -> Result<Bytes, DomainError>
    where
        F: Future<Output = Result<Vec<u8>, CatalogError>>,
    {
        let render = async { build.await.map(Bytes::from) };
        self.shared(key, render)
            .await
            .map_err(|err: Arc<CatalogError>| DomainError::from(err.as_ref()))
    }

    /// `body` for callers that answer errors their own way (the shop's pages): the error
    /// comes back as built, shared by every request that waited for the same build.
    pub async fn shared<E, F>(&self, key: String, build: F) -> Result<Bytes, Arc<E>>
    where
        E: Send + Sync + 'static,
        F: Future<Output = Result<Bytes, E>>,
    {
        let built = AtomicBool::new(false);
        let result = match &self.pages {
            None => {
                built.store(true, Ordering::Relaxed);
                build.await.map_err(Arc::new)
            }
            Some(pages) => {
                // A request that waited for another's build shares it: a hit.
                let build = async {
                    built.store(true, Ordering::Relaxed);
                    build.await
                };
                pages.try_get_with(key, build).await
            }
        };
        let count = match built.load(Ordering::Relaxed) {
            true => &self.counts.misses,
            false => &self.counts.hits,
        };
        count.fetch_add(1, Ordering::Relaxed);
        result
    }

    /// The body kept for `key`, without building it on a miss.
    pub async fn get(&self, key: &str) -> Option<Bytes> {
        let body = match &self.pages {
            None => None,
            Some(pages) => pages.get(key).await,
        };
        // A miss here is counted where the page is then built.
        if body.is_some() {
            self.counts.hits.fetch_add(1, Ordering::Relaxed);
        }
        body
    }

    /// Keeps `body` under `key` as well (another spelling of a URL already built).
    pub async fn insert(&self, key: String, body: Bytes) {
        if let Some(pages) = &self.pages {
            pages.insert(key, body).await;
        }
    }

    pub fn invalidate(&self) {
        if let Some(pages) = &self.pages {
            pages.invalidate_all();
        }
    }
}

/// A built value as the body the cache keeps.
pub fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, CatalogError> {
    serde_json::to_vec(value).map_err(|e| CatalogError::Db(sea_orm::DbErr::Custom(e.to_string())))
}

/// Cache key of what a page reads from its query: the parsed parameters, sorted, so
/// `?a=1`, `?a=2` … or the same parameters in another order are one entry and one build,
/// not a read of the database each.
pub fn canonical_key<Q: Serialize>(path: &str, query: &Q) -> String {
    let encoded = serde_urlencoded::to_string(query).unwrap_or_default();
    let mut pairs: Vec<&str> = encoded.split('&').filter(|p| !p.is_empty()).collect();
    pairs.sort_unstable();
    format!("{path}?{}", pairs.join("&"))
}
