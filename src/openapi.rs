//! The OpenAPI 3.1 document: paths come from the handlers' annotations as they are
//! registered (utoipa-actix-web), so the spec cannot drift from the routes. `finish` then
//! states what holds for every route alike (problem bodies, the 400 for a malformed request,
//! security), so no handler can forget it and clients generated from the document see it.
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, ObjectBuilder, OpenApi as Document, RefOr, Schema, ServerBuilder, Type,
};
use utoipa::{Modify, OpenApi, PartialSchema};

use crate::error::{FieldError, PROBLEM_JSON};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hunar API",
        description = "Paintings by artists deported to Afghanistan, sold to supporters abroad."
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "catalog", description = "Public artists, artworks and prices"),
        (name = "orders", description = "Placing and following an order"),
        (name = "admin", description = "Coordinators: bearer token from /api/v1/admin/login"),
        (name = "payments", description = "Stripe webhooks"),
        (name = "operations", description = "Health checks"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Completes the document built from the routes: the server it is served from, `security: []`
/// on public operations (so "no auth" is said, not implied), the problem+json body on every
/// error response, and the statuses every route of a kind can answer.
pub fn finish(doc: &mut Document, public_base_url: &str) {
    doc.servers = Some(vec![
        ServerBuilder::new()
            .url(public_base_url.trim_end_matches('/'))
            .description(Some("this Hunar server"))
            .build(),
    ]);
    doc.components
        .get_or_insert_with(Default::default)
        .schemas
        .insert("Problem".into(), problem_schema());
    for item in doc.paths.paths.values_mut() {
        for op in operations(item) {
            complete(op);
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
        item.head.as_mut(),
        item.options.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

fn complete(op: &mut Operation) {
    if op.security.is_none() {
        op.security = Some(Vec::new());
    }
    // Any URL holding a NUL is refused before routing (extract::refuse_nul).
    ensure(op, "400", "malformed request");
    if op
        .parameters
        .iter()
        .flatten()
        .any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query))
    {
        ensure(op, "422", "a query parameter is invalid; `errors` names it");
    }
    // Bodies read by `ValidJson` (a named schema) or as multipart are checked for size, media
    // type and fields; the Stripe webhook's raw body (an inline string) only for size.
    if let Some(body) = &op.request_body {
        let checked = body.content.iter().any(|(media_type, content)| {
            media_type == "multipart/form-data" || matches!(content.schema, Some(RefOr::Ref(_)))
        });
        ensure(op, "413", "the body is too large");
        if checked {
            ensure(
                op,
                "415",
                "the body is not of a media type this operation takes",
            );
            ensure(op, "422", "invalid fields; `errors` names each one");
        }
    }
    for (status, response) in op.responses.responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        if !(status.starts_with('4') || status.starts_with('5')) {
            continue;
        }
        if response.description.is_empty() {
            response.description = default_description(status).into();
        }
        if response.content.is_empty() {
            response.content.insert(
                PROBLEM_JSON.into(),
                ContentBuilder::new()
                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                        "Problem",
                    ))))
                    .build(),
            );
        }
    }
}

fn ensure(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.into())
        .or_insert_with(|| RefOr::T(problem_response(description)));
}

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new().description(description).build()
}

fn default_description(status: &str) -> &'static str {
    match status {
        "400" => "malformed request",
        "401" => "missing, expired or revoked bearer token",
        "403" => "not allowed",
        "404" => "not found",
        "409" => "conflicts with the current state",
        "413" => "the body is too large",
        "415" => "unsupported media type",
        "422" => "invalid fields; `errors` names each one",
        "429" => "too many requests; see Retry-After",
        "502" => "a payment provider failed",
        "503" => "unavailable",
        _ => "error",
    }
}

/// RFC 9457 problem details as `error::problem_response` writes them.
fn problem_schema() -> RefOr<Schema> {
    ObjectBuilder::new()
        .description(Some("RFC 9457 problem details"))
        .property(
            "type",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("`/problems/{code}`")),
        )
        .property("title", ObjectBuilder::new().schema_type(Type::String))
        .property(
            "status",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(400))
                .maximum(Some(599)),
        )
        .property("detail", ObjectBuilder::new().schema_type(Type::String))
        .property(
            "code",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("machine-readable problem kind, e.g. `validation`")),
        )
        .property(
            "errors",
            utoipa::openapi::ArrayBuilder::new().items(FieldError::schema()),
        )
        .required("type")
        .required("title")
        .required("status")
        .into()
}
