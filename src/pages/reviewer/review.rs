//! The reviewer's side of appeals: the queue (filters, sorted by due date, keyset pages), each
//! appeal with the subject's derivation, the contested record with its evidence, the rule version
//! and the timeline (opening it is recorded where the subject can see it), claiming and
//! assigning, the decision form, and the statistics.

use crate::domain::wording::Purpose;
use std::collections::HashMap;

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Utc};
use leptos::{either::Either, prelude::*};
use serde::Deserialize;
use uuid::Uuid;

use crate::http::query::Query;
use crate::pages::kit::{
    appeal::{
        actor, describe, failure_message, mark_seen, parse_id, refusal_text, scheme_of, Audience,
        ClosedByRepeal, DeciderNotices, Decisions, DueClock, EvidenceList, Lapsed, SeenForm, StatusBadge,
        Timeline,
    },
    document,
    format::{self, pick},
    forms::{error_summary, notice, Problems},
    queue::{NextPage, QueueFilters, QueueQuery},
    Choice, ChoiceGroup, DataTable, PageContext, TextAreaField, TextField,
};
use crate::{
    auth::{
        access::{RequireRole, Reviewers, Viewer},
        throttle::ClientAddress,
    },
    domain::{
        appeal::{self, Decision, Grounds, Outcome, Reasons, Reviewer, Status, REASONS_MIN},
        AuthorityId, EventId, EventKind,
    },
    error::{AppError, AppResult},
    http::{form::Form, AppState},
    i18n::Locale,
    store::{
        appeals::{self, Appeal, AppealFailure, Target},
        blacklist::StoredEntry,
        catalogue::{self, SchemeRecord},
        notices,
        records::StoredEvent,
        register::Authority,
        review_notices::{self, ReviewNotice},
        standing::{self, Reads, SchemeStanding},
    },
};

type ReviewerOnly = RequireRole<Reviewers>;

/// Appeals per page of the queue.
const PAGE: i64 = 25;

/// At most this many deadline notices are shown above the queue.
const NOTICES: i64 = 20;

/// What the queue shows: the filters as chosen, one page of appeals sorted by due date, and the
/// link to the next page if there is one.
pub struct QueuePage {
    /// Every scheme, to filter by.
    pub schemes: Vec<SchemeRecord>,
    pub query: QueueQuery,
    /// Filter values that name nothing: then nothing is listed.
    pub problems: Problems,
    pub appeals: Vec<Appeal>,
    /// The next page, when there are more appeals.
    pub next: Option<String>,
    /// Deadline lapses the review body has not marked seen.
    pub notices: Vec<ReviewNotice>,
}

impl QueuePage {
    /// Every query of the page.
    pub async fn load(
        state: &AppState,
        viewer: &Viewer,
        locale: Locale,
        query: QueueQuery,
        now: DateTime<Utc>,
    ) -> AppResult<Self> {
        let mut conn = state.db.pool.acquire().await?;
        let schemes = catalogue::schemes(&mut conn).await?;
        let notices = review_notices::unseen(&mut conn, review_notices::Audience::Reviewers, NOTICES).await?;
        let problems = query.problems(locale, &schemes, &Grounds::FOR_RECORDS);
        if !problems.is_empty() {
            return Ok(Self { schemes, query, problems, appeals: Vec::new(), next: None, notices });
        }
        let filter = query.filter(&schemes, false, Some(viewer.account_id.0));
        let (appeals, more) = appeals::queue(&mut conn, &filter, now, PAGE).await?;
        let next = more.then(|| appeals.last().map(|a| query.next("/review", a))).flatten();
        Ok(Self { schemes, query, problems, appeals, next, notices })
    }
}

/// `GET /review`: the queue.
pub async fn queue(
    State(state): State<AppState>,
    reviewer: ReviewerOnly,
    shell: PageContext,
    Query(query): Query<QueueQuery>,
) -> AppResult<Response> {
    let now = Utc::now();
    let page = QueuePage::load(&state, reviewer.viewer(), shell.locale, query, now).await?;
    let status = if page.problems.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    Ok((status, queue_view(&page, &shell, now)).into_response())
}

/// `POST /review/notices/seen`: a reviewer marks a deadline notice seen for the review body.
pub async fn notice_seen(
    State(state): State<AppState>,
    reviewer: ReviewerOnly,
    shell: PageContext,
    address: ClientAddress,
    Form(form): Form<SeenForm>,
) -> AppResult<Response> {
    let viewer = reviewer.viewer();
    let problems =
        mark_seen(&state, viewer, &address, review_notices::Audience::Reviewers, &form, shell.locale).await?;
    if problems.is_empty() {
        return Ok(Redirect::to("/review").into_response());
    }
    let now = Utc::now();
    let mut page = QueuePage::load(&state, viewer, shell.locale, QueueQuery::default(), now).await?;
    page.problems = problems;
    let ctx = shell.at("/review".to_string());
    Ok((StatusCode::UNPROCESSABLE_ENTITY, queue_view(&page, &ctx, now)).into_response())
}

/// The queue, drawn from what [`QueuePage::load`] read.
fn queue_view(page: &QueuePage, ctx: &PageContext, now: DateTime<Utc>) -> Html<String> {
    let locale = ctx.locale;
    let rows = page
        .appeals
        .iter()
        .map(|a| {
            let (what, _) = describe(locale, a, false);
            view! {
                <tr class=a.is_overdue(now).then_some("overdue")>
                    <td><a href=format!("/review/appeals/{}", a.id)>{a.reference()}</a></td>
                    <td>{a.subject_name.clone()}</td>
                    <td>{what}</td>
                    <td>{locale.t(&format!("appeals.grounds_{}", a.grounds.code()))}</td>
                    <td><time datetime=format::iso_date(a.due_at)>{format::date(locale, a.due_at)}</time></td>
                    <td><StatusBadge locale appeal=a now show_level=true/></td>
                    <td>{a.assigned_name.clone().unwrap_or_else(|| locale.t("review.unassigned"))}</td>
                </tr>
            }
        })
        .collect_view();
    let list = if page.appeals.is_empty() {
        Either::Left(view! { <p>{locale.t("review.empty")}</p> })
    } else {
        Either::Right(view! {
            <DataTable
                caption=locale.t("review.caption")
                columns=vec![
                    (locale.t("appeals.col_reference"), false),
                    (locale.t("review.col_subject"), false),
                    (locale.t("appeals.col_contested"), false),
                    (locale.t("appeals.col_grounds"), false),
                    (locale.t("appeals.col_due"), false),
                    (locale.t("appeals.col_status"), false),
                    (locale.t("review.col_assigned"), false),
                ]
            >
                {rows}
            </DataTable>
        })
    };
    let title = locale.t("review.title");
    let main = view! {
        <h1>{title.clone()}</h1>
        <p><a href="/review/statistics">{locale.t("review.statistics_title")}</a></p>
        {error_summary(locale.t("forms.error_summary"), page.problems.clone())}
        <DeciderNotices locale notices=page.notices.clone() action="/review/notices/seen"
            href=|id| format!("/review/appeals/{id}")/>
        <QueueFilters locale action="/review" query=&page.query schemes=&page.schemes
            grounds=&Grounds::FOR_RECORDS with_mine=true/>
        {list}
        <NextPage locale href=page.next.clone()/>
    };
    document(ctx, &title, main.into_any())
}

/// The reviewer as independence needs them.
async fn reviewer_of(
    conn: &mut sqlx::AnyConnection,
    viewer: &Viewer,
) -> AppResult<(Reviewer, Option<appeals::Body>)> {
    let body = match viewer.review_body_id {
        Some(id) => appeals::body(conn, id).await?,
        None => None,
    };
    Ok((
        Reviewer {
            account: viewer.account_id.0,
            username: viewer.username.clone(),
            display_name: viewer.display_name.clone(),
            authority: viewer.authority_id,
            review_body: body.as_ref().map(|b| b.id),
            body_authority: body.as_ref().and_then(|b| b.authority),
        },
        body,
    ))
}

async fn reviewable(state: &AppState, id: &str) -> AppResult<Appeal> {
    let id = parse_id(id)?;
    let mut conn = state.db.pool.acquire().await?;
    let a = appeals::appeal(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    // Rule challenges go to administrators.
    (!matches!(a.target, Target::Rule(_))).then_some(a).ok_or(AppError::NotFound)
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

const DONE: [&str; 3] = ["claimed", "assigned", "decided"];

/// `GET /review/appeals/{id}`: everything a reviewer needs to decide; the read is recorded.
pub async fn page(
    State(state): State<AppState>,
    reviewer: ReviewerOnly,
    shell: PageContext,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let a = reviewable(&state, &id).await?;
    let done =
        query.done.filter(|d| DONE.contains(&d.as_str())).map(|d| locale.t(&format!("review.done_{d}")));
    let ctx = shell.clone();
    reviewer_page(
        &state,
        &ctx,
        reviewer.viewer(),
        &a,
        done,
        &DecideForm::default(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

// One per page: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
/// The contested item as the reviewer sees it: the record as its authority made it (with any
/// correction a decision made, shown apart), or the blacklist entry.
pub enum Contested {
    Record {
        original: StoredEvent,
        /// The correction or void an earlier decision of this appeal recorded.
        correction: Option<StoredEvent>,
    },
    Entry(StoredEntry),
    Rule,
}

/// Everything a reviewer needs to decide one appeal.
pub struct ReviewPage {
    pub appeal: Appeal,
    /// Why this reviewer may not decide, if they may not.
    conflict: Option<appeal::Conflict>,
    what: String,
    files: Vec<appeals::Evidence>,
    decided: Vec<appeals::StoredDecision>,
    /// How a repeal closed the appeal, if one did.
    repealed: Option<appeals::RepealClosure>,
    /// What happened when the deadline passed undecided, at the appeal's current level.
    lapse: Option<crate::store::deadlines::Lapse>,
    /// The notice the review body was sent about that lapse.
    told: Option<ReviewNotice>,
    /// The appeal's scheme, to name its grades.
    scheme: Option<SchemeRecord>,
    timeline: Vec<appeals::Action>,
    pub contested: Contested,
    /// The subject's standing now in the contested record's scheme.
    pub standing: Option<SchemeStanding>,
    names: HashMap<String, Authority>,
    reviewers: Vec<(Uuid, String)>,
}

impl ReviewPage {
    /// Every query of the page. The read is recorded where the subject sees it (DESIGN.md
    /// invariant 4) before anything of the record is read.
    pub async fn load(
        state: &AppState,
        viewer: &Viewer,
        locale: Locale,
        a: Appeal,
        now: DateTime<Utc>,
    ) -> AppResult<Self> {
        let mut conn = state.db.pool.acquire().await?;
        let (me, body) = reviewer_of(&mut conn, viewer).await?;
        let body_name = body.as_ref().map(|b| b.name_en.clone()).unwrap_or_else(|| "—".into());
        notices::record_access(
            &mut conn,
            a.subject,
            viewer.account_id.0,
            &body_name,
            "reviewer",
            &Purpose::Reviewing(&a.reference()).text(),
            now,
        )
        .await?;
        let (what, _) = describe(locale, &a, false);
        let files = appeals::evidence(&mut conn, a.id).await?;
        let decided = appeals::decisions(&mut conn, a.id).await?;
        let repealed = appeals::repeal_closure(&mut conn, a.subject, a.id).await?;
        let lapse = crate::store::deadlines::current(&mut conn, &a).await?;
        let told =
            review_notices::of_appeal(&mut conn, a.id).await?.into_iter().find(|n| n.lapse.level == a.level);
        let timeline = appeals::timeline(&mut conn, a.id).await?;
        let recorded = appeals::recorded(&mut conn, &a).await?;
        let first = decided.iter().find(|d| d.level == 1);
        let conflict = appeal::check_independence(&me, &recorded, first.map(|d| d.reviewer)).err();
        let revision = state.cache.revision().await?;
        let names = state.cache.authorities(&mut conn, revision).await?;
        let names = names.iter().map(|x| (x.id.to_string(), x.clone())).collect();
        let (contested, standing) = match a.target {
            Target::Event(original) => {
                let scheme = a.scheme.ok_or(AppError::NotFound)?;
                let standing = standing::in_scheme(
                    &mut conn,
                    Reads::Cached { cache: &state.cache, revision },
                    a.subject,
                    scheme,
                    now,
                )
                .await?
                .ok_or(AppError::NotFound)?;
                let find = |id: EventId| standing.stored().iter().find(|e| e.event.id == id).cloned();
                let original = find(original).ok_or(AppError::NotFound)?;
                let correction = first.and_then(|d| d.correction).and_then(find);
                (Contested::Record { original, correction }, Some(standing))
            }
            Target::Entry(id) => {
                let entry = crate::store::blacklist::entry(&mut conn, id).await?.ok_or(AppError::NotFound)?;
                (Contested::Entry(entry), None)
            }
            Target::Rule(_) => (Contested::Rule, None),
        };
        let reviewers = appeals::reviewers(&mut conn, &a).await?;
        let scheme = scheme_of(&mut conn, &a).await?;
        Ok(Self {
            scheme,
            appeal: a,
            conflict,
            what,
            files,
            decided,
            repealed,
            lapse,
            told,
            timeline,
            contested,
            standing,
            names,
            reviewers,
        })
    }
}

#[allow(clippy::too_many_arguments)]
async fn reviewer_page(
    state: &AppState,
    ctx: &PageContext,
    viewer: &Viewer,
    a: &Appeal,
    done: Option<String>,
    form: &DecideForm,
    errors: Vec<(&'static str, String)>,
    status: StatusCode,
) -> AppResult<Response> {
    let now = Utc::now();
    let page = ReviewPage::load(state, viewer, ctx.locale, a.clone(), now).await?;
    Ok((status, review_view(&page, ctx, viewer, done, form, errors, now)).into_response())
}

/// The reviewer's page of an appeal, drawn from what [`ReviewPage::load`] read.
fn review_view(
    page: &ReviewPage,
    ctx: &PageContext,
    viewer: &Viewer,
    done: Option<String>,
    form: &DecideForm,
    errors: Vec<(&'static str, String)>,
    now: DateTime<Utc>,
) -> Html<String> {
    let locale = ctx.locale;
    let a = &page.appeal;
    let (what, files, decided, timeline) = (page.what.clone(), &page.files, &page.decided, &page.timeline);
    // Only an event appeal has a standing, so this is its scheme's policy.
    let suspends = page.standing.as_ref().is_some_and(|s| {
        s.ctx.scheme().dispute_policy() == crate::domain::DisputePolicy::SuspendedWhileDisputed
    }) || (page.standing.is_some()
        && page.lapse.as_ref().is_some_and(|l| l.outcome == crate::domain::OnDeadline::Suspend));
    let conflict = page.conflict;
    let others = &page.reviewers;
    let contested = contested_view(locale, page, now);
    let derivation = derivation_view(locale, page);
    let title = locale.t_with("appeals.page_title", &[("reference", &a.reference())]);
    let open = a.status == Status::Open;
    let error_for = |field: &str| errors.iter().find(|(f, _)| *f == field).map(|(_, m)| m.clone());
    let assign_options = others
        .iter()
        .filter(|(id, _)| *id != viewer.account_id.0)
        .map(|(id, name)| view! { <option value=id.to_string()>{name.clone()}</option> })
        .collect_view();
    let decide_form = match (open, conflict) {
        (false, _) => ().into_any(),
        (true, Some(c)) => view! {
            <h2>{locale.t("review.decide_title")}</h2>
            <p class="notice danger" role="status">{refusal_text(locale, &appeal::AppealError::Conflict(c))}</p>
        }
        .into_any(),
        (true, None) => {
            let outcome_error = error_for("outcome");
            let points_error = error_for("points");
            let reasons_error = error_for("reasons");
            let radios = Outcome::CODES
                .into_iter()
                .filter(|o| *o != "partly_upheld" || matches!(a.target, Target::Event(_)))
                .map(|o| {
                    view! {
                        <Choice id=format!("outcome-{o}") name="outcome" value=o checked=form.outcome == o
                            label=locale.t(&format!("review.outcome_{o}"))/>
                    }
                })
                .collect_view();
            view! {
                <h2>{locale.t("review.decide_title")}</h2>
                <form method="post" action=format!("/review/appeals/{}/decide", a.id) class="stack">
                    <ChoiceGroup id="outcome" legend=locale.t("review.outcome_label") error=outcome_error>
                        {radios}
                    </ChoiceGroup>
                    {matches!(a.target, Target::Event(_)).then(|| view! {
                        <TextField id="points" label=locale.t("review.points_label") inputmode="numeric"
                            value=form.points.clone() hint=Some(locale.t("review.points_hint")) error=points_error/>
                    })}
                    <TextAreaField id="reasons" label=locale.t("appeals.reasons") rows=8 value=form.reasons.clone()
                        hint=Some(locale.t_with("review.reasons_hint", &[("min", &REASONS_MIN.to_string())]))
                        error=reasons_error/>
                    <button type="submit">{locale.t("review.decide_submit")}</button>
                </form>
            }
            .into_any()
        }
    };
    let main = view! {
        <p><a href="/review">{locale.t("review.title")}</a></p>
        <h1>{title.clone()}</h1>
        {notice(done)}
        {error_summary(locale.t("appeals.problems"), errors.clone())}
        <p><StatusBadge locale appeal=a now show_level=true/></p>
        <DueClock locale audience=Audience::Staff appeal=a suspends now/>
        <dl class="facts">
            <dt>{locale.t("review.col_subject")}</dt><dd>{a.subject_name.clone()}</dd>
            <dt>{locale.t("appeals.col_contested")}</dt><dd>{what}</dd>
            <dt>{locale.t("appeals.col_grounds")}</dt><dd>{locale.t(&format!("appeals.grounds_{}", a.grounds.code()))}</dd>
            <dt>{locale.t("appeals.col_filed")}</dt><dd>{format::date(locale, a.filed_at)}</dd>
            <dt>{locale.t("appeals.col_due")}</dt><dd>{format::date(locale, a.due_at)}</dd>
            <dt>{locale.t("review.col_assigned")}</dt><dd>{a.assigned_name.clone().unwrap_or_else(|| locale.t("review.unassigned"))}</dd>
        </dl>
        {open.then(|| view! {
            <div class="actions">
                {conflict.is_none().then(|| view! {
                    <form method="post" action=format!("/review/appeals/{}/claim", a.id) class="inline">
                        <button type="submit" class="secondary">{locale.t("review.claim")}</button>
                    </form>
                })}
                <form method="post" action=format!("/review/appeals/{}/assign", a.id) class="inline">
                    <label for="reviewer">{locale.t("review.assign_to")}</label>
                    <select id="reviewer" name="reviewer"><option value="">{locale.t("review.choose")}</option>{assign_options}</select>
                    <button type="submit" class="secondary">{locale.t("review.assign")}</button>
                </form>
            </div>
        })}
        <h2>{locale.t("review.statement_title")}</h2>
        <p class="statement">{a.statement.clone()}</p>
        {contested}
        <EvidenceList locale appeal=a files/>
        {derivation}
        <Lapsed locale audience=Audience::Staff appeal=a lapse=page.lapse.as_ref() told=page.told.as_ref()/>
        <Decisions locale audience=Audience::Staff decided scheme=page.scheme.as_ref()/>
        <ClosedByRepeal locale audience=Audience::Staff closure=page.repealed.as_ref() scheme=page.scheme.as_ref()/>
        {(!decided.is_empty() || page.repealed.is_some()).then(|| view! {
            <p><a href=format!("/appeals/{}/decision", a.id)>{locale.t("appeals.decision_sheet_link")}</a></p>
        })}
        {decide_form}
        <Timeline locale actions=timeline lapse=page.lapse.as_ref() target=Some(a.target)/>
    };
    document(ctx, &title, main.into_any())
}

/// The contested record as its authority made it, with its provenance and rule version, and any
/// correction a decision recorded shown apart (made by the reviewer, not the authority); or the
/// entry.
fn contested_view(locale: Locale, page: &ReviewPage, now: DateTime<Utc>) -> AnyView {
    let names = &page.names;
    let authority_name = |id: &AuthorityId| {
        names.get(&id.to_string()).map(|x| pick(locale, &x.name_en, &x.name_zh).to_string())
    };
    match (&page.contested, &page.standing) {
        (Contested::Record { original, correction }, Some(standing)) => {
            let ctx = &standing.ctx;
            let stored = original;
            let e = &stored.event;
            let version = ctx.catalogue.get(e.rule_version);
            let record = view! {
                <h2>{locale.t("review.contested_record")}</h2>
                <dl class="facts">
                    <dt>{locale.t("record.col_rule")}</dt>
                    <dd><a href=format!("/rules/{}/{}", ctx.scheme().code(), e.rule_code)>{e.rule_code.to_string()}</a>" "
                        {version.map(|v| format::rule_title(locale, v).to_string())}</dd>
                    <dt>{locale.t("record.rule_version")}</dt>
                    <dd>{version.map(|v| locale.t_with("rule.version_n", &[("n", &v.version().to_string())]))}</dd>
                    <dt>{locale.t("catalogue.col_legal_basis")}</dt>
                    <dd>{version.and_then(|v| format::legal_basis(locale, v))}</dd>
                    <dt>{locale.t("record.occurred_at")}</dt><dd>{format::date(locale, e.occurred_at)}</dd>
                    <dt>{locale.t("record.col_points")}</dt><dd>{format::points(e.points)}</dd>
                    <dt>{locale.t("record.col_authority")}</dt><dd>{authority_name(&e.authority)}</dd>
                    <dt>{locale.t("record.recorded_by")}</dt><dd>{stored.provenance.recorded_by.clone()}" · "{format::date(locale, e.recorded_at)}</dd>
                    <dt>{locale.t("record.source")}</dt><dd>{stored.provenance.source.clone()}</dd>
                    <dt>{locale.t("record.evidence_ref")}</dt><dd>{stored.provenance.evidence_ref.clone()}</dd>
                    <dt>{locale.t("record.external_ref")}</dt><dd>{e.external_ref.clone()}</dd>
                </dl>
            }
            .into_any();
            let fix = correction.as_ref().map(|c| {
                let what = match &c.event.kind {
                    EventKind::Void { .. } => locale.t("review.correction_void"),
                    _ => locale.t_with("review.correction_supersede", &[("points", &format::points(c.event.points))]),
                };
                view! {
                    <h2>{locale.t("review.correction_title")}</h2>
                    <dl class="facts">
                        <dt>{locale.t("record.kind")}</dt><dd>{what}</dd>
                        <dt>{locale.t("record.recorded_by")}</dt>
                        <dd>{locale.t_with("review.correction_by", &[("name", &c.provenance.recorded_by), ("reference", &c.provenance.evidence_ref)])}
                            " · "{format::date(locale, c.event.recorded_at)}</dd>
                    </dl>
                }
            });
            view! { {record} {fix} }.into_any()
        }
        (Contested::Entry(stored), _) => {
            let e = &stored.entry;
            view! {
                <h2>{locale.t("review.contested_entry")}</h2>
                <dl class="facts">
                    <dt>{locale.t("entry.case_number")}</dt><dd>{e.case_number().to_string()}</dd>
                    <dt>{locale.t("entry.issued_by")}</dt><dd>{authority_name(&e.authority())}</dd>
                    <dt>{locale.t("catalogue.col_legal_basis")}</dt><dd>{e.legal_basis().to_string()}</dd>
                    <dt>{locale.t("entry.reason")}</dt><dd>{e.reason().to_string()}</dd>
                    <dt>{locale.t("entry.effective_from")}</dt><dd>{format::date(locale, e.effective_from())}</dd>
                    <dt>{locale.t("appeals.col_status")}</dt><dd>{locale.t(&format!("entry.status_{}", e.status_at(now).code()))}</dd>
                </dl>
            }
            .into_any()
        }
        (Contested::Rule, _) | (Contested::Record { .. }, None) => ().into_any(),
    }
}

/// The subject's derivation now in the contested record's scheme, line by line.
fn derivation_view(locale: Locale, page: &ReviewPage) -> AnyView {
    let Some(standing) = &page.standing else { return ().into_any() };
    let (ctx, d) = (&standing.ctx, &standing.derivation);
    // Each cell carries its column's name, which a phone shows beside it (the table is stacked).
    let columns = vec![
        (locale.t("record.col_date"), false),
        (locale.t("record.col_rule"), false),
        (locale.t("record.col_points"), true),
        (locale.t("record.col_running_total"), true),
    ];
    let label = |i: usize| columns[i].0.clone();
    let lines = d
        .lines
        .iter()
        .map(|l| {
            view! {
                <tr>
                    <td data-label=label(0)>{format::date(locale, l.occurred_at)}</td>
                    <td data-label=label(1)>{l.rule_code.to_string()}</td>
                    <td class="num" data-label=label(2)>{format::points(l.points)}</td>
                    <td class="num" data-label=label(3)>{l.running_total}</td>
                </tr>
            }
        })
        .collect_view();
    let not_counting = d
        .not_counting
        .iter()
        .map(|n| {
            view! {
                <li>{format::date(locale, n.occurred_at)}" · "{n.rule_code.to_string()}" · "{format::points(n.points)}" · "
                    {locale.t(&format!("record.reason_{}", n.reason.code()))}</li>
            }
        })
        .collect_view();
    view! {
        <h2>{locale.t("review.derivation_title")}</h2>
        <p>{pick(locale, &ctx.record.name_en, &ctx.record.name_zh).to_string()}": "
            {locale.t("record.score")}" "<strong>{d.score}</strong>" · "{locale.t("record.grade")}" "<strong>{format::grade(locale, &ctx.record, d.grade.as_str()).to_string()}</strong>
            " · "{locale.t("record.base")}" "{d.base}</p>
        <DataTable
            class="derivation"
            stacked=true
            caption=locale.t("review.derivation_caption")
            columns=columns.clone()
        >
            {lines}
        </DataTable>
        {(!d.not_counting.is_empty()).then(|| view! {
            <h3>{locale.t("record.not_counting")}</h3>
            <ul>{not_counting}</ul>
        })}
    }
    .into_any()
}

/// `POST /review/appeals/{id}/claim`: the reviewer takes the appeal.
pub async fn claim(
    State(state): State<AppState>,
    reviewer: ReviewerOnly,
    shell: PageContext,
    address: ClientAddress,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let _locale = shell.locale;
    let viewer = reviewer.viewer();
    let a = reviewable(&state, &id).await?;
    assign_to(&state, &shell, viewer, &address, &a, viewer.account_id.0, "claimed").await
}

#[derive(Debug, Default, Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    reviewer: String,
}

/// `POST /review/appeals/{id}/assign`: gives the appeal to another reviewer.
pub async fn assign(
    State(state): State<AppState>,
    reviewer: ReviewerOnly,
    shell: PageContext,
    address: ClientAddress,
    Path(id): Path<String>,
    Form(form): Form<AssignForm>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let viewer = reviewer.viewer();
    let a = reviewable(&state, &id).await?;
    let Ok(to) = Uuid::parse_str(form.reviewer.trim()) else {
        let ctx = shell.at(format!("/review/appeals/{}", a.id));
        let message = refusal_text(locale, &appeal::AppealError::NoAssignee);
        return reviewer_page(
            &state,
            &ctx,
            viewer,
            &a,
            None,
            &DecideForm::default(),
            vec![("reviewer", message)],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    assign_to(&state, &shell, viewer, &address, &a, to, "assigned").await
}

async fn assign_to(
    state: &AppState,
    shell: &PageContext,
    viewer: &Viewer,
    address: &ClientAddress,
    a: &Appeal,
    to: Uuid,
    done: &str,
) -> AppResult<Response> {
    let mut tx = state.db.begin_write().await?;
    match appeals::assign(&mut tx, &actor(viewer, address), viewer.account_id.0, a.id, to, Utc::now()).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/review/appeals/{}?done={done}", a.id)).into_response())
        }
        Err(failure) => {
            drop(tx);
            // Not independent of the appeal (the assignee, or this reviewer claiming it): 403.
            let status = match failure {
                AppealFailure::Refused(appeal::AppealError::Conflict(_)) => StatusCode::FORBIDDEN,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let message = failure_message(shell.locale, failure)?;
            let ctx = shell.at(format!("/review/appeals/{}", a.id));
            reviewer_page(state, &ctx, viewer, a, None, &DecideForm::default(), vec![("", message)], status)
                .await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    reasons: String,
}

/// `POST /review/appeals/{id}/decide`: records the decision, or says exactly why not. When another
/// reviewer decided first, this one gets a 409 and the page with that decision.
pub async fn decide(
    State(state): State<AppState>,
    reviewer: ReviewerOnly,
    shell: PageContext,
    address: ClientAddress,
    Path(id): Path<String>,
    Form(form): Form<DecideForm>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let viewer = reviewer.viewer();
    let a = reviewable(&state, &id).await?;
    let ctx = shell.at(format!("/review/appeals/{}", a.id));
    let mut errors = Vec::new();
    let outcome = Outcome::parse(&form.outcome, Some(&form.points), a.target.kind())
        .map_err(|e| {
            let field = if matches!(e, appeal::AppealError::PointsRequired) { "points" } else { "outcome" };
            errors.push((field, refusal_text(locale, &e)))
        })
        .ok();
    let reasons =
        Reasons::parse(&form.reasons).map_err(|e| errors.push(("reasons", refusal_text(locale, &e)))).ok();
    let (Some(outcome), Some(reasons)) = (outcome, reasons) else {
        return reviewer_page(
            &state,
            &ctx,
            viewer,
            &a,
            None,
            &form,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let mut conn = state.db.pool.acquire().await?;
    let (me, _) = reviewer_of(&mut conn, viewer).await?;
    drop(conn);
    let mut tx = state.db.begin_write().await?;
    match appeals::decide(
        &mut tx,
        &actor(viewer, &address),
        &me,
        a.id,
        Decision { outcome, reasons },
        Utc::now(),
    )
    .await
    {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/review/appeals/{}?done=decided", a.id)).into_response())
        }
        Err(failure) => {
            drop(tx);
            let status = match &failure {
                appeals::AppealFailure::Refused(
                    appeal::AppealError::AlreadyDecided | appeal::AppealError::Closed,
                ) => StatusCode::CONFLICT,
                appeals::AppealFailure::Refused(appeal::AppealError::Conflict(_)) => StatusCode::FORBIDDEN,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let message = failure_message(locale, failure)?;
            // Reload: the appeal may have been decided by someone else meanwhile.
            let fresh = reviewable(&state, &id).await?;
            reviewer_page(&state, &ctx, viewer, &fresh, None, &form, vec![("", message)], status).await
        }
    }
}

/// What the statistics page shows: the figures, and the authorities they name.
pub struct StatisticsPage {
    pub stats: appeals::Statistics,
    /// Every authority, by id.
    pub authorities: HashMap<String, Authority>,
}

impl StatisticsPage {
    /// Every query of the page.
    pub async fn load(state: &AppState, now: DateTime<Utc>) -> AppResult<Self> {
        let mut conn = state.db.pool.acquire().await?;
        let stats = appeals::statistics(&mut conn, now).await?;
        let authorities = crate::store::register::authorities(&mut conn)
            .await?
            .into_iter()
            .map(|x| (x.id.to_string(), x))
            .collect();
        Ok(Self { stats, authorities })
    }
}

/// `GET /review/statistics`.
pub async fn statistics(
    State(state): State<AppState>,
    _reviewer: ReviewerOnly,
    shell: PageContext,
) -> AppResult<Html<String>> {
    let page = StatisticsPage::load(&state, Utc::now()).await?;
    Ok(statistics_view(&page, &shell))
}

/// The share of decisions that overturned, or a dash when none were decided.
fn rate(decided: i64, overturned: i64) -> String {
    if decided == 0 {
        "—".to_string()
    } else {
        format!("{:.0}%", overturned as f64 * 100.0 / decided as f64)
    }
}

/// One table of decisions and overturns, a row per rule or per authority.
#[component]
fn OverturnTable(
    locale: Locale,
    caption: String,
    first: String,
    rows: Vec<(String, i64, i64)>,
) -> impl IntoView {
    let rows = rows
        .into_iter()
        .map(|(name, d, o)| view! { <tr><th scope="row">{name}</th><td class="num">{d}</td><td class="num">{o}</td><td class="num">{rate(d, o)}</td></tr> })
        .collect_view();
    view! {
        <DataTable
            caption
            columns=vec![
                (first, false),
                (locale.t("review.stat_decided"), true),
                (locale.t("review.stat_overturned"), true),
                (locale.t("review.stat_rate"), true),
            ]
        >
            {rows}
        </DataTable>
    }
}

/// The statistics, drawn from what [`StatisticsPage::load`] read.
fn statistics_view(page: &StatisticsPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let s = &page.stats;
    let by_authority = s
        .by_authority
        .iter()
        .map(|(a, d, o)| {
            let name = a
                .as_ref()
                .and_then(|a| page.authorities.get(a))
                .map(|x| pick(locale, &x.name_en, &x.name_zh).to_string())
                .unwrap_or_else(|| "—".into());
            (name, *d, *o)
        })
        .collect();
    let median = s
        .median_days_to_decide
        .map(|d| locale.t_with("review.days", &[("n", &format!("{d:.1}"))]))
        .unwrap_or_else(|| "—".into());
    let title = locale.t("review.statistics_title");
    let main = view! {
        <p><a href="/review">{locale.t("review.title")}</a></p>
        <h1>{title.clone()}</h1>
        <dl class="facts">
            <dt>{locale.t("review.stat_filed")}</dt><dd>{s.filed}</dd>
            <dt>{locale.t("review.stat_decided")}</dt><dd>{s.decided}</dd>
            <dt>{locale.t("review.stat_overturned")}</dt><dd>{s.overturned}" ("{rate(s.decided, s.overturned)}")"</dd>
            <dt>{locale.t("review.stat_overdue")}</dt><dd>{s.overdue}</dd>
            <dt>{locale.t("review.stat_median")}</dt><dd>{median}</dd>
        </dl>
        <p class="muted">{locale.t("review.stat_note")}</p>
        <OverturnTable locale caption=locale.t("review.by_rule") first=locale.t("record.col_rule") rows=s.by_rule.clone() />
        <OverturnTable locale caption=locale.t("review.by_authority") first=locale.t("record.col_authority") rows=by_authority />
    };
    document(ctx, &title, main.into_any())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_built_at_run_time_is_translated_in_both_languages() {
        let mut keys: Vec<String> = DONE.iter().map(|d| format!("review.done_{d}")).collect();
        keys.extend(Outcome::CODES.iter().map(|o| format!("review.outcome_{o}")));
        for locale in Locale::ALL {
            for key in &keys {
                assert!(!locale.t(key).ends_with(key.as_str()), "{} is missing {key}", locale.code());
            }
        }
    }
}
