//! Public catalog endpoints: thin wrappers over `public.rs`.
use actix_web::{HttpRequest, HttpResponse, get, web};

use super::cache;
use super::public::{
    self, ArtistDetail, ArtistSummary, ArtworkQuery, ArtworkView, CountryQuery, PageQuery, Quote,
};
use crate::error::ApiError;
use crate::extract::ValidQuery;
use crate::pagination::{Page, Pagination};
use crate::state::AppState;

/// Artists with at least one public artwork.
#[utoipa::path(operation_id = "listArtists", tag = "catalog", params(PageQuery), responses((status = 200, body = Page<ArtistSummary>), (status = 422)))]
#[get("/artists")]
pub async fn list_artists(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: ValidQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let page = Pagination::new(query.page, query.per_page)?;
    let body = state
        .catalog_cache
        .json(
            cache::key(&req),
            public::list_artists(&state.db, &state.media, page),
        )
        .await?;
    Ok(json(body))
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
    query: ValidQuery<CountryQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let artist = public::get_artist(&state.db, &state.media, &slug, query.country.as_deref());
    Ok(json(
        state.catalog_cache.json(cache::key(&req), artist).await?,
    ))
}

/// Public artworks with filters, sorting and prices for a destination.
#[utoipa::path(operation_id = "listArtworks", tag = "catalog", params(ArtworkQuery), responses((status = 200, body = Page<ArtworkView>), (status = 422)))]
#[get("/artworks")]
pub async fn list_artworks(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: ValidQuery<ArtworkQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = public::list_artworks(&state.reader, query.into_inner());
    let body = async { Ok(page.await?.into_json()) };
    Ok(json(
        state.catalog_cache.body(cache::key(&req), body).await?,
    ))
}

/// One public artwork; `price` is for `country`, else a list of every zone's price.
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
    query: ValidQuery<CountryQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let artwork = public::get_artwork(&state.reader, &id, query.country.as_deref());
    let body = async { Ok(artwork.await?.into_bytes()) };
    Ok(json(
        state.catalog_cache.body(cache::key(&req), body).await?,
    ))
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

pub fn scope() -> utoipa_actix_web::scope::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    utoipa_actix_web::scope("/api/v1")
        .service(list_artists)
        .service(get_artist)
        .service(list_artworks)
        .service(get_artwork)
        .service(quote)
}
