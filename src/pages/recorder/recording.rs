//! The recorder's pages (`/recording`): find a subject, read what the authority's mandate needs
//! of their record (each read is written down where the subject sees it), record an event or a
//! blacklist entry, and mark an entry's notice delivered. The recorder always acts for the
//! authority of their account, never one chosen on a form. Every write runs in one transaction
//! with its notice and its audit row. Each page is a view model whose `load` holds all of its
//! queries and a pure view; a form shown again after a failed post is the same view model with
//! the posted values and the problems.

use crate::domain::wording::Purpose;
use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Utc};
use leptos::{either::Either, prelude::*};
use serde::Deserialize;
use sqlx::AnyConnection;

use crate::pages::kit::{
    document, format,
    forms::{error_for, error_summary, notice, titled, Problems},
    problems::{self, describe, unreadable_date},
    Choice, ChoiceGroup, DataTable, PageContext, SelectField, TextField,
};
use crate::{
    auth::{
        access::{Recorders, RequireRole, Viewer},
        throttle::ClientAddress,
    },
    domain::{
        AuthorityId, Currency, DomainError, EntryDraft, EntryId, EventKind, Fact, LegalBasis, ListId,
        Mandates, RemovalCondition, Restriction, RuleCode, SchemeId, Source, SubjectId,
    },
    error::{AppError, AppResult},
    http::{form::Form, AppState},
    i18n::Locale,
    store::{
        audit::{self, Actor},
        blacklist::{self, EntryAction},
        catalogue::{self, SchemeContext},
        mandates, notices, recording,
        records::{self, Provenance, RecordError, Recorded, StoredEvent},
        register::{self, Authority, Subject},
        standing::{self, Reads, RecordStatus, SchemeStanding},
    },
};

type Recorder = RequireRole<Recorders>;

/// Longest source or evidence reference accepted, in characters.
const MAX_REFERENCE: usize = 200;

/// The authority a recorder records for; an account without one records nothing.
fn authority_of(viewer: &Viewer) -> AppResult<AuthorityId> {
    viewer.authority_id.ok_or(AppError::NotFound)
}

async fn subject_of(conn: &mut AnyConnection, id: &str) -> AppResult<Subject> {
    let id = SubjectId::parse(id).map_err(|_| AppError::NotFound)?;
    register::subject(conn, id).await?.ok_or(AppError::NotFound)
}

async fn schemes_of(conn: &mut AnyConnection, subject: SubjectId) -> AppResult<Vec<SchemeContext>> {
    let mut out = Vec::new();
    for scheme in register::memberships(conn, subject).await? {
        out.push(catalogue::context(conn, scheme).await?.ok_or(AppError::NotFound)?);
    }
    Ok(out)
}

/// An authority's name in the person's language; empty for an authority that is not there.
fn authority_name(locale: Locale, authority: Option<&Authority>) -> String {
    authority.map(|a| format::pick(locale, &a.name_en, &a.name_zh).to_string()).unwrap_or_default()
}

#[derive(Debug, Default, Deserialize)]
pub struct HubQuery {
    #[serde(default)]
    q: String,
}

/// What the recorder's start page shows: the search and its results, and the entries of their
/// authority waiting for their notice.
pub struct HubPage {
    /// The search as typed.
    pub query: String,
    /// The recorder's authority.
    pub authority: Option<Authority>,
    pub found: Vec<recording::Found>,
    pub pending: Vec<recording::Pending>,
}

impl HubPage {
    /// Every query of the page.
    pub async fn load(state: &AppState, viewer: &Viewer, query: String) -> AppResult<Self> {
        let authority = authority_of(viewer)?;
        let mut conn = state.db.pool.acquire().await?;
        let found = recording::find_subjects(&mut conn, &query).await?;
        let pending = recording::pending_notice(&mut conn, authority).await?;
        let authority = register::authority(&mut conn, authority).await?;
        Ok(Self { query, authority, found, pending })
    }
}

/// `GET /recording`: find a subject; the entries of this authority waiting for their notice.
pub async fn hub(
    State(state): State<AppState>,
    RequireRole(viewer, _): Recorder,
    shell: PageContext,
    query: Result<Query<HubQuery>, QueryRejection>,
) -> AppResult<Html<String>> {
    let q = query.map(|Query(q)| q.q).unwrap_or_default();
    let page = HubPage::load(&state, &viewer, q).await?;
    Ok(hub_view(&page, &shell))
}

/// The recorder's start page, drawn from what [`HubPage::load`] read.
fn hub_view(page: &HubPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let q = page.query.trim();
    let results = (!q.is_empty()).then(|| {
        if page.found.is_empty() {
            Either::Left(view! { <p>{locale.t_with("recording.no_match", &[("q", q)])}</p> })
        } else {
            let rows = page
                .found
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
            Either::Right(view! {
                <DataTable
                    caption=locale.t_with("recording.results_caption", &[("q", q)])
                    columns=vec![
                        (locale.t("recording.col_name"), false),
                        (locale.t("recording.col_kind"), false),
                        (locale.t("recording.col_id"), false),
                    ]
                >
                    {rows}
                </DataTable>
            })
        }
    });
    let pending = if page.pending.is_empty() {
        Either::Left(view! { <p>{locale.t("recording.pending_none")}</p> })
    } else {
        let rows = page
            .pending
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
        Either::Right(view! {
            <DataTable
                caption=locale.t("recording.pending_caption")
                columns=vec![
                    (locale.t("recording.col_name"), false),
                    (locale.t("recording.col_case"), false),
                    (locale.t("recording.col_recorded"), false),
                ]
            >
                {rows}
            </DataTable>
        })
    };
    let body = authority_name(locale, page.authority.as_ref());
    let title = locale.t("recording.title");
    let main = view! {
        <h1>{title.clone()}</h1>
        <p>{locale.t_with("recording.intro", &[("body", &body)])}</p>
        <form method="get" action="/recording" class="stack" role="search">
            <TextField id="q" label=locale.t("recording.search_label") kind="search" value=page.query.clone()
                hint=Some(locale.t("recording.search_hint")) />
            <button type="submit">{locale.t("recording.search_submit")}</button>
        </form>
        <p><a href="/recording/import">{locale.t("recording.import_link")}</a>" "{locale.t("recording.import_hint")}</p>
        {results}
        <h2>{locale.t("recording.pending_title")}</h2>
        <p>{locale.t("recording.pending_intro")}</p>
        {pending}
    };
    document(ctx, &title, main.into_any())
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// What the recorder's page of a subject shows: what its authority's mandate needs, not the
/// whole file (DESIGN.md, the recorder's journey). In each of the subject's schemes where the
/// authority holds a mandate now, the subject's standing there and the records under the rules
/// it is mandated for; the subject's entries on the lists it is mandated for; and how much it
/// does not see.
pub struct SubjectPage {
    pub subject: Subject,
    /// The subject's schemes in which the authority holds a mandate for some rule now, in the
    /// order the memberships are listed.
    pub schemes: Vec<MandatedScheme>,
    /// How many of the subject's schemes are outside the mandate (not shown at all).
    pub schemes_outside: usize,
    /// The subject's entries on the lists the authority holds a mandate for.
    pub entries: Vec<blacklist::StoredEntry>,
    /// The recorder's own authority, whose entries they may open.
    authority: AuthorityId,
}

/// The subject's standing in one scheme as a recorder under a mandate in it sees it: the whole
/// standing (the score and grade every view shows, never recomputed from part of the file),
/// the records under the mandate, and the rest summed up.
pub struct MandatedScheme {
    pub standing: SchemeStanding,
    /// The records under rules the authority holds a mandate for, and the corrections and voids
    /// of those: indexes into `standing.stored()`, oldest first.
    mandated: Vec<usize>,
    /// How many of the subject's other records in the scheme there are, and the points of
    /// those that count now, so the table still adds up to the score.
    pub others: usize,
    pub others_counted: i64,
}

impl MandatedScheme {
    /// Splits the subject's records in the scheme by the authority's mandates at `now`.
    fn of(standing: SchemeStanding, mandates: &Mandates, now: DateTime<Utc>) -> Self {
        let under = mandates.records_covered(standing.scheme_id(), &standing.records.events, now);
        let stored = standing.stored();
        let mandated: Vec<usize> =
            (0..stored.len()).filter(|i| under.contains(&stored[*i].event.id)).collect();
        let others_counted = stored
            .iter()
            .filter(|e| !under.contains(&e.event.id))
            .map(|e| match standing.status_of(e.event.id) {
                RecordStatus::Counts { points } => points,
                _ => 0,
            })
            .sum();
        let others = stored.len() - mandated.len();
        Self { standing, mandated, others, others_counted }
    }

    /// The records under the mandate, oldest first.
    pub fn records(&self) -> impl DoubleEndedIterator<Item = &StoredEvent> + '_ {
        self.mandated.iter().map(|i| &self.standing.stored()[*i])
    }
}

impl SubjectPage {
    /// Every query of the page; the read is written down where the subject sees it (purpose
    /// "recording") before anything is read.
    pub async fn load(state: &AppState, viewer: &Viewer, id: &str, now: DateTime<Utc>) -> AppResult<Self> {
        let authority = authority_of(viewer)?;
        let mut conn = state.db.pool.acquire().await?;
        let subject = subject_of(&mut conn, id).await?;
        let body_en = register::authority(&mut conn, authority).await?.map(|a| a.name_en).unwrap_or_default();
        drop(conn);
        let mut tx = state.db.begin_write().await?;
        notices::record_access(
            &mut tx,
            subject.id,
            viewer.account_id.0,
            &body_en,
            "recorder",
            &Purpose::Recording.text(),
            now,
        )
        .await?;
        tx.commit().await?;
        let mut conn = state.db.pool.acquire().await?;
        let mandates = mandates::of(&mut conn, authority).await?;
        let in_mandate = mandates.schemes_at(now);
        let reads = Reads::cached(&state.cache).await?;
        let standing =
            standing::load_among(&mut conn, reads, subject.id, now, |scheme| in_mandate.contains(&scheme))
                .await?;
        let schemes_outside = standing.left_out;
        let schemes = standing.schemes.into_iter().map(|s| MandatedScheme::of(s, &mandates, now)).collect();
        let mut entries = blacklist::entries_of(&mut conn, subject.id, None).await?;
        entries.retain(|e| mandates.permits_list(authority, e.entry.list(), now));
        Ok(Self { subject, schemes, schemes_outside, entries, authority })
    }

    /// The subject's standing in `scheme` as the page shows it, if the scheme is shown.
    pub fn scheme(&self, scheme: SchemeId) -> Option<&MandatedScheme> {
        self.schemes.iter().find(|s| s.standing.scheme_id() == scheme)
    }
}

/// `GET /recording/subjects/{subject}`: the subject's record as the recorder's mandate needs it.
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
    Ok(subject_view(&page, &shell, done.as_deref(), now))
}

/// The records of one scheme under the recorder's mandate, newest first, corrections and voids
/// included, each with what it is in the derivation; one row sums up the subject's other
/// records, and for a points scheme the base and the total close the table, so the points that
/// count add up to the score shown.
fn scheme_records(locale: Locale, m: &MandatedScheme) -> impl IntoView {
    let s = &m.standing;
    let d = &s.derivation;
    let weighted = !d.components.is_empty();
    let rows = m
        .records()
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
    let span = (columns.len() - 2).to_string();
    let name = format::pick(locale, &s.ctx.record.name_en, &s.ctx.record.name_zh).to_string();
    let others = (m.others > 0).then(|| {
        let label = locale.t_with("recording.others", &[("count", &m.others.to_string())]);
        view! {
            <tr class="others">
                <th scope="row" colspan=span.clone()>{label}</th>
                <td class="num">{format::points(m.others_counted)}</td><td></td>
            </tr>
        }
    });
    let sums = (!weighted).then(|| {
        view! {
            <tr><th scope="row" colspan=span.clone()>{locale.t("record.base")}</th><td class="num">{d.base}</td><td></td></tr>
            <tr><th scope="row" colspan=span.clone()>{locale.t("recording.total")}</th><td class="num"><strong>{d.shown_total()}</strong></td><td></td></tr>
        }
    });
    let footer = (others.is_some() || sums.is_some()).then(|| view! { {others}{sums} }.into_any());
    let components = weighted.then(|| {
        let rows = d
            .components
            .iter()
            .map(|c| view! { <tr><th scope="row">{c.code.to_string()}</th><td class="num">{c.raw}</td><td class="num">{c.contribution}</td></tr> })
            .collect_view();
        view! {
            <DataTable
                caption=locale.t_with("recording.components_caption", &[("base", &d.base.to_string()), ("score", &d.score.to_string())])
                columns=vec![
                    (locale.t("catalogue.col_component"), false),
                    (locale.t("recording.col_raw"), true),
                    (locale.t("record.col_contribution"), true),
                ]
            >
                {rows}
            </DataTable>
        }
    });
    view! {
        <h2>{name.clone()}</h2>
        <p>{locale.t_with("recording.score", &[("score", &d.score.to_string()), ("grade", format::grade(locale, &s.ctx.record, d.grade.as_str()))])}</p>
        <DataTable caption=locale.t_with("recording.events_caption", &[("scheme", &name)]) columns footer>
            {rows}
        </DataTable>
        {components}
    }
}

/// The recorder's page of a subject, drawn from what [`SubjectPage::load`] read.
fn subject_view(
    page: &SubjectPage,
    ctx: &PageContext,
    done: Option<&str>,
    now: DateTime<Utc>,
) -> Html<String> {
    let locale = ctx.locale;
    let SubjectPage { subject, schemes, schemes_outside, entries, authority } = page;
    let authority = *authority;
    let sections = schemes.iter().map(|s| scheme_records(locale, s)).collect_view();
    let outside = (*schemes_outside > 0).then(|| {
        view! { <p>{locale.t_with("recording.schemes_outside", &[("count", &schemes_outside.to_string())])}</p> }
    });
    let entry_rows = entries
        .iter()
        .map(|s| {
            let status = s.entry.status_at(now);
            let case = s.entry.case_number().to_string();
            let case_view = if s.entry.authority() == authority {
                Either::Left(view! { <a href=format!("/recording/entries/{}", s.entry.id())>{case}</a> })
            } else {
                Either::Right(view! { <span>{case}</span> })
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
    let entries_view = if entries.is_empty() {
        Either::Left(view! { <p>{locale.t("recording.entries_none")}</p> })
    } else {
        Either::Right(view! {
            <DataTable
                caption=locale.t("recording.entries_caption")
                columns=vec![
                    (locale.t("recording.col_case"), false),
                    (locale.t("recording.col_status"), false),
                    (locale.t("recording.col_recorded"), false),
                ]
            >
                {entry_rows}
            </DataTable>
        })
    };
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
        <p>{locale.t("recording.mandate_only")}</p>
        <ul class="actions">
            <li><a href=format!("/recording/subjects/{sid}/events")>{locale.t("recording.event_title")}</a></li>
            <li><a href=format!("/recording/subjects/{sid}/entries")>{locale.t("recording.entry_title")}</a></li>
            <li><a href="/recording/import">{locale.t("recording.import_link")}</a></li>
        </ul>
        {sections}
        {outside}
        <h2>{locale.t("recording.entries_title")}</h2>
        {entries_view}
    };
    document(ctx, &subject.display_name, main.into_any())
}

/// The link back to the recorder's page of a subject, above each of their forms.
#[component]
fn BackToSubject(locale: Locale, subject: SubjectId, name: String) -> impl IntoView {
    view! {
        <p><a href=format!("/recording/subjects/{subject}")>{locale.t_with("recording.back_to", &[("name", &name)])}</a></p>
    }
}

/// What the event and entry forms share around their fields: the way back, the title and intro,
/// the problems of a failed post, and the form posting to `action` with its submit button.
#[component]
fn SubjectForm(
    locale: Locale,
    subject: SubjectId,
    name: String,
    title: String,
    intro: String,
    action: String,
    problems: Problems,
    submit: String,
    children: Children,
) -> impl IntoView {
    view! {
        <BackToSubject locale subject name />
        <h1>{title}</h1>
        <p>{intro}</p>
        {error_summary(locale.t("forms.error_summary"), problems)}
        <form class="stack" method="post" action=action>
            {children()}
            <button type="submit">{submit}</button>
        </form>
    }
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

/// What the form recording an event shows: the subject's schemes and the rule codes in force in
/// them, and (after a failed post) what was typed and what is wrong with it.
pub struct EventFormPage {
    pub subject: Subject,
    pub schemes: Vec<SchemeContext>,
    /// The rule codes in force now in the subject's schemes that the recorder's authority holds a
    /// mandate for, offered in the rule code's hint.
    pub codes: Vec<String>,
    pub form: EventForm,
    pub problems: Problems,
}

impl EventFormPage {
    /// Every query of the page, with an empty form.
    pub async fn load(state: &AppState, viewer: &Viewer, id: &str, now: DateTime<Utc>) -> AppResult<Self> {
        let authority = authority_of(viewer)?;
        let mut conn = state.db.pool.acquire().await?;
        let subject = subject_of(&mut conn, id).await?;
        let schemes = schemes_of(&mut conn, subject.id).await?;
        let mandates = &mandates::of(&mut conn, authority).await?;
        let codes = schemes
            .iter()
            .flat_map(|c| {
                let scheme = c.scheme().id();
                c.catalogue
                    .in_force_at(now)
                    .into_iter()
                    .filter(move |v| mandates.permits_rule(authority, scheme, v.rule_code(), now))
                    .map(|v| v.rule_code().to_string())
            })
            .collect();
        Ok(Self { subject, schemes, codes, form: EventForm::default(), problems: Problems::new() })
    }

    /// Reads the posted form: the chosen scheme (an index into `schemes`) and the fact, or every
    /// problem with it.
    fn check(&self, locale: Locale) -> Result<(usize, Fact), Problems> {
        let form = &self.form;
        let mut problems = Problems::new();
        let scheme = self.schemes.iter().position(|c| c.scheme().code() == form.scheme.trim());
        if scheme.is_none() {
            problems.push(("scheme", locale.t("recording.scheme_unknown")));
        }
        let rule_code =
            RuleCode::parse(&form.rule_code).map_err(|e| problems.push(describe(locale, &e))).ok();
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
        match (scheme, rule_code, occurred_at, problems.is_empty()) {
            (Some(scheme), Some(rule_code), Some(occurred_at), true) => {
                Ok((scheme, Fact { rule_code, points, occurred_at }))
            }
            _ => Err(problems),
        }
    }
}

/// `GET /recording/subjects/{subject}/events`.
pub async fn event_form(
    State(state): State<AppState>,
    RequireRole(viewer, _): Recorder,
    shell: PageContext,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    let page = EventFormPage::load(&state, &viewer, &id, Utc::now()).await?;
    Ok(event_view(&page, &shell))
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
    let now = Utc::now();
    let authority = authority_of(&viewer)?;
    let mut page = EventFormPage::load(&state, &viewer, &id, now).await?;
    page.form = form;
    let refuse = |mut page: EventFormPage, problems: Problems| -> AppResult<Response> {
        page.problems = problems;
        Ok((StatusCode::UNPROCESSABLE_ENTITY, event_view(&page, &shell)).into_response())
    };
    let (scheme, fact) = match page.check(locale) {
        Ok(checked) => checked,
        Err(problems) => return refuse(page, problems),
    };
    let (ctx, form, subject) = (&page.schemes[scheme], &page.form, page.subject.id);
    let source = Source {
        subject,
        scheme: ctx.scheme().id(),
        authority,
        external_ref: form.external_ref.trim().to_string(),
    };
    let provenance = Provenance {
        recorded_by: viewer.username.clone(),
        source: form.source.trim().to_string(),
        evidence_ref: form.evidence_ref.trim().to_string(),
    };
    let mut tx = state.db.begin_write().await?;
    let recorded = match records::record_fact_in(&mut tx, ctx, source, fact, provenance, now).await {
        Ok(recorded) => recorded,
        Err(RecordError::Domain(e)) => return refuse(page, vec![describe(locale, &e)]),
        Err(RecordError::NotAMember) => {
            return refuse(page, vec![("scheme", locale.t("recording.scheme_unknown"))])
        }
        Err(RecordError::ReferenceReused { external_ref }) => {
            return refuse(
                page,
                vec![(
                    "external_ref",
                    locale.t_with("recording.reference_reused", &[("reference", &external_ref)]),
                )],
            )
        }
        Err(RecordError::Store(e)) => return Err(e.into()),
    };
    let done = match recorded {
        Recorded::New(event) => {
            let actor = Actor::person(viewer.account_id, &viewer.username, address);
            let detail = serde_json::json!({
                "subject": subject.to_string(),
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
    Ok(Redirect::to(&format!("/recording/subjects/{subject}?done={done}")).into_response())
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

/// The form recording an event, empty or as posted with its problems.
fn event_view(page: &EventFormPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let (subject, form, problems) = (&page.subject, &page.form, &page.problems);
    let chosen = form.scheme.trim();
    let only = page.schemes.len() == 1;
    let scheme_options = page
        .schemes
        .iter()
        .map(|c| {
            let code = c.scheme().code().to_string();
            let selected = chosen == code || only;
            view! { <option value=code selected=selected>{format::pick(locale, &c.record.name_en, &c.record.name_zh).to_string()}</option> }
        })
        .collect_view();
    let fields = view! {
        <SelectField id="scheme" label=locale.t("problems.field_scheme") error=error_for(problems, "scheme")>
            {scheme_options}
        </SelectField>
        <TextField id="rule_code" label=locale.t("problems.field_rule_code") value=form.rule_code.clone()
            hint=Some(locale.t_with("recording.rule_code_hint", &[("codes", &page.codes.join(", "))]))
            error=error_for(problems, "rule_code") />
        <TextField id="occurred_at" label=locale.t("problems.field_occurred_at") kind="datetime-local"
            value=form.occurred_at.clone() hint=Some(locale.t("recording.utc_hint"))
            error=error_for(problems, "occurred_at") />
        <TextField id="points" label=locale.t("problems.field_points") value=form.points.clone()
            hint=Some(locale.t("recording.points_hint")) error=error_for(problems, "points") />
        <TextField id="source" label=locale.t("problems.field_source") value=form.source.clone()
            hint=Some(locale.t("recording.source_hint")) error=error_for(problems, "source") />
        <TextField id="evidence_ref" label=locale.t("problems.field_evidence_ref") value=form.evidence_ref.clone()
            hint=Some(locale.t("recording.optional")) error=error_for(problems, "evidence_ref") />
        <TextField id="external_ref" label=locale.t("problems.field_external_ref") value=form.external_ref.clone()
            hint=Some(locale.t("recording.external_ref_hint")) error=error_for(problems, "external_ref") />
    };
    let title = locale.t("recording.event_title");
    let main = view! {
        <SubjectForm
            locale
            subject=subject.id
            name=subject.display_name.clone()
            title=title.clone()
            intro=locale.t_with("recording.event_intro", &[("name", &subject.display_name)])
            action=format!("/recording/subjects/{}/events", subject.id)
            problems=problems.clone()
            submit=locale.t("recording.event_submit")
        >
            {fields}
        </SubjectForm>
    };
    document(ctx, &titled(locale, title, problems), main.into_any())
}

/// The fields of the entry form, read from pairs so the restriction boxes can repeat.
#[derive(Debug, Default)]
pub struct EntryForm {
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

/// What the form recording a blacklist entry shows: the lists, and (after a failed post) what was
/// typed and what is wrong with it.
pub struct EntryFormPage {
    pub subject: Subject,
    pub lists: Vec<blacklist::BlacklistList>,
    /// The lists the recorder's authority holds a mandate for: the only ones offered.
    pub offered: Vec<ListId>,
    pub form: EntryForm,
    pub problems: Problems,
}

impl EntryFormPage {
    /// Every query of the page, with the form as it first opens (paying an amount in yuan).
    pub async fn load(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<Self> {
        let authority = authority_of(viewer)?;
        let mut conn = state.db.pool.acquire().await?;
        let subject = subject_of(&mut conn, id).await?;
        let lists = recording::lists(&mut conn).await?;
        let offered = mandates::of(&mut conn, authority).await?.lists_at(Utc::now());
        let form = EntryForm { currency: "CNY".into(), removal: "pay_amount".into(), ..EntryForm::default() };
        Ok(Self { subject, lists, offered, form, problems: Problems::new() })
    }

    /// Reads the posted form into the entry to record (and its list's code), or every problem
    /// with it.
    fn check(&self, locale: Locale, authority: AuthorityId) -> Result<(EntryDraft, String), Problems> {
        let form = &self.form;
        let mut problems = Problems::new();
        let list = self.lists.iter().find(|l| l.code == form.list.trim());
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
            return Err(problems);
        };
        let draft = EntryDraft {
            id: EntryId::new(),
            subject: self.subject.id,
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
        Ok((draft, list.code.clone()))
    }
}

/// `GET /recording/subjects/{subject}/entries`.
pub async fn entry_form(
    State(state): State<AppState>,
    RequireRole(viewer, _): Recorder,
    shell: PageContext,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    let page = EntryFormPage::load(&state, &viewer, &id).await?;
    Ok(entry_form_view(&page, &shell))
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
    let mut page = EntryFormPage::load(&state, &viewer, &id).await?;
    page.form = EntryForm::from_pairs(pairs);
    let refuse = |mut page: EntryFormPage, problems: Problems| -> AppResult<Response> {
        page.problems = problems;
        Ok((StatusCode::UNPROCESSABLE_ENTITY, entry_form_view(&page, &shell)).into_response())
    };
    let (draft, list) = match page.check(locale, authority) {
        Ok(checked) => checked,
        Err(problems) => return refuse(page, problems),
    };
    let subject = page.subject.id;
    let now = Utc::now();
    let mut tx = state.db.begin_write().await?;
    let entry = match blacklist::insert_entry(&mut tx, draft, now).await {
        Ok(entry) => entry,
        Err(crate::store::StoreError::Domain(e)) => return refuse(page, vec![describe(locale, &e)]),
        Err(crate::store::StoreError::Conflict(_)) => {
            return refuse(page, vec![("case_number", locale.t("recording.case_taken"))])
        }
        Err(e) => return Err(e.into()),
    };
    let actor = Actor::person(viewer.account_id, &viewer.username, address);
    let detail = serde_json::json!({
        "subject": subject.to_string(),
        "list": list,
        "case_number": entry.case_number(),
    });
    audit::write(&mut tx, &actor, "entry.record", "blacklist_entry", &entry.id().to_string(), detail, now)
        .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/recording/subjects/{subject}?done=entry")).into_response())
}

/// The form recording a blacklist entry, as it first opens or as posted with its problems.
fn entry_form_view(page: &EntryFormPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let (subject, form, problems) = (&page.subject, &page.form, &page.problems);
    let only = page.offered.len() == 1;
    let list_options = page
        .lists
        .iter()
        .filter(|l| page.offered.contains(&l.id))
        .map(|l| {
            let selected = form.list.trim() == l.code || only;
            view! { <option value=l.code.clone() selected=selected>{format::pick(locale, &l.name_en, &l.name_zh).to_string()}</option> }
        })
        .collect_view();
    let boxes = Restriction::ALL
        .into_iter()
        .map(|r| {
            view! {
                <Choice kind="checkbox" id=format!("restriction-{}", r.code()) name="restrictions" value=r.code()
                    checked=form.restrictions.iter().any(|c| c == r.code()) label=format::restriction(locale, r) />
            }
        })
        .collect_view();
    let removal_radios = ["pay_amount", "appeal", "other"]
        .into_iter()
        .map(|kind| {
            view! {
                <Choice kind="radio" id=format!("removal-{kind}") name="removal" value=kind
                    checked=form.removal == kind label=locale.t(&format!("recording.removal_{kind}")) />
            }
        })
        .collect_view();
    let fields = view! {
        <SelectField id="list" label=locale.t("problems.field_list") error=error_for(problems, "list")>
            {list_options}
        </SelectField>
        <TextField id="case_number" label=locale.t("problems.field_case_number") value=form.case_number.clone()
            error=error_for(problems, "case_number") />
        <TextField id="legal_basis" label=locale.t("problems.field_legal_basis") value=form.legal_basis.clone()
            error=error_for(problems, "legal_basis") />
        <TextField id="reason" label=locale.t("problems.field_reason") value=form.reason.clone()
            error=error_for(problems, "reason") />
        <ChoiceGroup id="restrictions" legend=locale.t("problems.field_restrictions")
            error=error_for(problems, "restrictions")>
            {boxes}
        </ChoiceGroup>
        <TextField id="effective_from" label=locale.t("problems.field_effective_from") kind="date"
            value=form.effective_from.clone() hint=Some(locale.t("recording.effective_from_hint"))
            error=error_for(problems, "effective_from") />
        <TextField id="notice_delivered_at" label=locale.t("problems.field_notice_delivered_at") kind="date"
            value=form.notice_delivered_at.clone() hint=Some(locale.t("recording.notice_hint"))
            error=error_for(problems, "notice_delivered_at") />
        <TextField id="expires_at" label=locale.t("problems.field_expires_at") kind="date"
            value=form.expires_at.clone() hint=Some(locale.t("recording.optional"))
            error=error_for(problems, "expires_at") />
        <ChoiceGroup id="removal" legend=locale.t("problems.field_removal") error=error_for(problems, "removal")>
            {removal_radios}
        </ChoiceGroup>
        <TextField id="amount" label=locale.t("problems.field_amount") value=form.amount.clone()
            hint=Some(locale.t("recording.amount_hint")) error=error_for(problems, "amount") />
        <TextField id="currency" label=locale.t("problems.field_currency") value=form.currency.clone()
            error=error_for(problems, "currency") />
        <TextField id="removal_text" label=locale.t("recording.removal_text") value=form.removal_text.clone()
            hint=Some(locale.t("recording.removal_text_hint")) />
    };
    let title = locale.t("recording.entry_title");
    if !page.lists.iter().any(|l| page.offered.contains(&l.id)) {
        // Nothing this authority could list anyone on: say so rather than offer an empty choice.
        let main = view! {
            <BackToSubject locale subject=subject.id name=subject.display_name.clone() />
            <h1>{title.clone()}</h1>
            // A post refused all the same: its problems, with no field to link to.
            {error_summary(locale.t("forms.error_summary"), problems.iter().map(|(_, m)| ("", m.clone())).collect())}
            <p class="notice">{locale.t("recording.no_list_mandate")}</p>
        };
        return document(ctx, &titled(locale, title, problems), main.into_any());
    }
    let main = view! {
        <SubjectForm
            locale
            subject=subject.id
            name=subject.display_name.clone()
            title=title.clone()
            intro=locale.t_with("recording.entry_intro", &[("name", &subject.display_name)])
            action=format!("/recording/subjects/{}/entries", subject.id)
            problems=problems.clone()
            submit=locale.t("recording.entry_submit")
        >
            {fields}
        </SubjectForm>
    };
    document(ctx, &titled(locale, title, problems), main.into_any())
}

#[derive(Debug, Default, Deserialize)]
pub struct DeliveredForm {
    #[serde(default)]
    delivered_at: String,
    #[serde(default)]
    how: String,
}

/// What the page of an entry of the recorder's own authority shows: the entry, its subject, and
/// the form recording that its notice was delivered (as posted, with its problems, after a
/// failed post).
pub struct EntryPage {
    pub stored: blacklist::StoredEntry,
    pub subject: Subject,
    pub form: DeliveredForm,
    pub problems: Problems,
}

impl EntryPage {
    /// Every query of the page. An entry of another authority answers 404.
    pub async fn load(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<Self> {
        let authority = authority_of(viewer)?;
        let id = EntryId::parse(id).map_err(|_| AppError::NotFound)?;
        let mut conn = state.db.pool.acquire().await?;
        let stored = blacklist::entry(&mut conn, id).await?.ok_or(AppError::NotFound)?;
        if stored.entry.authority() != authority {
            return Err(AppError::NotFound);
        }
        let subject =
            register::subject(&mut conn, stored.entry.subject()).await?.ok_or(AppError::NotFound)?;
        Ok(Self { stored, subject, form: DeliveredForm::default(), problems: Problems::new() })
    }

    /// Reads the posted delivery: when, or every problem with the form.
    fn check(&self, locale: Locale, now: DateTime<Utc>) -> Result<DateTime<Utc>, Problems> {
        let form = &self.form;
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
        match (at, problems.is_empty()) {
            (Some(at), true) => Ok(at),
            _ => Err(problems),
        }
    }
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
    let page = EntryPage::load(&state, &viewer, &id).await?;
    let delivered = query.ok().and_then(|Query(q)| q.done).is_some_and(|d| d == "delivered");
    Ok(entry_view(&page, &shell, delivered, Utc::now()))
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
    let now = Utc::now();
    let mut page = EntryPage::load(&state, &viewer, &id).await?;
    page.form = form;
    let refuse = |mut page: EntryPage, problems: Problems| -> AppResult<Response> {
        page.problems = problems;
        Ok((StatusCode::UNPROCESSABLE_ENTITY, entry_view(&page, &shell, false, now)).into_response())
    };
    let at = match page.check(locale, now) {
        Ok(at) => at,
        Err(problems) => return refuse(page, problems),
    };
    let (entry_id, subject) = (page.stored.entry.id(), page.subject.id);
    let mut tx = state.db.begin_write().await?;
    match blacklist::act(&mut tx, entry_id, EntryAction::NoticeDelivered, at, page.form.how.trim(), now).await
    {
        Ok(_) => {}
        Err(crate::store::StoreError::Domain(DomainError::FutureDate { .. })) => {
            return refuse(page, vec![describe(locale, &DomainError::FutureDate { field: "delivered_at" })])
        }
        Err(crate::store::StoreError::Domain(DomainError::EffectiveBeforeNotice {
            effective_from,
            notice_delivered_at,
        })) => {
            let e = DomainError::EffectiveBeforeNotice { effective_from, notice_delivered_at };
            return refuse(page, vec![("delivered_at", describe(locale, &e).1)]);
        }
        Err(crate::store::StoreError::Domain(e)) => return refuse(page, vec![("", describe(locale, &e).1)]),
        Err(e) => return Err(e.into()),
    }
    let actor = Actor::person(viewer.account_id, &viewer.username, address);
    let detail = serde_json::json!({ "subject": subject.to_string(), "action": "notice_delivered" });
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

/// The page of an entry, drawn from what [`EntryPage::load`] read; `delivered` says the notice
/// was just recorded as delivered.
fn entry_view(page: &EntryPage, ctx: &PageContext, delivered: bool, now: DateTime<Utc>) -> Html<String> {
    let locale = ctx.locale;
    let (subject, form, problems) = (&page.subject, &page.form, &page.problems);
    let entry = &page.stored.entry;
    let status = entry.status_at(now);
    let id = entry.id();
    let restrictions =
        entry.restrictions().iter().map(|r| format::restriction(locale, *r)).collect::<Vec<_>>().join(", ");
    let deliver = (entry.notice_delivered_at().is_none()).then(|| {
        let delivered_at =
            if form.delivered_at.is_empty() { format::iso_date(now) } else { form.delivered_at.clone() };
        view! {
            <h2>{locale.t("recording.deliver_title")}</h2>
            <p>{locale.t("recording.deliver_intro")}</p>
            <form class="stack" method="post" action=format!("/recording/entries/{id}/delivered")>
                <TextField id="delivered_at" label=locale.t("problems.field_delivered_at") kind="date"
                    value=delivered_at hint=Some(locale.t("recording.delivered_hint"))
                    error=error_for(problems, "delivered_at") />
                <TextField id="how" label=locale.t("problems.field_how") value=form.how.clone()
                    hint=Some(locale.t("recording.how_hint")) error=error_for(problems, "how") />
                <button type="submit">{locale.t("recording.deliver_submit")}</button>
            </form>
        }
    });
    let message = delivered.then(|| locale.t("recording.done_delivered"));
    let title = locale.t_with("recording.entry_page_title", &[("case", entry.case_number())]);
    let main = view! {
        <BackToSubject locale subject=subject.id name=subject.display_name.clone() />
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
    document(ctx, &titled(locale, title, problems), main.into_any())
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
