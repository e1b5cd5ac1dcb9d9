//! Admin catalog endpoints: create, read, update and delete artists, shipping zones, size
//! tiers and artworks. Every handler is the same thin shape: parse, call the service, map.
use actix_web::{HttpResponse, delete, get, patch, post, web};

use crate::auth::AdminIdentity;
use crate::catalog::artists::{ArtistAdminView, ArtistInput, ArtistPatch};
use crate::catalog::artworks::{
    AdminArtworkFilter, ArtworkAdminDetail, ArtworkAdminView, ArtworkInput, ArtworkPatch,
};
use crate::catalog::public::PageQuery;
use crate::catalog::tiers::{TierFilter, TierInput, TierPatch, TierView};
use crate::catalog::zones::{ZoneInput, ZonePatch, ZoneView};
use crate::catalog::{artists, artworks, tiers, zones};
use crate::error::ApiError;
use crate::extract::{ValidJson, ValidQuery};
use crate::pagination::{Page, Pagination};
use crate::state::AppState;

/// List artists (admin view).
#[utoipa::path(operation_id = "adminListArtists", tag = "admin", security(("bearer" = [])), params(PageQuery), responses((status = 200, body = Page<ArtistAdminView>), (status = 401), (status = 422)))]
#[get("/artists")]
pub async fn list_artists(
    state: web::Data<AppState>,
    query: ValidQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let page = Pagination::new(query.page, query.per_page)?;
    Ok(HttpResponse::Ok().json(artists::list(&state.db, page).await?))
}

/// Create a artist.
#[utoipa::path(operation_id = "adminCreateArtist", tag = "admin", security(("bearer" = [])), request_body = ArtistInput, responses((status = 201, body = ArtistAdminView), (status = 401), (status = 422)))]
#[post("/artists")]
pub async fn create_artists(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    body: ValidJson<ArtistInput>,
) -> Result<HttpResponse, ApiError> {
    let created = artists::create(
        &state.db,
        &state.core.vault,
        &identity.admin_id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// One artist (admin view).
#[utoipa::path(operation_id = "adminGetArtist", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, body = ArtistAdminView), (status = 401), (status = 404)))]
#[get("/artists/{id}")]
pub async fn get_artists(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(artists::get(&state.db, &id).await?))
}

/// Change some fields of a artist.
#[utoipa::path(operation_id = "adminUpdateArtist", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = ArtistPatch, responses((status = 200, body = ArtistAdminView), (status = 401), (status = 404), (status = 409), (status = 422)))]
#[patch("/artists/{id}")]
pub async fn update_artists(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
    body: ValidJson<ArtistPatch>,
) -> Result<HttpResponse, ApiError> {
    let updated = artists::update(
        &state.db,
        &state.core.vault,
        &state.core.cards,
        &identity.admin_id,
        &id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(updated))
}

/// Delete a artist; 409 while something still refers to it.
#[utoipa::path(operation_id = "adminDeleteArtist", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 204), (status = 401), (status = 404), (status = 409)))]
#[delete("/artists/{id}")]
pub async fn delete_artists(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let photos = artists::delete(&state.db, &identity.admin_id, &id).await?;
    crate::media::images::discard(&state.db, &state.media, photos).await;
    Ok(HttpResponse::NoContent().finish())
}

/// A link to the artist's own page, returned once.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PageLinkView {
    /// Open in a browser; give it to the artist only. It works until `expires_at`, or until
    /// the next link is made.
    pub url: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Make a new link to the artist's own page (their paintings, sales, what to hand over and
/// their account). The artist's previous link stops working at once.
#[utoipa::path(operation_id = "adminMakeArtistPageLink", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 201, body = PageLinkView), (status = 401), (status = 404)))]
#[post("/artists/{id}/page-link")]
pub async fn make_page_link(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let link = crate::artist_page::make_link(
        &state.db,
        &state.mail.tokens,
        &state.config.public_base_url,
        &identity.admin_id,
        &id,
    )
    .await?;
    Ok(HttpResponse::Created().json(PageLinkView {
        url: link.url,
        expires_at: link.expires_at,
    }))
}

/// List shipping zones (admin view).
#[utoipa::path(operation_id = "adminListShippingZones", tag = "admin", security(("bearer" = [])), params(PageQuery), responses((status = 200, body = Page<ZoneView>), (status = 401), (status = 422)))]
#[get("/shipping-zones")]
pub async fn list_zones(
    state: web::Data<AppState>,
    query: ValidQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let page = Pagination::new(query.page, query.per_page)?;
    Ok(HttpResponse::Ok().json(zones::list(&state.db, page).await?))
}

/// Create a shipping zone.
#[utoipa::path(operation_id = "adminCreateShippingZone", tag = "admin", security(("bearer" = [])), request_body = ZoneInput, responses((status = 201, body = ZoneView), (status = 401), (status = 422)))]
#[post("/shipping-zones")]
pub async fn create_zones(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    body: ValidJson<ZoneInput>,
) -> Result<HttpResponse, ApiError> {
    let created = zones::create(
        &state.db,
        &state.core.cards,
        &identity.admin_id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// One shipping zone (admin view).
#[utoipa::path(operation_id = "adminGetShippingZone", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, body = ZoneView), (status = 401), (status = 404)))]
#[get("/shipping-zones/{id}")]
pub async fn get_zones(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(zones::get(&state.db, &id).await?))
}

/// Change some fields of a shipping zone.
#[utoipa::path(operation_id = "adminUpdateShippingZone", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = ZonePatch, responses((status = 200, body = ZoneView), (status = 401), (status = 404), (status = 409), (status = 422)))]
#[patch("/shipping-zones/{id}")]
pub async fn update_zones(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
    body: ValidJson<ZonePatch>,
) -> Result<HttpResponse, ApiError> {
    let updated = zones::update(
        &state.db,
        &state.core.cards,
        &identity.admin_id,
        &id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(updated))
}

/// Delete a shipping zone; 409 while something still refers to it.
#[utoipa::path(operation_id = "adminDeleteShippingZone", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 204), (status = 401), (status = 404), (status = 409)))]
#[delete("/shipping-zones/{id}")]
pub async fn delete_zones(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    zones::delete(&state.db, &state.core.cards, &identity.admin_id, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List size tiers (admin view).
#[utoipa::path(operation_id = "adminListSizeTiers", tag = "admin", security(("bearer" = [])), params(TierFilter), responses((status = 200, body = Page<TierView>), (status = 401), (status = 422)))]
#[get("/size-tiers")]
pub async fn list_tiers(
    state: web::Data<AppState>,
    query: ValidQuery<TierFilter>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let page = Pagination::new(query.page, query.per_page)?;
    Ok(HttpResponse::Ok().json(tiers::list(&state.db, query, page).await?))
}

/// Create a size tier.
#[utoipa::path(operation_id = "adminCreateSizeTier", tag = "admin", security(("bearer" = [])), request_body = TierInput, responses((status = 201, body = TierView), (status = 401), (status = 422)))]
#[post("/size-tiers")]
pub async fn create_tiers(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    body: ValidJson<TierInput>,
) -> Result<HttpResponse, ApiError> {
    let created = tiers::create(&state.db, &identity.admin_id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(created))
}

/// One size tier (admin view).
#[utoipa::path(operation_id = "adminGetSizeTier", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, body = TierView), (status = 401), (status = 404)))]
#[get("/size-tiers/{id}")]
pub async fn get_tiers(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(tiers::get(&state.db, &id).await?))
}

/// Change some fields of a size tier.
#[utoipa::path(operation_id = "adminUpdateSizeTier", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = TierPatch, responses((status = 200, body = TierView), (status = 401), (status = 404), (status = 409), (status = 422)))]
#[patch("/size-tiers/{id}")]
pub async fn update_tiers(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
    body: ValidJson<TierPatch>,
) -> Result<HttpResponse, ApiError> {
    let updated = tiers::update(
        &state.db,
        &state.core.cards,
        &identity.admin_id,
        &id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(updated))
}

/// Delete a size tier; 409 while something still refers to it.
#[utoipa::path(operation_id = "adminDeleteSizeTier", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 204), (status = 401), (status = 404), (status = 409)))]
#[delete("/size-tiers/{id}")]
pub async fn delete_tiers(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    tiers::delete(&state.db, &identity.admin_id, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List artworks (admin view).
#[utoipa::path(operation_id = "adminListArtworks", tag = "admin", security(("bearer" = [])), params(AdminArtworkFilter), responses((status = 200, body = Page<ArtworkAdminView>), (status = 401), (status = 422)))]
#[get("/artworks")]
pub async fn list_artworks(
    state: web::Data<AppState>,
    query: ValidQuery<AdminArtworkFilter>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let page = Pagination::new(query.page, query.per_page)?;
    Ok(HttpResponse::Ok().json(artworks::list(&state.db, query, page).await?))
}

/// Create a artwork: as a draft or withdrawn, since it has no photo yet (409 `photo_needed`
/// for `available`; add a photo, then PATCH its status).
#[utoipa::path(operation_id = "adminCreateArtwork", tag = "admin", security(("bearer" = [])), request_body = ArtworkInput, responses((status = 201, body = ArtworkAdminView), (status = 401), (status = 409), (status = 422)))]
#[post("/artworks")]
pub async fn create_artworks(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    body: ValidJson<ArtworkInput>,
) -> Result<HttpResponse, ApiError> {
    let created = artworks::create(
        &state.db,
        &state.core.cards,
        &identity.admin_id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// One artwork (admin view), with its photos.
#[utoipa::path(operation_id = "adminGetArtwork", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, body = ArtworkAdminDetail), (status = 401), (status = 404)))]
#[get("/artworks/{id}")]
pub async fn get_artworks(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(artworks::detail(&state.db, &state.media, &id).await?))
}

/// Change some fields of a artwork; 409 `photo_needed` to make one with no photo available.
#[utoipa::path(operation_id = "adminUpdateArtwork", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = ArtworkPatch, responses((status = 200, body = ArtworkAdminView), (status = 401), (status = 404), (status = 409), (status = 422)))]
#[patch("/artworks/{id}")]
pub async fn update_artworks(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
    body: ValidJson<ArtworkPatch>,
) -> Result<HttpResponse, ApiError> {
    let updated = artworks::update(
        &state.db,
        &state.core.cards,
        &identity.admin_id,
        &id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(updated))
}

/// Delete a artwork; 409 while something still refers to it.
#[utoipa::path(operation_id = "adminDeleteArtwork", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 204), (status = 401), (status = 404), (status = 409)))]
#[delete("/artworks/{id}")]
pub async fn delete_artworks(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let photos = artworks::delete(&state.db, &identity.admin_id, &id).await?;
    crate::media::images::discard(&state.db, &state.media, photos).await;
    Ok(HttpResponse::NoContent().finish())
}
