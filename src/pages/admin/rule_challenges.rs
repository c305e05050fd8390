//! Challenges to rules: appeals that contest a rule itself are routed to administrators, who keep
//! the rule with reasons or repeal it from the rule catalogue's administration.

use axum::{extract::State, response::Html};
use chrono::Utc;
use leptos::prelude::*;

use crate::{
    auth::access::{Administrators, RequireRole},
    error::AppResult,
    http::AppState,
    pages::kit::{
        appeal::{describe, status_badge},
        data_table, document, format, PageContext,
    },
    store::appeals,
};

/// `GET /admin/appeals`: challenges to rules, routed to administrators (the repeal itself is
/// done from the rule catalogue's administration).
pub async fn rule_challenges(
    State(state): State<AppState>,
    _admin: RequireRole<Administrators>,
    shell: PageContext,
) -> AppResult<Html<String>> {
    let locale = shell.locale;
    let now = Utc::now();
    let mut conn = state.db.pool.acquire().await?;
    let items = appeals::rule_challenges(&mut conn).await?;
    let mut rows = Vec::new();
    for a in &items {
        let (what, link) = describe(locale, a, false);
        rows.push(view! {
            <tr>
                <td>{a.reference()}</td>
                <td><a href=link.unwrap_or_default()>{what}</a></td>
                <td>{locale.t(&format!("appeals.grounds_{}", a.grounds.code()))}</td>
                <td class="statement">{a.statement.clone()}</td>
                <td><time datetime=format::iso_date(a.filed_at)>{format::date(locale, a.filed_at)}</time></td>
                <td><time datetime=format::iso_date(a.due_at)>{format::date(locale, a.due_at)}</time></td>
                <td>{status_badge(locale, a, now)}</td>
            </tr>
        });
    }
    drop(conn);
    let ctx = shell.clone();
    let title = locale.t("review.rule_challenges_title");
    let main = view! {
        <h1>{title.clone()}</h1>
        <p>{locale.t("review.rule_challenges_intro")}</p>
        {if items.is_empty() {
            view! { <p>{locale.t("review.rule_challenges_none")}</p> }.into_any()
        } else {
            data_table(None, locale.t("review.rule_challenges_title"), vec![
                (locale.t("appeals.col_reference"), false),
                (locale.t("appeals.col_contested"), false),
                (locale.t("appeals.col_grounds"), false),
                (locale.t("appeals.statement_label"), false),
                (locale.t("appeals.col_filed"), false),
                (locale.t("appeals.col_due"), false),
                (locale.t("appeals.col_status"), false),
            ], rows.collect_view())
        }}
    };
    Ok(document(&ctx, &title, main.into_any()))
}
