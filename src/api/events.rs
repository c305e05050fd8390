//! Recording events through the API, one at a time or in batches, and reading back what the
//! caller's authority recorded. One event goes through [`records::record_fact_in`], exactly as
//! the recorder's form; a batch through the bulk path of [`crate::store::import`], with the same
//! rules and a per-row report.

use std::collections::HashMap;

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    bearer::ApiCaller,
    rows::{Defaults, EventInput},
    ApiError, ApiJson, ApiResult, ProblemBody,
};
use crate::{
    domain::{EventId, SchemeId},
    http::AppState,
    store::{
        accounts, audit, catalogue,
        import::{self, Importer, Mode, Origin, RowOutcome, Summary},
        records::{self, RecordError, Recorded, StoredEvent},
    },
};

/// Most events in one batch; larger sets go to `/api/v1/imports` as a file.
pub const MAX_BATCH: usize = 1_000;

/// A recorded event as the API shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: String,
    pub subject_id: String,
    /// The scheme's code.
    pub scheme: String,
    pub rule_code: String,
    pub rule_version_id: String,
    pub points: i64,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub external_ref: String,
    /// `fact`, `void` or `supersede`.
    pub kind: String,
    pub recorded_by: String,
    pub source: String,
    pub evidence_ref: String,
}

fn view(stored: &StoredEvent, schemes: &HashMap<SchemeId, String>) -> EventView {
    let e = &stored.event;
    EventView {
        id: e.id.to_string(),
        subject_id: e.subject.to_string(),
        scheme: schemes.get(&e.scheme).cloned().unwrap_or_default(),
        rule_code: e.rule_code.as_str().to_string(),
        rule_version_id: e.rule_version.to_string(),
        points: e.points,
        occurred_at: e.occurred_at,
        recorded_at: e.recorded_at,
        external_ref: e.external_ref.clone(),
        kind: e.kind.code().to_string(),
        recorded_by: stored.provenance.recorded_by.clone(),
        source: stored.provenance.source.clone(),
        evidence_ref: stored.provenance.evidence_ref.clone(),
    }
}

async fn scheme_codes(conn: &mut sqlx::AnyConnection) -> ApiResult<HashMap<SchemeId, String>> {
    Ok(catalogue::schemes(conn)
        .await?
        .into_iter()
        .map(|s| (s.scheme.id(), s.scheme.code().to_string()))
        .collect())
}

/// What recording one event did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RecordedEvent {
    /// `recorded` (201), or `duplicate` (200): this reference was recorded before with the same
    /// content, nothing was written.
    pub outcome: String,
    pub event: EventView,
}

fn defaults(caller: &ApiCaller) -> Defaults {
    Defaults { recorded_by: caller.token.label.clone(), source: "api".into() }
}

/// Records one event for the token's authority.
#[utoipa::path(
    post, path = "/api/v1/events", tag = "events",
    request_body = EventInput,
    responses(
        (status = 201, description = "Recorded", body = RecordedEvent),
        (status = 200, description = "Sent before with the same content: nothing written", body = RecordedEvent),
        (status = 400, description = "The body is not JSON", body = super::ErrorBody),
        (status = 401, description = "No valid token", body = super::ErrorBody),
        (status = 409, description = "The reference was used for a different record", body = super::ErrorBody),
        (status = 413, description = "The body is too large", body = super::ErrorBody),
        (status = 415, description = "Not sent as JSON", body = super::ErrorBody),
        (status = 422, description = "Refused, with the problems field by field", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn record(
    State(state): State<crate::http::AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<EventInput>,
) -> ApiResult<Response> {
    let new = input
        .check(1, &defaults(&caller))
        .map_err(|p| ApiError::invalid(p.iter().map(ProblemBody::of_single).collect()))?;
    let mut conn = state.db.pool.acquire().await?;
    let Some(record) = catalogue::scheme_by_code(&mut conn, &new.scheme).await? else {
        return Err(ApiError::invalid(vec![ProblemBody {
            row: None,
            field: "scheme".into(),
            code: "unknown_scheme".into(),
            message: format!("no scheme has the code {:?}", new.scheme),
        }]));
    };
    let ctx = catalogue::SchemeContext {
        catalogue: catalogue::catalogue(&mut conn, &record.scheme).await?,
        record,
    };
    drop(conn);
    // The transaction's first statement is a write (the record's lock), so SQLite waits for its
    // write lock instead of failing to upgrade a read snapshot.
    let mut tx = state.db.begin_write().await?;
    let source = crate::domain::Source {
        subject: new.subject,
        scheme: ctx.scheme().id(),
        authority: caller.authority(),
        external_ref: new.external_ref.clone(),
    };
    let now = Utc::now();
    let outcome = records::record_fact_in(&mut tx, &ctx, source, new.fact, new.provenance, now).await;
    let (status, id) = match outcome {
        Ok(Recorded::New(event)) => {
            audit::write(
                &mut tx,
                &caller.actor,
                "event.record",
                "event",
                &event.id.to_string(),
                serde_json::json!({ "authority": caller.authority().to_string(), "rule": event.rule_code.as_str() }),
                now,
            )
            .await?;
            (StatusCode::CREATED, event.id)
        }
        Ok(Recorded::Duplicate(id)) => (StatusCode::OK, id),
        Err(e) => {
            drop(tx);
            return Err(refusal(&state, new.subject, e).await);
        }
    };
    let stored =
        records::event(&mut tx, id).await?.ok_or_else(|| ApiError::internal("a recorded event vanished"))?;
    let schemes = scheme_codes(&mut tx).await?;
    tx.commit().await?;
    let outcome = if status == StatusCode::CREATED { "recorded" } else { "duplicate" };
    Ok((status, Json(RecordedEvent { outcome: outcome.into(), event: view(&stored, &schemes) }))
        .into_response())
}

/// The API's answer to a refused single write.
async fn refusal(state: &AppState, subject: crate::domain::SubjectId, e: RecordError) -> ApiError {
    let problem = |field: &str, code: &str, message: String| {
        ApiError::invalid(vec![ProblemBody { row: None, field: field.into(), code: code.into(), message }])
    };
    match e {
        RecordError::Domain(d) => problem(d.field().unwrap_or(""), d.code(), d.to_string()),
        RecordError::NotAMember => match subject_known(state, subject).await {
            Ok(true) => {
                problem("subject_id", "not_a_member", "the subject is not enrolled in this scheme".into())
            }
            Ok(false) => problem("subject_id", "unknown_subject", "no subject has this id".into()),
            Err(e) => e,
        },
        RecordError::ReferenceReused { external_ref } => ApiError::new(
            StatusCode::CONFLICT,
            "reference_reused",
            format!("the external reference {external_ref:?} was already used for a different record"),
        ),
        RecordError::Store(e) => e.into(),
    }
}

/// A batch of events.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchInput {
    /// `all_or_nothing` (the default: one refused event records nothing) or `good_rows`.
    #[serde(default)]
    #[schema(example = "all_or_nothing")]
    pub mode: Option<String>,
    /// At most 1,000 events, each shaped like the body of `POST /api/v1/events`.
    #[schema(value_type = Vec<EventInput>)]
    pub events: Vec<serde_json::Value>,
}

/// One row's outcome in a batch.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RowResult {
    /// Position in the batch, from 1.
    pub row: u64,
    /// `recorded` or `duplicate`.
    pub outcome: String,
    pub event_id: String,
}

/// The report of a batch or an import.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Report {
    pub import_id: String,
    pub mode: String,
    /// False when an all-or-nothing batch or file was refused: then nothing was recorded.
    pub committed: bool,
    pub rows: u64,
    pub recorded: u64,
    pub duplicates: u64,
    pub refused: u64,
    /// The first 1,000 problems, by row; `problems_total` counts them all.
    pub problems: Vec<ProblemBody>,
    pub problems_total: u64,
    /// Batches only: what happened to each row that was not refused.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<RowResult>,
}

impl Report {
    pub fn of(summary: &Summary, mode: Mode) -> Self {
        Self {
            import_id: summary.import_id.to_string(),
            mode: mode.code().into(),
            committed: summary.committed,
            rows: summary.rows,
            recorded: summary.recorded,
            duplicates: summary.duplicates,
            refused: summary.refused,
            problems: summary.problems.iter().map(ProblemBody::of_row).collect(),
            problems_total: summary.problems_total,
            results: summary
                .outcomes
                .iter()
                .map(|(row, outcome)| {
                    let (outcome, id) = match outcome {
                        RowOutcome::Recorded(id) => ("recorded", id),
                        RowOutcome::Duplicate(id) => ("duplicate", id),
                    };
                    RowResult { row: *row, outcome: outcome.into(), event_id: id.to_string() }
                })
                .collect(),
        }
    }

    /// 200 when committed, 422 when an all-or-nothing batch was refused.
    pub fn into_response(self) -> Response {
        let status = if self.committed { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
        (status, Json(self)).into_response()
    }
}

/// What a 422 of a batch or an import answers (documentation only): the report of a refused
/// all-or-nothing run, or the refusal of the call itself, with its `code`.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Refused {
    Report(Report),
    Call(super::ErrorBody),
}

/// Reads a mode code, defaulting to all-or-nothing.
pub fn mode_of(code: Option<&str>) -> ApiResult<Mode> {
    match code {
        None => Ok(Mode::AllOrNothing),
        Some(code) => Mode::parse(code).ok_or_else(|| {
            ApiError::invalid(vec![ProblemBody {
                row: None,
                field: "mode".into(),
                code: "invalid_mode".into(),
                message: format!(
                    "mode must be all_or_nothing or good_rows, not {:?}",
                    code.chars().take(40).collect::<String>()
                ),
            }])
        }),
    }
}

/// Records a batch of events: all or nothing (default), or the good ones.
#[utoipa::path(
    post, path = "/api/v1/events/batch", tag = "events",
    request_body = BatchInput,
    responses(
        (status = 200, description = "Done: what was recorded, what was a duplicate, what was refused", body = Report),
        (status = 400, description = "The body is not JSON", body = super::ErrorBody),
        (status = 401, description = "No valid token", body = super::ErrorBody),
        (status = 413, description = "The body is too large", body = super::ErrorBody),
        (status = 415, description = "Not sent as JSON", body = super::ErrorBody),
        (status = 422, description = "An all-or-nothing batch with refused events (nothing recorded): the report; or a malformed batch (a bad mode, no events or too many): the refusal", body = Refused),
    ),
    security(("bearer" = []))
)]
pub async fn batch(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<BatchInput>,
) -> ApiResult<Response> {
    let mode = mode_of(input.mode.as_deref())?;
    if input.events.is_empty() || input.events.len() > MAX_BATCH {
        return Err(ApiError::invalid(vec![ProblemBody {
            row: None,
            field: "events".into(),
            code: "batch_size".into(),
            message: format!(
                "a batch has 1 to {MAX_BATCH} events, not {}; send more as a file to /api/v1/imports",
                input.events.len()
            ),
        }]));
    }
    let defaults = defaults(&caller);
    let rows = input
        .events
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            let row = i as u64 + 1;
            if json_len(&value) > super::files::MAX_ELEMENT_BYTES {
                return Err(vec![super::files::element_too_large(row, "event")]);
            }
            serde_json::from_value::<EventInput>(value)
                .map_err(|e| vec![super::files::json_problem(row, &e)])
                .and_then(|input| input.check(row, &defaults))
        })
        .collect();
    let origin =
        Origin { authority: caller.authority(), actor: caller.actor.clone(), account: None, format: "json" };
    let mut importer = Importer::start(&state.db, origin, mode, true, Utc::now()).await?;
    if let Err(e) = importer.push(rows).await {
        importer.abandon().await;
        return Err(e.into());
    }
    let summary = importer.finish().await?;
    Ok(Report::of(&summary, mode).into_response())
}

/// The length of a JSON value written compactly, without writing it anywhere.
fn json_len(value: &serde_json::Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// Paging through what the authority recorded.
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only records after this event id (the last id of the previous page).
    pub after: Option<String>,
    /// At most this many (1 to 1,000; default 100).
    pub limit: Option<i64>,
}

/// A page of records.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EventPage {
    pub events: Vec<EventView>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

/// Lists what the token's authority recorded, oldest first.
#[utoipa::path(
    get, path = "/api/v1/events", tag = "events",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of records", body = EventPage),
        (status = 400, description = "A bad query parameter", body = super::ErrorBody),
        (status = 401, description = "No valid token", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<EventPage>> {
    let Query(query) = query.map_err(super::invalid_query)?;
    let (after, limit) =
        super::keyset_page(query.after.as_deref(), query.limit, "an event id", EventId::parse)?;
    let mut conn = state.db.pool.acquire().await?;
    let found = import::recorded_by(&mut conn, caller.authority(), after, limit).await?;
    let schemes = scheme_codes(&mut conn).await?;
    let next_after = super::next_after(found.len(), limit, found.last().map(|e| e.event.id.to_string()));
    Ok(Json(EventPage { events: found.iter().map(|e| view(e, &schemes)).collect(), next_after }))
}

/// One record of the token's authority.
#[utoipa::path(
    get, path = "/api/v1/events/{id}", tag = "events",
    params(("id" = String, Path, description = "The event's id")),
    responses(
        (status = 200, description = "The record", body = EventView),
        (status = 401, description = "No valid token", body = super::ErrorBody),
        (status = 404, description = "No such record of your authority", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn one(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<EventView>> {
    let id = EventId::parse(&id).map_err(|_| ApiError::not_found())?;
    let mut conn = state.db.pool.acquire().await?;
    let stored = records::event(&mut conn, id)
        .await?
        .filter(|e| e.event.authority == caller.authority())
        .ok_or_else(ApiError::not_found)?;
    let schemes = scheme_codes(&mut conn).await?;
    Ok(Json(view(&stored, &schemes)))
}

/// Whether a subject exists (to tell "unknown" from "not enrolled").
async fn subject_known(state: &AppState, subject: crate::domain::SubjectId) -> ApiResult<bool> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(accounts::subject_exists(&mut conn, subject).await?)
}
