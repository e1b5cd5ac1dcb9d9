//! The OpenAPI 3.1 document: paths come from the handlers' annotations as they are
//! registered (utoipa-actix-web), so the spec cannot drift from the routes.
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

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
