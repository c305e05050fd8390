//! Where administration starts (`/admin`), and the audit log of every write.

use axum::{
    extract::{rejection::QueryRejection, Query, State},
    response::Html,
};
use leptos::prelude::*;
use serde::Deserialize;

use super::Admin;
use crate::{
    error::AppResult,
    http::AppState,
    pages::kit::{data_table, document, format, format::datetime, PageContext},
    store::{audit, catalogue},
};

/// Audit rows per page.
const AUDIT_PAGE: i64 = 50;

/// `GET /admin`: where each part of administration starts.
pub async fn page(
    State(state): State<AppState>,
    _admin: Admin,
    shell: PageContext,
) -> AppResult<Html<String>> {
    let locale = shell.locale;
    let mut conn = state.db.pool.acquire().await?;
    let schemes = catalogue::schemes(&mut conn).await?;
    let scheme_links = schemes
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
            <li><a href="/admin/audit">{locale.t("administration.audit")}</a></li>
        </ul>
    };
    let ctx = shell.clone();
    Ok(document(&ctx, &title, main.into_any()))
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    before: Option<i64>,
}

/// `GET /admin/audit`: every write, newest first, a page at a time (`?before=` a row's time).
pub async fn audit_log(
    State(state): State<AppState>,
    _admin: Admin,
    shell: PageContext,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> AppResult<Html<String>> {
    let locale = shell.locale;
    let before = query.ok().and_then(|Query(q)| q.before).map(crate::store::from_micros);
    let mut conn = state.db.pool.acquire().await?;
    let rows = audit::recent(&mut conn, before, AUDIT_PAGE).await?;
    let older = (rows.len() as i64 == AUDIT_PAGE)
        .then(|| rows.last().map(|r| format!("/admin/audit?before={}", crate::store::to_micros(r.at))))
        .flatten();
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
    let title = locale.t("administration.audit");
    let main = view! {
        <p><a href="/admin">{locale.t("administration.back")}</a></p>
        <h1>{title.clone()}</h1>
        <p>{locale.t("administration.audit_intro")}</p>
        {if rows.is_empty() {
            view! { <p>{locale.t("administration.audit_none")}</p> }.into_any()
        } else {
            data_table(None, locale.t("administration.audit_caption"), vec![
                (locale.t("administration.col_when"), false),
                (locale.t("administration.col_who"), false),
                (locale.t("administration.col_from"), false),
                (locale.t("administration.col_action"), false),
                (locale.t("administration.col_target"), false),
                (locale.t("administration.col_detail"), false),
            ], body)
        }}
        {older.map(|href| view! { <p><a href=href>{locale.t("administration.older")}</a></p> })}
    };
    let ctx = shell.clone();
    Ok(document(&ctx, &title, main.into_any()))
}
