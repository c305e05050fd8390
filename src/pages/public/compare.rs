//! Catalogues side by side: the rules of several schemes lined up by the behaviour they are
//! about, so anyone can see that the same behaviour costs points in one city and nothing in
//! another.

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use leptos::{either::Either, prelude::*};
use serde::Deserialize;

use super::cache::{self, Fresh};
use crate::pages::kit::{
    document,
    format::{self, pick},
    DataTable, PageContext,
};
use crate::{
    domain::{Category, RuleVersion},
    error::AppResult,
    http::AppState,
    i18n::Locale,
    store::catalogue::{self, SchemeContext},
};

/// Most schemes one comparison lines up: beyond that no screen can read the table.
pub const MAX_SCHEMES: usize = 6;

#[derive(Debug, Default, Deserialize)]
pub struct CompareQuery {
    /// Scheme codes separated by commas; empty or absent: every scheme.
    #[serde(default)]
    schemes: String,
}

/// What the comparison shows: the schemes compared with their rules in force, and what in the
/// request could not be read.
pub struct ComparePage {
    pub schemes: Vec<SchemeContext>,
    /// Every scheme, for the form that picks them.
    pub all: Vec<(String, String, String)>,
    /// The codes asked for that name no scheme, or too many schemes.
    pub problem: Option<String>,
    pub now: DateTime<Utc>,
}

impl ComparePage {
    /// Every query of the page.
    pub async fn load(state: &AppState, locale: Locale, asked: &str, now: DateTime<Utc>) -> AppResult<Self> {
        let mut conn = state.db.pool.acquire().await?;
        let records = catalogue::schemes(&mut conn).await?;
        let all = records
            .iter()
            .map(|r| (r.scheme.code().to_string(), r.name_en.clone(), r.name_zh.clone()))
            .collect();
        let codes: Vec<&str> = asked.split(',').map(str::trim).filter(|c| !c.is_empty()).collect();
        let unknown: Vec<&str> =
            codes.iter().copied().filter(|c| !records.iter().any(|r| r.scheme.code() == *c)).collect();
        let mut problem = None;
        if !unknown.is_empty() {
            problem = Some(locale.t_with("compare.unknown_schemes", &[("codes", &unknown.join(", "))]));
        } else if codes.len() > MAX_SCHEMES {
            problem = Some(locale.t_with("compare.too_many", &[("max", &MAX_SCHEMES.to_string())]));
        }
        let chosen: Vec<_> = records
            .into_iter()
            .filter(|r| problem.is_none() && (codes.is_empty() || codes.contains(&r.scheme.code())))
            .take(MAX_SCHEMES)
            .collect();
        let mut schemes = Vec::with_capacity(chosen.len());
        for record in chosen {
            if let Some(ctx) = catalogue::context(&mut conn, record.scheme.id()).await? {
                schemes.push(ctx);
            }
        }
        Ok(Self { schemes, all, problem, now })
    }

    /// Each category some compared scheme has a rule for, with each scheme's rules in it (an
    /// empty list: not counted there).
    pub fn rows(&self) -> Vec<(Category, Vec<Vec<RuleVersion>>)> {
        let in_force: Vec<Vec<&RuleVersion>> =
            self.schemes.iter().map(|s| s.catalogue.in_force_at(self.now)).collect();
        Category::ALL
            .into_iter()
            .map(|c| {
                let cells = in_force
                    .iter()
                    .map(|rules| {
                        rules.iter().filter(|v| v.content().category == c).map(|v| (*v).clone()).collect()
                    })
                    .collect::<Vec<Vec<_>>>();
                (c, cells)
            })
            .filter(|(_, cells)| cells.iter().any(|rules| !rules.is_empty()))
            .collect()
    }
}

/// `GET /rules/compare?schemes=a,b`: the catalogues of the schemes asked for (all by default)
/// side by side, by behaviour.
pub async fn page(
    State(state): State<AppState>,
    shell: PageContext,
    Query(query): Query<CompareQuery>,
    request: cache::IfNoneMatch,
) -> AppResult<Response> {
    let page = ComparePage::load(&state, shell.locale, &query.schemes, Utc::now()).await?;
    if page.problem.is_some() {
        return Ok((StatusCode::BAD_REQUEST, view(&page, &shell)).into_response());
    }
    let until = page.schemes.iter().filter_map(|s| s.catalogue.next_change_after(page.now)).min();
    cache::serve(&state, &shell, &request, || async { Ok(Fresh { html: view(&page, &shell), until }) }).await
}

fn view(page: &ComparePage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let title = locale.t("compare.title");
    let chosen: Vec<&str> = page.schemes.iter().map(|s| s.scheme().code()).collect();
    let options = page
        .all
        .iter()
        .map(|(code, en, zh)| {
            let href = format!("/rules/compare?schemes={code}");
            view! { <li><a href=href>{pick(locale, en, zh).to_string()}</a></li> }
        })
        .collect_view();
    let body = match &page.problem {
        Some(problem) => Either::Left(view! {
            <div class="error-summary" role="alert" tabindex="-1">
                <h2>{locale.t("compare.problem_title")}</h2>
                <p>{format!("{}: {problem}", locale.t("compare.field_schemes"))}</p>
            </div>
        }),
        None => Either::Right(table(page, locale)),
    };
    let main = view! {
        <p><a href="/rules">{locale.t("catalogue.all_schemes")}</a></p>
        <h1>{title.clone()}</h1>
        <p class="lead">{locale.t("compare.intro")}</p>
        {body}
        <h2>{locale.t("compare.choose_title")}</h2>
        <p><a href="/rules/compare">{locale.t("compare.all")}</a></p>
        <ul>{options}</ul>
        <p class="muted">{locale.t_with("compare.how_to_choose", &[("example", &format!("/rules/compare?schemes={}", chosen.join(",")))])}</p>
    };
    document(ctx, &title, main.into_any())
}

/// One row per behaviour, one column per scheme; "not counted here" where a scheme has no rule.
fn table(page: &ComparePage, locale: Locale) -> impl IntoView {
    let mut columns = vec![(locale.t("compare.col_behaviour"), false)];
    columns.extend(
        page.schemes.iter().map(|s| (pick(locale, &s.record.name_en, &s.record.name_zh).to_string(), false)),
    );
    let rows = page
        .rows()
        .into_iter()
        .map(|(category, cells)| {
            let cells = cells
                .iter()
                .zip(&page.schemes)
                .map(|(rules, scheme)| {
                    if rules.is_empty() {
                        return Either::Left(
                            view! { <td class="muted">{locale.t("compare.not_counted")}</td> },
                        );
                    }
                    let items = rules.iter().map(|v| rule_cell(locale, scheme, v)).collect_view();
                    Either::Right(view! { <td><ul class="plain">{items}</ul></td> })
                })
                .collect_view();
            view! { <tr><th scope="row">{format::category(locale, category)}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <DataTable class="compare" caption=locale.t("compare.caption") caption_id="compare-caption" columns>
            {rows}
        </DataTable>
    }
}

fn rule_cell(locale: Locale, scheme: &SchemeContext, v: &RuleVersion) -> impl IntoView {
    let href = format!("/rules/{}/{}", scheme.scheme().code(), v.rule_code());
    let component = v.effect().component().and_then(|c| {
        let i = scheme.scheme().component_index(c)?;
        scheme.record.component_names.get(i).map(|(en, zh)| pick(locale, en, zh))
    });
    view! {
        <li>
            <a href=href>{v.rule_code().to_string()}</a>" "{format::rule_title(locale, v).to_string()}
            <br/><strong>{format::effect(locale, v.effect(), component)}</strong>
            " · "{locale.t("compare.counts_for")}" "{format::validity(locale, v.counts_for())}
            <br/><span class="muted">{format::legal_basis(locale, v).unwrap_or_default()}</span>
        </li>
    }
}
