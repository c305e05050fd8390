//! The OpenAPI document of the API, generated from the handlers' annotations and the types they
//! read and answer with, so it cannot drift from the code.

use axum::{http::header, response::IntoResponse, Json};
use utoipa::{
    openapi::{
        header::HeaderBuilder,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
        ContentBuilder, Object, Ref, ResponseBuilder, Type,
    },
    Modify, OpenApi,
};

use super::{checks, entries, events, imports, rows, ErrorBody, Kept, ProblemBody};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Recourse API",
        version = "1",
        description = "Recording events for an authority's systems, and questions from relying parties. Authenticate with \
            `Authorization: Bearer <token>` (an administrator creates tokens at /admin/tokens). Every refusal \
            is JSON with a stable `code`, a `message`, and for bad input the `problems` field by field. \
            Calls are rate limited per token (per client address without a valid token): by default 20 a \
            second sustained with bursts of 100; a call over the limit gets 429 with `Retry-After`."
    ),
    paths(
        events::record,
        events::batch,
        events::list,
        events::one,
        imports::upload,
        imports::list,
        imports::status,
        entries::record,
        entries::list,
        entries::one,
        checks::ask,
        checks::corrections,
        checks::acknowledge,
    ),
    components(schemas(
        rows::EventInput,
        events::EventView,
        events::RecordedEvent,
        events::BatchInput,
        events::Report,
        events::Refused,
        events::RowResult,
        events::EventPage,
        imports::ImportStatus,
        imports::ImportPage,
        Kept,
        entries::EntryInput,
        entries::EntryView,
        entries::RemovalView,
        entries::RecordedEntry,
        entries::EntryPage,
        checks::CheckInput,
        checks::CheckAnswer,
        checks::CorrectionView,
        checks::CorrectionPage,
        ErrorBody,
        ProblemBody,
    )),
    modifiers(&BearerAuth, &RateLimited),
    tags((name = "events", description = "Recording events and reading them back"),
         (name = "imports", description = "Bulk import of CSV and JSON files"),
         (name = "entries", description = "Recording blacklist entries and reading them back"),
         (name = "checks", description = "Relying parties (with an rpt_ token): one question about a \
            subject's standing, answered yes or no; corrections of answers given, to acknowledge within \
            three working days"))
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

/// Every call may be refused for going over the rate limit (see [`super::limit`]).
struct RateLimited;

impl Modify for RateLimited {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let response = ResponseBuilder::new()
            .description("Over the rate limit (code rate_limited): wait Retry-After seconds")
            .header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(Object::with_type(Type::Integer))
                    .description(Some("Seconds to wait before calling again"))
                    .build(),
            )
            .content(
                "application/json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                operation.responses.responses.insert("429".into(), response.clone().into());
            }
        }
    }
}

/// `GET /api/v1/openapi.json`: public, so anyone can build a client.
pub async fn document() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-cache")], Json(ApiDoc::openapi()))
}
