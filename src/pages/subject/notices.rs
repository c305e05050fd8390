//! The subject's notices inbox, who has looked at their record, and the download of everything
//! Recourse holds about them (JSON, and the events as CSV).

use axum::{
    extract::State,
    http::header,
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Utc};
use leptos::{either::Either, prelude::*};
use serde_json::json;

use crate::pages::kit::{document, format, system_text, DataTable, PageContext};
use crate::pages::subject::own_subject;
use crate::{
    auth::access::{SignedIn, Viewer},
    domain::{appeal::Outcome, AuthorityId, RuleVersionId, SchemeId, SubjectId},
    error::{AppError, AppResult},
    http::AppState,
    i18n::Locale,
    store::{
        appeals::{self, Target},
        blacklist,
        catalogue::{self, SchemeContext},
        notices::{self, About, AccessRecord, Notice},
        standing::{self, Reads},
    },
};
use sqlx::AnyConnection;

/// What a notice about a record says changed: the rule, the points, and the subject's score and
/// grade in that scheme just after (from the standing loader, replayed at the notice's instant).
#[derive(Clone, Debug)]
pub struct Change {
    pub rule_code: String,
    pub title_en: String,
    pub title_zh: String,
    /// The record's points, for a recorded fact (a correction or void has its own wording).
    pub points: Option<i64>,
    pub scheme_en: String,
    pub scheme_zh: String,
    pub score: i64,
    /// The grade after, by its English and Chinese names.
    pub grade_en: String,
    pub grade_zh: String,
}

/// A notice with what it says changed, when it is about a record.
#[derive(Clone, Debug)]
pub struct NoticeView {
    pub notice: Notice,
    pub change: Option<Change>,
    /// About a blacklist entry: its case, list and authority, and whether its notice is delivered.
    pub listing: Option<Listing>,
}

/// A blacklist entry as a notice about it tells it.
#[derive(Clone, Debug)]
pub struct Listing {
    pub case_number: String,
    pub list_en: String,
    pub list_zh: String,
    pub authority_en: String,
    pub authority_zh: String,
    pub delivered: Option<DateTime<Utc>>,
    pub effective_from: DateTime<Utc>,
}

/// The blacklist entries the notices are about, as notices tell them, by entry.
async fn listings(
    state: &AppState,
    conn: &mut AnyConnection,
    notices: &[Notice],
) -> AppResult<std::collections::HashMap<crate::domain::EntryId, Listing>> {
    let mut out = std::collections::HashMap::new();
    let ids: Vec<_> =
        notices.iter().filter_map(|n| if let About::Entry(id) = n.about { Some(id) } else { None }).collect();
    if ids.is_empty() {
        return Ok(out);
    }
    let revision = state.cache.revision().await?;
    let authorities = state.cache.authorities(&mut *conn, revision).await?;
    let lists = crate::store::recording::lists(conn).await?;
    for id in ids {
        if out.contains_key(&id) {
            continue;
        }
        let Some(stored) = blacklist::entry(conn, id).await? else { continue };
        let e = &stored.entry;
        let list = lists.iter().find(|l| l.id == e.list());
        let authority = authorities.iter().find(|a| a.id == e.authority());
        out.insert(
            id,
            Listing {
                case_number: e.case_number().to_string(),
                list_en: list.map(|l| l.name_en.clone()).unwrap_or_default(),
                list_zh: list.map(|l| l.name_zh.clone()).unwrap_or_default(),
                authority_en: authority.map(|a| a.name_en.clone()).unwrap_or_default(),
                authority_zh: authority.map(|a| a.name_zh.clone()).unwrap_or_default(),
                delivered: e.notice_delivered_at(),
                effective_from: e.effective_from(),
            },
        );
    }
    Ok(out)
}

/// The subject's notices, newest first, each about a record with what it changed.
pub async fn notice_views(
    state: &AppState,
    conn: &mut AnyConnection,
    subject: SubjectId,
) -> AppResult<Vec<NoticeView>> {
    let all = notices::inbox(conn, subject).await?;
    let listings = listings(state, conn, &all).await?;
    let listing = |notice: &Notice| match notice.about {
        About::Entry(id) => listings.get(&id).cloned(),
        _ => None,
    };
    if !all.iter().any(|n| matches!(n.about, About::Event(_))) {
        return Ok(all
            .into_iter()
            .map(|notice| NoticeView { listing: listing(&notice), notice, change: None })
            .collect());
    }
    let standing = standing::load(conn, Reads::cached(&state.cache).await?, subject, Utc::now()).await?;
    Ok(all
        .into_iter()
        .map(|notice| {
            let About::Event(id) = notice.about else {
                return NoticeView { listing: listing(&notice), notice, change: None };
            };
            let change = standing.schemes.iter().find_map(|s| {
                let stored = s.stored().iter().find(|e| e.event.id == id)?;
                let e = &stored.event;
                let version = s.ctx.catalogue.get(e.rule_version);
                let then = s.derivation_at(notice.created_at.max(e.recorded_at));
                Some(Change {
                    rule_code: e.rule_code.to_string(),
                    title_en: version.map(|v| v.content().title_en.clone()).unwrap_or_default(),
                    title_zh: version.map(|v| v.content().title_zh.clone()).unwrap_or_default(),
                    points: matches!(e.kind, crate::domain::EventKind::Fact).then_some(e.points),
                    scheme_en: s.ctx.record.name_en.clone(),
                    scheme_zh: s.ctx.record.name_zh.clone(),
                    score: then.score,
                    grade_en: then.grade.to_string(),
                    grade_zh: s.ctx.record.grade_name(then.grade.as_str(), true).to_string(),
                })
            });
            NoticeView { notice, change, listing: None }
        })
        .collect())
}

/// What the inbox shows: every notice of the subject, newest first.
pub struct InboxPage {
    pub notices: Vec<NoticeView>,
}

impl InboxPage {
    /// Every query of the inbox.
    pub async fn load(state: &AppState, viewer: &Viewer) -> AppResult<Self> {
        let subject = own_subject(viewer)?;
        let mut conn = state.db.pool.acquire().await?;
        Ok(Self { notices: notice_views(state, &mut conn, subject).await? })
    }

    /// How many notices the subject has not read.
    pub fn unread(&self) -> usize {
        self.notices.iter().filter(|n| n.notice.read_at.is_none()).count()
    }
}

/// `GET /notices`: every change to the record, newest first, unread ones marked.
pub async fn inbox(
    State(state): State<AppState>,
    shell: PageContext,
    SignedIn(viewer): SignedIn,
) -> AppResult<Html<String>> {
    let page = InboxPage::load(&state, &viewer).await?;
    Ok(inbox_view(&page, &shell))
}

/// The inbox, drawn from what [`InboxPage::load`] read.
fn inbox_view(page: &InboxPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let unread = page.unread();
    let title = locale.t("notices.title");
    let list = if page.notices.is_empty() {
        Either::Left(view! { <p>{locale.t("notices.empty")}</p> })
    } else {
        let items = page.notices.iter().map(|n| view! { <NoticeItem locale item=n.clone()/> }).collect_view();
        Either::Right(view! { <ol class="notices">{items}</ol> })
    };
    let main = view! {
        <h1>{title.clone()}</h1>
        <p>{locale.t_with("notices.unread", &[("n", &unread.to_string())])}</p>
        {(unread > 0).then(|| view! {
            <form method="post" action="/notices/read">
                <button type="submit" class="secondary">{locale.t("notices.mark_read")}</button>
            </form>
        })}
        {list}
    };
    document(ctx, &title, main.into_any())
}

/// Where a notice leads: the page of what it is about.
pub fn notice_link(notice: &Notice) -> String {
    match notice.about {
        About::Event(id) => format!("/record/events/{id}"),
        About::Entry(id) => format!("/record/entries/{id}"),
        About::Appeal(id) => format!("/appeals/{id}"),
    }
}

/// A notice's headline as the subject reads it, in the inbox and in the export alike.
pub fn notice_text(locale: Locale, notice: &Notice) -> String {
    locale.t(&format!("notices.kind_{}", notice.kind.code()))
}

/// What the notice says changed, in a sentence: the rule, the points, the score and grade after.
pub fn change_text(locale: Locale, change: &Change) -> String {
    let pick = |en: &str, zh: &str| format::pick(locale, en, zh).to_string();
    let args = [
        ("code", change.rule_code.clone()),
        ("title", pick(&change.title_en, &change.title_zh)),
        ("points", change.points.map(format::points).unwrap_or_default()),
        ("scheme", pick(&change.scheme_en, &change.scheme_zh)),
        ("score", change.score.to_string()),
        ("grade", pick(&change.grade_en, &change.grade_zh)),
    ];
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let key = if change.points.is_some() { "notices.change_points" } else { "notices.change_correction" };
    locale.t_with(key, &args)
}

/// What a notice about a blacklist entry says of it: the case, the list, who listed, and
/// whether its formal notice was delivered (until then it restricts nothing).
pub fn listing_text(locale: Locale, listing: &Listing) -> String {
    let pick = |en: &str, zh: &str| format::pick(locale, en, zh).to_string();
    let authority = pick(&listing.authority_en, &listing.authority_zh);
    let mut args = vec![
        ("case", listing.case_number.clone()),
        ("list", pick(&listing.list_en, &listing.list_zh)),
        ("authority", authority),
        ("from", format::date(locale, listing.effective_from)),
    ];
    let key = match listing.delivered {
        Some(at) => {
            args.push(("date", format::date(locale, at)));
            "notices.listing_delivered"
        }
        None => "notices.listing_pending",
    };
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    locale.t_with(key, &args)
}

/// What a notice says beyond its headline: what changed on a record, or the listing's state.
fn detail_text(locale: Locale, view: &NoticeView) -> Option<String> {
    match (&view.change, &view.listing) {
        (Some(change), _) => Some(change_text(locale, change)),
        (None, Some(listing)) => Some(listing_text(locale, listing)),
        (None, None) => None,
    }
}

/// The whole text of a notice: its headline and what changed.
pub fn full_text(locale: Locale, view: &NoticeView) -> String {
    match detail_text(locale, view) {
        Some(detail) => format!("{}: {detail}", notice_text(locale, &view.notice)),
        None => notice_text(locale, &view.notice),
    }
}

/// One notice of the inbox: when, whether it is new, what changed, and a link to what it is about.
#[component]
fn NoticeItem(locale: Locale, item: NoticeView) -> impl IntoView {
    let notice = &item.notice;
    let href = notice_link(notice);
    let unread = notice.read_at.is_none();
    let change = detail_text(locale, &item);
    view! {
        <li class=if unread { "notice-item unread" } else { "notice-item" }>
            <time datetime=format::iso_date(notice.created_at)>{format::date(locale, notice.created_at)}</time>" · "
            {unread.then(|| view! { <strong>{locale.t("notices.new")}" "</strong> })}
            <a href=href>{notice_text(locale, notice)}</a>
            {change.map(|c| view! { ": "<span class="change">{c}</span> })}
        </li>
    }
}

/// `POST /notices/read`: marks every notice read, then back to the inbox.
pub async fn mark_read(State(state): State<AppState>, SignedIn(viewer): SignedIn) -> AppResult<Redirect> {
    let subject = own_subject(&viewer)?;
    let mut conn = state.db.pool.acquire().await?;
    notices::mark_all_read(&mut conn, subject, Utc::now()).await?;
    Ok(Redirect::to("/notices"))
}

/// What the page of staff reads shows: every read of the subject's record, newest first.
pub struct AccessPage {
    pub reads: Vec<AccessRecord>,
    /// Every authority's and review body's English and Chinese names, to show a read's body in
    /// the reader's language.
    pub bodies: Vec<(String, String)>,
}

impl AccessPage {
    /// Every query of the page.
    pub async fn load(state: &AppState, viewer: &Viewer) -> AppResult<Self> {
        let subject = own_subject(viewer)?;
        let mut conn = state.db.pool.acquire().await?;
        let reads = notices::accesses(&mut conn, subject).await?;
        let revision = state.cache.revision().await?;
        let mut bodies: Vec<(String, String)> = state
            .cache
            .authorities(&mut conn, revision)
            .await?
            .iter()
            .map(|a| (a.name_en.clone(), a.name_zh.clone()))
            .collect();
        let review_bodies = crate::store::accounts::review_bodies(&mut conn).await?;
        bodies.extend(review_bodies.into_iter().map(|b| (b.name_en, b.name_zh)));
        Ok(Self { reads, bodies })
    }
}

/// `GET /record/access`: the staff who opened this record, their body, role, when and why.
pub async fn access(
    State(state): State<AppState>,
    shell: PageContext,
    SignedIn(viewer): SignedIn,
) -> AppResult<Html<String>> {
    let page = AccessPage::load(&state, &viewer).await?;
    Ok(access_view(&page, &shell))
}

/// The page of staff reads and downloads, drawn from what [`AccessPage::load`] read.
fn access_view(page: &AccessPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let title = locale.t("access.title");
    let table = if page.reads.is_empty() {
        Either::Left(view! { <p>{locale.t("access.none")}</p> })
    } else {
        let rows = page
            .reads
            .iter()
            .map(|r| {
                view! {
                    <tr>
                        <td><time datetime=format::iso_date(r.at)>{format::date(locale, r.at)}" "{r.at.format("%H:%M").to_string()}</time></td>
                        <td>{r.account_name.clone()}</td>
                        <td>{system_text::body(locale, &r.body, &page.bodies)}</td>
                        <td>{locale.t(&format!("access.role_{}", r.role))}</td>
                        <td>{system_text::purpose(locale, &r.purpose)}</td>
                    </tr>
                }
            })
            .collect_view();
        let columns = vec![
            (locale.t("access.col_when"), false),
            (locale.t("access.col_who"), false),
            (locale.t("access.col_body"), false),
            (locale.t("access.col_role"), false),
            (locale.t("access.col_purpose"), false),
        ];
        Either::Right(view! { <DataTable caption=locale.t("access.caption") columns>{rows}</DataTable> })
    };
    let main = view! {
        <p><a href="/record">{locale.t("record.back")}</a></p>
        <h1>{title.clone()}</h1>
        <p>{locale.t("access.intro")}</p>
        <p><a href="/record/checks">{locale.t("access.checks_link")}</a></p>
        {table}
        <h2 id="download">{locale.t("export.title")}</h2>
        <p>{locale.t("export.intro")}</p>
        <ul>
            <li><a href="/record/export.json" download="recourse-my-data.json">{locale.t("export.json")}</a></li>
            <li><a href="/record/events.csv" download="recourse-my-events.csv">{locale.t("export.csv")}</a></li>
        </ul>
    };
    document(ctx, &title, main.into_any())
}

/// `GET /record/export.json`: everything Recourse holds about the subject.
pub async fn export_json(State(state): State<AppState>, SignedIn(viewer): SignedIn) -> AppResult<Response> {
    let body = export(&state, &viewer, Utc::now()).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"recourse-my-data.json\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        serde_json::to_string_pretty(&body).map_err(anyhow::Error::from)?,
    )
        .into_response())
}

/// A name in both languages, beside the id it names.
fn named(id: impl std::fmt::Display, en: &str, zh: &str) -> serde_json::Value {
    json!({ "id": id.to_string(), "name": { "en": en, "zh-CN": zh } })
}

/// A rule version by id, with its code, version number and title, as the catalogue has it.
fn rule_version(ctx: &SchemeContext, id: RuleVersionId) -> serde_json::Value {
    match ctx.catalogue.get(id) {
        Some(v) => json!({
            "id": id.to_string(),
            "code": v.rule_code().to_string(),
            "version": v.version(),
            "title": { "en": v.content().title_en, "zh-CN": v.content().title_zh },
        }),
        None => json!({ "id": id.to_string() }),
    }
}

/// Every appeal of the subject with everything it holds: grounds, statement, evidence (names,
/// sizes, SHA-256), every decision with its reasons and reviewer body, a second-level request,
/// a closure by repeal, and what happened when.
async fn appeals_of(
    conn: &mut AnyConnection,
    subject: SubjectId,
    authority_of: &(dyn Fn(AuthorityId) -> serde_json::Value + Sync),
    scheme_of: &(dyn Fn(SchemeId) -> serde_json::Value + Sync),
) -> AppResult<Vec<serde_json::Value>> {
    let mut out = Vec::new();
    for a in appeals::of_subject(conn, subject).await? {
        let evidence: Vec<_> = appeals::evidence(conn, a.id)
            .await?
            .into_iter()
            .map(|f| {
                json!({
                    "name": f.name,
                    "content_type": f.content_type,
                    "size_bytes": f.size_bytes,
                    "sha256": f.sha256,
                    "added_at": f.added_at,
                })
            })
            .collect();
        let decisions: Vec<_> = appeals::decisions(conn, a.id)
            .await?
            .into_iter()
            .map(|d| {
                let points = match d.outcome {
                    Outcome::PartlyUpheld { points } => Some(points),
                    _ => None,
                };
                json!({
                    "level": d.level,
                    "outcome": d.outcome.code(),
                    "corrected_points": points,
                    "reasons": d.reasons,
                    "reviewer": d.reviewer_name,
                    "review_body": { "name": { "en": d.body_en, "zh-CN": d.body_zh } },
                    "decided_at": d.decided_at,
                    "score_before": d.score_before,
                    "grade_before": d.grade_before,
                    "score_after": d.score_after,
                    "grade_after": d.grade_after,
                    "correction_event_id": d.correction.map(|c| c.to_string()),
                })
            })
            .collect();
        let timeline = appeals::timeline(conn, a.id).await?;
        let second_level = timeline
            .iter()
            .find(|x| x.action == "second_level_requested")
            .map(|x| json!({ "requested_at": x.at, "why": x.note }));
        let repeal = appeals::repeal_closure(conn, subject, a.id).await?.map(|c| {
            json!({
                "rule_code": c.rule_code,
                "reasons": c.reasons,
                "score_before": c.score_before,
                "grade_before": c.grade_before,
                "score_after": c.score_after,
                "grade_after": c.grade_after,
                "closed_at": c.closed_at,
            })
        });
        let (kind, target_id) = match a.target {
            Target::Event(id) => ("event", id.to_string()),
            Target::Entry(id) => ("entry", id.to_string()),
            Target::Rule(id) => ("rule", id.to_string()),
        };
        let history: Vec<_> = timeline
            .iter()
            .map(|x| json!({ "action": x.action, "by": x.who, "note": x.note, "at": x.at }))
            .collect();
        out.push(json!({
            "id": a.id.to_string(),
            "reference": a.reference(),
            "contests": {
                "kind": kind,
                "id": target_id,
                "rule_code": a.rule_code,
                "title": { "en": a.summary.title_en, "zh-CN": a.summary.title_zh },
            },
            "scheme": a.scheme.map(scheme_of),
            "authority": a.authority.map(authority_of),
            "grounds": a.grounds.code(),
            "statement": a.statement,
            "filed_at": a.filed_at,
            "due_at": a.due_at,
            "status": a.status.code(),
            "level": a.level,
            "closed_at": a.closed_at,
            "evidence": evidence,
            "decisions": decisions,
            "second_level": second_level,
            "closed_by_repeal": repeal,
            "timeline": history,
        }));
    }
    Ok(out)
}

/// Everything Recourse holds about the viewer's subject at `now`: their standing in each scheme
/// (the derivation, and every record with its status in it, suspended ones included), blacklist
/// entries, appeals, notices with their full text, and the record of staff reads. Every id of an
/// authority, a scheme or a rule version has its name beside it. README.md documents the format.
pub async fn export(state: &AppState, viewer: &Viewer, now: DateTime<Utc>) -> AppResult<serde_json::Value> {
    let subject_id = own_subject(viewer)?;
    let mut conn = state.db.pool.acquire().await?;
    let (subject, entries) =
        blacklist::subject_with_entries(&mut conn, subject_id, None).await?.ok_or(AppError::NotFound)?;
    let revision = state.cache.revision().await?;
    let standing =
        standing::load(&mut conn, Reads::Cached { cache: &state.cache, revision }, subject_id, now).await?;
    let authorities = state.cache.authorities(&mut conn, revision).await?;
    let authority_of = |id: AuthorityId| match authorities.iter().find(|a| a.id == id) {
        Some(a) => named(id, &a.name_en, &a.name_zh),
        None => json!({ "id": id.to_string() }),
    };
    let mut scheme_names: Vec<(SchemeId, String, String, String)> = standing
        .schemes
        .iter()
        .map(|s| {
            (
                s.scheme_id(),
                s.ctx.scheme().code().to_string(),
                s.ctx.record.name_en.clone(),
                s.ctx.record.name_zh.clone(),
            )
        })
        .collect();
    for record in catalogue::schemes(&mut conn).await? {
        if !scheme_names.iter().any(|(id, ..)| *id == record.scheme.id()) {
            let code = record.scheme.code().to_string();
            scheme_names.push((record.scheme.id(), code, record.name_en, record.name_zh));
        }
    }
    let scheme_of = |id: SchemeId| match scheme_names.iter().find(|(s, ..)| *s == id) {
        Some((_, code, en, zh)) => {
            json!({ "id": id.to_string(), "code": code, "name": { "en": en, "zh-CN": zh } })
        }
        None => json!({ "id": id.to_string() }),
    };
    let schemes: Vec<_> = standing
        .schemes
        .iter()
        .map(|s| {
            let events: Vec<_> = s
                .stored()
                .iter()
                .map(|e| {
                    json!({
                        "event": e.event,
                        "status": s.status_of(e.event.id).code(),
                        "under_appeal": s.is_under_appeal(e.event.id),
                        "authority": authority_of(e.event.authority),
                        "rule_version": rule_version(&s.ctx, e.event.rule_version),
                        "recorded_by": e.provenance.recorded_by,
                        "source": e.provenance.source,
                        "evidence_ref": e.provenance.evidence_ref,
                    })
                })
                .collect();
            json!({
                "scheme": s.ctx.scheme().code(),
                "id": s.scheme_id().to_string(),
                "name": s.ctx.record.name_en,
                "names": { "en": s.ctx.record.name_en, "zh-CN": s.ctx.record.name_zh },
                "score": s.derivation.score,
                "grade": s.derivation.grade,
                "derivation": s.derivation,
                "events": events,
            })
        })
        .collect();
    let entries: Vec<_> = entries
        .into_iter()
        .map(|e| {
            let actions: Vec<_> = e
                .actions
                .iter()
                .map(|a| json!({ "action": a.action.code(), "at": a.at, "reason": a.reason, "recorded_at": a.recorded_at }))
                .collect();
            json!({
                "entry": e.entry,
                "authority": authority_of(e.entry.authority()),
                "recorded_at": e.recorded_at,
                "actions": actions,
            })
        })
        .collect();
    let appeals = appeals_of(&mut conn, subject_id, &authority_of, &scheme_of).await?;
    let inbox: Vec<_> = notice_views(state, &mut conn, subject_id)
        .await?
        .into_iter()
        .map(|view| {
            let n = &view.notice;
            let about = match n.about {
                About::Event(id) => json!({ "event": id }),
                About::Entry(id) => json!({ "entry": id }),
                About::Appeal(id) => json!({ "appeal": id }),
            };
            json!({
                "kind": n.kind.code(),
                "about": about,
                "text": { "en": full_text(Locale::En, &view), "zh-CN": full_text(Locale::ZhCn, &view) },
                "link": notice_link(n),
                "created_at": n.created_at,
                "read_at": n.read_at,
            })
        })
        .collect();
    let reads: Vec<_> = notices::accesses(&mut conn, subject_id)
        .await
        ?
        .into_iter()
        .map(|r| json!({ "who": r.account_name, "body": r.body, "role": r.role, "purpose": r.purpose, "at": r.at }))
        .collect();
    Ok(json!({
        "exported_at": now,
        "subject": {
            "id": subject.id,
            "kind": subject.kind.code(),
            "name": subject.display_name,
            "unified_social_credit_code": subject.uscc,
        },
        "account": { "username": viewer.username, "display_name": viewer.display_name, "role": viewer.role.as_str() },
        "schemes": schemes,
        "blacklist_entries": entries,
        "appeals": appeals,
        "notices": inbox,
        "access_records": reads,
        "relying_party_checks": super::checks::ChecksPage::load(&mut conn, viewer).await?.export(),
        "audit_chain": crate::store::chain::export(&mut conn, &subject_id.to_string()).await?,
    }))
}

/// A CSV cell that spreadsheets will not run as a formula: a leading `=`, `+`, `-`, `@`, tab or
/// carriage return is neutralised with an apostrophe. For text cells only: numbers are written
/// as they are, so a spreadsheet reads −5 as the number −5.
pub fn csv_cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    }
}

/// One cell of the CSV export: text (neutralised by [`csv_cell`]) or a number (written bare).
enum Cell {
    Text(String),
    Number(i64),
}

impl Cell {
    fn text(value: impl Into<String>) -> Self {
        Cell::Text(value.into())
    }

    fn written(&self) -> String {
        match self {
            Cell::Text(t) => csv_cell(t),
            Cell::Number(n) => n.to_string(),
        }
    }
}

/// The columns of the CSV export, in order; README.md documents each.
const CSV_COLUMNS: [&str; 22] = [
    "scheme",
    "scheme_name",
    "event_id",
    "kind",
    "rule_code",
    "rule_version",
    "rule_version_id",
    "rule_title",
    "points",
    "occurred_at",
    "recorded_at",
    "authority_id",
    "authority_name",
    "recorded_by",
    "source",
    "evidence_ref",
    "external_ref",
    "corrects_event_id",
    "reason",
    "status",
    "under_appeal",
    "counts_until",
];

/// `GET /record/events.csv`: every record of the subject in every scheme, with its status now.
pub async fn export_csv(State(state): State<AppState>, SignedIn(viewer): SignedIn) -> AppResult<Response> {
    let subject_id = own_subject(&viewer)?;
    let mut conn = state.db.pool.acquire().await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(CSV_COLUMNS).map_err(anyhow::Error::from)?;
    let revision = state.cache.revision().await?;
    let reads = Reads::Cached { cache: &state.cache, revision };
    let standing = standing::load(&mut conn, reads, subject_id, Utc::now()).await?;
    let authorities = state.cache.authorities(&mut conn, revision).await?;
    for s in &standing.schemes {
        for stored in s.stored() {
            let e = &stored.event;
            let reason = match &e.kind {
                crate::domain::EventKind::Void { reason, .. }
                | crate::domain::EventKind::Supersede { reason, .. } => reason.clone(),
                crate::domain::EventKind::Fact => String::new(),
            };
            let version = s.ctx.catalogue.get(e.rule_version);
            let authority = authorities.iter().find(|a| a.id == e.authority);
            let counts_until = s.derivation.lines.iter().find(|l| l.event == e.id).map(|l| l.counts_until);
            let row = [
                Cell::text(s.ctx.scheme().code()),
                Cell::text(s.ctx.record.name_en.clone()),
                Cell::text(e.id.to_string()),
                Cell::text(e.kind.code()),
                Cell::text(e.rule_code.to_string()),
                version.map(|v| Cell::Number(i64::from(v.version()))).unwrap_or_else(|| Cell::text("")),
                Cell::text(e.rule_version.to_string()),
                Cell::text(version.map(|v| v.content().title_en.clone()).unwrap_or_default()),
                Cell::Number(e.points),
                Cell::text(e.occurred_at.to_rfc3339()),
                Cell::text(e.recorded_at.to_rfc3339()),
                Cell::text(e.authority.to_string()),
                Cell::text(authority.map(|a| a.name_en.clone()).unwrap_or_default()),
                Cell::text(stored.provenance.recorded_by.clone()),
                Cell::text(stored.provenance.source.clone()),
                Cell::text(stored.provenance.evidence_ref.clone()),
                Cell::text(e.external_ref.clone()),
                Cell::text(e.kind.target().map(|t| t.to_string()).unwrap_or_default()),
                Cell::text(reason),
                Cell::text(s.status_of(e.id).code()),
                Cell::text(if s.is_under_appeal(e.id) { "yes" } else { "no" }),
                Cell::text(counts_until.map(|t| t.to_rfc3339()).unwrap_or_default()),
            ];
            out.write_record(row.iter().map(Cell::written)).map_err(anyhow::Error::from)?;
        }
    }
    let bytes = out.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"recourse-my-events.csv\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{i18n::Locale, store::notices::NoticeKind};

    #[test]
    fn csv_cells_that_look_like_formulas_are_neutralised() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-5"), "'-5");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("TRAFFIC-01"), "TRAFFIC-01");
    }

    #[test]
    fn numbers_stay_numbers_and_only_text_is_neutralised() {
        assert_eq!(Cell::Number(-5).written(), "-5");
        assert_eq!(Cell::text("-5").written(), "'-5");
        assert_eq!(Cell::text("=1+1").written(), "'=1+1");
    }

    #[test]
    fn every_key_built_at_run_time_is_translated_in_both_languages() {
        let mut keys: Vec<String> =
            NoticeKind::ALL.iter().map(|k| format!("notices.kind_{}", k.code())).collect();
        for role in ["recorder", "reviewer", "administrator", "subject"] {
            keys.push(format!("access.role_{role}"));
        }
        for locale in Locale::ALL {
            for key in &keys {
                assert!(!locale.t(key).ends_with(key.as_str()), "{} is missing {key}", locale.code());
            }
        }
    }
}
