//! Where administration starts (`/admin`), and the audit log of every write.

use axum::{
    extract::{rejection::QueryRejection, Query, State},
    response::Html,
};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::Deserialize;

use super::{Admin, BackLink};
use crate::{
    error::AppResult,
    http::AppState,
    pages::kit::{document, format, format::datetime, DataTable, PageContext},
    store::{
        audit::{self, AuditEntry},
        catalogue::{self, SchemeRecord},
    },
};

/// Audit rows per page.
const AUDIT_PAGE: i64 = 50;

/// What the hub shows: a link to each part of administration, two for each scheme.
pub struct HubPage {
    pub schemes: Vec<SchemeRecord>,
    /// Corrections relying parties have not acknowledged within three working days.
    pub overdue_corrections: i64,
}

impl HubPage {
    /// Every query of the page.
    pub async fn load(state: &AppState) -> AppResult<Self> {
        let mut conn = state.db.pool.acquire().await?;
        let schemes = catalogue::schemes(&mut conn).await?;
        let counts = crate::store::checks::counts_by_party(&mut conn, chrono::Utc::now()).await?;
        Ok(Self { schemes, overdue_corrections: counts.values().map(|c| c.overdue).sum() })
    }
}

/// `GET /admin`: where each part of administration starts.
pub async fn page(
    State(state): State<AppState>,
    _admin: Admin,
    shell: PageContext,
) -> AppResult<Html<String>> {
    let page = HubPage::load(&state).await?;
    Ok(hub_view(&page, &shell))
}

/// The hub, drawn from what [`HubPage::load`] read.
fn hub_view(page: &HubPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let scheme_links = page
        .schemes
        .iter()
        .map(|s| {
            let name = format::pick(locale, &s.name_en, &s.name_zh).to_string();
            let code = s.scheme.code();
            view! {
                <li><a href=format!("/admin/schemes/{code}/rules")>{locale.t_with("administration.rules_of", &[("scheme", &name)])}</a></li>
                <li><a href=format!("/admin/schemes/{code}/settings")>{locale.t_with("administration.scheme_title", &[("scheme", &name)])}</a></li>
            }
        })
        .collect_view();
    let title = locale.t("administration.title");
    let main = view! {
        <h1>{title.clone()}</h1>
        <ul class="actions">
            <li><a href="/admin/accounts">{locale.t("administration.accounts")}</a></li>
            {scheme_links}
            <li><a href="/admin/authorities">{locale.t("administration.authorities")}</a></li>
            <li><a href="/admin/review-bodies">{locale.t("administration.review_bodies")}</a></li>
            <li><a href="/admin/tokens">{locale.t("administration.tokens")}</a></li>
            <li>
                <a href="/admin/relying-parties">{locale.t("parties.title")}</a>
                {(page.overdue_corrections > 0).then(|| view! {
                    " "<strong class="badge warn">{locale.t_with("parties.overdue", &[("count", &page.overdue_corrections.to_string())])}</strong>
                })}
            </li>
            <li><a href="/admin/audit">{locale.t("administration.audit")}</a></li>
            <li><a href="/admin/appeals">{locale.t("review.rule_challenges_title")}</a></li>
        </ul>
    };
    document(ctx, &title, main.into_any())
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    before: Option<i64>,
}

/// What a page of the audit log shows: its rows, newest first, and where the older rows start.
pub struct AuditPage {
    pub rows: Vec<AuditEntry>,
    /// The link to the next page back, when this page is full.
    pub older: Option<String>,
}

impl AuditPage {
    /// Every query of the page: the rows written before `before` (or the newest).
    pub async fn load(state: &AppState, before: Option<DateTime<Utc>>) -> AppResult<Self> {
        let mut conn = state.db.pool.acquire().await?;
        let rows = audit::recent(&mut conn, before, AUDIT_PAGE).await?;
        let older = (rows.len() as i64 == AUDIT_PAGE)
            .then(|| rows.last().map(|r| format!("/admin/audit?before={}", crate::store::to_micros(r.at))))
            .flatten();
        Ok(Self { rows, older })
    }
}

/// `GET /admin/audit`: every write, newest first, a page at a time (`?before=` a row's time).
pub async fn audit_log(
    State(state): State<AppState>,
    _admin: Admin,
    shell: PageContext,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> AppResult<Html<String>> {
    let before = query.ok().and_then(|Query(q)| q.before).map(crate::store::from_micros);
    let page = AuditPage::load(&state, before).await?;
    Ok(audit_view(&page, &shell))
}

/// A page of the audit log, drawn from what [`AuditPage::load`] read.
fn audit_view(page: &AuditPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let AuditPage { rows, older } = page;
    let table = if rows.is_empty() {
        view! { <p>{locale.t("administration.audit_none")}</p> }.into_any()
    } else {
        let body = rows
            .iter()
            .map(|r| {
                view! {
                    <tr>
                        <td>{datetime(locale, r.at)}</td>
                        <td>{r.actor.clone()}</td>
                        <td>{r.origin.clone()}</td>
                        <td><code>{r.action.clone()}</code></td>
                        <td class="wrap">{format!("{} {}", r.target_kind, r.target_id)}</td>
                        <td class="wrap"><code>{r.detail.clone()}</code></td>
                    </tr>
                }
            })
            .collect_view();
        let columns = vec![
            (locale.t("administration.col_when"), false),
            (locale.t("administration.col_who"), false),
            (locale.t("administration.col_from"), false),
            (locale.t("administration.col_action"), false),
            (locale.t("administration.col_target"), false),
            (locale.t("administration.col_detail"), false),
        ];
        view! { <DataTable caption=locale.t("administration.audit_caption") columns=columns>{body}</DataTable> }
            .into_any()
    };
    let title = locale.t("administration.audit");
    let main = view! {
        <BackLink href="/admin" label=locale.t("administration.back")/>
        <h1>{title.clone()}</h1>
        <p>{locale.t("administration.audit_intro")}</p>
        {table}
        {older.clone().map(|href| view! { <p><a href=href>{locale.t("administration.older")}</a></p> })}
    };
    document(ctx, &title, main.into_any())
}
