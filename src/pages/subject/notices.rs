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

use crate::pages::kit::{document, format, DataTable, PageContext};
use crate::pages::subject::own_subject;
use crate::{
    auth::access::{SignedIn, Viewer},
    error::{AppError, AppResult},
    http::AppState,
    i18n::Locale,
    store::{
        blacklist,
        notices::{self, About, AccessRecord, Notice},
        register,
        standing::{self, Reads},
    },
};

/// What the inbox shows: every notice of the subject, newest first.
pub struct InboxPage {
    pub notices: Vec<Notice>,
}

impl InboxPage {
    /// Every query of the inbox.
    pub async fn load(state: &AppState, viewer: &Viewer) -> AppResult<Self> {
        let subject = own_subject(viewer)?;
        let mut conn = state.db.pool.acquire().await?;
        Ok(Self { notices: notices::inbox(&mut conn, subject).await? })
    }

    /// How many notices the subject has not read.
    pub fn unread(&self) -> usize {
        self.notices.iter().filter(|n| n.read_at.is_none()).count()
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
        let items =
            page.notices.iter().map(|n| view! { <NoticeItem locale notice=n.clone()/> }).collect_view();
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

/// One notice of the inbox: when, whether it is new, and a link to what it is about.
#[component]
fn NoticeItem(locale: Locale, notice: Notice) -> impl IntoView {
    let href = match notice.about {
        About::Event(id) => format!("/record/events/{id}"),
        About::Entry(id) => format!("/record/entries/{id}"),
        About::Appeal(id) => format!("/appeals/{id}"),
    };
    let unread = notice.read_at.is_none();
    view! {
        <li class=if unread { "notice-item unread" } else { "notice-item" }>
            <time datetime=format::iso_date(notice.created_at)>{format::date(locale, notice.created_at)}</time>" · "
            {unread.then(|| view! { <strong>{locale.t("notices.new")}" "</strong> })}
            <a href=href>{locale.t(&format!("notices.kind_{}", notice.kind.code()))}</a>
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
}

impl AccessPage {
    /// Every query of the page.
    pub async fn load(state: &AppState, viewer: &Viewer) -> AppResult<Self> {
        let subject = own_subject(viewer)?;
        let mut conn = state.db.pool.acquire().await?;
        Ok(Self { reads: notices::accesses(&mut conn, subject).await? })
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
                        <td>{r.body.clone()}</td>
                        <td>{locale.t(&format!("access.role_{}", r.role))}</td>
                        <td>{r.purpose.clone()}</td>
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

/// Everything Recourse holds about the viewer's subject at `now`: their standing in each scheme
/// (the derivation, and every record with its status in it, suspended ones included), blacklist
/// entries, notices and the record of staff reads.
pub async fn export(state: &AppState, viewer: &Viewer, now: DateTime<Utc>) -> AppResult<serde_json::Value> {
    let subject_id = own_subject(viewer)?;
    let mut conn = state.db.pool.acquire().await?;
    let subject = register::subject(&mut conn, subject_id).await?.ok_or(AppError::NotFound)?;
    let standing = standing::load(&mut conn, Reads::Cached(&state.cache), subject_id, now).await?;
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
                        "recorded_by": e.provenance.recorded_by,
                        "source": e.provenance.source,
                        "evidence_ref": e.provenance.evidence_ref,
                    })
                })
                .collect();
            json!({
                "scheme": s.ctx.scheme().code(),
                "name": s.ctx.record.name_en,
                "score": s.derivation.score,
                "grade": s.derivation.grade,
                "derivation": s.derivation,
                "events": events,
            })
        })
        .collect();
    let entries: Vec<_> = blacklist::entries_of(&mut conn, subject_id, None)
        .await
        ?
        .into_iter()
        .map(|e| {
            let actions: Vec<_> = e
                .actions
                .iter()
                .map(|a| json!({ "action": a.action.code(), "at": a.at, "reason": a.reason, "recorded_at": a.recorded_at }))
                .collect();
            json!({ "entry": e.entry, "recorded_at": e.recorded_at, "actions": actions })
        })
        .collect();
    let inbox: Vec<_> = notices::inbox(&mut conn, subject_id)
        .await?
        .into_iter()
        .map(|n| {
            let about = match n.about {
                About::Event(id) => json!({ "event": id }),
                About::Entry(id) => json!({ "entry": id }),
                About::Appeal(id) => json!({ "appeal": id }),
            };
            json!({ "kind": n.kind.code(), "about": about, "created_at": n.created_at, "read_at": n.read_at })
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
        "notices": inbox,
        "access_records": reads,
        "audit_chain": crate::store::chain::export(&mut conn, &subject_id.to_string()).await?,
    }))
}

/// A CSV cell that spreadsheets will not run as a formula: a leading `=`, `+`, `-`, `@`, tab or
/// carriage return is neutralised with an apostrophe.
pub fn csv_cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    }
}

/// `GET /record/events.csv`: every record of the subject in every scheme, with its status now.
pub async fn export_csv(State(state): State<AppState>, SignedIn(viewer): SignedIn) -> AppResult<Response> {
    let subject_id = own_subject(&viewer)?;
    let mut conn = state.db.pool.acquire().await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let header_row = [
        "scheme",
        "event_id",
        "kind",
        "rule_code",
        "points",
        "occurred_at",
        "recorded_at",
        "authority_id",
        "recorded_by",
        "source",
        "evidence_ref",
        "external_ref",
        "corrects_event_id",
        "reason",
        "status",
    ];
    out.write_record(header_row).map_err(anyhow::Error::from)?;
    let standing = standing::load(&mut conn, Reads::Cached(&state.cache), subject_id, Utc::now()).await?;
    for s in &standing.schemes {
        for stored in s.stored() {
            let e = &stored.event;
            let reason = match &e.kind {
                crate::domain::EventKind::Void { reason, .. }
                | crate::domain::EventKind::Supersede { reason, .. } => reason.clone(),
                crate::domain::EventKind::Fact => String::new(),
            };
            let row = [
                s.ctx.scheme().code().to_string(),
                e.id.to_string(),
                e.kind.code().to_string(),
                e.rule_code.to_string(),
                e.points.to_string(),
                e.occurred_at.to_rfc3339(),
                e.recorded_at.to_rfc3339(),
                e.authority.to_string(),
                stored.provenance.recorded_by.clone(),
                stored.provenance.source.clone(),
                stored.provenance.evidence_ref.clone(),
                e.external_ref.clone(),
                e.kind.target().map(|t| t.to_string()).unwrap_or_default(),
                reason,
                s.status_of(e.id).code().to_string(),
            ];
            out.write_record(row.iter().map(|c| csv_cell(c))).map_err(anyhow::Error::from)?;
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
