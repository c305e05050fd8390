//! The subject's own record: for each scheme, the grade with its band, the score, the full
//! derivation line by line, what would change it, and the history; blacklist entries with what
//! they restrict and how to get off; and the page of each event and entry. Works as of any date
//! through a plain GET form. Only the subject (or their organisation's representative) sees it.

use std::{collections::HashMap, sync::Arc};

use axum::{
    extract::{Path, State},
    response::Html,
};
use chrono::{DateTime, NaiveDate, Utc};
use leptos::{either::Either, prelude::*};
use serde::Deserialize;

use super::{history, own_subject};
use crate::http::query::Query;
use crate::pages::kit::{
    appeal::Contest,
    document,
    format::{self, pick},
    DataTable, PageContext,
};
use crate::{
    auth::access::{SignedIn, Viewer},
    domain::{
        if_overturned, recovery_path, smallest_lift, AuthorityId, EntryId, EntryStatus, EventId, EventKind,
        Reason, RemovalCondition,
    },
    error::{AppError, AppResult},
    http::AppState,
    i18n::Locale,
    store::{
        appeals::Target,
        blacklist::{self, StoredEntry},
        catalogue::SchemeContext,
        read_cache::SubjectNow,
        records::{self, StoredEvent},
        register::{self, Authority},
        standing::{self, Reads, SchemeStanding},
    },
};

/// Counting lines shown per page of a derivation table (and as many not counting); the rest are
/// a page link away, so even a subject with 1,000 records gets a page within the 60 KB budget
/// (at 50 its first page was 61 KB of HTML).
const LINES_PER_PAGE: usize = 30;

#[derive(Debug, Default, Deserialize)]
pub struct RecordQuery {
    /// `YYYY-MM-DD`: show the record as it stood at the end of that day.
    pub as_of: Option<String>,
    /// 1-based page of the derivation tables.
    pub page: Option<usize>,
}

/// Reads the `as_of` date; an unreadable or future date is ignored with a message.
fn instant(query: &RecordQuery, now: DateTime<Utc>) -> (DateTime<Utc>, Option<&'static str>) {
    match query.as_of.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => (now, None),
        Some(text) => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(d) => {
                let end_of_day = d.and_hms_opt(23, 59, 59).map(|t| t.and_utc()).unwrap_or(now);
                if end_of_day > now {
                    (now, Some("record.as_of_future"))
                } else {
                    (end_of_day, None)
                }
            }
            Err(_) => (now, Some("record.as_of_invalid")),
        },
    }
}

/// One scheme of the subject: their standing at the instant shown, and the score history.
pub struct SchemeView {
    pub standing: SchemeStanding,
    pub history: Vec<(DateTime<Utc>, i64)>,
}

/// Every authority, for naming who recorded what: a handful, kept by the read cache.
struct Authorities(Arc<Vec<Authority>>);

impl Authorities {
    async fn read(state: &AppState, revision: i64) -> AppResult<Self> {
        Ok(Self(state.cache.authorities(&state.db, revision).await?))
    }

    /// The name of authority `id` in `locale`; empty for one not in the catalogue.
    fn name(&self, locale: Locale, id: AuthorityId) -> &str {
        self.0.iter().find(|a| a.id == id).map(|a| pick(locale, &a.name_en, &a.name_zh)).unwrap_or_default()
    }
}

/// What the record page shows: the subject in every scheme at one instant, and their blacklist
/// entries as they stood then.
pub struct RecordPage {
    pub subject: register::Subject,
    /// The instant shown: now, or the end of the `as_of` day.
    pub at: DateTime<Utc>,
    /// Set when the page shows a past instant.
    pub as_of: Option<DateTime<Utc>>,
    /// Why the `as_of` date asked for was not used.
    pub as_of_problem: Option<&'static str>,
    pub schemes: Vec<SchemeView>,
    pub entries: Vec<StoredEntry>,
    names: Authorities,
}

impl RecordPage {
    /// Every query of the record page.
    pub async fn load(
        state: &AppState,
        viewer: &Viewer,
        query: &RecordQuery,
        now: DateTime<Utc>,
    ) -> AppResult<Self> {
        let subject_id = own_subject(viewer)?;
        let (at, as_of_problem) = instant(query, now);
        let as_of = (at != now).then_some(at);
        let SubjectNow { revision, memberships, subject, entries } =
            state.cache.subject_now(subject_id, as_of).await?.ok_or(AppError::NotFound)?;
        // A pooled connection only for what the cache misses.
        let standing =
            standing::load_counted(&state.db, &state.cache, revision, memberships, subject_id, at).await?;
        let schemes = standing
            .schemes
            .into_iter()
            .map(|standing| {
                let history = history::points(&standing, revision, at);
                SchemeView { standing, history }
            })
            .collect();
        let names = Authorities::read(state, revision).await?;
        Ok(Self { subject, at, as_of, as_of_problem, schemes, entries, names })
    }
}

/// `GET /record`: the signed-in subject's record in every scheme, now or as of a date.
pub async fn page(
    State(state): State<AppState>,
    shell: PageContext,
    SignedIn(viewer): SignedIn,
    Query(query): Query<RecordQuery>,
) -> AppResult<Html<String>> {
    let now = Utc::now();
    let page = RecordPage::load(&state, &viewer, &query, now).await?;
    let ctx = shell.clone();
    Ok(record_view(&page, &ctx, &query, now))
}

/// The record page, drawn from what [`RecordPage::load`] read.
fn record_view(
    page: &RecordPage,
    ctx: &PageContext,
    query: &RecordQuery,
    now: DateTime<Utc>,
) -> Html<String> {
    let locale = ctx.locale;
    let RecordPage { subject, at, as_of, as_of_problem, schemes, entries, names } = page;
    let (at, as_of, as_of_problem) = (*at, *as_of, *as_of_problem);
    let page_number = query.page.unwrap_or(1).max(1);

    let as_of_value = query.as_of.clone().filter(|_| as_of_problem.is_none()).unwrap_or_default();
    let heading = if as_of.is_some() {
        locale.t_with("record.title_as_of", &[("date", &format::date(locale, at))])
    } else {
        locale.t("record.title")
    };
    let schemes_view = if schemes.is_empty() {
        view! { <p>{locale.t("record.no_schemes")}</p> }.into_any()
    } else {
        schemes.iter().map(|s| scheme_section(locale, s, names, page_number, query)).collect_view().into_any()
    };
    let main = view! {
        <h1>{heading.clone()}</h1>
        <p class="lead">{subject.display_name.clone()}{subject.uscc.clone().map(|c| format!(" · {c}"))}</p>
        <nav aria-label=locale.t("record.more")>
            <ul class="nav">
                <li><a href="/notices">{locale.t("notices.title")}</a></li>
                <li><a href="/record/access">{locale.t("access.title")}</a></li>
                <li><a href="/record/checks">{locale.t("checks.title")}</a></li>
                <li><a href="/record/access#download">{locale.t("export.title")}</a></li>
                <li><a href="/record/proofs">{locale.t("proofs.title")}</a></li>
            </ul>
        </nav>
        <form method="get" action="/record" class="as-of">
            <label for="as_of">{locale.t("record.as_of_label")}</label>
            <input type="date" id="as_of" name="as_of" value=as_of_value max=format::iso_date(now)
                aria-describedby=as_of_problem.map(|_| "as_of_problem")/>
            <button type="submit">{locale.t("record.as_of_submit")}</button>
            {as_of.map(|_| view! { <a href="/record">{locale.t("record.as_of_today")}</a> })}
            {as_of_problem.map(|key| view! { <p id="as_of_problem" class="error">{locale.t(key)}</p> })}
        </form>
        {schemes_view}
        {entries_section(locale, entries, names, at)}
    };
    document(ctx, &heading, main.into_any())
}

/// The badge of a record that does not count: why, in a word.
fn reason_badge(locale: Locale, reason: &Reason) -> impl IntoView {
    view! { <span class="badge warn">{locale.t(&format!("record.reason_{}", reason.code()))}</span> }
}

fn reason_text(locale: Locale, reason: &Reason) -> String {
    match reason {
        Reason::Expired { on } => {
            locale.t_with("record.why_expired", &[("date", &format::date(locale, *on))])
        }
        Reason::Voided { reason, .. } => {
            // What Recourse wrote (a repeal's, a missed deadline's) in the reader's language.
            let reason = crate::pages::kit::system_text::reason(locale, reason);
            locale.t_with("record.why_voided", &[("reason", &reason)])
        }
        Reason::Superseded { .. } => locale.t("record.why_superseded"),
        Reason::SuspendedWhileDisputed { since } => {
            locale.t_with("record.why_suspended", &[("date", &format::date(locale, *since))])
        }
        Reason::NotYetEffective => locale.t("record.why_not_yet_effective"),
        Reason::RuleNotInCatalogue => locale.t("record.why_rule_missing"),
    }
}

fn scheme_section(
    locale: Locale,
    s: &SchemeView,
    names: &Authorities,
    page_number: usize,
    query: &RecordQuery,
) -> AnyView {
    let record = &s.standing.ctx.record;
    let d = &s.standing.derivation;
    let by_id: HashMap<EventId, &StoredEvent> =
        s.standing.records.stored.iter().map(|e| (e.event.id, e)).collect();
    let authority = |id: &EventId| {
        by_id.get(id).map(|e| names.name(locale, e.event.authority).to_string()).unwrap_or_default()
    };
    let title_of = |id: &EventId| {
        by_id
            .get(id)
            .and_then(|e| s.standing.ctx.catalogue.get(e.event.rule_version))
            .map(|v| format::rule_title(locale, v).to_string())
            .unwrap_or_default()
    };
    let limits = match (d.band_min, d.band_max) {
        (Some(min), Some(max)) => format!("{min}–{max}"),
        (Some(min), None) => locale.t_with("record.band_at_least", &[("n", &min.to_string())]),
        (None, Some(max)) => locale.t_with("record.band_below", &[("n", &(max + 1).to_string())]),
        (None, None) => String::new(),
    };
    let pages = d.lines.len().max(d.not_counting.len()).div_ceil(LINES_PER_PAGE).max(1);
    let page_number = page_number.min(pages);
    let shown = d.lines.iter().skip((page_number - 1) * LINES_PER_PAGE).take(LINES_PER_PAGE);
    let weighted = !d.components.is_empty();
    // Each cell carries its column's name, which a phone shows beside it (the table is stacked);
    // each name is translated once and shared by the rows.
    let label = |key: &str| -> Arc<str> { locale.t(key).into() };
    let (col_date, col_rule, col_points, col_status) = (
        label("record.col_date"),
        label("record.col_rule"),
        label("record.col_points"),
        label("record.col_status"),
    );
    let (col_authority, col_component, col_total) =
        (label("record.col_authority"), label("catalogue.col_component"), label("record.col_running_total"));
    let counting = label("record.status_counting");
    let rows = shown
        .map(|l| {
            let component = l.component.as_ref().map(|c| component_name(locale, &s.standing.ctx, c.as_str()));
            view! {
                <tr>
                    <td data-label=col_date.clone()><time datetime=format::iso_date(l.occurred_at)>{format::date(locale, l.occurred_at)}</time></td>
                    <td data-label=col_rule.clone()><a href=format!("/record/events/{}", l.event)>{l.rule_code.to_string()}</a>" "{title_of(&l.event)}</td>
                    <td data-label=col_authority.clone()>{authority(&l.event)}</td>
                    {component.map(|c| view! { <td data-label=col_component.clone()>{c}</td> })}
                    <td class="num" data-label=col_points.clone()>{format::points(l.points)}</td>
                    {(!weighted).then(|| view! { <td class="num" data-label=col_total.clone()>{l.running_total}</td> })}
                    <td data-label=col_status.clone()>
                        <span class="badge ok">{counting.clone()}</span>
                        {s.standing.is_under_appeal(l.event).then(|| view! {
                            " "<span class="badge warn under-appeal">{locale.t("record.under_appeal")}</span>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let without_disputed = s.standing.without_disputed().map(|w| {
        view! {
            <div class="notice without-disputed">
                <p><strong>{locale.t_with("record.without_disputed", &[("score", &w.score.to_string()), ("grade", format::grade(locale, record, w.grade.as_str()))])}</strong></p>
                <p>{locale.t("record.without_disputed_why")}</p>
            </div>
        }
    });
    let col_why = label("record.col_why");
    let not_counting = d
        .not_counting
        .iter()
        .skip((page_number - 1) * LINES_PER_PAGE)
        .take(LINES_PER_PAGE)
        .map(|n| {
            view! {
                <tr>
                    <td data-label=col_date.clone()><time datetime=format::iso_date(n.occurred_at)>{format::date(locale, n.occurred_at)}</time></td>
                    <td data-label=col_rule.clone()><a href=format!("/record/events/{}", n.event)>{n.rule_code.to_string()}</a>" "{title_of(&n.event)}</td>
                    <td class="num" data-label=col_points.clone()>{format::points(n.points)}</td>
                    <td data-label=col_why.clone()>{reason_badge(locale, &n.reason)}" "{reason_text(locale, &n.reason)}</td>
                </tr>
            }
        })
        .collect_view();
    let pager = (pages > 1).then(|| {
        let as_of = query.as_of.as_deref().map(|a| format!("&as_of={}", crate::pages::urlencode(a))).unwrap_or_default();
        view! {
            <nav class="pager" aria-label=locale.t("record.pages")>
                <ul>
                    {(1..=pages).map(|p| {
                        let current = (p == page_number).then_some("page");
                        view! { <li><a href=format!("/record?page={p}{as_of}") aria-current=current>{p}</a></li> }
                    }).collect_view()}
                </ul>
            </nav>
        }
    });
    let base_label = if weighted { locale.t("record.lowest_score") } else { locale.t("record.base") };
    let caption = locale.t_with(
        "record.lines_caption",
        &[
            (
                "shown",
                &d.lines
                    .len()
                    .saturating_sub((page_number - 1) * LINES_PER_PAGE)
                    .min(LINES_PER_PAGE)
                    .to_string(),
            ),
            ("total", &d.lines.len().to_string()),
        ],
    );
    let code = record.scheme.code();
    let heading_id = format!("scheme-{code}");
    view! {
        <section class="scheme" aria-labelledby=heading_id.clone()>
            <h2 id=heading_id.clone()>{pick(locale, &record.name_en, &record.name_zh).to_string()}</h2>
            <div class="summary">
                <p class="grade"><span class="label">{locale.t("record.grade")}</span><strong>{format::grade(locale, record, d.grade.as_str()).to_string()}</strong></p>
                <p class="score"><span class="label">{locale.t("record.score")}</span><strong>{d.score}</strong></p>
                <p class="band"><span class="label">{locale.t("record.band")}</span>{limits}</p>
                <p><a href=format!("/rules/{}", record.scheme.code())>{locale.t("record.see_rules")}</a></p>
            </div>
            <h3>{locale.t("record.derivation")}</h3>
            <p>{base_label}": "<strong>{d.base}</strong></p>
            {weighted.then(|| components_table(locale, s))}
            {if d.lines.is_empty() {
                view! { <p>{locale.t("record.no_counting")}</p> }.into_any()
            } else {
                let mut columns = vec![(col_date.to_string(), false), (col_rule.to_string(), false), (col_authority.to_string(), false)];
                if weighted {
                    columns.push((col_component.to_string(), false));
                }
                columns.push((col_points.to_string(), true));
                if !weighted {
                    columns.push((col_total.to_string(), true));
                }
                columns.push((col_status.to_string(), false));
                view! {
                    <DataTable class="derivation" stacked=true caption columns
                        caption_id=format!("{code}-lines") within=heading_id.clone()>{rows}</DataTable>
                }.into_any()
            }}
            <p class="total">{locale.t("record.total")}": "<strong>{d.score}</strong>" → "{locale.t("record.grade")}" "<strong>{format::grade(locale, record, d.grade.as_str()).to_string()}</strong></p>
            {without_disputed}
            {(!d.not_counting.is_empty()).then(|| view! {
                <h3>{locale.t("record.not_counting")}</h3>
                <DataTable caption=locale.t("record.not_counting_caption") stacked=true
                    caption_id=format!("{code}-not-counting") within=heading_id.clone() columns=vec![
                    (col_date.to_string(), false),
                    (col_rule.to_string(), false),
                    (col_points.to_string(), true),
                    (col_why.to_string(), false),
                ]>{not_counting}</DataTable>
            })}
            {pager}
            {what_if_section(locale, s, &title_of)}
            {history::chart(locale, s)}
        </section>
    }
    .into_any()
}

fn component_name(locale: Locale, ctx: &SchemeContext, code: &str) -> String {
    let scheme = &ctx.record.scheme;
    scheme
        .components()
        .iter()
        .position(|c| c.code.as_str() == code)
        .and_then(|i| ctx.record.component_names.get(i))
        .map(|(en, zh)| pick(locale, en, zh).to_string())
        .unwrap_or_else(|| code.to_string())
}

fn components_table(locale: Locale, s: &SchemeView) -> AnyView {
    let code = s.standing.ctx.record.scheme.code();
    let columns = vec![
        (locale.t("catalogue.col_component"), false),
        (locale.t("catalogue.col_start"), true),
        (locale.t("record.col_moved_to"), true),
        (locale.t("record.col_clamped"), true),
        (locale.t("catalogue.col_weight"), true),
        (locale.t("record.col_contribution"), true),
    ];
    let label = |i: usize| columns[i].0.clone();
    let rows = s
        .standing
        .derivation
        .components
        .iter()
        .map(|c| {
            view! {
                <tr>
                    <th scope="row">{component_name(locale, &s.standing.ctx, c.code.as_str())}</th>
                    <td class="num" data-label=label(1)>{c.start}</td>
                    <td class="num" data-label=label(2)>{c.raw}</td>
                    <td class="num" data-label=label(3)>{c.clamped}</td>
                    <td class="num" data-label=label(4)>{format!("{}%", c.weight_percent)}</td>
                    <td class="num" data-label=label(5)>{format::points(c.contribution)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable caption=locale.t("record.components_caption") stacked=true columns
            caption_id=format!("{code}-components") within=format!("scheme-{code}")>{rows}</DataTable>
    }
    .into_any()
}

fn what_if_section(locale: Locale, s: &SchemeView, title_of: &dyn Fn(&EventId) -> String) -> AnyView {
    let scheme = s.standing.ctx.scheme();
    let record = &s.standing.ctx.record;
    let d = &s.standing.derivation;
    let overturned: Vec<_> = if_overturned(scheme, d).into_iter().filter(|o| o.raises_grade).collect();
    let lift = smallest_lift(scheme, d);
    let recovery = recovery_path(scheme, d);
    let code_of = |id: &EventId| {
        d.lines.iter().find(|l| l.event == *id).map(|l| l.rule_code.to_string()).unwrap_or_default()
    };
    let overturn_items = overturned
        .iter()
        .take(20)
        .map(|o| {
            view! {
                <li>
                    <a href=format!("/record/events/{}", o.event)>{code_of(&o.event)}</a>" "{title_of(&o.event)}": "
                    {locale.t_with("record.if_overturned_item", &[("score", &o.score.to_string()), ("grade", format::grade(locale, record, o.grade.as_str()))])}
                </li>
            }
        })
        .collect_view();
    let lift_view = match lift {
        Some(l) => view! {
            <p>
                {locale.t_count("record.lift", l.events.len(), &[("grade", format::grade(locale, record, l.grade.as_str())), ("score", &l.score.to_string())])}
            </p>
            <ul>
                {l.events.iter().map(|e| view! {
                    <li><a href=format!("/record/events/{e}")>{code_of(e)}</a>" "{title_of(e)}</li>
                }).collect_view()}
            </ul>
        }
        .into_any(),
        None => view! { <p>{locale.t("record.no_lift")}</p> }.into_any(),
    };
    let code = s.standing.ctx.record.scheme.code();
    let recovery_columns = vec![
        (locale.t("record.col_date"), false),
        (locale.t("record.col_stops_counting"), false),
        (locale.t("record.score"), true),
        (locale.t("record.grade"), false),
    ];
    let label = |i: usize| recovery_columns[i].0.clone();
    let recovery_rows = recovery
        .iter()
        .take(24)
        .map(|step| {
            view! {
                <tr>
                    <td data-label=label(0)><time datetime=format::iso_date(step.on)>{format::date(locale, step.on)}</time></td>
                    <td data-label=label(1)>{step.events.iter().map(code_of).collect::<Vec<_>>().join(", ")}</td>
                    <td class="num" data-label=label(2)>{step.score}</td>
                    <td data-label=label(3)>{format::grade(locale, record, step.grade.as_str()).to_string()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h3>{locale.t("record.what_would_change")}</h3>
        {if overturned.is_empty() {
            view! { <p>{locale.t("record.no_single_overturn")}</p> }.into_any()
        } else {
            view! { <p>{locale.t_count("record.if_overturned_intro", overturned.len(), &[])}</p><ul>{overturn_items}</ul> }.into_any()
        }}
        {lift_view}
        {if recovery.is_empty() {
            view! { <p>{locale.t("record.no_recovery")}</p> }.into_any()
        } else {
            view! {
                <DataTable caption=locale.t("record.recovery_caption") stacked=true columns=recovery_columns.clone()
                    caption_id=format!("{code}-recovery") within=format!("scheme-{code}")>{recovery_rows}</DataTable>
            }.into_any()
        }}
    }
    .into_any()
}

fn entries_section(
    locale: Locale,
    entries: &[StoredEntry],
    names: &Authorities,
    at: DateTime<Utc>,
) -> AnyView {
    let items = entries
        .iter()
        .map(|e| {
            let status = e.entry.status_at(at);
            let authority = names.name(locale, e.entry.authority()).to_string();
            view! {
                <li>
                    <a href=format!("/record/entries/{}", e.entry.id())>{e.entry.case_number().to_string()}</a>
                    " · "{authority}" · "<EntryBadge locale status/>
                </li>
            }
        })
        .collect_view();
    view! {
        <h2>{locale.t("record.entries")}</h2>
        {if entries.is_empty() {
            view! { <p>{locale.t("record.no_entries")}</p> }.into_any()
        } else {
            view! { <ul>{items}</ul> }.into_any()
        }}
    }
    .into_any()
}

/// A blacklist entry's status as a badge: in force, over, or not yet (or no longer) restricting.
#[component]
fn EntryBadge(locale: Locale, status: EntryStatus) -> impl IntoView {
    let class = match status {
        EntryStatus::Active => "badge danger",
        EntryStatus::Lifted | EntryStatus::Expired => "badge ok",
        _ => "badge warn",
    };
    view! { <span class=class>{locale.t(&format!("entry.status_{}", status.code()))}</span> }
}

/// `GET /record/events/{id}`: one record with its provenance and what corrected it.
pub async fn event(
    State(state): State<AppState>,
    shell: PageContext,
    SignedIn(viewer): SignedIn,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    let locale = shell.locale;
    let subject = own_subject(&viewer)?;
    let id = EventId::parse(&id).map_err(|_| AppError::NotFound)?;
    let mut conn = state.db.pool.acquire().await?;
    let stored = records::event(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    if stored.event.subject != subject {
        return Err(AppError::NotFound);
    }
    let e = &stored.event;
    let revision = state.cache.revision().await?;
    let standing = standing::in_scheme(
        &mut conn,
        Reads::Cached { cache: &state.cache, revision },
        subject,
        e.scheme,
        Utc::now(),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let (ctx_data, siblings) = (&standing.ctx, &standing.records);
    let names = Authorities::read(&state, revision).await?;
    let appeal = crate::store::appeals::open_on(&mut conn, subject, Target::Event(id)).await?;
    drop(conn);
    let version = ctx_data.catalogue.get(e.rule_version);
    let authority = Some(names.name(locale, e.authority).to_string()).filter(|n| !n.is_empty());
    let corrected_by: Vec<_> =
        siblings.stored.iter().filter(|s| s.event.kind.target() == Some(e.id)).collect();
    let (kind_key, target) = match &e.kind {
        EventKind::Fact => ("record.kind_fact", None),
        EventKind::Void { target, .. } => ("record.kind_void", Some(*target)),
        EventKind::Supersede { target, .. } => ("record.kind_supersede", Some(*target)),
    };
    let reason = match &e.kind {
        EventKind::Void { reason, .. } | EventKind::Supersede { reason, .. } => Some(reason.clone()),
        EventKind::Fact => None,
    };
    let title =
        format!("{} · {}", e.rule_code, version.map(|v| format::rule_title(locale, v)).unwrap_or_default());
    let rule_href = format!("/rules/{}/{}", ctx_data.record.scheme.code(), e.rule_code);
    let contestable = e.is_scoring() && corrected_by.is_empty();
    let ctx = shell.clone();
    let main = view! {
        <p><a href="/record">{locale.t("record.back")}</a></p>
        <h1>{title.clone()}</h1>
        <Contest locale open=appeal contest_href=contestable.then(|| format!("/appeals/new?event={id}"))/>
        <dl class="facts">
            <dt>{locale.t("record.kind")}</dt><dd>{locale.t(kind_key)}</dd>
            <dt>{locale.t("record.status_now")}</dt><dd>{format::record_status(locale, standing.status_of(id))}</dd>
            <dt>{locale.t("record.occurred_at")}</dt><dd>{format::date(locale, e.occurred_at)}</dd>
            <dt>{locale.t("record.col_points")}</dt><dd>{format::points(e.points)}</dd>
            <dt>{locale.t("record.rule_version")}</dt>
            <dd><a href=rule_href>{e.rule_code.to_string()}</a>" · "
                {version.map(|v| locale.t_with("rule.version_n", &[("n", &v.version().to_string())]))}</dd>
            <dt>{locale.t("catalogue.col_legal_basis")}</dt>
            <dd>{version.and_then(|v| format::legal_basis(locale, v))}</dd>
            <dt>{locale.t("record.col_authority")}</dt><dd>{authority}</dd>
            <dt>{locale.t("record.recorded_by")}</dt>
            <dd>{stored.provenance.recorded_by.clone()}" · "{format::date(locale, e.recorded_at)}</dd>
            <dt>{locale.t("record.source")}</dt><dd>{stored.provenance.source.clone()}</dd>
            <dt>{locale.t("record.evidence_ref")}</dt><dd>{stored.provenance.evidence_ref.clone()}</dd>
            <dt>{locale.t("record.external_ref")}</dt><dd>{e.external_ref.clone()}</dd>
            {reason.map(|r| view! { <dt>{locale.t("record.reason")}</dt><dd>{crate::pages::kit::system_text::reason(locale, &r)}</dd> })}
            {target.map(|t| view! {
                <dt>{locale.t("record.corrects")}</dt>
                <dd><a href=format!("/record/events/{t}")>{t.to_string()}</a></dd>
            })}
        </dl>
        {(!corrected_by.is_empty()).then(|| view! {
            <h2>{locale.t("record.corrected_by")}</h2>
            <ul>{corrected_by.iter().map(|c| {
                let key = if matches!(c.event.kind, EventKind::Void { .. }) { "record.kind_void" } else { "record.kind_supersede" };
                view! {
                    <li><a href=format!("/record/events/{}", c.event.id)>{locale.t(key)}</a>" · "{format::date(locale, c.event.recorded_at)}</li>
                }
            }).collect_view()}</ul>
        })}
    };
    Ok(document(&ctx, &title, main.into_any()))
}

/// `GET /record/entries/{id}`: one blacklist entry: what it restricts, its notice, and how to get off.
pub async fn entry(
    State(state): State<AppState>,
    shell: PageContext,
    SignedIn(viewer): SignedIn,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    let locale = shell.locale;
    let subject = own_subject(&viewer)?;
    let id = EntryId::parse(&id).map_err(|_| AppError::NotFound)?;
    let mut conn = state.db.pool.acquire().await?;
    let stored = blacklist::entry(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    if stored.entry.subject() != subject {
        return Err(AppError::NotFound);
    }
    let revision = state.cache.revision().await?;
    let names = Authorities::read(&state, revision).await?;
    let appeal = crate::store::appeals::open_on(&mut conn, subject, Target::Entry(id)).await?;
    drop(conn);
    let e = &stored.entry;
    let now = Utc::now();
    let status = e.status_at(now);
    let authority = names.name(locale, e.authority()).to_string();
    let removal = match e.removal() {
        RemovalCondition::PayAmount { cents, currency } => locale.t_with(
            "entry.removal_pay",
            &[("amount", &format!("{}.{:02}", cents / 100, cents % 100)), ("currency", currency.as_str())],
        ),
        RemovalCondition::Appeal => locale.t("entry.removal_appeal"),
        RemovalCondition::Other { text } => text.clone(),
    };
    let notice = match e.notice_delivered_at() {
        Some(at) => locale.t_with("entry.notice_delivered", &[("date", &format::date(locale, at))]),
        None => locale.t_with("entry.notice_pending", &[("authority", &authority)]),
    };
    // An entry that is over says how and when it ended; one in force, how to get off.
    let ended = match status {
        EntryStatus::Lifted => {
            let lifted = stored.actions.iter().rev().find(|a| a.action == blacklist::EntryAction::Lifted);
            Some(match lifted {
                Some(a) if !a.reason.trim().is_empty() => locale.t_with(
                    "entry.ended_lifted",
                    &[("date", &format::date(locale, a.at)), ("reason", a.reason.trim())],
                ),
                Some(a) => {
                    locale.t_with("entry.ended_lifted_plain", &[("date", &format::date(locale, a.at))])
                }
                None => locale.t("entry.status_lifted"),
            })
        }
        EntryStatus::Expired => Some(locale.t_with(
            "entry.ended_expired",
            &[("date", &e.expires_at().map(|t| format::date(locale, t)).unwrap_or_default())],
        )),
        _ => None,
    };
    let way_off = match ended {
        Some(how) => Either::Left(view! {
            <h2>{locale.t("entry.how_it_ended")}</h2>
            <p class="notice">{how}</p>
        }),
        None => Either::Right(view! {
            <h2>{locale.t("entry.how_to_get_off")}</h2>
            <p>{removal}</p>
            <p>{locale.t("entry.appeal_always")}</p>
        }),
    };
    let title = locale.t_with("entry.title", &[("case", e.case_number())]);
    let ctx = shell.clone();
    let main = view! {
        <p><a href="/record">{locale.t("record.back")}</a></p>
        <h1>{title.clone()}</h1>
        <p><EntryBadge locale status/></p>
        <Contest locale open=appeal contest_href=(status != EntryStatus::Lifted).then(|| format!("/appeals/new?entry={id}"))/>
        {matches!(status, EntryStatus::PendingNotice).then(|| view! { <p class="notice">{locale.t("entry.pending_explained")}</p> })}
        <dl class="facts">
            <dt>{locale.t("entry.issued_by")}</dt><dd>{authority}</dd>
            <dt>{locale.t("entry.case_number")}</dt><dd>{e.case_number().to_string()}</dd>
            <dt>{locale.t("catalogue.col_legal_basis")}</dt><dd>{e.legal_basis().to_string()}</dd>
            <dt>{locale.t("entry.reason")}</dt><dd>{e.reason().to_string()}</dd>
            <dt>{locale.t("entry.notice")}</dt><dd>{notice}</dd>
            <dt>{locale.t("entry.effective_from")}</dt><dd>{format::date(locale, e.effective_from())}</dd>
            <dt>{locale.t("entry.expires_at")}</dt>
            <dd>{e.expires_at().map(|t| format::date(locale, t)).unwrap_or_else(|| locale.t("rule.open_ended"))}</dd>
        </dl>
        <h2>{locale.t("entry.restrictions")}</h2>
        <ul>{e.restrictions().iter().map(|r| view! { <li>{format::restriction(locale, *r)}</li> }).collect_view()}</ul>
        {way_off}
        {(!stored.actions.is_empty()).then(|| view! {
            <h2>{locale.t("entry.history")}</h2>
            <ul>{stored.actions.iter().map(|a| view! {
                <li>{format::date(locale, a.at)}": "{locale.t(&format!("entry.action_{}", a.action.code()))}" — "{a.reason.clone()}</li>
            }).collect_view()}</ul>
        })}
    };
    Ok(document(&ctx, &title, main.into_any()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::blacklist::EntryAction;

    /// Keys built at run time are not seen by the translation scan; check each one here.
    #[test]
    fn every_key_built_at_run_time_is_translated_in_both_languages() {
        let mut keys: Vec<String> =
            ["record.as_of_future", "record.as_of_invalid"].map(String::from).to_vec();
        for code in [
            "not_yet_effective",
            "expired",
            "voided",
            "superseded",
            "suspended_while_disputed",
            "rule_not_in_catalogue",
        ] {
            keys.push(format!("record.reason_{code}"));
        }
        for status in [
            EntryStatus::PendingNotice,
            EntryStatus::Scheduled,
            EntryStatus::Active,
            EntryStatus::Suspended,
            EntryStatus::Lifted,
            EntryStatus::Expired,
        ] {
            keys.push(format!("entry.status_{}", status.code()));
        }
        for action in
            [EntryAction::NoticeDelivered, EntryAction::Lifted, EntryAction::Suspended, EntryAction::Resumed]
        {
            keys.push(format!("entry.action_{}", action.code()));
        }
        for locale in Locale::ALL {
            for key in &keys {
                assert!(!locale.t(key).ends_with(key.as_str()), "{} is missing {key}", locale.code());
            }
        }
    }

    #[test]
    fn an_as_of_date_is_the_end_of_that_day_and_bad_dates_fall_back_to_now() {
        let now = Utc::now();
        let q = |s: &str| RecordQuery { as_of: Some(s.into()), page: None };
        let (at, problem) = instant(&q("2025-03-01"), now);
        assert_eq!((at.to_rfc3339().as_str(), problem), ("2025-03-01T23:59:59+00:00", None));
        assert_eq!(instant(&q("1 March"), now), (now, Some("record.as_of_invalid")));
        assert_eq!(instant(&q("2999-01-01"), now), (now, Some("record.as_of_future")));
        assert_eq!(instant(&q(""), now), (now, None));
    }
}
