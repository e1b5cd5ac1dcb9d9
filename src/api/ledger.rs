//! The ledger over HTTP: the coordinators' endpoints under `/api/v1/admin`, and the public
//! transparency report.
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};

use crate::auth::AdminIdentity;
use crate::catalog::CatalogError;
use crate::error::ApiError;
use crate::extract::{ValidJson, ValidQuery};
use crate::ledger::accounts::{self, ArtistLedger, EntryView, Period, SummaryRow};
use crate::ledger::coordinator::{self, PayoutInput, ReversalInput, ShippingCostInput};
use crate::ledger::export;
use crate::ledger::terms::{self, TermsInput, TermsView};
use crate::ledger::transparency::{self, Transparency};
use crate::state::AppState;

/// An artist's ledger: what they are owed per currency, and the entries of a period (all
/// when none is given) with the running balance.
#[utoipa::path(operation_id = "adminGetArtistLedger", tag = "ledger", security(("bearer" = [])), params(("id" = String, Path), Period), responses((status = 200, body = ArtistLedger), (status = 401), (status = 404), (status = 422)))]
#[get("/artists/{id}/ledger")]
pub async fn artist_ledger(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: ValidQuery<Period>,
) -> Result<HttpResponse, ApiError> {
    let days = query.into_inner().check()?;
    Ok(HttpResponse::Ok().json(accounts::artist_ledger(&state.db, &id, days).await?))
}

/// A CSV download (the console's export answers with it too).
pub fn csv_response(body: Vec<u8>, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.csv\""),
        ))
        .body(body)
}

fn file_name(prefix: &str, days: accounts::Days) -> String {
    let day = |d: Option<chrono::NaiveDate>| d.map_or_else(|| "all".to_string(), |d| d.to_string());
    format!("{prefix}-{}-{}", day(days.from), day(days.to))
}

/// An artist's ledger as CSV for the bookkeeping: opening balances, then each entry.
#[utoipa::path(operation_id = "adminExportArtistLedger", tag = "ledger", security(("bearer" = [])), params(("id" = String, Path), Period), responses((status = 200, content_type = "text/csv", body = String), (status = 401), (status = 404), (status = 422)))]
#[get("/artists/{id}/ledger.csv")]
pub async fn artist_ledger_csv(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: ValidQuery<Period>,
) -> Result<HttpResponse, ApiError> {
    let days = query.into_inner().check()?;
    let body = export::csv(&state.db, Some(&id), days).await?;
    Ok(csv_response(body, &file_name("hunar-ledger-artist", days)))
}

/// Every artist's ledger for a period as one CSV.
#[utoipa::path(operation_id = "adminExportLedger", tag = "ledger", security(("bearer" = [])), params(Period), responses((status = 200, content_type = "text/csv", body = String), (status = 401), (status = 422)))]
#[get("/ledger.csv")]
pub async fn ledger_csv(
    state: web::Data<AppState>,
    query: ValidQuery<Period>,
) -> Result<HttpResponse, ApiError> {
    let days = query.into_inner().check()?;
    let body = export::csv(&state.db, None, days).await?;
    Ok(csv_response(body, &file_name("hunar-ledger", days)))
}

/// Totals per artist and currency: paintings sold, sales, the NGO's share, costs, paid
/// out and owed.
#[utoipa::path(operation_id = "adminLedgerSummary", tag = "ledger", security(("bearer" = [])), responses((status = 200, body = Vec<SummaryRow>), (status = 401)))]
#[get("/ledger/summary")]
pub async fn summary(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(accounts::summary(&state.db).await?))
}

/// Set what an artist agreed: the NGO's share of future sales, and whether they appear on
/// the public transparency page.
#[utoipa::path(operation_id = "adminSetPayoutTerms", tag = "ledger", security(("bearer" = [])), params(("id" = String, Path)), request_body = TermsInput, responses((status = 200, body = TermsView), (status = 401), (status = 404), (status = 422)))]
#[put("/artists/{id}/payout-terms")]
pub async fn set_terms(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
    body: ValidJson<TermsInput>,
) -> Result<HttpResponse, ApiError> {
    let terms = terms::set(&state.db, &identity.admin_id, &id, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(terms))
}

/// Record money handed to an artist. The artist is emailed (amount, method, reference).
/// More than is owed in that currency is a 409 unless `advance` is true.
#[utoipa::path(operation_id = "adminRecordPayout", tag = "ledger", security(("bearer" = [])), params(("id" = String, Path)), request_body = PayoutInput, responses((status = 201, body = EntryView), (status = 401), (status = 404), (status = 409, description = "more than is owed, and not an advance"), (status = 422)))]
#[post("/artists/{id}/payouts")]
pub async fn record_payout(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
    body: ValidJson<PayoutInput>,
) -> Result<HttpResponse, ApiError> {
    let entry = coordinator::record_payout(
        &state.db,
        &state.mail,
        &identity.admin_id,
        &id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Created().json(entry))
}

/// Record what the NGO paid to ship a sold painting (once per order; reverse it to
/// correct it).
#[utoipa::path(operation_id = "adminRecordShippingCost", tag = "ledger", security(("bearer" = [])), params(("id" = String, Path)), request_body = ShippingCostInput, responses((status = 201, body = EntryView), (status = 401), (status = 404), (status = 409, description = "the order is not sold, or its cost is recorded already"), (status = 422)))]
#[post("/orders/{id}/shipping-cost")]
pub async fn record_shipping(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
    body: ValidJson<ShippingCostInput>,
) -> Result<HttpResponse, ApiError> {
    let entry =
        coordinator::record_shipping(&state.db, &identity.admin_id, &id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(entry))
}

/// Undo an entry made by mistake with an entry of the opposite amount and a reason.
#[utoipa::path(operation_id = "adminReverseLedgerEntry", tag = "ledger", security(("bearer" = [])), params(("id" = String, Path)), request_body = ReversalInput, responses((status = 201, body = EntryView), (status = 401), (status = 404), (status = 409, description = "reversed already, or a reversal or refund"), (status = 422)))]
#[post("/ledger/entries/{id}/reversal")]
pub async fn reverse(
    state: web::Data<AppState>,
    identity: web::ReqData<AdminIdentity>,
    id: web::Path<String>,
    body: ValidJson<ReversalInput>,
) -> Result<HttpResponse, ApiError> {
    let entry = coordinator::reverse(&state.db, &identity.admin_id, &id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(entry))
}

/// What reached the artists: campaign totals per currency, and for each artist who agreed
/// to be shown, paintings sold and paid out by quarter, for the quarters that have ended.
/// No buyer, order, single sale or payout date is in it.
#[utoipa::path(operation_id = "getTransparency", tag = "catalog", responses((status = 200, body = Transparency)))]
#[get("/transparency")]
pub async fn public_report(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let report = async {
        transparency::report(&state.db)
            .await
            .map_err(CatalogError::Db)
    };
    // The report reads no parameter: one entry whatever the query string says.
    let body = state
        .catalog_cache
        .json(req.path().to_string(), report)
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
}
