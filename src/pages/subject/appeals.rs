//! The subject's side of appeals: "contest this" from an event, an entry or a rule; the filing
//! form with evidence files (a multipart form: it works without JavaScript); the list of their
//! appeals; each appeal with its due-date clock, evidence, decisions with the grade before and
//! after, withdrawal, and the one second-level review they may ask for. Evidence downloads are
//! served as attachments to the subject and to reviewers only.

use crate::domain::wording::{self, Purpose};
use axum::{
    extract::{multipart::MultipartRejection, Multipart, Path, State},
    http::{header, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Utc};
use leptos::{either::Either, prelude::*};
use serde::Deserialize;
use uuid::Uuid;

use crate::http::query::Query;
use crate::pages::kit::{
    appeal::{
        actor, describe, describe_target, failure_message, parse_id, refusal_text, scheme_of, suspends,
        Audience, ChallengeDecided, ClosedByRepeal, Decisions, DueClock, EvidenceList, Lapsed, StatusBadge,
        Timeline,
    },
    document,
    format::{self},
    forms::{error_for, error_summary, notice, Problems},
    Choice, ChoiceGroup, DataTable, FileField, PageContext, TextAreaField,
};
use crate::pages::subject::own_subject;
use crate::{
    auth::{
        access::{SignedIn, Viewer},
        throttle::ClientAddress,
    },
    domain::{
        appeal::{self, AppealError, Grounds, Statement, Status, MAX_FILES, MAX_FILE_BYTES, STATEMENT_MAX},
        EntryId, EventId, RuleCode, RuleVersionId,
    },
    error::{AppError, AppResult},
    http::AppState,
    i18n::Locale,
    store::{
        accounts::Role,
        appeals::{self, Appeal, NewAppeal, NewEvidence, Target},
        blacklist,
        catalogue::{self, SchemeRecord},
        notices, records,
    },
};

/// The largest upload read: every file at its limit plus room for the text fields. Anything
/// larger is refused while it arrives, before it is stored anywhere.
pub const UPLOAD_LIMIT: usize = MAX_FILES * MAX_FILE_BYTES + 256 * 1024;

/// What the list of the subject's appeals shows.
pub struct AppealsPage {
    /// Newest first.
    pub appeals: Vec<Appeal>,
}

impl AppealsPage {
    /// Every query of the list.
    pub async fn load(state: &AppState, viewer: &Viewer) -> AppResult<Self> {
        let subject = own_subject(viewer)?;
        let mut conn = state.db.pool.acquire().await?;
        Ok(Self { appeals: appeals::of_subject(&mut conn, subject).await? })
    }
}

/// `GET /appeals`: the subject's appeals, newest first.
pub async fn list(
    State(state): State<AppState>,
    shell: PageContext,
    SignedIn(viewer): SignedIn,
) -> AppResult<Html<String>> {
    let page = AppealsPage::load(&state, &viewer).await?;
    Ok(list_view(&page, &shell, Utc::now()))
}

/// The list of appeals, drawn from what [`AppealsPage::load`] read.
fn list_view(page: &AppealsPage, ctx: &PageContext, now: DateTime<Utc>) -> Html<String> {
    let locale = ctx.locale;
    let rows = page
        .appeals
        .iter()
        .map(|a| {
            let (what, _) = describe(locale, a, true);
            view! {
                <tr>
                    <td><a href=format!("/appeals/{}", a.id)>{a.reference()}</a></td>
                    <td>{what}</td>
                    <td>{grounds_label(locale, a.grounds)}</td>
                    <td><Day locale at=a.filed_at/></td>
                    <td><Day locale at=a.due_at/></td>
                    <td><StatusBadge locale appeal=a now/></td>
                </tr>
            }
        })
        .collect_view();
    let title = locale.t("appeals.title");
    let table = if page.appeals.is_empty() {
        Either::Left(view! { <p>{locale.t("appeals.none")}</p> })
    } else {
        let columns = vec![
            (locale.t("appeals.col_reference"), false),
            (locale.t("appeals.col_contested"), false),
            (locale.t("appeals.col_grounds"), false),
            (locale.t("appeals.col_filed"), false),
            (locale.t("appeals.col_due"), false),
            (locale.t("appeals.col_status"), false),
        ];
        Either::Right(view! { <DataTable caption=locale.t("appeals.caption") columns>{rows}</DataTable> })
    };
    let main = view! {
        <h1>{title.clone()}</h1>
        <p>{locale.t("appeals.intro")}</p>
        {table}
    };
    document(ctx, &title, main.into_any())
}

fn grounds_label(locale: Locale, grounds: Grounds) -> String {
    locale.t(&format!("appeals.grounds_{}", grounds.code()))
}

/// A date as a `<time>` element.
#[component]
fn Day(locale: Locale, at: DateTime<Utc>) -> impl IntoView {
    view! { <time datetime=format::iso_date(at)>{format::date(locale, at)}</time> }
}

/// What an appeal contests: a link where the viewer may follow one, else plain text.
#[component]
fn ContestedItem(what: String, link: Option<String>) -> impl IntoView {
    match link {
        Some(href) => Either::Left(view! { <a href=href>{what}</a> }),
        None => Either::Right(view! { <span>{what}</span> }),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    event: Option<String>,
    entry: Option<String>,
    /// `scheme/RULE-CODE`: the version in force is contested.
    rule: Option<String>,
}

/// The target a "contest this" link names, checked to be the viewer's (404 otherwise).
async fn resolve_target(state: &AppState, viewer: &Viewer, kind: &str, id: &str) -> AppResult<Target> {
    let subject = own_subject(viewer)?;
    let mut conn = state.db.pool.acquire().await?;
    match kind {
        "event" => {
            let id = EventId::parse(id).map_err(|_| AppError::NotFound)?;
            let e = records::event(&mut conn, id).await?.ok_or(AppError::NotFound)?;
            (e.event.subject == subject).then_some(Target::Event(id)).ok_or(AppError::NotFound)
        }
        "entry" => {
            let id = EntryId::parse(id).map_err(|_| AppError::NotFound)?;
            let e = blacklist::entry(&mut conn, id).await?.ok_or(AppError::NotFound)?;
            (e.entry.subject() == subject).then_some(Target::Entry(id)).ok_or(AppError::NotFound)
        }
        "rule" => {
            // "scheme/CODE" from a rule page, or a version id from a failed post.
            if let Ok(version) = RuleVersionId::parse(id) {
                let target = Target::Rule(version);
                appeals::target_summary(&mut conn, target).await?.ok_or(AppError::NotFound)?;
                return Ok(target);
            }
            let (scheme, code) = id.split_once('/').ok_or(AppError::NotFound)?;
            let record = catalogue::scheme_by_code(&mut conn, scheme).await?.ok_or(AppError::NotFound)?;
            let ctx = catalogue::context(&mut conn, record.scheme.id()).await?.ok_or(AppError::NotFound)?;
            let code = RuleCode::parse(code).map_err(|_| AppError::NotFound)?;
            let version =
                ctx.catalogue.version_in_force(&code, Utc::now()).map_err(|_| AppError::NotFound)?;
            Ok(Target::Rule(version.id()))
        }
        _ => Err(AppError::NotFound),
    }
}

fn target_parts(target: Target) -> (&'static str, String) {
    match target {
        Target::Event(id) => ("event", id.to_string()),
        Target::Entry(id) => ("entry", id.to_string()),
        Target::Rule(id) => ("rule", id.to_string()),
    }
}

/// What the person typed, kept when the form comes back with problems.
#[derive(Clone, Debug, Default)]
pub struct Filing {
    pub target_kind: String,
    pub target_id: String,
    pub grounds: String,
    pub statement: String,
}

/// What the filing form shows: the item contested, an appeal already open on it, and what was
/// posted with its problems when the form comes back.
pub struct FilingPage {
    pub target: Target,
    what: String,
    link: Option<String>,
    /// An open appeal on the same item.
    pub existing: Option<Uuid>,
    /// What filing means, said before filing: when a decision is due, whether the record stops
    /// counting meanwhile.
    pub terms: appeals::FilingTerms,
    /// The due date if filed now.
    pub due: DateTime<Utc>,
    pub filing: Filing,
    pub problems: Problems,
}

impl FilingPage {
    /// Every query of the filing form.
    pub async fn load(
        state: &AppState,
        locale: Locale,
        subject: crate::domain::SubjectId,
        target: Target,
        filing: Filing,
        problems: Problems,
        now: DateTime<Utc>,
    ) -> AppResult<Self> {
        let mut conn = state.db.pool.acquire().await?;
        let (what, link) = describe_target(&mut conn, locale, target, true).await?;
        let existing = appeals::open_on(&mut conn, subject, target).await?;
        let terms = appeals::filing_terms(&mut conn, target).await?.ok_or(AppError::NotFound)?;
        let due = appeal::due_at(now, terms.deadline_days);
        Ok(Self { target, what, link, existing, terms, due, filing, problems })
    }
}

/// `GET /appeals/new?event=…`: the filing form.
pub async fn new_form(
    State(state): State<AppState>,
    shell: PageContext,
    SignedIn(viewer): SignedIn,
    Query(query): Query<NewQuery>,
) -> AppResult<Html<String>> {
    let (kind, id) = match (&query.event, &query.entry, &query.rule) {
        (Some(e), _, _) => ("event", e.as_str()),
        (_, Some(e), _) => ("entry", e.as_str()),
        (_, _, Some(r)) => ("rule", r.as_str()),
        _ => return Err(AppError::NotFound),
    };
    let target = resolve_target(&state, &viewer, kind, id).await?;
    let (kind, id) = target_parts(target);
    let filing = Filing { target_kind: kind.into(), target_id: id, ..Filing::default() };
    let page =
        FilingPage::load(&state, shell.locale, own_subject(&viewer)?, target, filing, Vec::new(), Utc::now())
            .await?;
    Ok(filing_view(&page, &shell))
}

/// The filing form, drawn from what [`FilingPage::load`] read.
fn filing_view(page: &FilingPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let FilingPage { target, what, link, existing, terms, due, filing, problems } = page;
    let due_text = locale.t_with(
        "appeals.filing_due",
        &[("date", &format::date(locale, *due)), ("days", &terms.deadline_days.to_string())],
    );
    let meanwhile = match terms.suspends {
        Some(true) => Some(locale.t("appeals.filing_suspends")),
        Some(false) => Some(locale.t("appeals.filing_keeps_counting")),
        None => None,
    };
    let title = locale.t("appeals.new_title");
    let options = Grounds::offered_for(target.kind())
        .iter()
        .map(|&g| {
            view! {
                <Choice id=format!("grounds-{}", g.code()) name="grounds" value=g.code()
                    checked=filing.grounds == g.code() label=grounds_label(locale, g)/>
            }
        })
        .collect_view();
    let main = view! {
        <h1>{title.clone()}</h1>
        {error_summary(locale.t("appeals.problems"), problems.clone())}
        <p class="lead">{locale.t("appeals.contesting")}" "
            <ContestedItem what=what.clone() link=link.clone()/>
        </p>
        {matches!(target, Target::Rule(_)).then(|| view! { <p>{locale.t("appeals.rule_goes_to_admins")}</p> })}
        <div class="notice filing-terms">
            <p><strong>{due_text}</strong></p>
            {meanwhile.map(|m| view! { <p>{m}</p> })}
        </div>
        {existing.map(|a| view! {
            <p class="notice">{locale.t("appeals.already_open")}" "<a href=format!("/appeals/{a}")>{appeals::reference(a)}</a></p>
        })}
        <form method="post" action="/appeals" enctype="multipart/form-data" class="stack">
            <input type="hidden" name="target_kind" value=filing.target_kind.clone()/>
            <input type="hidden" name="target_id" value=filing.target_id.clone()/>
            <ChoiceGroup id="grounds" legend=locale.t("appeals.grounds_label") error=error_for(problems, "grounds")>
                {options}
            </ChoiceGroup>
            <TextAreaField id="statement" label=locale.t("appeals.statement_label") rows=8
                value=filing.statement.clone()
                hint=Some(locale.t_with("appeals.statement_hint", &[("max", &STATEMENT_MAX.to_string())]))
                error=error_for(problems, "statement")/>
            <EvidenceInput locale error=error_for(problems, "evidence") again=!problems.is_empty()/>
            <button type="submit">{locale.t("appeals.file_submit")}</button>
        </form>
    };
    document(ctx, &title, main.into_any())
}

/// The file input with its limits; after a failed post the person must choose the files again.
#[component]
fn EvidenceInput(locale: Locale, error: Option<String>, again: bool) -> impl IntoView {
    let hint = locale.t_with(
        "appeals.evidence_hint",
        &[("n", &MAX_FILES.to_string()), ("mb", &(MAX_FILE_BYTES / (1024 * 1024)).to_string())],
    );
    let hint = if again { format!("{hint} {}", locale.t("appeals.evidence_again")) } else { hint };
    view! {
        <FileField id="evidence" label=locale.t("appeals.evidence_label") multiple=true
            accept=".pdf,.png,.jpg,.jpeg,.txt,application/pdf,image/png,image/jpeg,text/plain"
            hint=Some(hint) error/>
    }
}

/// A multipart form as read: its text fields, and its files checked by content.
struct Upload {
    fields: Vec<(String, String)>,
    files: Vec<NewEvidence>,
    /// The first file refused, with why (the rest of the body is still read, then dropped).
    problem: Option<AppealError>,
}

impl Upload {
    fn field(&self, name: &str) -> String {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }
}

/// Why an upload could not be read at all.
enum UploadRefusal {
    TooLarge,
    Malformed,
}

/// Reads a multipart body field by field, holding at most one file's limit (plus one chunk) of
/// each file in memory; a file over the limit is drained and refused.
async fn read_upload(multipart: Result<Multipart, MultipartRejection>) -> Result<Upload, UploadRefusal> {
    let mut multipart = multipart.map_err(|_| UploadRefusal::Malformed)?;
    let mut upload = Upload { fields: Vec::new(), files: Vec::new(), problem: None };
    let too_large = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            UploadRefusal::TooLarge
        } else {
            UploadRefusal::Malformed
        }
    };
    while let Some(mut field) = multipart.next_field().await.map_err(too_large)? {
        let name = field.name().unwrap_or_default().to_string();
        if name != "evidence" {
            let text = field.text().await.map_err(too_large)?;
            upload.fields.push((name, text));
            continue;
        }
        let file_name = field.file_name().unwrap_or_default().to_string();
        let mut bytes = Vec::new();
        let mut oversized = false;
        while let Some(chunk) = field.chunk().await.map_err(too_large)? {
            if bytes.len() + chunk.len() > MAX_FILE_BYTES {
                oversized = true;
                bytes.clear();
            }
            if !oversized {
                bytes.extend_from_slice(&chunk);
            }
        }
        if file_name.is_empty() && bytes.is_empty() && !oversized {
            continue; // the file input left empty
        }
        if upload.problem.is_some() {
            continue;
        }
        if oversized {
            upload.problem = Some(AppealError::FileTooLarge {
                name: appeal::clean_file_name(&file_name),
                max_mb: MAX_FILE_BYTES / (1024 * 1024),
            });
            continue;
        }
        match appeal::sniff(&file_name, &bytes) {
            Ok(kind) => {
                upload.files.push(NewEvidence { name: appeal::clean_file_name(&file_name), kind, bytes })
            }
            Err(e) => upload.problem = Some(e),
        }
    }
    if upload.problem.is_none() && upload.files.len() > MAX_FILES {
        upload.problem = Some(AppealError::TooManyFiles { max: MAX_FILES });
    }
    Ok(upload)
}

fn upload_refused(ctx: &PageContext, refusal: UploadRefusal) -> Response {
    let locale = ctx.locale;
    let (status, title, body) = match refusal {
        UploadRefusal::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            locale.t("appeals.upload_too_large_title"),
            locale.t_with("appeals.upload_too_large", &[("mb", &(UPLOAD_LIMIT / (1024 * 1024)).to_string())]),
        ),
        UploadRefusal::Malformed => (
            StatusCode::UNPROCESSABLE_ENTITY,
            locale.t("appeals.upload_malformed_title"),
            locale.t("appeals.upload_malformed"),
        ),
    };
    let main = view! {
        <h1>{title.clone()}</h1>
        <p>{body}</p>
        <p>{locale.t("refusal.nothing_changed")}</p>
        <p><a href="/appeals">{locale.t("appeals.title")}</a></p>
    };
    (status, document(ctx, &title, main.into_any())).into_response()
}

/// `POST /appeals` (multipart): files the appeal with its evidence, or shows the form again with
/// every problem named; nothing is stored unless everything is right.
pub async fn file(
    State(state): State<AppState>,
    shell: PageContext,
    SignedIn(viewer): SignedIn,
    address: ClientAddress,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let subject = own_subject(&viewer)?;
    let upload = match read_upload(multipart).await {
        Ok(u) => u,
        Err(refusal) => return Ok(upload_refused(&shell, refusal)),
    };
    let filing = Filing {
        target_kind: upload.field("target_kind"),
        target_id: upload.field("target_id"),
        grounds: upload.field("grounds"),
        statement: upload.field("statement"),
    };
    // Someone else's record, or no record at all: 404 alike.
    let target = resolve_target(&state, &viewer, &filing.target_kind, &filing.target_id).await?;
    let mut problems = Vec::new();
    let grounds = Grounds::parse_for(&filing.grounds, target.kind())
        .map_err(|e| problems.push(("grounds", refusal_text(locale, &e))))
        .ok();
    let statement = Statement::parse(&filing.statement)
        .map_err(|e| problems.push(("statement", refusal_text(locale, &e))))
        .ok();
    if let Some(problem) = &upload.problem {
        problems.push(("evidence", refusal_text(locale, problem)));
    }
    let (Some(grounds), Some(statement), true) = (grounds, statement, problems.is_empty()) else {
        let page = FilingPage::load(&state, locale, subject, target, filing, problems, Utc::now()).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, filing_view(&page, &shell)).into_response());
    };
    let now = Utc::now();
    let mut tx = state.db.begin_write().await?;
    let new = NewAppeal { subject, target, grounds, statement, files: upload.files };
    match appeals::file(&mut tx, &actor(&viewer, &address), viewer.account_id.0, new, now).await {
        Ok(id) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/appeals/{id}?done=filed")).into_response())
        }
        Err(failure) => {
            drop(tx);
            let problems = vec![("", failure_message(locale, failure)?)];
            let page =
                FilingPage::load(&state, locale, subject, target, filing, problems, Utc::now()).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, filing_view(&page, &shell)).into_response())
        }
    }
}

/// An appeal that is the viewer's own (subjects), or 404.
async fn own_appeal(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<Appeal> {
    let subject = own_subject(viewer)?;
    let id = parse_id(id)?;
    let mut conn = state.db.pool.acquire().await?;
    let a = appeals::appeal(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    (a.subject == subject).then_some(a).ok_or(AppError::NotFound)
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

const DONE: [&str; 4] = ["filed", "evidence", "withdrawn", "second_level"];

/// What the subject sees of one of their appeals, with what a failed post left to say.
pub struct AppealPage {
    pub appeal: Appeal,
    what: String,
    link: Option<String>,
    pub files: Vec<appeals::Evidence>,
    pub decided: Vec<appeals::StoredDecision>,
    /// How a repeal closed the appeal, if one did.
    pub repealed: Option<appeals::RepealClosure>,
    /// An administrator's decision on a challenge to a rule.
    pub challenge: Option<crate::store::rule_challenges::ChallengeDecision>,
    pub timeline: Vec<appeals::Action>,
    /// Whether the contested record stops counting while the appeal is open.
    pub suspends: bool,
    /// What happened when the deadline passed undecided, at the appeal's current level.
    pub lapse: Option<crate::store::deadlines::Lapse>,
    /// The appeal's scheme, to name its grades.
    pub scheme: Option<SchemeRecord>,
    /// What the last action did (after its redirect).
    pub done: Option<String>,
    pub problems: Problems,
}

impl AppealPage {
    /// Every query of the appeal page.
    pub async fn load(state: &AppState, locale: Locale, a: Appeal) -> AppResult<Self> {
        let (what, link) = describe(locale, &a, true);
        let mut conn = state.db.pool.acquire().await?;
        let files = appeals::evidence(&mut conn, a.id).await?;
        let decided = appeals::decisions(&mut conn, a.id).await?;
        let repealed = appeals::repeal_closure(&mut conn, a.subject, a.id).await?;
        let challenge = crate::store::rule_challenges::decision(&mut conn, a.subject, a.id).await?;
        let timeline = appeals::timeline(&mut conn, a.id).await?;
        let lapse = crate::store::deadlines::current(&mut conn, &a).await?;
        let lapse_suspends = lapse.as_ref().is_some_and(|l| l.outcome == crate::domain::OnDeadline::Suspend)
            && matches!(a.target, Target::Event(_));
        let suspends = suspends(&mut conn, &a).await? || lapse_suspends;
        let scheme = scheme_of(&mut conn, &a).await?;
        Ok(Self {
            scheme,
            lapse,
            appeal: a,
            what,
            link,
            files,
            decided,
            repealed,
            challenge,
            timeline,
            suspends,
            done: None,
            problems: Vec::new(),
        })
    }

    /// Whether the subject may ask for a second-level review, or why not.
    pub fn second_level(&self) -> Result<(), AppealError> {
        let first = self.decided.iter().find(|d| d.level == 1).map(|d| d.outcome);
        appeal::check_second_level(self.appeal.status, self.appeal.level, first)
    }

    /// The page again after a failed post, with its problem and status.
    fn refused(mut self, ctx: &PageContext, problem: (&'static str, String), status: StatusCode) -> Response {
        self.problems = vec![problem];
        (status, appeal_view(&self, ctx, Utc::now())).into_response()
    }
}

/// `GET /appeals/{id}`: the subject's appeal.
pub async fn page(
    State(state): State<AppState>,
    shell: PageContext,
    SignedIn(viewer): SignedIn,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> AppResult<Html<String>> {
    let locale = shell.locale;
    let a = own_appeal(&state, &viewer, &id).await?;
    let mut page = AppealPage::load(&state, locale, a).await?;
    page.done =
        query.done.filter(|d| DONE.contains(&d.as_str())).map(|d| locale.t(&format!("appeals.done_{d}")));
    Ok(appeal_view(&page, &shell, Utc::now()))
}

/// The subject's appeal, drawn from what [`AppealPage::load`] read.
fn appeal_view(page: &AppealPage, ctx: &PageContext, now: DateTime<Utc>) -> Html<String> {
    let locale = ctx.locale;
    let a = &page.appeal;
    let problems = &page.problems;
    let title = locale.t_with("appeals.page_title", &[("reference", &a.reference())]);
    let open = a.status == Status::Open;
    let main = view! {
        <p><a href="/appeals">{locale.t("appeals.title")}</a></p>
        <h1>{title.clone()}</h1>
        {notice(page.done.clone())}
        {error_summary(locale.t("appeals.problems"), problems.clone())}
        <p><StatusBadge locale appeal=a now show_level=true/></p>
        <DueClock locale audience=Audience::Subject appeal=a suspends=page.suspends now/>
        {(open && page.suspends).then(|| view! { <p>{locale.t("appeals.suspended_meanwhile")}</p> })}
        <dl class="facts">
            <dt>{locale.t("appeals.col_contested")}</dt>
            <dd><ContestedItem what=page.what.clone() link=page.link.clone()/></dd>
            <dt>{locale.t("appeals.col_grounds")}</dt><dd>{grounds_label(locale, a.grounds)}</dd>
            <dt>{locale.t("appeals.col_filed")}</dt><dd>{format::date(locale, a.filed_at)}</dd>
            <dt>{locale.t("appeals.col_due")}</dt><dd>{format::date(locale, a.due_at)}</dd>
        </dl>
        <h2>{locale.t("appeals.statement_label")}</h2>
        <p class="statement">{a.statement.clone()}</p>
        <EvidenceList locale appeal=a files=&page.files/>
        {open.then(|| view! {
            <form method="post" action=format!("/appeals/{}/evidence", a.id) enctype="multipart/form-data" class="stack">
                <EvidenceInput locale error=error_for(problems, "evidence") again=false/>
                <button type="submit" class="secondary">{locale.t("appeals.add_evidence")}</button>
            </form>
        })}
        <Lapsed locale audience=Audience::Subject appeal=a lapse=page.lapse.as_ref() told=None/>
        <Decisions locale audience=Audience::Subject decided=&page.decided scheme=page.scheme.as_ref()/>
        <ClosedByRepeal locale audience=Audience::Subject closure=page.repealed.as_ref() scheme=page.scheme.as_ref()/>
        <ChallengeDecided locale decision=page.challenge.as_ref() scheme=page.scheme.as_ref()/>
        {(!page.decided.is_empty() || page.repealed.is_some()).then(|| view! {
            <p><a href=format!("/appeals/{}/decision", a.id)>{locale.t("appeals.decision_sheet_link")}</a></p>
        })}
        {page.second_level().is_ok().then(|| {
            let problem = error_for(problems, "why");
            view! {
                <h2>{locale.t("appeals.second_level_title")}</h2>
                <p>{locale.t("appeals.second_level_intro")}</p>
                <form method="post" action=format!("/appeals/{}/second-level", a.id) class="stack">
                    <TextAreaField id="why" label=locale.t("appeals.second_level_why") rows=5 error=problem/>
                    <button type="submit">{locale.t("appeals.second_level_submit")}</button>
                </form>
            }
        })}
        {open.then(|| {
            let problem = error_for(problems, "confirm");
            view! {
                <h2>{locale.t("appeals.withdraw_title")}</h2>
                <form method="post" action=format!("/appeals/{}/withdraw", a.id) class="stack">
                    <Choice kind="checkbox" id="confirm" name="confirm" value="yes" checked=false
                        label=locale.t("appeals.withdraw_confirm") error=problem/>
                    <button type="submit" class="secondary">{locale.t("appeals.withdraw_submit")}</button>
                </form>
            }
        })}
        <Timeline locale actions=&page.timeline lapse=page.lapse.as_ref() target=Some(a.target)/>
    };
    document(ctx, &title, main.into_any())
}

/// `POST /appeals/{id}/evidence` (multipart): more evidence while the appeal is open.
pub async fn add_evidence(
    State(state): State<AppState>,
    shell: PageContext,
    SignedIn(viewer): SignedIn,
    address: ClientAddress,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let a = own_appeal(&state, &viewer, &id).await?;
    let ctx = shell.at(format!("/appeals/{}", a.id));
    let upload = match read_upload(multipart).await {
        Ok(u) => u,
        Err(refusal) => return Ok(upload_refused(&shell, refusal)),
    };
    let problem = match (&upload.problem, upload.files.is_empty()) {
        (Some(p), _) => Some(refusal_text(locale, p)),
        (None, true) => Some(locale.t("appeals.no_file_chosen")),
        _ => None,
    };
    if let Some(problem) = problem {
        let page = AppealPage::load(&state, locale, a).await?;
        return Ok(page.refused(&ctx, ("evidence", problem), StatusCode::UNPROCESSABLE_ENTITY));
    }
    let mut tx = state.db.begin_write().await?;
    let actor = actor(&viewer, &address);
    match appeals::add_evidence(&mut tx, &actor, viewer.account_id.0, a.id, upload.files, Utc::now()).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/appeals/{}?done=evidence", a.id)).into_response())
        }
        Err(failure) => {
            drop(tx);
            let message = failure_message(locale, failure)?;
            let page = AppealPage::load(&state, locale, a).await?;
            Ok(page.refused(&ctx, ("evidence", message), StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    confirm: String,
}

/// `POST /appeals/{id}/withdraw`: ends an open appeal (after the person ticks the box).
pub async fn withdraw(
    State(state): State<AppState>,
    shell: PageContext,
    SignedIn(viewer): SignedIn,
    address: ClientAddress,
    Path(id): Path<String>,
    crate::http::form::Form(form): crate::http::form::Form<WithdrawForm>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let a = own_appeal(&state, &viewer, &id).await?;
    let ctx = shell.at(format!("/appeals/{}", a.id));
    if form.confirm != "yes" {
        let message = locale.t("appeals.withdraw_unconfirmed");
        let page = AppealPage::load(&state, locale, a).await?;
        return Ok(page.refused(&ctx, ("confirm", message), StatusCode::UNPROCESSABLE_ENTITY));
    }
    let mut tx = state.db.begin_write().await?;
    match appeals::withdraw(&mut tx, &actor(&viewer, &address), viewer.account_id.0, a.id, Utc::now()).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/appeals/{}?done=withdrawn", a.id)).into_response())
        }
        Err(failure) => {
            drop(tx);
            let message = failure_message(locale, failure)?;
            let page = AppealPage::load(&state, locale, a).await?;
            Ok(page.refused(&ctx, ("", message), StatusCode::CONFLICT))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SecondLevelForm {
    #[serde(default)]
    why: String,
}

/// `POST /appeals/{id}/second-level`: asks, once, for a review by a different reviewer.
pub async fn second_level(
    State(state): State<AppState>,
    shell: PageContext,
    SignedIn(viewer): SignedIn,
    address: ClientAddress,
    Path(id): Path<String>,
    crate::http::form::Form(form): crate::http::form::Form<SecondLevelForm>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let a = own_appeal(&state, &viewer, &id).await?;
    let ctx = shell.at(format!("/appeals/{}", a.id));
    let why = match Statement::parse(&form.why) {
        Ok(why) => why,
        Err(e) => {
            let page = AppealPage::load(&state, locale, a).await?;
            // When the request itself is not allowed, say that rather than "write a reason".
            let problem = match page.second_level() {
                Err(not_allowed) => ("", refusal_text(locale, &not_allowed)),
                Ok(()) => ("why", refusal_text(locale, &e)),
            };
            return Ok(page.refused(&ctx, problem, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let mut tx = state.db.begin_write().await?;
    let actor = actor(&viewer, &address);
    match appeals::request_second_level(&mut tx, &actor, viewer.account_id.0, a.id, &why, Utc::now()).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/appeals/{}?done=second_level", a.id)).into_response())
        }
        Err(failure) => {
            drop(tx);
            let message = failure_message(locale, failure)?;
            let page = AppealPage::load(&state, locale, a).await?;
            Ok(page.refused(&ctx, ("", message), StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

/// `GET /appeals/{id}/evidence/{file}`: an evidence file, only to the appeal's subject and to
/// reviewers; always a download with the type read from its content, never shown inline.
pub async fn download(
    State(state): State<AppState>,
    SignedIn(viewer): SignedIn,
    Path((id, file)): Path<(String, String)>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let file = parse_id(&file)?;
    let mut conn = state.db.pool.acquire().await?;
    let a = appeals::appeal(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    let allowed = match viewer.role {
        Role::Subject => viewer.subject_id == Some(a.subject),
        Role::Reviewer => !matches!(a.target, Target::Rule(_)),
        Role::Administrator => matches!(a.target, Target::Rule(_)),
        Role::Recorder => false,
    };
    if !allowed {
        return Err(AppError::NotFound);
    }
    let (meta, bytes) = appeals::evidence_file(&mut conn, id, file).await?.ok_or(AppError::NotFound)?;
    // Staff downloads are reads of the subject's record (DESIGN.md invariant 4).
    if viewer.role != Role::Subject {
        let body = match viewer.review_body_id {
            Some(body) => appeals::body(&mut conn, body).await?.map(|b| b.name_en),
            None => None,
        };
        let purpose = Purpose::DownloadingEvidence(&a.reference()).text();
        let body = body.unwrap_or_else(|| wording::ADMINISTRATION.into());
        notices::record_access(
            &mut conn,
            a.subject,
            viewer.account_id.0,
            &body,
            viewer.role.as_str(),
            &purpose,
            Utc::now(),
        )
        .await?;
    }
    let ascii: String = meta
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        percent_encoding::utf8_percent_encode(&meta.name, percent_encoding::NON_ALPHANUMERIC)
    );
    Ok((
        [
            (header::CONTENT_TYPE, meta.content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::appeal::Conflict;
    use crate::domain::appeal::Outcome;

    /// Keys built at run time are not seen by the translation scan; check each one here.
    #[test]
    fn every_key_built_at_run_time_is_translated_in_both_languages() {
        let mut keys: Vec<String> =
            AppealError::all_codes().iter().map(|c| format!("appeals.error.{c}")).collect();
        keys.extend(Grounds::ALL.iter().map(|g| format!("appeals.grounds_{}", g.code())));
        keys.extend(Outcome::CODES.iter().map(|o| format!("appeals.outcome_{o}")));
        keys.extend(DONE.iter().map(|d| format!("appeals.done_{d}")));
        for action in [
            "filed",
            "evidence_added",
            "withdrawn",
            "claimed",
            "assigned",
            "decided",
            "second_level_requested",
        ] {
            keys.push(format!("appeals.action_{action}"));
        }
        for status in Status::ALL {
            keys.push(format!("appeals.status_{}", status.code()));
        }
        keys.extend(Conflict::ALL.iter().map(|c| format!("appeals.error.{}", c.code())));
        for locale in Locale::ALL {
            for key in &keys {
                assert!(!locale.t(key).ends_with(key.as_str()), "{} is missing {key}", locale.code());
            }
        }
    }
}
