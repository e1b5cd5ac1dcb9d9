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
use crate::validate::schema::NO_NUL;

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
        (name = "ledger", description = "Coordinators: what each artist is owed and was paid"),
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
pub fn finish(mut doc: Document, public_base_url: &str) -> serde_json::Value {
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
    // The rest works on the JSON: utoipa's types do not round-trip every field (links).
    let mut value = serde_json::to_value(&doc).unwrap_or_default();
    tighten(&mut value);
    rules_across_fields(&mut value);
    link(&mut value);
    value
}

/// Rules that tie one field to another, which utoipa's derive cannot say: JSON Schema's
/// `if`/`then` states them, so a client (or a fuzzer) knows them before the server refuses.
/// - a payout's `exchange_rate` and `paid_currency` come together (both, or neither);
/// - a shipping zone that is not the fallback names at least one country;
/// - a way to pay says what a buyer needs for it: an IBAN or account number for a bank
///   transfer, a Swish number for Swish, a note in some language for cash or anything else.
fn rules_across_fields(doc: &mut serde_json::Value) {
    use serde_json::json;
    let given =
        |field: &str| json!({"properties": {field: {"type": "string"}}, "required": [field]});
    // A field that is there and not blank (blank counts as left out).
    let written = |field: &str| {
        json!({"properties": {field: {"type": "string", "pattern": crate::validate::schema::NOT_BLANK}},
               "required": [field]})
    };
    let method = |methods: &[&str]| json!({"properties": {"method": {"enum": methods}}});
    let rules = [
        (
            "PayoutInput",
            json!([
                {"if": given("exchange_rate"), "then": given("paid_currency")},
                {"if": given("paid_currency"), "then": given("exchange_rate")},
            ]),
        ),
        (
            "ZoneInput",
            json!([{
                "if": {"properties": {"is_fallback": {"const": true}}, "required": ["is_fallback"]},
                "else": {"properties": {"countries": {"minItems": 1}}, "required": ["countries"]},
            }]),
        ),
        (
            "PaymentOption",
            json!([
                {"if": method(&["bank_transfer"]),
                 "then": {"anyOf": [written("iban"), written("account_number")]}},
                {"if": method(&["swish"]), "then": written("swish_number")},
                {"if": method(&["cash", "other"]),
                 "then": {"required": ["notes"], "properties": {"notes": {
                     "anyOf": [written("en"), written("sv"), written("fa")]}}}},
            ]),
        ),
    ];
    for (name, all_of) in rules {
        if let Some(schema) = doc
            .pointer_mut(&format!("/components/schemas/{name}"))
            .and_then(|s| s.as_object_mut())
        {
            schema.insert("allOf".into(), all_of);
        }
    }
}

/// Rules that hold for every schema alike, applied to the JSON of the document:
/// - a string with no pattern, enum or format of its own gets `validate::schema::NO_NUL`,
///   since every body and URL holding a NUL is refused (`extract`);
/// - a request body names every field it may have (`additionalProperties: false`);
/// - in a schema only ever sent (never read from a request), a nullable property is
///   `required`: serde writes it as `null`, and generated clients should not make it
///   optional. Fields serde leaves out are declared non-nullable and `required = false`.
fn tighten(doc: &mut serde_json::Value) {
    let mut read = std::collections::BTreeSet::new();
    if let Some(paths) = doc.get("paths") {
        collect_refs(paths, &mut read, true);
    }
    // Schemas a request body uses, and the ones they use in turn.
    loop {
        let before = read.len();
        for name in read.clone() {
            if let Some(schema) = doc.pointer(&format!("/components/schemas/{name}")) {
                collect_refs(schema, &mut read, false);
            }
        }
        if read.len() == before {
            break;
        }
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(|s| s.as_object_mut())
    {
        for (name, schema) in schemas.iter_mut() {
            no_nul(schema);
            if !read.contains(name) {
                require_nullable(schema);
            } else if let Some(object) = schema.as_object_mut()
                && object.contains_key("properties")
            {
                // Every request body is read with `deny_unknown_fields`: a field the
                // document does not name is a 422, and the document says so.
                object
                    .entry("additionalProperties")
                    .or_insert(serde_json::Value::Bool(false));
            }
        }
    }
    if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for item in paths.values_mut() {
            for op in item
                .as_object_mut()
                .into_iter()
                .flat_map(|i| i.values_mut())
            {
                for param in op
                    .get_mut("parameters")
                    .and_then(|p| p.as_array_mut())
                    .into_iter()
                    .flatten()
                {
                    if let Some(schema) = param.get_mut("schema") {
                        no_nul(schema);
                    }
                }
                if let Some(body) = op.pointer_mut("/requestBody/content") {
                    no_nul(body);
                }
            }
        }
    }
}

/// OpenAPI `links` from each operation that creates something (a 201) to the operations on
/// what it created, so a client (or a stateful fuzzer) can follow them: `POST /x` → every
/// operation on `/x/{id}…` with `id` from the answer's `id` and the other path parameters
/// from the request. A placed order leads to the buyer's and the coordinators' views of it.
fn link(doc: &mut serde_json::Value) {
    use serde_json::{Map, Value, json};
    let Some(paths) = doc.get("paths").and_then(|p| p.as_object()).cloned() else {
        return;
    };
    let params_of = |path: &str| -> Vec<String> {
        path.split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_string)
            .collect()
    };
    let op_ids = |path: &str| -> Vec<String> {
        paths
            .get(path)
            .and_then(|item| item.as_object())
            .into_iter()
            .flat_map(|item| item.values())
            .filter_map(|op| op.get("operationId")?.as_str().map(str::to_string))
            .collect()
    };
    let mut links: Vec<(String, String, Map<String, Value>)> = Vec::new();
    for (path, item) in &paths {
        // Only answers that are the created thing itself (`id` at the top); a placed order's
        // answer nests it, and is linked by hand below.
        let answer = item
            .pointer("/post/responses/201/content/application~1json/schema/$ref")
            .and_then(|r| r.as_str())
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .and_then(|name| doc.pointer(&format!("/components/schemas/{name}/properties/id")));
        if answer.is_none() {
            continue;
        }
        let known = params_of(path);
        for target in paths.keys() {
            let Some(rest) = target.strip_prefix(&format!("{path}/")) else {
                continue;
            };
            let new: Vec<String> = params_of(target)
                .into_iter()
                .filter(|p| !known.contains(p))
                .collect();
            let [created] = new.as_slice() else {
                continue;
            };
            if !rest.starts_with(&format!("{{{created}}}")) {
                continue;
            }
            let mut parameters = Map::new();
            parameters.insert(created.clone(), json!("$response.body#/id"));
            for name in &known {
                parameters.insert(name.clone(), json!(format!("$request.path.{name}")));
            }
            for id in op_ids(target) {
                links.push((path.clone(), id, parameters.clone()));
            }
        }
    }
    let order = json!({"id": "$response.body#/order/id"});
    let mut buyer = Map::new();
    buyer.insert("id".into(), json!("$response.body#/order/id"));
    buyer.insert("token".into(), json!("$response.body#/access_token"));
    links.push(("/api/v1/orders".into(), "getOrder".into(), buyer));
    for target in paths
        .keys()
        .filter(|p| p.starts_with("/api/v1/admin/orders/{id}"))
    {
        for id in op_ids(target) {
            let parameters = order.as_object().cloned().unwrap_or_default();
            links.push(("/api/v1/orders".into(), id, parameters));
        }
    }
    for (path, operation_id, parameters) in links {
        let pointer = format!("/paths/{}/post/responses/201", path.replace('/', "~1"));
        if let Some(response) = doc.pointer_mut(&pointer).and_then(|r| r.as_object_mut()) {
            let all = response
                .entry("links")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(all) = all.as_object_mut() {
                all.insert(
                    operation_id.clone(),
                    json!({"operationId": operation_id, "parameters": parameters}),
                );
            }
        }
    }
}

/// Names of the component schemas `value` refers to; from `paths`, only request bodies.
fn collect_refs(
    value: &serde_json::Value,
    names: &mut std::collections::BTreeSet<String>,
    bodies_only: bool,
) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                if bodies_only && key == "responses" {
                    continue;
                }
                if key == "$ref"
                    && let Some(name) = inner
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    names.insert(name.to_string());
                }
                collect_refs(inner, names, bodies_only);
            }
        }
        serde_json::Value::Array(items) => {
            for inner in items {
                collect_refs(inner, names, bodies_only);
            }
        }
        _ => {}
    }
}

/// `type` is `name`, or a list holding it (`["string", "null"]`).
fn has_type(schema: &serde_json::Value, name: &str) -> bool {
    match schema.get("type") {
        Some(serde_json::Value::String(t)) => t == name,
        Some(serde_json::Value::Array(types)) => types.iter().any(|t| t == name),
        _ => false,
    }
}

fn no_nul(value: &mut serde_json::Value) {
    let bare_string = has_type(value, "string");
    match value {
        serde_json::Value::Object(map) => {
            let bare = bare_string
                && !["pattern", "enum", "format", "const"]
                    .iter()
                    .any(|k| map.contains_key(*k));
            if bare {
                map.insert("pattern".into(), NO_NUL.into());
            }
            for inner in map.values_mut() {
                no_nul(inner);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(no_nul),
        _ => {}
    }
}

fn is_nullable(schema: &serde_json::Value) -> bool {
    let null_type = |s: &serde_json::Value| has_type(s, "null");
    null_type(schema)
        || ["oneOf", "anyOf"].iter().any(|k| {
            schema
                .get(*k)
                .and_then(|v| v.as_array())
                .is_some_and(|alts| alts.iter().any(null_type))
        })
}

fn require_nullable(value: &mut serde_json::Value) {
    let Some(map) = value.as_object_mut() else {
        return;
    };
    if let Some(props) = map.get("properties").and_then(|p| p.as_object()) {
        let nullable: Vec<String> = props
            .iter()
            .filter(|(_, schema)| is_nullable(schema))
            .map(|(name, _)| name.clone())
            .collect();
        if !nullable.is_empty() {
            let required = map
                .entry("required")
                .or_insert_with(|| serde_json::Value::Array(Vec::new()));
            if let Some(list) = required.as_array_mut() {
                for name in nullable {
                    if !list.iter().any(|n| n == name.as_str()) {
                        list.push(name.into());
                    }
                }
            }
        }
    }
    // `#[serde(flatten)]` and generics become allOf/oneOf parts.
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(parts) = map.get_mut(key).and_then(|p| p.as_array_mut()) {
            parts.iter_mut().for_each(require_nullable);
        }
    }
}

/// The interactive viewer at `/docs/`: Swagger UI, pinned and compiled into the binary
/// (utoipa-swagger-ui's `vendored` build), so the page loads nothing from another origin and
/// runs under the same Content-Security-Policy as every page (`headers.rs`). The
/// validator badge is off: it is an image fetched from swagger.io with the document's URL.
pub fn viewer(cfg: &mut actix_web::web::ServiceConfig) {
    use actix_web::{HttpResponse, http::header, web};
    use utoipa_swagger_ui::{Config, SwaggerUi};

    cfg.route(
        "/docs",
        web::get().to(|| async {
            HttpResponse::MovedPermanently()
                .insert_header((header::LOCATION, "/docs/"))
                .finish()
        }),
    )
    .service(
        SwaggerUi::new("/docs/{_:.*}").config(
            Config::new(["/api/openapi.json"])
                .validator_url("none")
                .query_config_enabled(false),
        ),
    );
}

/// The methods the document gives the path that `path` (a request path) matches, or `None`
/// when it matches no documented path. `{name}` stands for one non-empty segment.
pub fn methods_of(doc: &serde_json::Value, path: &str) -> Option<Vec<String>> {
    let segments: Vec<&str> = path.split('/').collect();
    let paths = doc.get("paths")?.as_object()?;
    let matching: Vec<&serde_json::Value> = paths
        .iter()
        .filter(|(template, _)| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(part, segment)| {
                    (part.starts_with('{') && !segment.is_empty()) || part == segment
                })
        })
        .map(|(_, item)| item)
        .collect();
    if matching.is_empty() {
        return None;
    }
    Some(
        ["get", "post", "put", "patch", "delete"]
            .into_iter()
            .filter(|method| matching.iter().any(|item| item.get(*method).is_some()))
            .map(str::to_uppercase)
            .collect(),
    )
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
    // Bodies read by `ValidJson` or as multipart are checked for size, media type and fields;
    // the Stripe webhook's raw body (an inline string) only for size.
    if let Some(body) = &op.request_body {
        let raw_string = |schema: &Option<RefOr<Schema>>| {
            matches!(schema, Some(RefOr::T(Schema::Object(o)))
                if o.schema_type == utoipa::openapi::schema::SchemaType::Type(Type::String))
        };
        let checked = body.content.iter().any(|(media_type, content)| {
            media_type == "multipart/form-data" || !raw_string(&content.schema)
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
