//! The OpenAPI document of the API, generated from the handlers' annotations and the types they
//! read and answer with, so it cannot drift from the code.

use axum::{http::header, response::IntoResponse, Json};
use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

use super::{events, imports, rows, ErrorBody, ProblemBody};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Recourse API",
        version = "1",
        description = "Recording events for an authority's systems. Authenticate with \
            `Authorization: Bearer <token>` (an administrator creates tokens at /admin/tokens). Every refusal \
            is JSON with a stable `code`, a `message`, and for bad input the `problems` field by field."
    ),
    paths(
        events::record,
        events::batch,
        events::list,
        events::one,
        imports::upload,
        imports::status,
    ),
    components(schemas(
        rows::EventInput,
        events::EventView,
        events::RecordedEvent,
        events::BatchInput,
        events::Report,
        events::RowResult,
        events::EventPage,
        imports::ImportStatus,
        ErrorBody,
        ProblemBody,
    )),
    modifiers(&BearerAuth),
    tags((name = "events", description = "Recording events and reading them back"),
         (name = "imports", description = "Bulk import of CSV and JSON files"))
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

/// `GET /api/v1/openapi.json`: public, so anyone can build a client.
pub async fn document() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-cache")], Json(ApiDoc::openapi()))
}
