//! Relying parties' calls: ask one allowed question about a subject's standing and learn only the
//! answer (`POST /api/v1/checks`), read the corrections of answers given (`GET
//! /api/v1/corrections`, keyset) and acknowledge each (`POST /api/v1/corrections/{id}/ack`).
//! Every check is recorded for the subject to read (`/record/checks`).

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    Json,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{bearer::PartyCaller, ApiError, ApiJson, ApiResult, ProblemBody};
use crate::{
    http::AppState,
    store::checks::{self, AskError, Asking, Correction},
};

/// One question about one subject.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CheckInput {
    /// The subject's id (a person or an organisation).
    pub subject_id: Option<String>,
    /// An organisation's unified social credit code, instead of `subject_id`.
    pub unified_social_credit_code: Option<String>,
    /// `restricted` (with `restriction`), `on_any_blacklist`, or `grade_at_least` (with `scheme`
    /// and `grade`); only those your registration allows.
    #[schema(example = "restricted")]
    pub question: String,
    /// With `restricted`: e.g. `flights`, `high_speed_rail`.
    pub restriction: Option<String>,
    /// With `grade_at_least`: the scheme's code, e.g. `rongcheng`.
    pub scheme: Option<String>,
    /// With `grade_at_least`: a grade of that scheme, e.g. `B`.
    pub grade: Option<String>,
}

/// The answer, and nothing else: no score, no records, no reasons.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CheckAnswer {
    pub check_id: String,
    pub answer: bool,
    /// The instant the answer holds for (RFC 3339).
    pub as_of: DateTime<Utc>,
}

#[utoipa::path(
    post, path = "/api/v1/checks", tag = "checks",
    request_body = CheckInput,
    responses(
        (status = 200, description = "The answer; the check is recorded for the subject to see", body = CheckAnswer),
        (status = 401, description = "No valid relying party token", body = super::ErrorBody),
        (status = 403, description = "A question your registration does not allow (question_not_allowed), or an authority's token (wrong_token_kind)", body = super::ErrorBody),
        (status = 404, description = "No such subject (subject_not_found)", body = super::ErrorBody),
        (status = 422, description = "An unknown question, restriction, scheme or grade, or a scheme the subject is not in, field by field; nothing recorded", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn ask(
    State(state): State<AppState>,
    caller: PartyCaller,
    ApiJson(input): ApiJson<CheckInput>,
) -> ApiResult<Json<CheckAnswer>> {
    let problem = |field: &str, code: &str, message: String| {
        ApiError::invalid(vec![ProblemBody { row: None, field: field.into(), code: code.into(), message }])
    };
    if input.subject_id.is_some() == input.unified_social_credit_code.is_some() {
        return Err(problem(
            "subject_id",
            "subject_required",
            "send exactly one of subject_id and unified_social_credit_code".into(),
        ));
    }
    let asking = Asking {
        subject_id: input.subject_id.as_deref(),
        uscc: input.unified_social_credit_code.as_deref(),
        question: &input.question,
        restriction: input.restriction.as_deref(),
        scheme: input.scheme.as_deref(),
        grade: input.grade.as_deref(),
    };
    match checks::ask(&state.db, &caller.party, &asking, Utc::now()).await {
        Ok(check) => Ok(Json(CheckAnswer {
            check_id: check.id.to_string(),
            answer: check.answer,
            as_of: check.asked_at,
        })),
        Err(AskError::UnknownSubject) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "subject_not_found",
            "there is no subject with this id or unified social credit code; nothing was recorded",
        )),
        Err(AskError::NotAllowed(kind)) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "question_not_allowed",
            format!("your registration does not allow the question {kind}; nothing was recorded"),
        )),
        Err(AskError::Question(e)) => {
            let mut refused = problem(e.field(), e.code(), e.to_string());
            refused.body.message = format!("the question cannot be asked: {e}; nothing was recorded");
            Err(refused)
        }
        Err(AskError::Store(e)) => Err(e.into()),
    }
}

/// A correction of an answer your party was given.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CorrectionView {
    pub id: String,
    /// The check whose answer is corrected.
    pub check_id: String,
    pub subject_id: String,
    pub question: String,
    /// With `restricted`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restriction: Option<String>,
    /// With `grade_at_least`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
    pub previous_answer: bool,
    /// The answer now.
    pub answer: bool,
    /// What changed it: `appeal.decide`, `appeal.lapse`, `rule.repeal`, `rule_challenge.decide`,
    /// `event.record` (a record voided by its authority), `import.record`, or `time` (an expiry).
    pub cause: String,
    pub as_of: DateTime<Utc>,
    /// Acknowledge within three working days.
    pub acknowledge_by: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
}

impl CorrectionView {
    pub fn of(c: &Correction) -> Self {
        let (restriction, scheme, grade) = match c.question {
            crate::store::status::QuestionKind::Restricted => (Some(c.parameter.clone()), None, None),
            crate::store::status::QuestionKind::GradeAtLeast => {
                let (s, g) = c.parameter.split_once(':').unwrap_or((&c.parameter, ""));
                (None, Some(s.to_string()), Some(g.to_string()))
            }
            crate::store::status::QuestionKind::OnAnyBlacklist => (None, None, None),
        };
        Self {
            id: c.id.to_string(),
            check_id: c.check.to_string(),
            subject_id: c.subject.to_string(),
            question: c.question.code().into(),
            restriction,
            scheme,
            grade,
            previous_answer: c.previous_answer,
            answer: c.answer,
            cause: c.cause.clone(),
            as_of: c.created_at,
            acknowledge_by: c.due(),
            acknowledged_at: c.acknowledged_at,
        }
    }
}

/// A page of corrections, oldest first.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CorrectionPage {
    pub corrections: Vec<CorrectionView>,
    /// Pass as `after` for the next page; absent after the last.
    pub next_after: Option<String>,
}

#[derive(Clone, Debug, Deserialize, IntoParams)]
pub struct CorrectionQuery {
    /// The `next_after` of the previous page (a correction's id).
    pub after: Option<String>,
    /// 1 to 1000, default 100.
    pub limit: Option<i64>,
}

#[utoipa::path(
    get, path = "/api/v1/corrections", tag = "checks",
    params(CorrectionQuery),
    responses(
        (status = 200, description = "Corrections of answers your party was given, oldest first", body = CorrectionPage),
        (status = 400, description = "A bad query parameter", body = super::ErrorBody),
        (status = 401, description = "No valid relying party token", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn corrections(
    State(state): State<AppState>,
    caller: PartyCaller,
    query: Result<Query<CorrectionQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<CorrectionPage>> {
    let Query(query) = query.map_err(super::invalid_query)?;
    let (after, limit) =
        super::keyset_page(query.after.as_deref(), query.limit, "a correction's id", Uuid::parse_str)?;
    let mut conn = state.db.pool.acquire().await?;
    let found = checks::feed(&mut conn, caller.party.id, after, limit).await?;
    let next_after = super::next_after(found.len(), limit, found.last().map(|c| c.id.to_string()));
    Ok(Json(CorrectionPage { corrections: found.iter().map(CorrectionView::of).collect(), next_after }))
}

#[utoipa::path(
    post, path = "/api/v1/corrections/{id}/ack", tag = "checks",
    params(("id" = String, Path, description = "The correction's id")),
    responses(
        (status = 200, description = "Acknowledged (again: the first time is kept)", body = CorrectionView),
        (status = 401, description = "No valid relying party token", body = super::ErrorBody),
        (status = 404, description = "No such correction for your party", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn acknowledge(
    State(state): State<AppState>,
    caller: PartyCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<CorrectionView>> {
    let not_found =
        || ApiError::new(StatusCode::NOT_FOUND, "not_found", "there is no such correction for your party");
    let id = Uuid::parse_str(id.trim()).map_err(|_| not_found())?;
    let acknowledged = checks::acknowledge(&state.db, caller.party.id, id, Utc::now()).await?;
    acknowledged.map(|c| Json(CorrectionView::of(&c))).ok_or_else(not_found)
}
