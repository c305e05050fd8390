//! Challenges to rules: appeals that contest a rule itself are routed to administrators, who keep
//! the rule with reasons or repeal it from the rule catalogue's administration.

use axum::{extract::State, response::Html};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

use super::Admin;
use crate::{
    error::AppResult,
    http::AppState,
    pages::kit::{
        appeal::{describe, StatusBadge},
        document, format, DataTable, PageContext,
    },
    store::appeals::{self, Appeal},
};

/// What the page shows: every appeal against a rule, soonest due first.
pub struct RuleChallengesPage {
    pub challenges: Vec<Appeal>,
}

impl RuleChallengesPage {
    /// Every query of the page.
    pub async fn load(state: &AppState) -> AppResult<Self> {
        let mut conn = state.db.pool.acquire().await?;
        Ok(Self { challenges: appeals::rule_challenges(&mut conn).await? })
    }
}

/// `GET /admin/appeals`: challenges to rules, routed to administrators (the repeal itself is
/// done from the rule catalogue's administration).
pub async fn rule_challenges(
    State(state): State<AppState>,
    _admin: Admin,
    shell: PageContext,
) -> AppResult<Html<String>> {
    let now = Utc::now();
    let page = RuleChallengesPage::load(&state).await?;
    Ok(challenges_view(&page, &shell, now))
}

/// The rule challenges, drawn from what [`RuleChallengesPage::load`] read, with each appeal's
/// status as of `now`.
fn challenges_view(page: &RuleChallengesPage, ctx: &PageContext, now: DateTime<Utc>) -> Html<String> {
    let locale = ctx.locale;
    let title = locale.t("review.rule_challenges_title");
    let table = if page.challenges.is_empty() {
        view! { <p>{locale.t("review.rule_challenges_none")}</p> }.into_any()
    } else {
        let rows = page
            .challenges
            .iter()
            .map(|a| {
                let (what, link) = describe(locale, a, false);
                view! {
                    <tr>
                        <td>{a.reference()}</td>
                        <td><a href=link.unwrap_or_default()>{what}</a></td>
                        <td>{locale.t(&format!("appeals.grounds_{}", a.grounds.code()))}</td>
                        <td class="statement">{a.statement.clone()}</td>
                        <td><time datetime=format::iso_date(a.filed_at)>{format::date(locale, a.filed_at)}</time></td>
                        <td><time datetime=format::iso_date(a.due_at)>{format::date(locale, a.due_at)}</time></td>
                        <td><StatusBadge locale appeal=a now/></td>
                    </tr>
                }
            })
            .collect_view();
        let columns = vec![
            (locale.t("appeals.col_reference"), false),
            (locale.t("appeals.col_contested"), false),
            (locale.t("appeals.col_grounds"), false),
            (locale.t("appeals.statement_label"), false),
            (locale.t("appeals.col_filed"), false),
            (locale.t("appeals.col_due"), false),
            (locale.t("appeals.col_status"), false),
        ];
        view! { <DataTable caption=title.clone() columns=columns>{rows}</DataTable> }.into_any()
    };
    let main = view! {
        <h1>{title.clone()}</h1>
        <p>{locale.t("review.rule_challenges_intro")}</p>
        {table}
    };
    document(ctx, &title, main.into_any())
}
