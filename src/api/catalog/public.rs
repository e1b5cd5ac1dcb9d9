//! Public catalog endpoints: thin wrappers over `public.rs`.
use actix_web::{HttpRequest, HttpResponse, get, web};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::catalog::cache;
use crate::catalog::CatalogError;
use crate::catalog::public::{
    self, ArtistDetail, ArtistSummary, ArtworkQuery, ArtworkView, CountryQuery, PageQuery, Quote,
};
use crate::error::ApiError;
use crate::extract::{self, ValidQuery};
use crate::pagination::{Page, Pagination};
use crate::state::AppState;

/// Artists with at least one public artwork.
#[utoipa::path(operation_id = "listArtists", tag = "catalog", params(PageQuery), responses((status = 200, body = Page<ArtistSummary>), (status = 422)))]
#[get("/artists")]
pub async fn list_artists(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let state = state.get_ref();
    cached(state, &req, |query: PageQuery| {
        let page = Pagination::new(query.page, query.per_page)?;
        Ok(async move {
            crate::catalog::cache::to_json(
                &public::list_artists(&state.db, &state.media, page).await?,
            )
        })
    })
    .await
}

/// One artist with their size tiers and prices (for `country`, else every zone).
#[utoipa::path(
    operation_id = "getArtist",
    tag = "catalog",
    params(("slug" = String, Path), CountryQuery),
    responses((status = 200, body = ArtistDetail), (status = 404), (status = 422))
)]
#[get("/artists/{slug}")]
pub async fn get_artist(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let state = state.get_ref();
    cached(state, &req, |query: CountryQuery| {
        Ok(async move {
            let artist =
                public::get_artist(&state.db, &state.media, &slug, query.country.as_deref());
            crate::catalog::cache::to_json(&artist.await?)
        })
    })
    .await
}

/// Public artworks with filters, sorting and prices for a destination.
#[utoipa::path(operation_id = "listArtworks", tag = "catalog", params(ArtworkQuery), responses((status = 200, body = Page<ArtworkView>), (status = 422)))]
#[get("/artworks")]
pub async fn list_artworks(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let state = state.get_ref();
    cached(state, &req, |query: ArtworkQuery| {
        Ok(async move {
            Ok(public::list_artworks(&state.core.reader, query)
                .await?
                .into_json())
        })
    })
    .await
}

/// One public artwork: `price` for `country` (null without one), `prices` for every zone.
#[utoipa::path(
    operation_id = "getArtwork",
    tag = "catalog",
    params(("id" = String, Path), CountryQuery),
    responses((status = 200, body = ArtworkView), (status = 404), (status = 422))
)]
#[get("/artworks/{id}")]
pub async fn get_artwork(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let state = state.get_ref();
    cached(state, &req, |query: CountryQuery| {
        Ok(async move {
            let artwork = public::get_artwork(&state.core.reader, &id, query.country.as_deref());
            Ok(artwork.await?.into_bytes())
        })
    })
    .await
}

/// Answers from the microcache before anything else is done: only answers that were built
/// are kept, so a hit's query was valid and is not read again. A miss reads the query and
/// builds the body once for every request waiting on the same parameters, whatever else the
/// query string holds or in which order (`crate::catalog::cache::canonical_key`); the URL as sent is then
/// kept too, so its next request is answered before its query is read.
async fn cached<Q, F, B>(
    state: &AppState,
    req: &HttpRequest,
    build: F,
) -> Result<HttpResponse, ApiError>
where
    Q: DeserializeOwned + Serialize,
    F: FnOnce(Q) -> Result<B, ApiError>,
    B: Future<Output = Result<Vec<u8>, CatalogError>>,
{
    let key = cache::key(req);
    if let Some(body) = state.catalog_cache.get(&key).await {
        return Ok(json(body));
    }
    let query = extract::query::<Q>(req)?;
    let canonical = crate::catalog::cache::canonical_key(req.path(), &query);
    let body = match state.catalog_cache.get(&canonical).await {
        Some(body) => body,
        None => {
            let build = build(query)?;
            // Boxed: a build's future is large, and a request's future is moved through
            // every middleware on its way in; only a miss should carry it.
            Box::pin(state.catalog_cache.body(canonical.clone(), build)).await?
        }
    };
    if canonical != key {
        state.catalog_cache.insert(key, body.clone()).await;
    }
    Ok(json(body))
}

/// The shipped price of one painting to one country.
#[utoipa::path(
    operation_id = "quoteArtwork",
    tag = "catalog",
    params(("id" = String, Path), QuoteParams),
    responses((status = 200, body = Quote), (status = 404), (status = 422, description = "no country, or one no zone serves"))
)]
#[get("/artworks/{id}/quote")]
pub async fn quote(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: ValidQuery<CountryQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    Ok(HttpResponse::Ok().json(public::quote(&state.db, &id, query.country.as_deref()).await?))
}

/// The quote's query as the document states it: unlike the catalog's, `country` is required
/// (written out because utoipa's derive drops `required` beside `schema_with`).
struct QuoteParams;

impl utoipa::IntoParams for QuoteParams {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        vec![
            utoipa::openapi::path::ParameterBuilder::new()
                .name("country")
                .parameter_in(utoipa::openapi::path::ParameterIn::Query)
                .required(utoipa::openapi::Required::True)
                .description(Some("The destination: ISO 3166-1 alpha-2."))
                .schema(Some(crate::country::schema()))
                .build(),
        ]
    }
}

fn json(body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body)
}
