//! Bulk import through the API: a CSV or JSON file as the request body, read as it arrives and
//! answered with the per-row report when done; and the status of an import by id.

use axum::{
    body::Body,
    extract::{rejection::QueryRejection, Path, Query, State},
    http::{header, HeaderMap, StatusCode},
    response::Response,
    Json,
};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    bearer::ApiCaller,
    events::{mode_of, Refused, Report},
    files::{self, Format, UploadError},
    rows::Defaults,
    ApiError, ApiResult, ProblemBody,
};
use crate::{
    http::AppState,
    store::import::{self, Importer, Origin},
};

/// The largest file accepted (1 GiB, about 7 million rows of CSV). Larger ones are refused from
/// their `Content-Length`, before a byte is read.
pub const MAX_IMPORT_BYTES: u64 = 1 << 30;

#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// `all_or_nothing` (default: one refused row records nothing) or `good_rows` (refused rows
    /// are reported and skipped; the rest is committed in chunks of 50,000 rows).
    pub mode: Option<String>,
}

/// Why a file cannot even be read: the size, the type, the length.
pub fn check_upload(headers: &HeaderMap) -> ApiResult<Format> {
    let media = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let format = Format::from_media_type(media).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the file with Content-Type: text/csv or application/json",
        )
    })?;
    // Without Content-Length and Transfer-Encoding a request has no body (RFC 9112 §6.3): an
    // empty file, answered as such. A streamed body of unknown length is refused up front.
    let declared = headers.get(header::CONTENT_LENGTH);
    let streamed = headers.contains_key(header::TRANSFER_ENCODING);
    let length = declared
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .or((declared.is_none() && !streamed).then_some(0))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::LENGTH_REQUIRED,
                "length_required",
                "send the file with a Content-Length",
            )
        })?;
    if length > MAX_IMPORT_BYTES {
        return Err(too_large(length));
    }
    Ok(format)
}

pub fn too_large(length: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!(
            "the file has {} MiB; at most {} MiB are accepted: split it into several files",
            length >> 20,
            MAX_IMPORT_BYTES >> 20
        ),
    )
}

/// Imports a CSV or JSON file of events for the token's authority.
#[utoipa::path(
    post, path = "/api/v1/imports", tag = "imports",
    params(UploadQuery),
    request_body(
        description = "CSV with a header row (columns subject_id, scheme, rule_code, occurred_at, points, \
            external_ref, recorded_by, source, evidence_ref; the last four optional), or a JSON array of events",
        content(
            (String = "text/csv"),
            (Vec<super::rows::EventInput> = "application/json"),
        ),
    ),
    responses(
        (status = 200, description = "Done, with the per-row report", body = Report),
        (status = 400, description = "The upload broke off", body = super::ErrorBody),
        (status = 401, description = "No valid token", body = super::ErrorBody),
        (status = 411, description = "No Content-Length", body = super::ErrorBody),
        (status = 413, description = "The file is larger than 1 GiB", body = super::ErrorBody),
        (status = 415, description = "Neither CSV nor JSON", body = super::ErrorBody),
        (status = 422, description = "All-or-nothing with refused rows (nothing recorded): the report; or a bad mode: the refusal", body = Refused),
        (status = 500, description = "Stopped by an error of ours; `kept` says what its commits recorded", body = super::ErrorBody),
        (status = 503, description = "The database cannot be reached (`database_unavailable`) or cannot store \
            (`storage_unavailable`); `kept` says what the commits before recorded (good-rows mode), which stays", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn upload(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: Result<Query<UploadQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let Query(query) =
        query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))?;
    let mode = mode_of(query.mode.as_deref())?;
    let format = check_upload(&headers)?;
    let origin = Origin {
        authority: caller.authority(),
        actor: caller.actor.clone(),
        account: None,
        format: format.code(),
    };
    let importer = Importer::start(&state.db, origin, mode, false, Utc::now()).await?;
    let defaults =
        Defaults { recorded_by: caller.token.label.clone(), source: format!("import:{}", format.code()) };
    let chunks = body.into_data_stream().map(|chunk| chunk.map_err(|e| e.to_string()));
    match files::import_stream(importer, format, defaults, chunks).await {
        Ok(summary) => Ok(Report::of(&summary, mode).into_response()),
        Err(UploadError::Interrupted(message)) => {
            Err(ApiError::new(StatusCode::BAD_REQUEST, "upload_interrupted", message))
        }
        Err(UploadError::Failed(failed)) => Err(failed.into()),
    }
}

/// An import as its job row tells it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ImportStatus {
    pub import_id: String,
    pub format: String,
    pub mode: String,
    /// `running`, `done`, `refused` (all-or-nothing with refused rows: nothing recorded),
    /// `failed` (stopped by an error) or `interrupted` (the server running it stopped); after
    /// these two the counts are what its commits recorded, which stays (in good-rows mode, whole
    /// chunks; all-or-nothing, nothing).
    pub status: String,
    /// Why a `failed` or `interrupted` import stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Rows read so far (running) or in all.
    pub rows: i64,
    pub recorded: i64,
    pub duplicates: i64,
    pub refused: i64,
    pub problems_total: i64,
    pub problems: Vec<ProblemBody>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The status and report of one of the authority's imports.
#[utoipa::path(
    get, path = "/api/v1/imports/{id}", tag = "imports",
    params(("id" = String, Path, description = "The import's id")),
    responses(
        (status = 200, description = "The import", body = ImportStatus),
        (status = 401, description = "No valid token", body = super::ErrorBody),
        (status = 404, description = "No such import of your authority", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn status(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<ImportStatus>> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    let mut conn = state.db.pool.acquire().await?;
    let (job, problems) = import::job(&mut conn, id)
        .await?
        .filter(|(job, _)| job.authority == caller.authority())
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(ImportStatus::of(job, &problems)))
}

impl ImportStatus {
    fn of(job: import::ImportJob, problems: &[import::Problem]) -> Self {
        let rows = files::progress_of(job.id).map(|r| r as i64).unwrap_or(job.rows_done);
        Self {
            import_id: job.id.to_string(),
            format: job.format,
            mode: job.mode,
            status: job.status,
            reason: job.reason,
            rows,
            recorded: job.recorded,
            duplicates: job.duplicates,
            refused: job.refused,
            problems_total: job.problems,
            problems: problems.iter().map(ProblemBody::of_row).collect(),
            started_at: job.started_at,
            finished_at: job.finished_at,
        }
    }
}

/// Paging through the authority's imports.
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportListQuery {
    /// Only imports older than this import id (the last id of the previous page).
    pub after: Option<String>,
    /// At most this many (1 to 1,000; default 100).
    pub limit: Option<i64>,
}

/// A page of imports, newest first (without their problems: see `GET /api/v1/imports/{id}`).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ImportPage {
    pub imports: Vec<ImportStatus>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

/// Lists the authority's imports, newest first, with their status and counts.
#[utoipa::path(
    get, path = "/api/v1/imports", tag = "imports",
    params(ImportListQuery),
    responses(
        (status = 200, description = "A page of imports", body = ImportPage),
        (status = 400, description = "A bad query parameter", body = super::ErrorBody),
        (status = 401, description = "No valid token", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: Result<Query<ImportListQuery>, QueryRejection>,
) -> ApiResult<Json<ImportPage>> {
    let Query(query) = query.map_err(super::invalid_query)?;
    let (after, limit) =
        super::keyset_page(query.after.as_deref(), query.limit, "an import id", Uuid::parse_str)?;
    let mut conn = state.db.pool.acquire().await?;
    let found = import::jobs(&mut conn, caller.authority(), after, limit).await?;
    let next_after = super::next_after(found.len(), limit, found.last().map(|j| j.id.to_string()));
    Ok(Json(ImportPage {
        imports: found.into_iter().map(|j| ImportStatus::of(j, &[])).collect(),
        next_after,
    }))
}
