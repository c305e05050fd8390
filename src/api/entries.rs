//! Recording blacklist entries through the API and reading back the caller's authority's
//! entries. The fields are those of the recorder's entry form (`/recording/subjects/{id}/entries`)
//! plus the subject's id; the entry is stored by [`blacklist::insert_entry`], exactly as the form
//! stores it, with its notice to the subject and its audit row in one transaction. It restricts
//! nothing until its notice is delivered. Sending the same entry again is idempotent by case
//! number, as events are by external reference: the same content answers 200 `duplicate`,
//! different content 409 `case_number_reused`.

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

use super::{bearer::ApiCaller, rows::parse_instant, ApiError, ApiJson, ApiResult, ProblemBody};
use crate::{
    domain::{
        Currency, DomainError, Entry, EntryDraft, EntryId, LegalBasis, ListId, RemovalCondition, Restriction,
        SubjectId,
    },
    http::AppState,
    store::{
        accounts, audit,
        blacklist::{self, EntryAction, StoredEntry},
        mandates, recording, StoreError,
    },
};

/// A blacklist entry to record for the token's authority.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct EntryInput {
    /// The listed subject's id.
    pub subject_id: String,
    /// The list's code, e.g. `spc-dishonest`.
    pub list: String,
    /// Your case number: unique for your authority, it makes sending the entry again harmless.
    pub case_number: String,
    /// The law, regulation or judgment that allows the listing.
    pub legal_basis: String,
    /// Why the subject is listed, in words the subject can understand.
    pub reason: String,
    /// What the listing restricts: one or more of `flights`, `high_speed_rail`, `luxury_hotels`,
    /// `luxury_travel`, `property_purchase`, `loans`, `civil_service_hiring`,
    /// `company_leadership`, `private_school_fees`.
    pub restrictions: Vec<String>,
    /// When the entry takes effect: RFC 3339, or a date taken as midnight UTC. Never before its
    /// notice is delivered.
    #[schema(example = "2026-03-01")]
    pub effective_from: String,
    /// When the notice was delivered to the subject, if it was; otherwise the entry stays
    /// `pending_notice` until it is marked delivered.
    pub notice_delivered_at: Option<String>,
    /// When the entry ends by itself, if it does.
    pub expires_at: Option<String>,
    /// How to get off the list: `pay_amount` (with `amount` and `currency`), `appeal`, or
    /// `other` (with `removal_text`).
    #[schema(example = "pay_amount")]
    pub removal: String,
    /// The amount to pay, in the currency's major unit: `"1234.50"` (a JSON number is read too).
    #[schema(value_type = Option<String>, example = "1234.50")]
    pub amount: Option<serde_json::Value>,
    /// Three capital letters, e.g. `CNY`.
    pub currency: Option<String>,
    /// The condition for removal, in your words (with `removal` `other`).
    pub removal_text: Option<String>,
}

/// How to get off the list.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RemovalView {
    /// `pay_amount`, `appeal` or `other`.
    pub kind: String,
    /// With `pay_amount`: in the currency's major unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// With `other`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A blacklist entry as the API shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EntryView {
    pub id: String,
    pub subject_id: String,
    /// The list's code.
    pub list: String,
    pub case_number: String,
    pub legal_basis: String,
    pub reason: String,
    pub restrictions: Vec<String>,
    /// Now: `pending_notice`, `scheduled`, `active`, `suspended`, `lifted` or `expired`.
    pub status: String,
    pub notice_delivered_at: Option<DateTime<Utc>>,
    pub effective_from: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub removal: RemovalView,
    pub recorded_at: DateTime<Utc>,
}

/// What recording one entry did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RecordedEntry {
    /// `recorded` (201), or `duplicate` (200): this case number was recorded before with the same
    /// content, nothing was written.
    pub outcome: String,
    pub entry: EntryView,
}

/// A page of entries.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EntryPage {
    pub entries: Vec<EntryView>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

fn amount_text(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// An amount as sent ("1234.5", "1,234.50") in the currency's minor unit.
fn cents(text: &str) -> Option<i64> {
    let text: String = text.trim().chars().filter(|c| *c != ',' && *c != ' ').collect();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || fraction.len() > 2 || !digits(fraction) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(fraction)
}

fn view(stored: &StoredEntry, lists: &HashMap<ListId, String>, now: DateTime<Utc>) -> EntryView {
    let e = &stored.entry;
    let removal = match e.removal() {
        RemovalCondition::PayAmount { cents, currency } => RemovalView {
            kind: "pay_amount".into(),
            amount: Some(amount_text(*cents)),
            currency: Some(currency.as_str().into()),
            text: None,
        },
        RemovalCondition::Appeal => {
            RemovalView { kind: "appeal".into(), amount: None, currency: None, text: None }
        }
        RemovalCondition::Other { text } => {
            RemovalView { kind: "other".into(), amount: None, currency: None, text: Some(text.clone()) }
        }
    };
    EntryView {
        id: e.id().to_string(),
        subject_id: e.subject().to_string(),
        list: lists.get(&e.list()).cloned().unwrap_or_default(),
        case_number: e.case_number().to_string(),
        legal_basis: e.legal_basis().as_str().to_string(),
        reason: e.reason().to_string(),
        restrictions: e.restrictions().iter().map(|r| r.code().to_string()).collect(),
        status: e.status_at(now).code().to_string(),
        notice_delivered_at: e.notice_delivered_at(),
        effective_from: e.effective_from(),
        expires_at: e.expires_at(),
        removal,
        recorded_at: stored.recorded_at,
    }
}

async fn list_codes(conn: &mut sqlx::AnyConnection) -> ApiResult<HashMap<ListId, String>> {
    Ok(recording::lists(conn).await?.into_iter().map(|l| (l.id, l.code)).collect())
}

fn problem(field: &str, code: &str, message: impl Into<String>) -> ProblemBody {
    ProblemBody { row: None, field: field.into(), code: code.into(), message: message.into() }
}

fn domain_problem(e: &DomainError) -> ProblemBody {
    problem(e.field().unwrap_or(""), e.code(), e.to_string())
}

/// Reads an optional instant; blank is absent.
fn instant(problems: &mut Vec<ProblemBody>, field: &str, text: Option<&str>) -> Option<DateTime<Utc>> {
    let text = text.map(str::trim).filter(|t| !t.is_empty())?;
    let at = parse_instant(text);
    if at.is_none() {
        problems.push(problem(
            field,
            "invalid_time",
            format!(
                "{:?} is not a time: use RFC 3339 such as 2026-03-01T09:30:00Z, or a date such as 2026-03-01",
                text.chars().take(64).collect::<String>()
            ),
        ));
    }
    at
}

impl EntryInput {
    /// Checks every field it can alone, naming each problem; the list, the subject and the domain
    /// ([`Entry::new`]) are checked after. The draft's id is fresh.
    fn check(
        &self,
        caller: &ApiCaller,
        lists: &[blacklist::BlacklistList],
    ) -> Result<(EntryDraft, String), Vec<ProblemBody>> {
        let mut problems = Vec::new();
        let subject = SubjectId::parse(&self.subject_id)
            .map_err(|e| problems.push(problem("subject_id", e.code(), e.to_string())))
            .ok();
        let list = lists.iter().find(|l| l.code == self.list.trim());
        if list.is_none() {
            let codes = lists.iter().map(|l| l.code.as_str()).collect::<Vec<_>>().join(", ");
            problems.push(problem(
                "list",
                if self.list.trim().is_empty() { "empty_field" } else { "unknown_list" },
                format!("list must be the code of a blacklist list: {codes}"),
            ));
        }
        let legal_basis =
            LegalBasis::parse(&self.legal_basis).map_err(|e| problems.push(domain_problem(&e))).ok();
        let mut restrictions = Vec::new();
        for code in &self.restrictions {
            match Restriction::parse(code) {
                Ok(r) => restrictions.push(r),
                Err(e) => problems.push(domain_problem(&e)),
            }
        }
        let notice_delivered_at =
            instant(&mut problems, "notice_delivered_at", self.notice_delivered_at.as_deref());
        let effective_from = if self.effective_from.trim().is_empty() {
            problems.push(domain_problem(&DomainError::EmptyField { field: "effective_from" }));
            None
        } else {
            instant(&mut problems, "effective_from", Some(&self.effective_from))
        };
        let expires_at = instant(&mut problems, "expires_at", self.expires_at.as_deref());
        let removal = match self.removal.trim() {
            "pay_amount" => {
                let amount = match &self.amount {
                    Some(serde_json::Value::String(text)) => cents(text),
                    Some(serde_json::Value::Number(n)) => cents(&n.to_string()),
                    _ => None,
                };
                if amount.is_none() {
                    problems.push(problem(
                        "amount",
                        "invalid_amount",
                        "amount must be a sum of money such as \"1234.50\" (at most two decimals)",
                    ));
                }
                let currency = Currency::parse(self.currency.as_deref().unwrap_or(""))
                    .map_err(|e| problems.push(domain_problem(&e)))
                    .ok();
                amount.zip(currency).map(|(cents, currency)| RemovalCondition::PayAmount { cents, currency })
            }
            "appeal" => Some(RemovalCondition::Appeal),
            "other" => Some(RemovalCondition::Other { text: self.removal_text.clone().unwrap_or_default() }),
            _ => {
                problems.push(problem(
                    "removal",
                    "invalid_removal",
                    "removal must be pay_amount, appeal or other",
                ));
                None
            }
        };
        match (subject, list, legal_basis, effective_from, removal) {
            (Some(subject), Some(list), Some(legal_basis), Some(effective_from), Some(removal))
                if problems.is_empty() =>
            {
                let draft = EntryDraft {
                    id: EntryId::new(),
                    subject,
                    list: list.id,
                    authority: caller.authority(),
                    case_number: self.case_number.clone(),
                    legal_basis,
                    reason: self.reason.clone(),
                    restrictions,
                    notice_delivered_at,
                    effective_from,
                    expires_at,
                    removal,
                };
                Ok((draft, list.code.clone()))
            }
            _ => Err(problems),
        }
    }
}

/// Whether a stored entry is what `wanted` asks for, as first recorded: a notice delivered later
/// (an appended action) does not make a re-send different.
fn same_content(stored: &StoredEntry, wanted: &Entry) -> bool {
    let e = &stored.entry;
    let delivered_later = stored.actions.iter().any(|a| a.action == EntryAction::NoticeDelivered);
    let first_notice = if delivered_later { None } else { e.notice_delivered_at() };
    let micros = |t: Option<DateTime<Utc>>| t.map(|t| t.timestamp_micros());
    e.subject() == wanted.subject()
        && e.list() == wanted.list()
        && e.legal_basis() == wanted.legal_basis()
        && e.reason() == wanted.reason()
        && e.restrictions() == wanted.restrictions()
        && micros(first_notice) == micros(wanted.notice_delivered_at())
        && micros(Some(e.effective_from())) == micros(Some(wanted.effective_from()))
        && micros(e.expires_at()) == micros(wanted.expires_at())
        && e.removal() == wanted.removal()
}

/// Records one blacklist entry for the token's authority, with its notice to the subject.
#[utoipa::path(
    post, path = "/api/v1/entries", tag = "entries",
    request_body = EntryInput,
    responses(
        (status = 201, description = "Recorded; pending notice unless notice_delivered_at was given", body = RecordedEntry),
        (status = 200, description = "Sent before with the same case number and content: nothing written", body = RecordedEntry),
        (status = 400, description = "The body is not JSON", body = super::ErrorBody),
        (status = 401, description = "No valid token", body = super::ErrorBody),
        (status = 409, description = "The case number was used for a different entry (code case_number_reused)", body = super::ErrorBody),
        (status = 413, description = "The body is too large", body = super::ErrorBody),
        (status = 415, description = "Not sent as JSON", body = super::ErrorBody),
        (status = 422, description = "Refused, with the problems field by field; nothing written", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn record(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<EntryInput>,
) -> ApiResult<Response> {
    let mut conn = state.db.pool.acquire().await?;
    let lists = recording::lists(&mut conn).await?;
    let mut checked = input.check(&caller, &lists);
    if let Ok((draft, _)) = &checked {
        if !accounts::subject_exists(&mut conn, draft.subject).await? {
            checked = Err(vec![problem("subject_id", "unknown_subject", "no subject has this id")]);
        }
    }
    drop(conn);
    let (draft, list_code) = checked.map_err(ApiError::invalid)?;
    let now = Utc::now();
    // The domain's checks, before any write; the store makes them again as it inserts.
    let mut tx = state.db.begin_write().await?;
    let mandates = mandates::of(&mut tx, caller.authority()).await?;
    let wanted = match Entry::new(draft.clone(), &mandates, now) {
        Ok(wanted) => wanted,
        Err(e) => return Err(ApiError::invalid(vec![domain_problem(&e)])),
    };
    let entry = match blacklist::insert_entry(&mut tx, draft, now).await {
        Ok(entry) => entry,
        Err(StoreError::Domain(e)) => return Err(ApiError::invalid(vec![domain_problem(&e)])),
        Err(StoreError::Conflict(_)) => {
            // The failed insert ends the transaction on PostgreSQL: read the other entry afresh.
            drop(tx);
            return resend(&state, &caller, &wanted).await;
        }
        Err(e) => return Err(e.into()),
    };
    let detail = serde_json::json!({
        "authority": caller.authority().to_string(),
        "subject": entry.subject().to_string(),
        "list": list_code,
        "case_number": entry.case_number(),
    });
    audit::write(
        &mut tx,
        &caller.actor,
        "entry.record",
        "blacklist_entry",
        &entry.id().to_string(),
        detail,
        now,
    )
    .await?;
    let stored = blacklist::entry(&mut tx, entry.id())
        .await?
        .ok_or_else(|| ApiError::internal("a recorded entry vanished"))?;
    let codes = list_codes(&mut tx).await?;
    tx.commit().await?;
    let body = RecordedEntry { outcome: "recorded".into(), entry: view(&stored, &codes, now) };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// The answer when the case number is taken: 200 for the same entry sent again, else 409.
async fn resend(state: &AppState, caller: &ApiCaller, wanted: &Entry) -> ApiResult<Response> {
    let mut conn = state.db.pool.acquire().await?;
    let existing = blacklist::by_case_number(&mut conn, caller.authority(), wanted.case_number())
        .await?
        .ok_or_else(|| ApiError::internal("a case number conflicted with no entry"))?;
    if !same_content(&existing, wanted) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "case_number_reused",
            format!(
                "the case number {:?} was already used by your authority for a different entry ({})",
                wanted.case_number(),
                existing.entry.id()
            ),
        ));
    }
    let codes = list_codes(&mut conn).await?;
    let body = RecordedEntry { outcome: "duplicate".into(), entry: view(&existing, &codes, Utc::now()) };
    Ok((StatusCode::OK, Json(body)).into_response())
}

/// Paging through the authority's entries.
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntryListQuery {
    /// Only entries after this entry id (the last id of the previous page).
    pub after: Option<String>,
    /// At most this many (1 to 1,000; default 100).
    pub limit: Option<i64>,
}

/// Lists the blacklist entries the token's authority recorded, oldest first.
#[utoipa::path(
    get, path = "/api/v1/entries", tag = "entries",
    params(EntryListQuery),
    responses(
        (status = 200, description = "A page of entries", body = EntryPage),
        (status = 400, description = "A bad query parameter", body = super::ErrorBody),
        (status = 401, description = "No valid token", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: Result<Query<EntryListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<EntryPage>> {
    let Query(query) = query.map_err(super::invalid_query)?;
    let (after, limit) =
        super::keyset_page(query.after.as_deref(), query.limit, "an entry id", EntryId::parse)?;
    let mut conn = state.db.pool.acquire().await?;
    let found = blacklist::recorded_by(&mut conn, caller.authority(), after, limit).await?;
    let codes = list_codes(&mut conn).await?;
    let now = Utc::now();
    let next_after = super::next_after(found.len(), limit, found.last().map(|e| e.entry.id().to_string()));
    Ok(Json(EntryPage { entries: found.iter().map(|e| view(e, &codes, now)).collect(), next_after }))
}

/// One blacklist entry of the token's authority.
#[utoipa::path(
    get, path = "/api/v1/entries/{id}", tag = "entries",
    params(("id" = String, Path, description = "The entry's id")),
    responses(
        (status = 200, description = "The entry, with its status now", body = EntryView),
        (status = 401, description = "No valid token", body = super::ErrorBody),
        (status = 404, description = "No such entry of your authority", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn one(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<EntryView>> {
    let id = EntryId::parse(&id).map_err(|_| ApiError::not_found())?;
    let mut conn = state.db.pool.acquire().await?;
    let stored = blacklist::entry(&mut conn, id)
        .await?
        .filter(|e| e.entry.authority() == caller.authority())
        .ok_or_else(ApiError::not_found)?;
    let codes = list_codes(&mut conn).await?;
    Ok(Json(view(&stored, &codes, Utc::now())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_in_minor_units_and_shown_back_the_same() {
        assert_eq!(cents("1234.5"), Some(123_450));
        assert_eq!(cents("1,234.50"), Some(123_450));
        assert_eq!(cents("7"), Some(700));
        for bad in ["", "-5", "1.234", "12a", ".5", "1e3"] {
            assert_eq!(cents(bad), None, "{bad}");
        }
        assert_eq!(amount_text(123_450), "1234.50");
        assert_eq!(amount_text(5), "0.05");
    }
}
