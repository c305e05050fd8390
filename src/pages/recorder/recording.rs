//! The recorder's pages (`/recording`): find a subject, read their record (each read is written
//! down where the subject sees it), record an event or a blacklist entry, and mark an entry's
//! notice delivered. The recorder always acts for the authority of their account, never one
//! chosen on a form. Every write runs in one transaction with its notice and its audit row.

use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::Deserialize;

use crate::pages::kit::{
    data_table, document, format,
    forms::{error_for, error_summary, notice, titled, Field, Problems, Select},
    problems::{self, describe, unreadable_date},
    PageContext,
};
use crate::{
    auth::{
        access::{Recorders, RequireRole, Viewer},
        throttle::ClientAddress,
    },
    domain::{
        AuthorityId, Currency, DomainError, EntryDraft, EntryId, EventKind, Fact, LegalBasis,
        RemovalCondition, Restriction, RuleCode, Source, SubjectId,
    },
    error::{AppError, AppResult},
    http::{form::Form, AppState},
    i18n::Locale,
    store::{
        audit::{self, Actor},
        blacklist::{self, EntryAction},
        catalogue::{self, SchemeContext},
        notices, recording,
        records::{self, Provenance, RecordError, Recorded},
        register::{self, Subject},
        standing::{self, Reads, RecordStatus, SchemeStanding, Standing},
    },
};

type Recorder = RequireRole<Recorders>;

/// Longest source or evidence reference accepted, in characters.
const MAX_REFERENCE: usize = 200;

/// The authority a recorder records for; an account without one records nothing.
fn authority_of(viewer: &Viewer) -> AppResult<AuthorityId> {
    viewer.authority_id.ok_or(AppError::NotFound)
}

async fn load_subject(state: &AppState, id: &str) -> AppResult<Subject> {
    let id = SubjectId::parse(id).map_err(|_| AppError::NotFound)?;
    let mut conn = state.db.pool.acquire().await?;
    register::subject(&mut conn, id).await?.ok_or(AppError::NotFound)
}

async fn schemes_of(state: &AppState, subject: SubjectId) -> AppResult<Vec<SchemeContext>> {
    let mut conn = state.db.pool.acquire().await?;
    let mut out = Vec::new();
    for scheme in register::memberships(&mut conn, subject).await? {
        out.push(catalogue::context(&mut conn, scheme).await?.ok_or(AppError::NotFound)?);
    }
    Ok(out)
}

async fn authority_name(state: &AppState, locale: Locale, id: AuthorityId) -> AppResult<String> {
    let mut conn = state.db.pool.acquire().await?;
    let all = register::authorities(&mut conn).await?;
    Ok(all
        .iter()
        .find(|a| a.id == id)
        .map(|a| format::pick(locale, &a.name_en, &a.name_zh).to_string())
        .unwrap_or_default())
}

#[derive(Debug, Default, Deserialize)]
pub struct HubQuery {
    #[serde(default)]
    q: String,
}

/// `GET /recording`: find a subject; the entries of this authority waiting for their notice.
pub async fn hub(
    State(state): State<AppState>,
    RequireRole(viewer, _): Recorder,
    shell: PageContext,
    query: Result<Query<HubQuery>, QueryRejection>,
) -> AppResult<Html<String>> {
    let locale = shell.locale;
    let authority = authority_of(&viewer)?;
    let q = query.map(|Query(q)| q.q).unwrap_or_default();
    let mut conn = state.db.pool.acquire().await?;
    let found = recording::find_subjects(&mut conn, &q).await?;
    let pending = recording::pending_notice(&mut conn, authority).await?;
    drop(conn);
    let body = authority_name(&state, locale, authority).await?;
    let results = (!q.trim().is_empty()).then(|| {
        if found.is_empty() {
            view! { <p>{locale.t_with("recording.no_match", &[("q", q.trim())])}</p> }.into_any()
        } else {
            let rows = found
                .iter()
                .map(|s| {
                    view! {
                        <tr>
                            <td><a href=format!("/recording/subjects/{}", s.id)>{s.display_name.clone()}</a></td>
                            <td>{locale.t(&format!("recording.kind_{}", s.kind))}</td>
                            <td class="wrap"><code>{s.uscc.clone().unwrap_or_else(|| s.id.to_string())}</code></td>
                        </tr>
                    }
                })
                .collect_view();
            data_table(
                None,
                locale.t_with("recording.results_caption", &[("q", q.trim())]),
                vec![
                    (locale.t("recording.col_name"), false),
                    (locale.t("recording.col_kind"), false),
                    (locale.t("recording.col_id"), false),
                ],
                rows,
            )
        }
    });
    let pending_view = if pending.is_empty() {
        view! { <p>{locale.t("recording.pending_none")}</p> }.into_any()
    } else {
        let rows = pending
            .iter()
            .map(|p| {
                view! {
                    <tr>
                        <td>{p.subject_name.clone()}</td>
                        <td><a href=format!("/recording/entries/{}", p.entry)>{p.case_number.clone()}</a></td>
                        <td>{format::date(locale, p.recorded_at)}</td>
                    </tr>
                }
            })
            .collect_view();
        data_table(
            None,
            locale.t("recording.pending_caption"),
            vec![
                (locale.t("recording.col_name"), false),
                (locale.t("recording.col_case"), false),
                (locale.t("recording.col_recorded"), false),
            ],
            rows,
        )
    };
    let title = locale.t("recording.title");
    let main = view! {
        <h1>{title.clone()}</h1>
        <p>{locale.t_with("recording.intro", &[("body", &body)])}</p>
        <form method="get" action="/recording" class="stack" role="search">
            {Field::new("q", locale.t("recording.search_label"), "search", "off")
                .value(q.clone()).hint(locale.t("recording.search_hint")).view()}
            <button type="submit">{locale.t("recording.search_submit")}</button>
        </form>
        {results}
        <h2>{locale.t("recording.pending_title")}</h2>
        <p>{locale.t("recording.pending_intro")}</p>
        {pending_view}
    };
    let ctx = shell.clone();
    Ok(document(&ctx, &title, main.into_any()))
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// What the recorder's page of a subject shows: the subject's standing now in every scheme, and
/// their blacklist entries.
pub struct SubjectPage {
    pub subject: Subject,
    pub standing: Standing,
    pub entries: Vec<blacklist::StoredEntry>,
    /// The recorder's own authority, whose entries they may open.
    authority: AuthorityId,
}

impl SubjectPage {
    /// Every query of the page; the read is written down where the subject sees it (purpose
    /// "recording") before anything is read.
    pub async fn load(state: &AppState, viewer: &Viewer, id: &str, now: DateTime<Utc>) -> AppResult<Self> {
        let authority = authority_of(viewer)?;
        let subject = load_subject(state, id).await?;
        let body_en = authority_name(state, Locale::En, authority).await?;
        let mut tx = state.db.begin_write().await?;
        notices::record_access(
            &mut tx,
            subject.id,
            viewer.account_id.0,
            &body_en,
            "recorder",
            "recording",
            now,
        )
        .await?;
        tx.commit().await?;
        let mut conn = state.db.pool.acquire().await?;
        let standing = standing::load(&mut conn, Reads::Cached(&state.cache), subject.id, now).await?;
        let entries = blacklist::entries_of(&mut conn, subject.id, None).await?;
        Ok(Self { subject, standing, entries, authority })
    }
}

/// `GET /recording/subjects/{subject}`: the subject's record as the recorder needs it.
pub async fn subject_page(
    State(state): State<AppState>,
    RequireRole(viewer, _): Recorder,
    shell: PageContext,
    Path(id): Path<String>,
    query: Result<Query<DoneQuery>, QueryRejection>,
) -> AppResult<Html<String>> {
    let now = Utc::now();
    let page = SubjectPage::load(&state, &viewer, &id, now).await?;
    let done = query.ok().and_then(|Query(q)| q.done);
    let ctx = shell.clone();
    Ok(subject_view(&page, &ctx, done.as_deref(), now))
}

/// Every record of one scheme, newest first, corrections and voids included, each with what it
/// is in the derivation; for a points scheme the base and the total close the table, so the
/// points that count add up to the score shown.
fn scheme_records(locale: Locale, s: &SchemeStanding) -> AnyView {
    let d = &s.derivation;
    let weighted = !d.components.is_empty();
    let rows = s
        .stored()
        .iter()
        .rev()
        .map(|e| {
            let status = s.status_of(e.event.id);
            let counted = match status {
                RecordStatus::Counts { points } => Some(format::points(points)),
                _ => None,
            };
            let kind = match &e.event.kind {
                EventKind::Fact => locale.t("record.kind_fact"),
                EventKind::Void { .. } => locale.t("record.kind_void"),
                EventKind::Supersede { .. } => locale.t("record.kind_supersede"),
            };
            let component = e.event.kind.target().is_none().then(|| {
                s.ctx.catalogue.get(e.event.rule_version).and_then(|v| match v.effect() {
                    crate::domain::Effect::Component { component, .. } => Some(component.to_string()),
                    crate::domain::Effect::Points { .. } => None,
                })
            });
            view! {
                <tr>
                    <td>{format::date(locale, e.event.occurred_at)}</td>
                    <td><code>{e.event.rule_code.to_string()}</code></td>
                    <td>{kind}</td>
                    {weighted.then(|| view! { <td>{component.flatten()}</td> })}
                    <td class="num">{format::points(e.event.points)}</td>
                    <td>{format::record_status(locale, status)}</td>
                    <td class="num">{counted}</td>
                    <td class="wrap">{e.event.external_ref.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let mut columns = vec![
        (locale.t("recording.col_occurred"), false),
        (locale.t("recording.col_rule"), false),
        (locale.t("record.kind"), false),
    ];
    if weighted {
        columns.push((locale.t("catalogue.col_component"), false));
    }
    columns.extend([
        (locale.t("recording.col_points"), true),
        (locale.t("recording.col_status"), false),
        (locale.t("recording.col_counted"), true),
        (locale.t("recording.col_reference"), false),
    ]);
    let span = columns.len() - 2;
    let name = format::pick(locale, &s.ctx.record.name_en, &s.ctx.record.name_zh).to_string();
    let sums = (!weighted).then(|| {
        view! {
            <tfoot>
                <tr><th scope="row" colspan=span.to_string()>{locale.t("record.base")}</th><td class="num">{d.base}</td><td></td></tr>
                <tr><th scope="row" colspan=span.to_string()>{locale.t("recording.total")}</th><td class="num"><strong>{d.shown_total()}</strong></td><td></td></tr>
            </tfoot>
        }
    });
    let components = weighted.then(|| {
        let rows = d
            .components
            .iter()
            .map(|c| view! { <tr><th scope="row">{c.code.to_string()}</th><td class="num">{c.raw}</td><td class="num">{c.contribution}</td></tr> })
            .collect_view();
        data_table(
            None,
            locale.t_with("recording.components_caption", &[("base", &d.base.to_string()), ("score", &d.score.to_string())]),
            vec![
                (locale.t("catalogue.col_component"), false),
                (locale.t("recording.col_raw"), true),
                (locale.t("record.col_contribution"), true),
            ],
            rows,
        )
    });
    view! {
        <h2>{name.clone()}</h2>
        <p>{locale.t_with("recording.score", &[("score", &d.score.to_string()), ("grade", d.grade.as_str())])}</p>
        <div class="table-scroll">
            <table>
                <caption>{locale.t_with("recording.events_caption", &[("scheme", &name)])}</caption>
                <thead><tr>{columns.into_iter().map(|(label, numeric)| view! { <th scope="col" class=numeric.then_some("num")>{label}</th> }).collect_view()}</tr></thead>
                <tbody>{rows}</tbody>
                {sums}
            </table>
        </div>
        {components}
    }
    .into_any()
}

/// The recorder's page of a subject, drawn from what [`SubjectPage::load`] read.
fn subject_view(
    page: &SubjectPage,
    ctx: &PageContext,
    done: Option<&str>,
    now: DateTime<Utc>,
) -> Html<String> {
    let locale = ctx.locale;
    let SubjectPage { subject, standing, entries, authority } = page;
    let authority = *authority;
    let sections = standing.schemes.iter().map(|s| scheme_records(locale, s)).collect_view();

    let entry_rows = entries
        .iter()
        .map(|s| {
            let status = s.entry.status_at(now);
            let case = s.entry.case_number().to_string();
            let case_view = if s.entry.authority() == authority {
                view! { <a href=format!("/recording/entries/{}", s.entry.id())>{case}</a> }.into_any()
            } else {
                view! { <span>{case}</span> }.into_any()
            };
            view! {
                <tr>
                    <td>{case_view}</td>
                    <td>{locale.t(&format!("entry.status_{}", status.code()))}</td>
                    <td>{format::date(locale, s.recorded_at)}</td>
                </tr>
            }
        })
        .collect_view();
    let message = done.and_then(|d| match d {
        "event" => Some(locale.t("recording.done_event")),
        "duplicate" => Some(locale.t("recording.done_duplicate")),
        "entry" => Some(locale.t("recording.done_entry")),
        _ => None,
    });
    let sid = subject.id;
    let main = view! {
        <p><a href="/recording">{locale.t("recording.back")}</a></p>
        <h1>{subject.display_name.clone()}</h1>
        {notice(message)}
        <p class="muted">{locale.t("recording.access_noted")}</p>
        <ul class="actions">
            <li><a href=format!("/recording/subjects/{sid}/events")>{locale.t("recording.event_title")}</a></li>
            <li><a href=format!("/recording/subjects/{sid}/entries")>{locale.t("recording.entry_title")}</a></li>
        </ul>
        {sections}
        <h2>{locale.t("recording.entries_title")}</h2>
        {if entries.is_empty() {
            view! { <p>{locale.t("recording.entries_none")}</p> }.into_any()
        } else {
            data_table(
                None,
                locale.t("recording.entries_caption"),
                vec![
                    (locale.t("recording.col_case"), false),
                    (locale.t("recording.col_status"), false),
                    (locale.t("recording.col_recorded"), false),
                ],
                entry_rows,
            )
        }}
    };
    document(ctx, &subject.display_name, main.into_any())
}

/// The form recording an event.
#[derive(Debug, Default, Deserialize)]
pub struct EventForm {
    #[serde(default)]
    scheme: String,
    #[serde(default)]
    rule_code: String,
    #[serde(default)]
    occurred_at: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    evidence_ref: String,
    #[serde(default)]
    external_ref: String,
}

/// `GET /recording/subjects/{subject}/events`.
pub async fn event_form(
    State(state): State<AppState>,
    RequireRole(viewer, _): Recorder,
    shell: PageContext,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    authority_of(&viewer)?;
    let subject = load_subject(&state, &id).await?;
    let schemes = schemes_of(&state, subject.id).await?;
    let ctx = shell.clone();
    Ok(render_event_form(&ctx, &subject, &schemes, &EventForm::default(), &Vec::new()))
}

/// `POST /recording/subjects/{subject}/events`: records the event (idempotent by external
/// reference), its notice and its audit row in one transaction.
pub async fn record_event(
    State(state): State<AppState>,
    RequireRole(viewer, _): Recorder,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
    Form(form): Form<EventForm>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let authority = authority_of(&viewer)?;
    let subject = load_subject(&state, &id).await?;
    let schemes = schemes_of(&state, subject.id).await?;
    let page = shell.clone();
    let refuse = |problems: Problems| {
        (StatusCode::UNPROCESSABLE_ENTITY, render_event_form(&page, &subject, &schemes, &form, &problems))
            .into_response()
    };
    let mut problems = Problems::new();
    let ctx = schemes.iter().find(|c| c.scheme().code() == form.scheme.trim());
    if ctx.is_none() {
        problems.push(("scheme", locale.t("recording.scheme_unknown")));
    }
    let rule_code = RuleCode::parse(&form.rule_code).map_err(|e| problems.push(describe(locale, &e))).ok();
    let occurred_at = match form.occurred_at.trim() {
        "" => {
            problems.push(describe(locale, &DomainError::EmptyField { field: "occurred_at" }));
            None
        }
        text => problems::instant(text).or_else(|| {
            problems.push(("occurred_at", unreadable_date(locale, "occurred_at")));
            None
        }),
    };
    let points = match form.points.trim() {
        "" => None,
        text => text
            .replace('\u{2212}', "-")
            .parse::<i64>()
            .map_err(|_| problems.push(("points", locale.t("recording.points_invalid"))))
            .ok(),
    };
    for (field, value, required) in
        [("source", &form.source, true), ("evidence_ref", &form.evidence_ref, false)]
    {
        if let Some(problem) = text_problem(field, value, required, MAX_REFERENCE) {
            problems.push(describe(locale, &problem));
        }
    }
    let (Some(ctx), Some(rule_code), Some(occurred_at), true) =
        (ctx, rule_code, occurred_at, problems.is_empty())
    else {
        return Ok(refuse(problems));
    };
    let now = Utc::now();
    let source = Source {
        subject: subject.id,
        scheme: ctx.scheme().id(),
        authority,
        external_ref: form.external_ref.trim().to_string(),
    };
    let fact = Fact { rule_code, points, occurred_at };
    let provenance = Provenance {
        recorded_by: viewer.username.clone(),
        source: form.source.trim().to_string(),
        evidence_ref: form.evidence_ref.trim().to_string(),
    };
    let mut tx = state.db.begin_write().await?;
    let recorded = match records::record_fact_in(&mut tx, ctx, source, fact, provenance, now).await {
        Ok(recorded) => recorded,
        Err(RecordError::Domain(e)) => return Ok(refuse(vec![describe(locale, &e)])),
        Err(RecordError::NotAMember) => {
            return Ok(refuse(vec![("scheme", locale.t("recording.scheme_unknown"))]))
        }
        Err(RecordError::ReferenceReused { external_ref }) => {
            return Ok(refuse(vec![(
                "external_ref",
                locale.t_with("recording.reference_reused", &[("reference", &external_ref)]),
            )]))
        }
        Err(RecordError::Store(e)) => return Err(e.into()),
    };
    let done = match recorded {
        Recorded::New(event) => {
            let actor = Actor::person(viewer.account_id, &viewer.username, address);
            let detail = serde_json::json!({
                "subject": subject.id.to_string(),
                "scheme": ctx.scheme().code(),
                "rule_code": event.rule_code.as_str(),
                "points": event.points,
                "external_ref": event.external_ref,
            });
            audit::write(&mut tx, &actor, "event.record", "event", &event.id.to_string(), detail, now)
                .await?;
            "event"
        }
        Recorded::Duplicate(_) => "duplicate",
    };
    tx.commit().await?;
    Ok(Redirect::to(&format!("/recording/subjects/{}?done={done}", subject.id)).into_response())
}

/// Checks a free-text field the domain does not: required or not, and its length.
pub(super) fn text_problem(
    field: &'static str,
    value: &str,
    required: bool,
    max: usize,
) -> Option<DomainError> {
    let len = value.trim().chars().count();
    if required && len == 0 {
        Some(DomainError::EmptyField { field })
    } else if len > max {
        Some(DomainError::TooLong { field, len, max })
    } else {
        None
    }
}

fn scheme_select(
    locale: Locale,
    schemes: &[SchemeContext],
    chosen: &str,
    error: Option<String>,
) -> impl IntoView {
    let options = schemes
        .iter()
        .map(|c| {
            let code = c.scheme().code().to_string();
            let selected = chosen == code || schemes.len() == 1;
            view! { <option value=code selected=selected>{format::pick(locale, &c.record.name_en, &c.record.name_zh).to_string()}</option> }
        })
        .collect_view();
    Select::new("scheme", locale.t("problems.field_scheme"), options.into_any()).error(error).view()
}

fn render_event_form(
    page: &PageContext,
    subject: &Subject,
    schemes: &[SchemeContext],
    form: &EventForm,
    problems: &Problems,
) -> Html<String> {
    let locale = page.locale;
    let now = Utc::now();
    let codes: Vec<String> = schemes
        .iter()
        .flat_map(|c| c.catalogue.in_force_at(now).into_iter().map(|v| v.rule_code().to_string()))
        .collect();
    let title = locale.t("recording.event_title");
    let main = view! {
        <p><a href=format!("/recording/subjects/{}", subject.id)>{locale.t_with("recording.back_to", &[("name", &subject.display_name)])}</a></p>
        <h1>{title.clone()}</h1>
        <p>{locale.t_with("recording.event_intro", &[("name", &subject.display_name)])}</p>
        {error_summary(locale.t("forms.error_summary"), problems.clone())}
        <form class="stack" method="post" action=format!("/recording/subjects/{}/events", subject.id)>
            {scheme_select(locale, schemes, form.scheme.trim(), error_for(problems, "scheme"))}
            {Field::new("rule_code", locale.t("problems.field_rule_code"), "text", "off")
                .value(form.rule_code.clone())
                .hint(locale.t_with("recording.rule_code_hint", &[("codes", &codes.join(", "))]))
                .error(error_for(problems, "rule_code")).view()}
            {Field::new("occurred_at", locale.t("problems.field_occurred_at"), "datetime-local", "off")
                .value(form.occurred_at.clone()).hint(locale.t("recording.utc_hint"))
                .error(error_for(problems, "occurred_at")).view()}
            {Field::new("points", locale.t("problems.field_points"), "text", "off")
                .value(form.points.clone()).hint(locale.t("recording.points_hint"))
                .error(error_for(problems, "points")).view()}
            {Field::new("source", locale.t("problems.field_source"), "text", "off")
                .value(form.source.clone()).hint(locale.t("recording.source_hint"))
                .error(error_for(problems, "source")).view()}
            {Field::new("evidence_ref", locale.t("problems.field_evidence_ref"), "text", "off")
                .value(form.evidence_ref.clone()).hint(locale.t("recording.optional"))
                .error(error_for(problems, "evidence_ref")).view()}
            {Field::new("external_ref", locale.t("problems.field_external_ref"), "text", "off")
                .value(form.external_ref.clone()).hint(locale.t("recording.external_ref_hint"))
                .error(error_for(problems, "external_ref")).view()}
            <button type="submit">{locale.t("recording.event_submit")}</button>
        </form>
    };
    document(page, &titled(locale, title, problems), main.into_any())
}

/// The fields of the entry form, read from pairs so the restriction boxes can repeat.
#[derive(Debug, Default)]
struct EntryForm {
    list: String,
    case_number: String,
    legal_basis: String,
    reason: String,
    restrictions: Vec<String>,
    notice_delivered_at: String,
    effective_from: String,
    expires_at: String,
    removal: String,
    amount: String,
    currency: String,
    removal_text: String,
}

impl EntryForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = EntryForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "list" => form.list = value,
                "case_number" => form.case_number = value,
                "legal_basis" => form.legal_basis = value,
                "reason" => form.reason = value,
                "restrictions" => form.restrictions.push(value),
                "notice_delivered_at" => form.notice_delivered_at = value,
                "effective_from" => form.effective_from = value,
                "expires_at" => form.expires_at = value,
                "removal" => form.removal = value,
                "amount" => form.amount = value,
                "currency" => form.currency = value,
                "removal_text" => form.removal_text = value,
                _ => {}
            }
        }
        form
    }
}

/// `GET /recording/subjects/{subject}/entries`.
pub async fn entry_form(
    State(state): State<AppState>,
    RequireRole(viewer, _): Recorder,
    shell: PageContext,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    authority_of(&viewer)?;
    let subject = load_subject(&state, &id).await?;
    let lists = lists(&state).await?;
    let ctx = shell.clone();
    let form = EntryForm { currency: "CNY".into(), removal: "pay_amount".into(), ..EntryForm::default() };
    Ok(render_entry_form(&ctx, &subject, &lists, &form, &Vec::new()))
}

async fn lists(state: &AppState) -> AppResult<Vec<blacklist::BlacklistList>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(recording::lists(&mut conn).await?)
}

/// Reads an optional date field: `Ok(None)` when blank.
fn optional_date(
    locale: Locale,
    problems: &mut Problems,
    field: &'static str,
    text: &str,
) -> Option<DateTime<Utc>> {
    match text.trim() {
        "" => None,
        t => problems::instant(t).or_else(|| {
            problems.push((field, unreadable_date(locale, field)));
            None
        }),
    }
}

/// An amount of money as typed ("1234.5", "1,234.50") in the currency's minor unit.
fn cents(text: &str) -> Option<i64> {
    let text: String = text.trim().chars().filter(|c| *c != ',' && *c != ' ').collect();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty() || !whole.chars().all(|c| c.is_ascii_digit()) || fraction.len() > 2 {
        return None;
    }
    if !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(fraction)
}

/// `POST /recording/subjects/{subject}/entries`: lists the subject, with the notice to them and
/// the audit row, in one transaction. The entry restricts nothing until its notice is delivered.
pub async fn record_entry(
    State(state): State<AppState>,
    RequireRole(viewer, _): Recorder,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let authority = authority_of(&viewer)?;
    let subject = load_subject(&state, &id).await?;
    let lists = lists(&state).await?;
    let form = EntryForm::from_pairs(pairs);
    let page = shell.clone();
    let refuse = |problems: Problems| {
        (StatusCode::UNPROCESSABLE_ENTITY, render_entry_form(&page, &subject, &lists, &form, &problems))
            .into_response()
    };
    let mut problems = Problems::new();
    let list = lists.iter().find(|l| l.code == form.list.trim());
    if list.is_none() {
        problems.push(("list", locale.t("recording.list_unknown")));
    }
    let legal_basis =
        LegalBasis::parse(&form.legal_basis).map_err(|e| problems.push(describe(locale, &e))).ok();
    let mut restrictions = Vec::new();
    for code in &form.restrictions {
        match Restriction::parse(code) {
            Ok(r) => restrictions.push(r),
            Err(e) => problems.push(describe(locale, &e)),
        }
    }
    let notice_delivered_at =
        optional_date(locale, &mut problems, "notice_delivered_at", &form.notice_delivered_at);
    let effective_from = match form.effective_from.trim() {
        "" => {
            problems.push(describe(locale, &DomainError::EmptyField { field: "effective_from" }));
            None
        }
        _ => optional_date(locale, &mut problems, "effective_from", &form.effective_from),
    };
    let expires_at = optional_date(locale, &mut problems, "expires_at", &form.expires_at);
    let removal = match form.removal.trim() {
        "pay_amount" => {
            let amount = cents(&form.amount);
            if amount.is_none() {
                problems.push(("amount", locale.t("recording.amount_invalid")));
            }
            let currency =
                Currency::parse(&form.currency).map_err(|e| problems.push(describe(locale, &e))).ok();
            amount.zip(currency).map(|(cents, currency)| RemovalCondition::PayAmount { cents, currency })
        }
        "appeal" => Some(RemovalCondition::Appeal),
        "other" => Some(RemovalCondition::Other { text: form.removal_text.clone() }),
        _ => {
            problems.push(("removal", locale.t("recording.removal_missing")));
            None
        }
    };
    let (Some(list), Some(legal_basis), Some(effective_from), Some(removal), true) =
        (list, legal_basis, effective_from, removal, problems.is_empty())
    else {
        return Ok(refuse(problems));
    };
    let draft = EntryDraft {
        id: EntryId::new(),
        subject: subject.id,
        list: list.id,
        authority,
        case_number: form.case_number.clone(),
        legal_basis,
        reason: form.reason.clone(),
        restrictions,
        notice_delivered_at,
        effective_from,
        expires_at,
        removal,
    };
    let now = Utc::now();
    let mut tx = state.db.begin_write().await?;
    let entry = match blacklist::insert_entry(&mut tx, draft, now).await {
        Ok(entry) => entry,
        Err(crate::store::StoreError::Domain(e)) => return Ok(refuse(vec![describe(locale, &e)])),
        Err(crate::store::StoreError::Conflict(_)) => {
            return Ok(refuse(vec![("case_number", locale.t("recording.case_taken"))]))
        }
        Err(e) => return Err(e.into()),
    };
    let actor = Actor::person(viewer.account_id, &viewer.username, address);
    let detail = serde_json::json!({
        "subject": subject.id.to_string(),
        "list": list.code,
        "case_number": entry.case_number(),
    });
    audit::write(&mut tx, &actor, "entry.record", "blacklist_entry", &entry.id().to_string(), detail, now)
        .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/recording/subjects/{}?done=entry", subject.id)).into_response())
}

fn render_entry_form(
    page: &PageContext,
    subject: &Subject,
    lists: &[blacklist::BlacklistList],
    form: &EntryForm,
    problems: &Problems,
) -> Html<String> {
    let locale = page.locale;
    let list_options = lists
        .iter()
        .map(|l| {
            let selected = form.list.trim() == l.code || lists.len() == 1;
            view! { <option value=l.code.clone() selected=selected>{format::pick(locale, &l.name_en, &l.name_zh).to_string()}</option> }
        })
        .collect_view();
    let boxes = Restriction::ALL
        .into_iter()
        .map(|r| {
            let id = format!("restriction-{}", r.code());
            let checked = form.restrictions.iter().any(|c| c == r.code());
            view! {
                <div class="check">
                    <input type="checkbox" id=id.clone() name="restrictions" value=r.code() checked=checked/>
                    <label for=id>{format::restriction(locale, r)}</label>
                </div>
            }
        })
        .collect_view();
    let removal_radios = ["pay_amount", "appeal", "other"]
        .into_iter()
        .map(|kind| {
            let id = format!("removal-{kind}");
            view! {
                <div class="check">
                    <input type="radio" id=id.clone() name="removal" value=kind checked=form.removal == kind/>
                    <label for=id>{locale.t(&format!("recording.removal_{kind}"))}</label>
                </div>
            }
        })
        .collect_view();
    let restrictions_error = error_for(problems, "restrictions");
    let removal_error = error_for(problems, "removal");
    let restrictions_class = if restrictions_error.is_some() { "field has-error" } else { "field" };
    let removal_class = if removal_error.is_some() { "field has-error" } else { "field" };
    let title = locale.t("recording.entry_title");
    let main = view! {
        <p><a href=format!("/recording/subjects/{}", subject.id)>{locale.t_with("recording.back_to", &[("name", &subject.display_name)])}</a></p>
        <h1>{title.clone()}</h1>
        <p>{locale.t_with("recording.entry_intro", &[("name", &subject.display_name)])}</p>
        {error_summary(locale.t("forms.error_summary"), problems.clone())}
        <form class="stack" method="post" action=format!("/recording/subjects/{}/entries", subject.id)>
            {Select::new("list", locale.t("problems.field_list"), list_options.into_any())
                .error(error_for(problems, "list")).view()}
            {Field::new("case_number", locale.t("problems.field_case_number"), "text", "off")
                .value(form.case_number.clone()).error(error_for(problems, "case_number")).view()}
            {Field::new("legal_basis", locale.t("problems.field_legal_basis"), "text", "off")
                .value(form.legal_basis.clone()).error(error_for(problems, "legal_basis")).view()}
            {Field::new("reason", locale.t("problems.field_reason"), "text", "off")
                .value(form.reason.clone()).error(error_for(problems, "reason")).view()}
            <fieldset id="restrictions" class=restrictions_class>
                <legend>{locale.t("problems.field_restrictions")}</legend>
                {restrictions_error.map(|e| view! { <p class="field-error">{e}</p> })}
                {boxes}
            </fieldset>
            {Field::new("effective_from", locale.t("problems.field_effective_from"), "date", "off")
                .value(form.effective_from.clone()).hint(locale.t("recording.effective_from_hint"))
                .error(error_for(problems, "effective_from")).view()}
            {Field::new("notice_delivered_at", locale.t("problems.field_notice_delivered_at"), "date", "off")
                .value(form.notice_delivered_at.clone()).hint(locale.t("recording.notice_hint"))
                .error(error_for(problems, "notice_delivered_at")).view()}
            {Field::new("expires_at", locale.t("problems.field_expires_at"), "date", "off")
                .value(form.expires_at.clone()).hint(locale.t("recording.optional"))
                .error(error_for(problems, "expires_at")).view()}
            <fieldset id="removal" class=removal_class>
                <legend>{locale.t("problems.field_removal")}</legend>
                {removal_error.map(|e| view! { <p class="field-error">{e}</p> })}
                {removal_radios}
            </fieldset>
            {Field::new("amount", locale.t("problems.field_amount"), "text", "off")
                .value(form.amount.clone()).hint(locale.t("recording.amount_hint"))
                .error(error_for(problems, "amount")).view()}
            {Field::new("currency", locale.t("problems.field_currency"), "text", "off")
                .value(form.currency.clone()).error(error_for(problems, "currency")).view()}
            {Field::new("removal_text", locale.t("recording.removal_text"), "text", "off")
                .value(form.removal_text.clone()).hint(locale.t("recording.removal_text_hint")).view()}
            <button type="submit">{locale.t("recording.entry_submit")}</button>
        </form>
    };
    document(page, &titled(locale, title, problems), main.into_any())
}

#[derive(Debug, Default, Deserialize)]
pub struct DeliveredForm {
    #[serde(default)]
    delivered_at: String,
    #[serde(default)]
    how: String,
}

/// An entry of the recorder's own authority; anyone else's answers 404.
async fn own_entry(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> AppResult<(blacklist::StoredEntry, Subject)> {
    let authority = authority_of(viewer)?;
    let id = EntryId::parse(id).map_err(|_| AppError::NotFound)?;
    let mut conn = state.db.pool.acquire().await?;
    let stored = blacklist::entry(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    if stored.entry.authority() != authority {
        return Err(AppError::NotFound);
    }
    let subject = register::subject(&mut conn, stored.entry.subject()).await?.ok_or(AppError::NotFound)?;
    Ok((stored, subject))
}

/// `GET /recording/entries/{entry}`: an entry of this authority, and the form recording that its
/// notice was delivered.
pub async fn entry_page(
    State(state): State<AppState>,
    RequireRole(viewer, _): Recorder,
    shell: PageContext,
    Path(id): Path<String>,
    query: Result<Query<DoneQuery>, QueryRejection>,
) -> AppResult<Html<String>> {
    let locale = shell.locale;
    let (stored, subject) = own_entry(&state, &viewer, &id).await?;
    let ctx = shell.clone();
    let message = query
        .ok()
        .and_then(|Query(q)| q.done)
        .filter(|d| d == "delivered")
        .map(|_| locale.t("recording.done_delivered"));
    Ok(render_entry_page(&ctx, &stored, &subject, &DeliveredForm::default(), &Vec::new(), message))
}

/// `POST /recording/entries/{entry}/delivered`: records the delivery of the entry's notice, from
/// which it may take effect; with a notice to the subject and the audit row.
pub async fn deliver_notice(
    State(state): State<AppState>,
    RequireRole(viewer, _): Recorder,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
    Form(form): Form<DeliveredForm>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let (stored, subject) = own_entry(&state, &viewer, &id).await?;
    let page = shell.clone();
    let refuse = |problems: Problems| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            render_entry_page(&page, &stored, &subject, &form, &problems, None),
        )
            .into_response()
    };
    let now = Utc::now();
    let mut problems = Problems::new();
    // A date alone means that day; today means now, so a delivery is never dated before it.
    let at = match form.delivered_at.trim() {
        "" => {
            problems.push(describe(locale, &DomainError::EmptyField { field: "delivered_at" }));
            None
        }
        text => match problems::instant(text) {
            Some(at) if format::iso_date(at) == format::iso_date(now) && text.len() == 10 => Some(now),
            Some(at) => Some(at),
            None => {
                problems.push(("delivered_at", unreadable_date(locale, "delivered_at")));
                None
            }
        },
    };
    if let Some(problem) = text_problem("how", &form.how, true, 500) {
        problems.push(describe(locale, &problem));
    }
    let (Some(at), true) = (at, problems.is_empty()) else {
        return Ok(refuse(problems));
    };
    let mut tx = state.db.begin_write().await?;
    let entry_id = stored.entry.id();
    match blacklist::act(&mut tx, entry_id, EntryAction::NoticeDelivered, at, form.how.trim(), now).await {
        Ok(_) => {}
        Err(crate::store::StoreError::Domain(DomainError::FutureDate { .. })) => {
            return Ok(refuse(vec![describe(locale, &DomainError::FutureDate { field: "delivered_at" })]))
        }
        Err(crate::store::StoreError::Domain(DomainError::EffectiveBeforeNotice {
            effective_from,
            notice_delivered_at,
        })) => {
            let e = DomainError::EffectiveBeforeNotice { effective_from, notice_delivered_at };
            return Ok(refuse(vec![("delivered_at", describe(locale, &e).1)]));
        }
        Err(crate::store::StoreError::Domain(e)) => return Ok(refuse(vec![("", describe(locale, &e).1)])),
        Err(e) => return Err(e.into()),
    }
    let actor = Actor::person(viewer.account_id, &viewer.username, address);
    let detail = serde_json::json!({ "subject": subject.id.to_string(), "action": "notice_delivered" });
    audit::write(
        &mut tx,
        &actor,
        "entry.notice_delivered",
        "blacklist_entry",
        &entry_id.to_string(),
        detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/recording/entries/{entry_id}?done=delivered")).into_response())
}

fn render_entry_page(
    page: &PageContext,
    stored: &blacklist::StoredEntry,
    subject: &Subject,
    form: &DeliveredForm,
    problems: &Problems,
    message: Option<String>,
) -> Html<String> {
    let locale = page.locale;
    let entry = &stored.entry;
    let now = Utc::now();
    let status = entry.status_at(now);
    let id = entry.id();
    let restrictions =
        entry.restrictions().iter().map(|r| format::restriction(locale, *r)).collect::<Vec<_>>().join(", ");
    let deliver = (entry.notice_delivered_at().is_none()).then(|| {
        view! {
            <h2>{locale.t("recording.deliver_title")}</h2>
            <p>{locale.t("recording.deliver_intro")}</p>
            <form class="stack" method="post" action=format!("/recording/entries/{id}/delivered")>
                {Field::new("delivered_at", locale.t("problems.field_delivered_at"), "date", "off")
                    .value(if form.delivered_at.is_empty() { format::iso_date(now) } else { form.delivered_at.clone() })
                    .hint(locale.t("recording.delivered_hint"))
                    .error(error_for(problems, "delivered_at")).view()}
                {Field::new("how", locale.t("problems.field_how"), "text", "off")
                    .value(form.how.clone()).hint(locale.t("recording.how_hint"))
                    .error(error_for(problems, "how")).view()}
                <button type="submit">{locale.t("recording.deliver_submit")}</button>
            </form>
        }
    });
    let title = locale.t_with("recording.entry_page_title", &[("case", entry.case_number())]);
    let main = view! {
        <p><a href=format!("/recording/subjects/{}", subject.id)>{locale.t_with("recording.back_to", &[("name", &subject.display_name)])}</a></p>
        <h1>{title.clone()}</h1>
        {notice(message)}
        {error_summary(locale.t("forms.error_summary"), problems.clone())}
        <dl class="facts">
            <dt>{locale.t("recording.col_name")}</dt><dd>{subject.display_name.clone()}</dd>
            <dt>{locale.t("recording.col_status")}</dt><dd>{locale.t(&format!("entry.status_{}", status.code()))}</dd>
            <dt>{locale.t("problems.field_legal_basis")}</dt><dd class="wrap">{entry.legal_basis().to_string()}</dd>
            <dt>{locale.t("problems.field_reason")}</dt><dd class="wrap">{entry.reason().to_string()}</dd>
            <dt>{locale.t("problems.field_restrictions")}</dt><dd>{restrictions}</dd>
            <dt>{locale.t("problems.field_effective_from")}</dt><dd>{format::date(locale, entry.effective_from())}</dd>
            <dt>{locale.t("problems.field_notice_delivered_at")}</dt>
            <dd>{entry.notice_delivered_at().map(|d| format::date(locale, d)).unwrap_or_else(|| locale.t("recording.not_yet"))}</dd>
        </dl>
        {deliver}
    };
    document(page, &titled(locale, title, problems), main.into_any())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_in_minor_units() {
        assert_eq!(cents("1234.5"), Some(123_450));
        assert_eq!(cents("1,234.50"), Some(123_450));
        assert_eq!(cents("7"), Some(700));
        assert_eq!(cents("1.234"), None);
        assert_eq!(cents("-5"), None);
        assert_eq!(cents("abc"), None);
    }

    #[test]
    fn every_key_built_at_run_time_is_translated_in_both_languages() {
        let mut keys: Vec<String> =
            ["person", "organisation"].iter().map(|k| format!("recording.kind_{k}")).collect();
        keys.extend(["pay_amount", "appeal", "other"].iter().map(|k| format!("recording.removal_{k}")));
        for locale in Locale::ALL {
            for key in &keys {
                assert!(!locale.t(key).ends_with(key.as_str()), "{} is missing {key}", locale.code());
            }
        }
    }
}
