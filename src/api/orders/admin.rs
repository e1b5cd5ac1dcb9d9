//! Admin order endpoints: list, inspect, confirm payment, ship, deliver, cancel.
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::AdminIdentity;
use crate::error::ApiError;
use crate::extract::{OptionalJson, ValidJson, ValidQuery};
use crate::orders::actions;
use crate::orders::views::{self, AdminOrderDetail, AdminOrderFilter, AdminOrderView};
use crate::pagination::Page;
use crate::state::AppState;

/// Orders with full buyer and address data.
#[utoipa::path(operation_id = "adminListOrders", tag = "admin", security(("bearer" = [])), params(AdminOrderFilter), responses((status = 200, body = Page<AdminOrderView>), (status = 401), (status = 422)))]
#[get("/orders")]
pub async fn list_orders(
    state: web::Data<AppState>,
    query: ValidQuery<AdminOrderFilter>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(views::list(&state.db, &state.core.vault, query.into_inner()).await?))
}

/// One order with its status history.
#[utoipa::path(operation_id = "adminGetOrder", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, body = AdminOrderDetail), (status = 401), (status = 404)))]
#[get("/orders/{id}")]
pub async fn order_detail(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(views::detail(&state.db, &id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmPayment {
    /// The bank transfer or receipt reference.
    #[schema(schema_with = crate::validate::schema::required_line::<200>)]
    pub reference: String,
}

/// Mark a manual-payment order paid.
#[utoipa::path(operation_id = "adminConfirmPayment", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = ConfirmPayment, responses((status = 200, body = AdminOrderDetail), (status = 401), (status = 404), (status = 409), (status = 422)))]
#[post("/orders/{id}/confirm-payment")]
pub async fn confirm_payment(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
    body: ValidJson<ConfirmPayment>,
) -> Result<HttpResponse, ApiError> {
    let detail = actions::confirm_payment(
        &state.db,
        &state.mail,
        &identity.admin_id,
        &id,
        &body.into_inner().reference,
    )
    .await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ship {
    #[schema(schema_with = crate::validate::schema::required_line::<100>)]
    pub carrier: String,
    #[schema(schema_with = crate::validate::schema::required_line::<100>)]
    pub tracking_number: String,
}

/// Record the shipment.
#[utoipa::path(operation_id = "adminShipOrder", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = Ship, responses((status = 200, body = AdminOrderDetail), (status = 401), (status = 404), (status = 409), (status = 422)))]
#[post("/orders/{id}/ship")]
pub async fn ship(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
    body: ValidJson<Ship>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let detail = actions::ship(
        &state.db,
        &state.mail,
        &identity.admin_id,
        &id,
        &body.carrier,
        &body.tracking_number,
    )
    .await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// Record the delivery.
#[utoipa::path(operation_id = "adminDeliverOrder", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, body = AdminOrderDetail), (status = 401), (status = 404), (status = 409)))]
#[post("/orders/{id}/deliver")]
pub async fn deliver(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(actions::deliver(&state.db, &state.mail, &identity.admin_id, &id).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cancel {
    #[schema(schema_with = crate::validate::schema::optional_text::<1000>)]
    pub reason: Option<String>,
    /// For a paid order: put the painting back on sale (default false: it stays sold until
    /// an admin decides). A pending order's painting is always released.
    pub release_artwork: Option<bool>,
}

/// Cancel a pending or paid order. A pending order's painting is released; a paid card order
/// is refunded at Stripe (→ `refunded` once Stripe confirms); a card payment that arrived
/// after expiry or cancellation is refunded.
#[utoipa::path(operation_id = "adminCancelOrder", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body(content = Option<Cancel>), responses((status = 200, body = AdminOrderDetail), (status = 401), (status = 404), (status = 409), (status = 502)))]
#[post("/orders/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
    body: OptionalJson<Cancel>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let detail = actions::cancel(
        &state.db,
        &state.mail,
        state.payments.as_deref(),
        &identity.admin_id,
        &id,
        body.reason,
        body.release_artwork,
    )
    .await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// Erase the buyer's name, contact, address and note now (a person's request under the
/// GDPR); the order keeps its reference, painting, amounts, country and dates. 409
/// `order_open` until the order is delivered, cancelled or expired.
#[utoipa::path(operation_id = "adminEraseOrderBuyer", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, body = AdminOrderDetail), (status = 401), (status = 404), (status = 409, description = "order_open")))]
#[post("/orders/{id}/erase-buyer")]
pub async fn erase_buyer(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let detail = crate::orders::erasure::erase_buyer(&state.db, &identity.admin_id, &id).await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// Give a manual order waiting for payment the full hold (`MANUAL_RESERVATION_DAYS` from
/// now), as when the buyer confirms their address: for a buyer the coordinator knows.
#[utoipa::path(operation_id = "adminExtendHold", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, body = AdminOrderDetail), (status = 401), (status = 404), (status = 409, description = "not a manual order waiting for payment")))]
#[post("/orders/{id}/extend-hold")]
pub async fn extend_hold(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let detail = actions::extend_hold(&state.db, &state.config, &identity.admin_id, &id).await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LatePaymentRefund {
    /// How the money went back (a bank reference, "cash to the buyer's sister").
    #[schema(schema_with = crate::validate::schema::required_line::<200>)]
    pub reference: String,
}

/// A payment that arrived after the hold ended, for a painting sold to someone else
/// meanwhile, given back: the order becomes `refunded`.
#[utoipa::path(operation_id = "adminRefundLatePayment", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = LatePaymentRefund, responses((status = 200, body = AdminOrderDetail), (status = 401), (status = 404), (status = 409, description = "no late payment on this order"), (status = 422)))]
#[post("/orders/{id}/refund-late-payment")]
pub async fn refund_late_payment(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
    body: ValidJson<LatePaymentRefund>,
) -> Result<HttpResponse, ApiError> {
    let detail = actions::refund_late_payment(
        &state.db,
        &state.mail,
        &identity.admin_id,
        &id,
        &body.into_inner().reference,
    )
    .await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnotherPainting {
    /// An available painting the buyer chose instead.
    #[schema(schema_with = crate::validate::schema::id)]
    pub artwork_id: String,
}

/// A payment that arrived after the hold ended, for a painting sold to someone else
/// meanwhile, kept for another painting the buyer chose: the order names it and is paid.
#[utoipa::path(operation_id = "adminGiveAnotherPainting", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = AnotherPainting, responses((status = 200, body = AdminOrderDetail), (status = 401), (status = 404), (status = 409, description = "no late payment on this order"), (status = 422, description = "that painting is not for sale")))]
#[post("/orders/{id}/another-painting")]
pub async fn another_painting(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
    body: ValidJson<AnotherPainting>,
) -> Result<HttpResponse, ApiError> {
    let detail = actions::give_another_painting(
        &state.db,
        &state.mail,
        &identity.admin_id,
        &id,
        &body.into_inner().artwork_id,
    )
    .await?;
    Ok(HttpResponse::Ok().json(detail))
}
