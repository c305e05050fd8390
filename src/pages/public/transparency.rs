//! The public transparency report at `/transparency`: what was recorded, listed, contested and
//! decided, per scheme or overall, month by month, naming no person (counts under 5 are shown
//! as "fewer than 5"). The same figures download as CSV and JSON (fields in the README).

use std::collections::HashMap;

use axum::{
    extract::{Query, State},
    http::{header, StatusCode},
    response::{Html, IntoResponse, Response},
};
use chrono::{DateTime, Datelike, Duration, Utc};
use leptos::{either::Either, prelude::*};
use serde::Deserialize;
use serde_json::{json, Value};

use super::cache::{self, Fresh};
use crate::pages::kit::{
    document,
    format::{self, pick},
    DataTable, PageContext,
};
use crate::{
    error::AppResult,
    http::AppState,
    i18n::Locale,
    store::{
        accounts, catalogue, recording, register,
        transparency::{self, month_start, Period, Rate, Report, Spread, SUPPRESS_BELOW},
    },
};

/// How long a drawn report is kept for anonymous readers: its figures change with every
/// decision, but a few minutes' delay costs nobody anything and keeps the page cheap.
const KEEP_FOR_MINUTES: i64 = 5;

#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    scheme: String,
    /// First month, `YYYY-MM`.
    #[serde(default)]
    from: String,
    /// Last month, `YYYY-MM`.
    #[serde(default)]
    to: String,
}

/// What was asked for: a period and maybe one scheme, or the field that could not be read.
struct Asked {
    period: Period,
    scheme: Option<String>,
}

impl ReportQuery {
    fn read(&self, locale: Locale, now: DateTime<Utc>) -> Result<Asked, (&'static str, String)> {
        let month =
            |field: &'static str, text: &str| -> Result<Option<DateTime<Utc>>, (&'static str, String)> {
                let text = text.trim();
                if text.is_empty() {
                    return Ok(None);
                }
                let parsed = text
                    .split_once('-')
                    .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
                    .filter(|(y, m)| (2000..=2100).contains(y) && (1..=12).contains(m));
                match parsed {
                    Some((y, m)) => Ok(Some(month_start(y, m))),
                    None => Err((
                        field,
                        locale.t_with("transparency.bad_month", &[("field", field), ("value", text)]),
                    )),
                }
            };
        let default = Period::last_year(now);
        let from = month("from", &self.from)?.unwrap_or(default.from);
        let last = month("to", &self.to)?.unwrap_or(default.end() - Duration::days(1));
        let months = (last.year() - from.year()) * 12 + last.month() as i32 - from.month() as i32 + 1;
        if months < 1 {
            return Err(("to", locale.t("transparency.to_before_from")));
        }
        if months > Period::MAX_MONTHS as i32 {
            return Err((
                "to",
                locale.t_with("transparency.too_long", &[("max", &Period::MAX_MONTHS.to_string())]),
            ));
        }
        let scheme = Some(self.scheme.trim().to_string()).filter(|s| !s.is_empty());
        Ok(Asked { period: Period { from, months: months as u32 }, scheme })
    }
}

/// Names for the codes the report is keyed by, in both languages.
#[derive(Default)]
struct Names(HashMap<String, (String, String)>);

impl Names {
    fn get(&self, locale: Locale, key: &str) -> String {
        self.0.get(key).map(|(en, zh)| pick(locale, en, zh).to_string()).unwrap_or_else(|| key.to_string())
    }
}

/// What the report shows.
pub struct TransparencyPage {
    report: Report,
    names: Names,
    /// Every scheme (code, English, Chinese), for the filter.
    schemes: Vec<(String, String, String)>,
    /// Each relying party's name with its checks, corrections and corrections overdue (all time).
    parties: Vec<(String, crate::store::checks::PartyCounts)>,
}

impl TransparencyPage {
    async fn load(state: &AppState, asked: &Asked, now: DateTime<Utc>) -> AppResult<Option<Self>> {
        let mut conn = state.db.pool.acquire().await?;
        let records = catalogue::schemes(&mut conn).await?;
        if let Some(code) = &asked.scheme {
            if !records.iter().any(|r| r.scheme.code() == code) {
                return Ok(None);
            }
        }
        let report = transparency::report(&mut conn, asked.period, asked.scheme.as_deref(), now).await?;
        let mut names = Names::default();
        for r in &records {
            names.0.insert(r.scheme.code().to_string(), (r.name_en.clone(), r.name_zh.clone()));
            if let Some(ctx) = catalogue::context(&mut conn, r.scheme.id()).await? {
                for v in ctx.catalogue.versions() {
                    let c = v.content();
                    names.0.insert(
                        format!("{}/{}", r.scheme.code(), v.rule_code()),
                        (c.title_en.clone(), c.title_zh.clone()),
                    );
                }
            }
        }
        for a in register::authorities(&mut conn).await? {
            names.0.insert(a.code.clone(), (a.name_en.clone(), a.name_zh.clone()));
        }
        for l in recording::lists(&mut conn).await? {
            names.0.insert(l.code.clone(), (l.name_en.clone(), l.name_zh.clone()));
        }
        for b in accounts::review_bodies(&mut conn).await? {
            names.0.insert(b.code.clone(), (b.name_en.clone(), b.name_zh.clone()));
        }
        let schemes = records
            .iter()
            .map(|r| (r.scheme.code().to_string(), r.name_en.clone(), r.name_zh.clone()))
            .collect();
        let counts = crate::store::checks::counts_by_party(&mut conn, now).await?;
        let parties = crate::store::relying_parties::list(&mut conn)
            .await?
            .into_iter()
            .map(|p| (p.name, counts.get(&p.id).cloned().unwrap_or_default()))
            .collect();
        Ok(Some(Self { report, names, schemes, parties }))
    }
}

/// A count as published: "fewer than 5" from 1 to 4.
pub fn count(locale: Locale, n: i64) -> String {
    if n > 0 && n < SUPPRESS_BELOW {
        locale.t_with("transparency.fewer_than", &[("n", &SUPPRESS_BELOW.to_string())])
    } else {
        n.to_string()
    }
}

/// A count in the downloads: a number, or the string "<5".
fn count_value(n: i64) -> Value {
    if n > 0 && n < SUPPRESS_BELOW {
        json!(format!("<{SUPPRESS_BELOW}"))
    } else {
        json!(n)
    }
}

pub fn rate(locale: Locale, r: &Rate) -> String {
    r.percent().map(|p| format!("{p:.0} %")).unwrap_or_else(|| locale.t("transparency.too_few"))
}

fn days(locale: Locale, s: &Spread, pick_p90: bool) -> String {
    let value = if pick_p90 { s.p90_days } else { s.median_days };
    match value.filter(|_| s.count >= SUPPRESS_BELOW) {
        Some(d) => locale.t_with("transparency.days", &[("n", &format!("{d:.1}"))]),
        None => locale.t("transparency.too_few"),
    }
}

fn month_label(at: DateTime<Utc>) -> String {
    format!("{:04}-{:02}", at.year(), at.month())
}

async fn read(
    state: &AppState,
    locale: Locale,
    query: &ReportQuery,
) -> AppResult<Result<TransparencyPage, (StatusCode, String)>> {
    let now = Utc::now();
    let asked = match query.read(locale, now) {
        Ok(asked) => asked,
        Err((field, message)) => return Ok(Err((StatusCode::BAD_REQUEST, format!("{field}: {message}")))),
    };
    match TransparencyPage::load(state, &asked, now).await? {
        Some(page) => Ok(Ok(page)),
        None => Ok(Err((
            StatusCode::NOT_FOUND,
            format!(
                "scheme: {}",
                locale.t_with(
                    "transparency.unknown_scheme",
                    &[("code", asked.scheme.as_deref().unwrap_or(""))]
                )
            ),
        ))),
    }
}

/// `GET /transparency`: the report, signed out, in the reader's language. Drawn reports are
/// kept a few minutes for anonymous readers (the figures are grouped queries over the period).
pub async fn page(
    State(state): State<AppState>,
    shell: PageContext,
    Query(query): Query<ReportQuery>,
    request: cache::IfNoneMatch,
) -> AppResult<Response> {
    let locale = shell.locale;
    let asked = match query.read(locale, Utc::now()) {
        Ok(asked) => asked,
        Err((field, message)) => {
            return Ok((StatusCode::BAD_REQUEST, problem_view(&shell, &format!("{field}: {message}")))
                .into_response())
        }
    };
    if let Some(code) = &asked.scheme {
        let mut conn = state.db.pool.acquire().await?;
        if catalogue::scheme_by_code(&mut conn, code).await?.is_none() {
            let message = locale.t_with("transparency.unknown_scheme", &[("code", code)]);
            return Ok(
                (StatusCode::NOT_FOUND, problem_view(&shell, &format!("scheme: {message}"))).into_response()
            );
        }
    }
    cache::serve(&state, &shell, &request, || async {
        let html = match read(&state, locale, &query).await? {
            Ok(page) => view(&page, &shell),
            Err((_, message)) => problem_view(&shell, &message),
        };
        Ok(Fresh { html, until: Some(Utc::now() + Duration::minutes(KEEP_FOR_MINUTES)) })
    })
    .await
}

fn problem_view(ctx: &PageContext, message: &str) -> Html<String> {
    let locale = ctx.locale;
    let main = view! {
        <h1>{locale.t("transparency.title")}</h1>
        <div class="error-summary" role="alert" tabindex="-1">
            <h2>{locale.t("transparency.problem_title")}</h2>
            <p>{message.to_string()}</p>
        </div>
        <p><a href="/transparency">{locale.t("transparency.default_period")}</a></p>
    };
    document(ctx, &locale.t("transparency.title"), main.into_any())
}

/// `GET /transparency.json`: the same figures, as JSON.
pub async fn json_download(
    State(state): State<AppState>,
    shell: PageContext,
    Query(query): Query<ReportQuery>,
) -> AppResult<Response> {
    match read(&state, shell.locale, &query).await? {
        Ok(page) => Ok((
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"recourse-transparency.json\""),
            ],
            serde_json::to_string_pretty(&to_json(&page)).unwrap_or_default(),
        )
            .into_response()),
        Err((status, message)) => Ok((status, Json(json!({"error": message}))).into_response()),
    }
}

/// `GET /transparency.csv`: the same figures, one per row.
pub async fn csv_download(
    State(state): State<AppState>,
    shell: PageContext,
    Query(query): Query<ReportQuery>,
) -> AppResult<Response> {
    match read(&state, shell.locale, &query).await? {
        Ok(page) => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"recourse-transparency.csv\""),
            ],
            to_csv(&page),
        )
            .into_response()),
        Err((status, message)) => Ok((status, message).into_response()),
    }
}

use axum::Json;

fn spread_json(s: &Spread) -> Value {
    let hide = s.count < SUPPRESS_BELOW;
    json!({
        "count": count_value(s.count),
        "median_days": if hide { None } else { s.median_days },
        "p90_days": if hide { None } else { s.p90_days },
    })
}

fn rate_json(r: &Rate) -> Value {
    json!({
        "decided": count_value(r.decided),
        "overturned": count_value(r.overturned),
        "overturn_rate_percent": r.percent(),
    })
}

/// The report as JSON; the README documents every field.
fn to_json(page: &TransparencyPage) -> Value {
    let r = &page.report;
    let period = r.period.unwrap_or_else(|| Period::last_year(r.generated_at));
    let name = |key: &str| page.names.get(Locale::En, key);
    json!({
        "period": {"from": month_label(period.from), "to": month_label(period.end() - Duration::days(1))},
        "scheme": r.scheme,
        "generated_at": r.generated_at.to_rfc3339(),
        "suppressed_below": SUPPRESS_BELOW,
        "months": r.months.iter().map(|m| json!({
            "month": month_label(m.start),
            "records_added": count_value(m.records_added),
            "appeals_filed": count_value(m.appeals_filed),
            "decisions": count_value(m.decisions),
            "overturned": count_value(m.overturned),
        })).collect::<Vec<_>>(),
        "records_by_rule": r.records_by_rule.iter().map(|((s, rule), n)| json!({
            "scheme": s, "rule": rule, "title": name(&format!("{s}/{rule}")), "records": count_value(*n),
        })).collect::<Vec<_>>(),
        "records_by_authority": r.records_by_authority.iter().map(|(a, n)| json!({
            "authority": a, "name": name(a), "records": count_value(*n),
        })).collect::<Vec<_>>(),
        "listings": r.listings.iter().map(|((l, a), x)| json!({
            "list": l, "authority": a, "listed": count_value(x.listed), "lifted": count_value(x.lifted),
        })).collect::<Vec<_>>(),
        "notice_delay": spread_json(&r.notice_delay),
        "appeals": {
            "filed": count_value(r.appeals_filed),
            "by_grounds": r.appeals_by_grounds.iter().map(|(g, n)| (g.clone(), count_value(*n))).collect::<serde_json::Map<_, _>>(),
            "outcomes": r.outcomes.iter().map(|((level, o), n)| json!({"level": level, "outcome": o, "decisions": count_value(*n)})).collect::<Vec<_>>(),
            "time_to_decide": spread_json(&r.time_to_decide),
            "overdue_now": count_value(r.overdue),
            "second_level_requested": count_value(r.second_level_requested),
        },
        "overturn_by_rule": r.by_rule.iter().map(|((s, rule), x)| json!({"scheme": s, "rule": rule, "rate": rate_json(x)})).collect::<Vec<_>>(),
        "overturn_by_rule_version": r.by_version.iter().map(|((s, rule, v), x)| json!({"scheme": s, "rule": rule, "version": v, "rate": rate_json(x)})).collect::<Vec<_>>(),
        "overturn_by_authority": r.by_authority.iter().map(|(a, x)| json!({"authority": a, "name": name(a), "rate": rate_json(x)})).collect::<Vec<_>>(),
        "overturn_by_review_body": r.by_body.iter().map(|(b, x)| json!({"review_body": b, "name": name(b), "rate": rate_json(x)})).collect::<Vec<_>>(),
        "repeals": r.repeals.iter().map(|(s, rule, at, reason)| json!({"scheme": s, "rule": rule, "repealed_at": at.to_rfc3339(), "reason": reason})).collect::<Vec<_>>(),
        "rule_challenges": r.rule_challenges.iter().map(|(status, n)| (status.clone(), count_value(*n))).collect::<serde_json::Map<_, _>>(),
        "relying_parties": page.parties.iter().map(|(party, c)| json!({
            "name": party, "checks": count_value(c.checks), "corrections": count_value(c.corrections),
            "corrections_unacknowledged_overdue": c.overdue,
        })).collect::<Vec<_>>(),
    })
}

/// The report as CSV: `section,key,month,measure,value`, one figure per row.
fn to_csv(page: &TransparencyPage) -> String {
    let r = &page.report;
    let mut rows: Vec<[String; 5]> = Vec::new();
    let v = |n: i64| match count_value(n) {
        Value::String(s) => s,
        other => other.to_string(),
    };
    for m in &r.months {
        let month = month_label(m.start);
        for (measure, n) in [
            ("records_added", m.records_added),
            ("appeals_filed", m.appeals_filed),
            ("decisions", m.decisions),
            ("overturned", m.overturned),
        ] {
            rows.push(["months".into(), String::new(), month.clone(), measure.into(), v(n)]);
        }
    }
    for ((s, rule), n) in &r.records_by_rule {
        rows.push(["records_by_rule".into(), format!("{s}/{rule}"), String::new(), "records".into(), v(*n)]);
    }
    for (a, n) in &r.records_by_authority {
        rows.push(["records_by_authority".into(), a.clone(), String::new(), "records".into(), v(*n)]);
    }
    for ((l, a), x) in &r.listings {
        rows.push(["listings".into(), format!("{l}/{a}"), String::new(), "listed".into(), v(x.listed)]);
        rows.push(["listings".into(), format!("{l}/{a}"), String::new(), "lifted".into(), v(x.lifted)]);
    }
    for (g, n) in &r.appeals_by_grounds {
        rows.push(["appeals_by_grounds".into(), g.clone(), String::new(), "filed".into(), v(*n)]);
    }
    for ((level, o), n) in &r.outcomes {
        rows.push([
            "outcomes".into(),
            format!("level_{level}/{o}"),
            String::new(),
            "decisions".into(),
            v(*n),
        ]);
    }
    let mut rates = |section: &str, key: String, x: &Rate| {
        rows.push([section.into(), key.clone(), String::new(), "decided".into(), v(x.decided)]);
        rows.push([section.into(), key.clone(), String::new(), "overturned".into(), v(x.overturned)]);
        rows.push([
            section.into(),
            key,
            String::new(),
            "overturn_rate_percent".into(),
            x.percent().map(|p| format!("{p:.1}")).unwrap_or_default(),
        ]);
    };
    for ((s, rule), x) in &r.by_rule {
        rates("overturn_by_rule", format!("{s}/{rule}"), x);
    }
    for ((s, rule, ver), x) in &r.by_version {
        rates("overturn_by_rule_version", format!("{s}/{rule}/v{ver}"), x);
    }
    for (a, x) in &r.by_authority {
        rates("overturn_by_authority", a.clone(), x);
    }
    for (b, x) in &r.by_body {
        rates("overturn_by_review_body", b.clone(), x);
    }
    for (name, s) in [("time_to_decide", &r.time_to_decide), ("notice_delay", &r.notice_delay)] {
        let hide = s.count < SUPPRESS_BELOW;
        rows.push([name.into(), String::new(), String::new(), "count".into(), v(s.count)]);
        for (measure, d) in [("median_days", s.median_days), ("p90_days", s.p90_days)] {
            let shown = d.filter(|_| !hide).map(|d| format!("{d:.1}")).unwrap_or_default();
            rows.push([name.into(), String::new(), String::new(), measure.into(), shown]);
        }
    }
    rows.push(["appeals".into(), String::new(), String::new(), "filed".into(), v(r.appeals_filed)]);
    rows.push(["appeals".into(), String::new(), String::new(), "overdue_now".into(), v(r.overdue)]);
    rows.push([
        "appeals".into(),
        String::new(),
        String::new(),
        "second_level_requested".into(),
        v(r.second_level_requested),
    ]);
    for (status, n) in &r.rule_challenges {
        rows.push(["rule_challenges".into(), status.clone(), String::new(), "filed".into(), v(*n)]);
    }
    for (party, c) in &page.parties {
        rows.push(["relying_parties".into(), party.clone(), String::new(), "checks".into(), v(c.checks)]);
        rows.push([
            "relying_parties".into(),
            party.clone(),
            String::new(),
            "corrections".into(),
            v(c.corrections),
        ]);
        rows.push([
            "relying_parties".into(),
            party.clone(),
            String::new(),
            "corrections_unacknowledged_overdue".into(),
            c.overdue.to_string(),
        ]);
    }
    for (s, rule, at, _) in &r.repeals {
        rows.push(["repeals".into(), format!("{s}/{rule}"), month_label(*at), "repealed".into(), "1".into()]);
    }
    let mut out = String::from("section,key,month,measure,value\r\n");
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Quotes a cell when it needs it. A relying party's name is free text, so every cell is
/// neutralised as the subject's export is; the figures are never negative, so they stay numbers.
fn csv_cell(text: &str) -> String {
    let text = &crate::pages::subject::notices::csv_cell(text);
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn view(page: &TransparencyPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let r = &page.report;
    let title = locale.t("transparency.title");
    let period = r.period.unwrap_or_else(|| Period::last_year(r.generated_at));
    let (from, to) = (month_label(period.from), month_label(period.end() - Duration::days(1)));
    let scope = match &r.scheme {
        Some(code) => page.names.get(locale, code),
        None => locale.t("transparency.all_schemes"),
    };
    let query = format!(
        "?from={from}&to={to}{}",
        r.scheme.as_ref().map(|s| format!("&scheme={s}")).unwrap_or_default()
    );
    let scheme_options = page
        .schemes
        .iter()
        .map(|(code, en, zh)| view! { <option value=code.clone() selected=r.scheme.as_deref() == Some(code.as_str())>{pick(locale, en, zh).to_string()}</option> })
        .collect_view();
    let month_rows = r
        .months
        .iter()
        .map(|m| {
            view! {
                <tr>
                    <th scope="row">{month_label(m.start)}</th>
                    <td class="num">{count(locale, m.records_added)}</td>
                    <td class="num">{count(locale, m.appeals_filed)}</td>
                    <td class="num">{count(locale, m.decisions)}</td>
                    <td class="num">{count(locale, m.overturned)}</td>
                </tr>
            }
        })
        .collect_view();
    let simple = |rows: Vec<(String, i64)>| {
        rows.into_iter()
            .map(|(label, n)| view! { <tr><th scope="row">{label}</th><td class="num">{count(locale, n)}</td></tr> })
            .collect_view()
    };
    let by_rule = simple(
        r.records_by_rule
            .iter()
            .map(|((s, rule), n)| {
                (format!("{rule} · {}", page.names.get(locale, &format!("{s}/{rule}"))), *n)
            })
            .collect(),
    );
    let by_authority =
        simple(r.records_by_authority.iter().map(|(a, n)| (page.names.get(locale, a), *n)).collect());
    let grounds = simple(
        r.appeals_by_grounds.iter().map(|(g, n)| (locale.t(&format!("appeals.grounds_{g}")), *n)).collect(),
    );
    let outcomes = simple(
        r.outcomes
            .iter()
            .map(|((level, o), n)| {
                (
                    format!(
                        "{} · {}",
                        locale.t_with("transparency.level", &[("n", &level.to_string())]),
                        locale.t(&format!("transparency.outcome_{o}"))
                    ),
                    *n,
                )
            })
            .collect(),
    );
    let rate_rows = |rows: Vec<(String, &Rate)>| {
        rows.into_iter()
            .map(|(label, x)| {
                view! {
                    <tr>
                        <th scope="row">{label}</th>
                        <td class="num">{count(locale, x.decided)}</td>
                        <td class="num">{count(locale, x.overturned)}</td>
                        <td class="num">{rate(locale, x)}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    let rate_columns = || {
        vec![
            (locale.t("transparency.col_what"), false),
            (locale.t("transparency.col_decided"), true),
            (locale.t("transparency.col_overturned"), true),
            (locale.t("transparency.col_rate"), true),
        ]
    };
    let rules_rates = rate_rows(
        r.by_rule
            .iter()
            .map(|((s, rule), x)| (format!("{rule} · {}", page.names.get(locale, &format!("{s}/{rule}"))), x))
            .collect(),
    );
    let version_rates = rate_rows(
        r.by_version
            .iter()
            .map(|((s, rule, v), x)| {
                (format!("{s} · {rule} · {}", locale.t_with("rule.version_n", &[("n", &v.to_string())])), x)
            })
            .collect(),
    );
    let authority_rates =
        rate_rows(r.by_authority.iter().map(|(a, x)| (page.names.get(locale, a), x)).collect());
    let body_rates = rate_rows(r.by_body.iter().map(|(b, x)| (page.names.get(locale, b), x)).collect());
    let listings = r
        .listings
        .iter()
        .map(|((l, a), x)| {
            view! {
                <tr>
                    <th scope="row">{page.names.get(locale, l)}</th>
                    <td>{page.names.get(locale, a)}</td>
                    <td class="num">{count(locale, x.listed)}</td>
                    <td class="num">{count(locale, x.lifted)}</td>
                </tr>
            }
        })
        .collect_view();
    let repeals = if r.repeals.is_empty() {
        Either::Left(view! { <p>{locale.t("transparency.no_repeals")}</p> })
    } else {
        Either::Right(view! {
            <ul>{r.repeals.iter().map(|(s, rule, at, reason)| view! {
                <li><a href=format!("/rules/{s}/{rule}")>{format!("{s} · {rule}")}</a>" · "{format::date(locale, *at)}" · "{reason.clone()}</li>
            }).collect_view()}</ul>
        })
    };
    let challenges = simple(
        r.rule_challenges
            .iter()
            .map(|(status, n)| (locale.t(&format!("transparency.challenge_{status}")), *n))
            .collect(),
    );
    let party_rows = page
        .parties
        .iter()
        .map(|(name, c)| {
            view! {
                <tr>
                    <td>{name.clone()}</td>
                    <td class="num">{count(locale, c.checks)}</td>
                    <td class="num">{count(locale, c.corrections)}</td>
                    <td class="num">{c.overdue}</td>
                </tr>
            }
        })
        .collect_view();
    let main = view! {
        <h1>{title.clone()}</h1>
        <p class="lead">{locale.t("transparency.intro")}</p>
        <p>{locale.t_with("transparency.scope", &[("scope", &scope), ("from", &from), ("to", &to)])}" "
           {locale.t_with("transparency.generated", &[("at", &format::datetime(locale, r.generated_at))])}</p>
        <form class="filters" method="get" action="/transparency">
            <div class="field">
                <label for="scheme">{locale.t("transparency.field_scheme")}</label>
                <select id="scheme" name="scheme">
                    <option value="" selected=r.scheme.is_none()>{locale.t("transparency.all_schemes")}</option>
                    {scheme_options}
                </select>
            </div>
            <div class="field">
                <label for="from">{locale.t("transparency.field_from")}</label>
                <input id="from" name="from" type="month" value=from.clone() aria-describedby="month-hint"/>
            </div>
            <div class="field">
                <label for="to">{locale.t("transparency.field_to")}</label>
                <input id="to" name="to" type="month" value=to.clone() aria-describedby="month-hint"/>
            </div>
            <p id="month-hint" class="hint">{locale.t("transparency.month_hint")}</p>
            <button type="submit">{locale.t("transparency.show")}</button>
        </form>
        <p>
            <a href=format!("/transparency.csv{query}") download="recourse-transparency.csv">{locale.t("transparency.download_csv")}</a>" · "
            <a href=format!("/transparency.json{query}") download="recourse-transparency.json">{locale.t("transparency.download_json")}</a>" · "
            <a href="/transparency/tree-heads">{locale.t("transparency.tree_heads_link")}</a>
        </p>
        <p class="muted">{locale.t_with("transparency.suppression", &[("n", &SUPPRESS_BELOW.to_string())])}</p>

        <h2>{locale.t("transparency.by_month_title")}</h2>
        {month_chart(locale, r)}
        <DataTable caption=locale.t("transparency.by_month_caption") caption_id="months-caption" columns=vec![
            (locale.t("transparency.col_month"), false),
            (locale.t("transparency.col_records"), true),
            (locale.t("transparency.col_filed"), true),
            (locale.t("transparency.col_decided"), true),
            (locale.t("transparency.col_overturned"), true),
        ]>{month_rows}</DataTable>

        <h2>{locale.t("transparency.records_title")}</h2>
        <DataTable caption_id="report-table-1" caption=locale.t("transparency.records_by_rule") columns=vec![(locale.t("transparency.col_rule"), false), (locale.t("transparency.col_records"), true)]>{by_rule}</DataTable>
        <DataTable caption_id="report-table-2" caption=locale.t("transparency.records_by_authority") columns=vec![(locale.t("transparency.col_authority"), false), (locale.t("transparency.col_records"), true)]>{by_authority}</DataTable>

        <h2>{locale.t("transparency.listings_title")}</h2>
        <DataTable caption_id="report-table-3" caption=locale.t("transparency.listings_caption") columns=vec![
            (locale.t("transparency.col_list"), false), (locale.t("transparency.col_authority"), false),
            (locale.t("transparency.col_listed"), true), (locale.t("transparency.col_lifted"), true),
        ]>{listings}</DataTable>
        <p>{locale.t_with("transparency.notice_delay", &[("median", &days(locale, &r.notice_delay, false)), ("p90", &days(locale, &r.notice_delay, true))])}</p>

        <h2>{locale.t("transparency.appeals_title")}</h2>
        <dl class="facts">
            <dt>{locale.t("transparency.appeals_filed")}</dt><dd>{count(locale, r.appeals_filed)}</dd>
            <dt>{locale.t("transparency.median_to_decide")}</dt><dd>{days(locale, &r.time_to_decide, false)}</dd>
            <dt>{locale.t("transparency.p90_to_decide")}</dt><dd>{days(locale, &r.time_to_decide, true)}</dd>
            <dt>{locale.t("transparency.overdue")}</dt><dd>{count(locale, r.overdue)}</dd>
            <dt>{locale.t("transparency.second_level")}</dt><dd>{count(locale, r.second_level_requested)}</dd>
        </dl>
        <DataTable caption_id="report-table-4" caption=locale.t("transparency.by_grounds") columns=vec![(locale.t("transparency.col_grounds"), false), (locale.t("transparency.col_filed"), true)]>{grounds}</DataTable>
        <DataTable caption_id="report-table-5" caption=locale.t("transparency.outcomes") columns=vec![(locale.t("transparency.col_outcome"), false), (locale.t("transparency.col_decisions"), true)]>{outcomes}</DataTable>
        <h3>{locale.t("transparency.overturn_title")}</h3>
        <p>{locale.t("transparency.overturn_intro")}</p>
        <DataTable caption_id="report-table-6" caption=locale.t("transparency.overturn_by_rule") columns=rate_columns()>{rules_rates}</DataTable>
        <DataTable caption_id="report-table-7" caption=locale.t("transparency.overturn_by_version") columns=rate_columns()>{version_rates}</DataTable>
        <DataTable caption_id="report-table-8" caption=locale.t("transparency.overturn_by_authority") columns=rate_columns()>{authority_rates}</DataTable>
        <DataTable caption_id="report-table-9" caption=locale.t("transparency.overturn_by_body") columns=rate_columns()>{body_rates}</DataTable>

        <h2>{locale.t("transparency.rules_title")}</h2>
        <h3>{locale.t("transparency.repeals")}</h3>
        {repeals}
        <DataTable caption_id="report-table-10" caption=locale.t("transparency.challenges") columns=vec![(locale.t("transparency.col_status"), false), (locale.t("transparency.col_filed"), true)]>{challenges}</DataTable>

        <h2>{locale.t("transparency.parties_title")}</h2>
        <p>{locale.t("transparency.parties_intro")}</p>
        <DataTable caption_id="report-table-11" caption=locale.t("transparency.parties_caption") columns=vec![
            (locale.t("parties.col_name"), false), (locale.t("parties.col_checks"), true),
            (locale.t("parties.col_corrections"), true), (locale.t("transparency.col_unacknowledged"), true),
        ]>{party_rows}</DataTable>
    };
    document(ctx, &title, main.into_any())
}

/// Records added and appeals decided per month as bars; the table after it holds the same
/// figures. Suppressed months draw no bar.
fn month_chart(locale: Locale, r: &Report) -> impl IntoView {
    const W: f64 = 640.0;
    const H: f64 = 200.0;
    let shown = |n: i64| if n < SUPPRESS_BELOW { 0 } else { n };
    let max =
        r.months.iter().map(|m| shown(m.records_added).max(shown(m.decisions))).max().unwrap_or(0).max(1)
            as f64;
    let slot = W / r.months.len().max(1) as f64;
    let bars = r
        .months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let x = i as f64 * slot;
            let label_x = (i as f64 + 0.5) / r.months.len().max(1) as f64 * 100.0;
            let h1 = (H - 30.0) * shown(m.records_added) as f64 / max;
            let h2 = (H - 30.0) * shown(m.decisions) as f64 / max;
            let bar = view! {
                <g>
                    <rect x=format!("{:.1}", x + slot * 0.1) y=format!("{:.1}", H - 20.0 - h1) width=format!("{:.1}", slot * 0.38) height=format!("{:.1}", h1) fill="#0b5cad"/>
                    <rect x=format!("{:.1}", x + slot * 0.52) y=format!("{:.1}", H - 20.0 - h2) width=format!("{:.1}", slot * 0.38) height=format!("{:.1}", h2) fill="#b35c00"/>
                </g>
            };
            // The month sits outside the stretched drawing, so it keeps its size on a phone.
            let label = view! {
                <text x=format!("{label_x:.2}%") y="100%" dy="-5" text-anchor="middle" font-size="12">{format!("{:02}", m.start.month())}</text>
            };
            (bar, label)
        })
        .unzip::<_, _, Vec<_>, Vec<_>>();
    let summary = locale.t("transparency.chart_summary");
    view! {
        <figure class="chart">
            <svg role="img" aria-labelledby="months-chart-title months-chart-desc" width="100%" height=H.to_string()>
                <title id="months-chart-title">{locale.t("transparency.by_month_title")}</title>
                <desc id="months-chart-desc">{summary.clone()}</desc>
                <svg viewBox=format!("0 0 {W} {H}") width="100%" height="100%" preserveAspectRatio="none">{bars.0}</svg>
                {bars.1}
            </svg>
            <figcaption>
                <span class="key key-records">{locale.t("transparency.col_records")}</span>" "
                <span class="key key-decided">{locale.t("transparency.col_decided")}</span>" · "{summary}
            </figcaption>
        </figure>
    }
}
