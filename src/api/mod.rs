//! The JSON API, version 1, for authorities' systems: record events one at a time, in batches
//! or as CSV/JSON files, record blacklist entries, and read back what the authority recorded. Callers authenticate with a
//! bearer token made by an administrator for one authority (`Authorization: Bearer rct_…`);
//! cookies are never looked at here, so there is nothing to forge and the cross-site check of the
//! pages does not apply. Every answer is JSON; every refusal has a stable `code`, a `message` a
//! person can act on, and, for bad input, the `problems` field by field. The OpenAPI document at
//! `/api/v1/openapi.json` is generated from these handlers and types.

pub mod bearer;
pub mod checks;
pub mod entries;
pub mod events;
pub mod files;
pub mod imports;
pub mod limit;
pub mod openapi;
pub mod rows;

use axum::{
    extract::{rejection::JsonRejection, FromRequest, Request},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::{de::DeserializeOwned, Serialize};
use utoipa::ToSchema;

use crate::store::{import::Problem, StoreError};

/// One problem with the input: where (row, field), what (code) and why (message).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProblemBody {
    /// The row of a file or the position in a batch (from 1); 0 for the file as a whole; absent
    /// for a single event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// The field, when the problem is about one.
    pub field: String,
    pub code: String,
    pub message: String,
}

impl ProblemBody {
    pub fn of_row(p: &Problem) -> Self {
        Self { row: Some(p.row), field: p.field.clone(), code: p.code.clone(), message: p.message.clone() }
    }

    pub fn of_single(p: &Problem) -> Self {
        Self { row: None, ..Self::of_row(p) }
    }
}

/// The body of every refusal.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, snake_case: match on this.
    #[schema(example = "token_revoked")]
    pub code: String,
    /// For a person reading a log.
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<ProblemBody>,
    /// An import that stopped part-way: what its commits recorded, which stays.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept: Option<Box<Kept>>,
}

/// What an import that stopped had committed before it stopped: it stays recorded.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Kept {
    pub import_id: String,
    /// `failed`: its job row says so, with the reason.
    pub status: String,
    /// Rows of the file dealt with (recorded, found already recorded, or refused).
    pub rows: u64,
    pub recorded: u64,
    pub duplicates: u64,
    pub refused: u64,
}

/// A refusal or a failure of an API call.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody { code: code.into(), message: message.into(), problems: Vec::new(), kept: None },
        }
    }

    /// 422: the input has these problems; nothing was written.
    pub fn invalid(problems: Vec<ProblemBody>) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "the input has problems (see problems); nothing was recorded",
        );
        e.body.problems = problems;
        e
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "there is no such thing recorded by your authority")
    }

    /// 503: the database cannot be used just now; nothing was recorded.
    pub fn unavailable(e: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %e, "database unavailable to the API");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "Recourse cannot reach its database just now; nothing was recorded; try again in a moment",
        )
    }

    /// 503: the database cannot store anything just now (its disk is full, or an I/O error);
    /// nothing was recorded.
    pub fn storage_unavailable(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "the database cannot store: disk full or I/O error");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            "Recourse cannot store anything just now (its storage is full or failing); nothing was \
             recorded; try again later",
        )
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error in the API");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on our side; nothing was recorded",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(message) => Self::new(StatusCode::CONFLICT, "conflict", message),
            StoreError::Db(e) => e.into(),
            other => Self::internal(other),
        }
    }
}

/// An import that stopped on an error: the error's answer, saying what stays recorded when its
/// commits recorded anything (never "nothing was recorded" after a commit).
impl From<crate::store::import::Failed> for ApiError {
    fn from(failed: crate::store::import::Failed) -> Self {
        let kept = failed.kept;
        let mut answer = ApiError::from(failed.error);
        if kept.rows > 0 {
            let cause = answer.body.message.split(';').next().unwrap_or_default().to_string();
            answer.body.message = format!(
                "{cause}; the import stopped part-way: its first {} rows were dealt with and stay \
                 recorded ({} recorded, {} already recorded, {} refused); send the file again: nothing \
                 is recorded twice",
                kept.rows, kept.recorded, kept.duplicates, kept.refused
            );
        }
        answer.body.kept = Some(Box::new(Kept {
            import_id: kept.import_id.to_string(),
            status: "failed".into(),
            rows: kept.rows,
            recorded: kept.recorded,
            duplicates: kept.duplicates,
            refused: kept.refused,
        }));
        answer
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        match crate::db::outage(&e) {
            Some(crate::db::Outage::Storage) => Self::storage_unavailable(e),
            Some(crate::db::Outage::Unreachable) => Self::unavailable(e),
            None => Self::internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response =
            (self.status, [(header::CACHE_CONTROL, "no-store")], Json(self.body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Largest JSON body (a batch): bigger ones get 413 before they are read whole.
pub const MAX_JSON_BYTES: usize = 2 * 1024 * 1024;

/// Like `axum::Json`, but every refusal is an [`ApiError`] with a specific code.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// A keyset page asked for in a query string: `after` (an id, parsed by `parse`; `what` names
/// it in the error) and `limit` (1 to 1,000, default 100). Every list of the API pages this way.
pub(crate) fn keyset_page<Id, E>(
    after: Option<&str>,
    limit: Option<i64>,
    what: &str,
    parse: impl Fn(&str) -> Result<Id, E>,
) -> ApiResult<(Option<Id>, i64)> {
    let bad = |message: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message);
    let limit = limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(bad("limit must be 1 to 1000".into()));
    }
    let after = match after {
        None | Some("") => None,
        Some(text) => Some(parse(text).map_err(|_| bad(format!("after must be {what}")))?),
    };
    Ok((after, limit))
}

/// The `after` of the next page: the last id of a full page, none after the last page.
pub(crate) fn next_after(found: usize, limit: i64, last: Option<String>) -> Option<String> {
    (found as i64 == limit).then_some(last).flatten()
}

/// A query string that does not parse: 400 with what was wrong.
pub(crate) fn invalid_query(e: axum::extract::rejection::QueryRejection) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text())
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let detail = rejection.body_text();
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with Content-Type: application/json",
        ),
        JsonRejection::JsonDataError(e) => {
            let serde_text = std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or(detail);
            let field = serde_text.split('`').nth(1).unwrap_or("").to_string();
            let mut error = ApiError::invalid(vec![ProblemBody {
                row: None,
                field,
                code: "invalid_object".into(),
                message: serde_text,
            }]);
            error.body.message = "the JSON does not have the expected shape; nothing was recorded".into();
            error
        }
        JsonRejection::JsonSyntaxError(_) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the body is not valid JSON: {detail}"),
        ),
        JsonRejection::BytesRejection(_) if detail.contains("length limit") => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the body is larger than {} MiB; send files to /api/v1/imports", MAX_JSON_BYTES >> 20),
        ),
        _ => ApiError::new(
            StatusCode::BAD_REQUEST,
            "unreadable_body",
            format!("the body cannot be read: {detail}"),
        ),
    }
}
