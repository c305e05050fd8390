//! The public rule catalogue, readable without signing in: every scheme with its grade bands
//! (and components and weights), each rule's text, legal basis, effect and version history, and
//! the restrictions a blacklist entry can impose.

use axum::{
    extract::{Path, State},
    response::{Html, Response},
};
use chrono::{DateTime, Utc};
use leptos::{either::Either, prelude::*};

use super::cache::{self, Fresh};
use super::transparency::{count as transparency_count, rate as transparency_rate};
use crate::pages::kit::{
    document,
    format::{self, pick},
    DataTable, PageContext,
};
use crate::{
    domain::{changes, Restriction, RuleCode, RuleField, RuleStatus, RuleVersion, SchemeKind},
    error::{AppError, AppResult},
    http::AppState,
    i18n::Locale,
    store::{
        catalogue::{self, RuleRepeal, SchemeContext, SchemeRecord},
        mandates, register,
        register::Authority,
        transparency,
    },
};

/// What the catalogue's index shows: every scheme.
pub struct CataloguePage {
    pub schemes: Vec<SchemeRecord>,
}

impl CataloguePage {
    /// Every query of the index.
    pub async fn load(state: &AppState) -> AppResult<Self> {
        let mut conn = state.db.pool.acquire().await?;
        Ok(Self { schemes: catalogue::schemes(&mut conn).await? })
    }
}

/// `GET /rules`: every scheme, and the restriction kinds of blacklists.
pub async fn index(
    State(state): State<AppState>,
    shell: PageContext,
    request: cache::IfNoneMatch,
) -> AppResult<Response> {
    cache::serve(&state, &shell, &request, || async {
        let page = CataloguePage::load(&state).await?;
        Ok(Fresh { html: index_view(&page, &shell), until: None })
    })
    .await
}

/// The catalogue's index, drawn from what [`CataloguePage::load`] read.
fn index_view(page: &CataloguePage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let schemes = if page.schemes.is_empty() {
        Either::Left(view! { <p>{locale.t("catalogue.no_schemes")}</p> })
    } else {
        let items = page
            .schemes
            .iter()
            .map(|s| {
                let kind = locale.t(&format!("catalogue.kind_{}", s.scheme.kind().code()));
                view! {
                    <li>
                        <h3><a href=format!("/rules/{}", s.scheme.code())>{pick(locale, &s.name_en, &s.name_zh).to_string()}</a></h3>
                        <p class="muted">{pick(locale, &s.operator_en, &s.operator_zh).to_string()}" · "{kind}</p>
                    </li>
                }
            })
            .collect_view();
        Either::Right(view! { <ul class="cards">{items}</ul> })
    };
    let main = view! {
        <h1>{locale.t("catalogue.title")}</h1>
        <p class="lead">{locale.t("catalogue.intro")}</p>
        <h2>{locale.t("catalogue.schemes")}</h2>
        {schemes}
        <p><a href="/rules/compare">{locale.t("compare.link")}</a></p>
        <h2 id="restrictions">{locale.t("catalogue.restrictions_title")}</h2>
        <p>{locale.t("catalogue.restrictions_intro")}</p>
        <ul>
            {Restriction::ALL.into_iter().map(|r| view! { <li>{format::restriction(locale, r)}</li> }).collect_view()}
        </ul>
    };
    document(ctx, &locale.t("catalogue.title"), main.into_any())
}

async fn scheme_context(state: &AppState, code: &str) -> AppResult<SchemeContext> {
    let mut conn = state.db.pool.acquire().await?;
    let record = catalogue::scheme_by_code(&mut conn, code).await?;
    let record = record.ok_or(AppError::NotFound)?;
    let context = catalogue::context(&mut conn, record.scheme.id()).await?;
    context.ok_or(AppError::NotFound)
}

/// What a scheme's page shows: the scheme, its rules in force, and the rules it repealed.
pub struct SchemePage {
    pub record: SchemeRecord,
    /// The versions in force at the instant the page was loaded for.
    pub in_force: Vec<RuleVersion>,
    /// Rules repealed and not published again, each with its last version.
    pub repealed: Vec<(RuleRepeal, RuleVersion)>,
    /// When a version next comes into or goes out of force: the page holds until then.
    pub until: Option<DateTime<Utc>>,
}

impl SchemePage {
    /// Every query of a scheme's page; 404 for a scheme that does not exist.
    pub async fn load(state: &AppState, code: &str, now: DateTime<Utc>) -> AppResult<Self> {
        let context = scheme_context(state, code).await?;
        let in_force: Vec<RuleVersion> = context.catalogue.in_force_at(now).into_iter().cloned().collect();
        let until = context.catalogue.next_change_after(now);
        let mut conn = state.db.pool.acquire().await?;
        let repealed = catalogue::repeals(&mut conn, context.record.scheme.id())
            .await?
            .into_iter()
            .filter(|r| !in_force.iter().any(|v| v.rule_code() == &r.rule_code))
            .filter_map(|r| {
                let last = context
                    .catalogue
                    .history(&r.rule_code)
                    .iter()
                    .rev()
                    .find(|v| v.status() == RuleStatus::Repealed)?;
                Some((r, last.clone()))
            })
            .collect();
        Ok(Self { record: context.record, in_force, repealed, until })
    }
}

/// `GET /rules/{scheme}`: one scheme's bands, components and rules in force.
pub async fn scheme(
    State(state): State<AppState>,
    shell: PageContext,
    Path(code): Path<String>,
    request: cache::IfNoneMatch,
) -> AppResult<Response> {
    cache::serve(&state, &shell, &request, || async {
        let page = SchemePage::load(&state, &code, Utc::now()).await?;
        Ok(Fresh { html: scheme_view(&page, &shell), until: page.until })
    })
    .await
}

/// A scheme's page, drawn from what [`SchemePage::load`] read.
fn scheme_view(page: &SchemePage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let record = &page.record;
    let scheme = &record.scheme;
    let title = pick(locale, &record.name_en, &record.name_zh).to_string();
    let rows = page
        .in_force
        .iter()
        .map(|v| {
            let href = format!("/rules/{}/{}", scheme.code(), v.rule_code());
            view! {
                <tr>
                    <td><a href=href>{v.rule_code().to_string()}</a></td>
                    <td>{format::rule_title(locale, v).to_string()}</td>
                    <td>{format::category(locale, v.content().category)}</td>
                    <td>{format::effect(locale, v.effect(), component_name(locale, record, v))}</td>
                    <td>{format::validity(locale, v.counts_for())}</td>
                    <td>{format::legal_basis(locale, v).unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    let range = match scheme.kind() {
        SchemeKind::Points { base } => locale.t_with("catalogue.base_score", &[("n", &base.to_string())]),
        SchemeKind::Weighted { range_min, range_max, .. } => locale.t_with(
            "catalogue.score_range",
            &[("min", &range_min.to_string()), ("max", &range_max.to_string())],
        ),
    };
    let main = view! {
        <p><a href="/rules">{locale.t("catalogue.all_schemes")}</a></p>
        <h1>{title.clone()}</h1>
        <dl class="facts">
            <dt>{locale.t("catalogue.operator")}</dt><dd>{pick(locale, &record.operator_en, &record.operator_zh).to_string()}</dd>
            <dt>{locale.t("catalogue.kind")}</dt><dd>{locale.t(&format!("catalogue.kind_{}", scheme.kind().code()))}</dd>
            <dt>{locale.t("catalogue.score")}</dt><dd>{range}</dd>
            <dt>{locale.t("catalogue.dispute_policy")}</dt>
            <dd>{locale.t(&format!("catalogue.policy_{}", scheme.dispute_policy().code()))}</dd>
            <dt>{locale.t("catalogue.appeal_deadline")}</dt>
            <dd>{locale.t_with("format.days", &[("n", &scheme.appeal_deadline_days().to_string())])}</dd>
        </dl>
        <h2>{locale.t("catalogue.bands_title")}</h2>
        {bands_table(locale, record)}
        {components_section(locale, record)}
        <h2>{locale.t("catalogue.rules_title")}</h2>
        <p><a href=format!("/rules/compare?schemes={}", scheme.code())>{locale.t("compare.link")}</a></p>
        <DataTable caption=locale.t("catalogue.rules_caption") columns=vec![
            (locale.t("catalogue.col_code"), false),
            (locale.t("catalogue.col_title"), false),
            (locale.t("catalogue.col_category"), false),
            (locale.t("catalogue.col_effect"), false),
            (locale.t("catalogue.col_counts_for"), false),
            (locale.t("catalogue.col_legal_basis"), false),
        ]>{rows}</DataTable>
        {repealed_section(locale, record, &page.repealed)}
    };
    document(ctx, &title, main.into_any())
}

/// The rules a scheme repealed: each stays listed with when and why.
fn repealed_section(
    locale: Locale,
    record: &SchemeRecord,
    repealed: &[(RuleRepeal, RuleVersion)],
) -> impl IntoView {
    (!repealed.is_empty()).then(|| {
        let rows = repealed
            .iter()
            .map(|(r, v)| {
                let href = format!("/rules/{}/{}", record.scheme.code(), r.rule_code);
                view! {
                    <tr>
                        <td><a href=href>{r.rule_code.to_string()}</a></td>
                        <td>{format::rule_title(locale, v).to_string()}</td>
                        <td>{format::date(locale, r.repealed_at)}</td>
                        <td>{repeal_reason(locale, r)}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <h2 id="repealed">{locale.t("catalogue.repealed_title")}</h2>
            <DataTable caption=locale.t("catalogue.repealed_caption") columns=vec![
                (locale.t("catalogue.col_code"), false),
                (locale.t("catalogue.col_title"), false),
                (locale.t("catalogue.col_repealed_on"), false),
                (locale.t("catalogue.col_repeal_reason"), false),
            ]>{rows}</DataTable>
        }
    })
}

/// Why a rule was repealed; rules repealed before reasons were kept say so.
fn repeal_reason(locale: Locale, r: &RuleRepeal) -> String {
    if r.reason.is_empty() {
        locale.t("catalogue.repeal_reason_not_recorded")
    } else {
        r.reason.clone()
    }
}

fn component_name<'a>(locale: Locale, record: &'a SchemeRecord, v: &RuleVersion) -> Option<&'a str> {
    let component = v.effect().component()?;
    let index = record.scheme.component_index(component)?;
    record.component_names.get(index).map(|(en, zh)| pick(locale, en, zh))
}

/// The grade bands with both limits, highest first.
pub fn bands_table(locale: Locale, record: &SchemeRecord) -> impl IntoView {
    let bands = record.scheme.bands();
    let rows = (0..bands.bands().len())
        .map(|i| {
            let (min, max) = bands.limits_at(i);
            let show = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_else(|| "—".into());
            view! {
                <tr>
                    <th scope="row">{format::grade(locale, record, bands.bands()[i].grade.as_str()).to_string()}</th>
                    <td class="num">{show(min)}</td>
                    <td class="num">{show(max)}</td>
                </tr>
            }
        })
        .collect_view();
    let columns = vec![
        (locale.t("catalogue.col_grade"), false),
        (locale.t("catalogue.col_from"), true),
        (locale.t("catalogue.col_to"), true),
    ];
    view! { <DataTable class="bands" caption=locale.t("catalogue.bands_caption") columns>{rows}</DataTable> }
}

/// A weighted scheme's components with their weights and starting values (nothing for a
/// points scheme).
fn components_section(locale: Locale, record: &SchemeRecord) -> impl IntoView {
    let components = record.scheme.components();
    (!components.is_empty()).then(|| {
        let rows = components
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let name = record.component_names.get(i).map(|(en, zh)| pick(locale, en, zh).to_string());
                view! {
                    <tr>
                        <th scope="row">{name.unwrap_or_else(|| c.code.to_string())}</th>
                        <td class="num">{format!("{}%", c.weight_percent)}</td>
                        <td class="num">{c.start}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <h2>{locale.t("catalogue.components_title")}</h2>
            <p>{locale.t("catalogue.components_formula")}</p>
            <DataTable caption=locale.t("catalogue.components_caption") columns=vec![
                (locale.t("catalogue.col_component"), false),
                (locale.t("catalogue.col_weight"), true),
                (locale.t("catalogue.col_start"), true),
            ]>{rows}</DataTable>
        }
    })
}

/// What a rule's page shows: its scheme, every published version (oldest first) and the one in
/// force.
pub struct RulePage {
    pub record: SchemeRecord,
    pub code: RuleCode,
    /// Never empty: a rule with no published version is not found.
    pub published: Vec<RuleVersion>,
    /// The version in force at the instant the page was loaded for, if any.
    pub in_force: Option<RuleVersion>,
    /// The authorities whose mandates let them record under the rule at that instant.
    pub holders: Vec<Authority>,
    /// When and why the rule was repealed, if it was.
    pub repeal: Option<RuleRepeal>,
    /// Appeals filed on records under the rule, and its first-level decisions.
    pub appeals: (i64, transparency::Rate),
    /// When a version or a mandate next comes into or goes out of force: the page holds until
    /// then.
    pub until: Option<DateTime<Utc>>,
}

impl RulePage {
    /// Every query of a rule's page; 404 for an unknown scheme, or a rule never published.
    pub async fn load(
        state: &AppState,
        scheme_code: &str,
        rule_code: &str,
        now: DateTime<Utc>,
    ) -> AppResult<Self> {
        let context = scheme_context(state, scheme_code).await?;
        let code = RuleCode::parse(rule_code).map_err(|_| AppError::NotFound)?;
        let published: Vec<RuleVersion> = context
            .catalogue
            .history(&code)
            .iter()
            .filter(|v| v.status().code() != "draft")
            .cloned()
            .collect();
        if published.is_empty() {
            return Err(AppError::NotFound);
        }
        let in_force = context.catalogue.version_in_force(&code, now).ok().cloned();
        let mut conn = state.db.pool.acquire().await?;
        let ids = mandates::holders_of_rule(&mut conn, context.record.scheme.id(), &code, now).await?;
        let holders =
            register::authorities(&mut conn).await?.into_iter().filter(|a| ids.contains(&a.id)).collect();
        let until =
            [context.catalogue.next_change_after(now), mandates::next_start_after(&mut conn, now).await?]
                .into_iter()
                .flatten()
                .min();
        let repeal = catalogue::repeals(&mut conn, context.record.scheme.id())
            .await?
            .into_iter()
            .find(|r| r.rule_code == code && published.iter().any(|v| v.status() == RuleStatus::Repealed));
        let appeals =
            transparency::rule_figures(&mut conn, context.record.scheme.code(), code.as_str()).await?;
        // The appeal figures change with decisions: kept at most a few minutes.
        let until = Some(
            until.map_or(now + chrono::Duration::minutes(5), |u| u.min(now + chrono::Duration::minutes(5))),
        );
        Ok(Self { record: context.record, code, published, in_force, holders, repeal, appeals, until })
    }
}

/// `GET /rules/{scheme}/{rule}`: a rule's text, legal basis and every version with what changed.
pub async fn rule(
    State(state): State<AppState>,
    shell: PageContext,
    Path((scheme_code, rule_code)): Path<(String, String)>,
    request: cache::IfNoneMatch,
) -> AppResult<Response> {
    cache::serve(&state, &shell, &request, || async {
        let page = RulePage::load(&state, &scheme_code, &rule_code, Utc::now()).await?;
        Ok(Fresh { html: rule_view(&page, &shell), until: page.until })
    })
    .await
}

/// A rule's page, drawn from what [`RulePage::load`] read.
fn rule_view(page: &RulePage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let RulePage { record, code, published, in_force, holders, repeal, appeals, .. } = page;
    let versions = published
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let changed = if i == 0 { Vec::new() } else { changes(&published[i - 1], v) };
            let change_items = changed
                .iter()
                .filter(|c| {
                    !matches!(c.field, RuleField::TitleZh | RuleField::DescriptionZh | RuleField::LegalBasisZh)
                        || locale == Locale::ZhCn
                })
                .filter(|c| {
                    !matches!(c.field, RuleField::TitleEn | RuleField::DescriptionEn | RuleField::LegalBasis)
                        || locale == Locale::En
                })
                .map(|c| {
                    let before = field_value(locale, record, &published[i - 1], c.field);
                    let after = field_value(locale, record, v, c.field);
                    view! {
                        <li>
                            <strong>{locale.t(&format!("rule.field_{}", c.field.code()))}</strong>": "
                            <del>{before}</del>" → "<ins>{after}</ins>
                        </li>
                    }
                })
                .collect_view();
            let to = v.effective_to().map(|t| format::date(locale, t)).unwrap_or_else(|| locale.t("rule.open_ended"));
            view! {
                <li class="version">
                    <h3>{locale.t_with("rule.version_n", &[("n", &v.version().to_string())])}</h3>
                    <p>
                        {locale.t_with("rule.in_force_between", &[("from", &format::date(locale, v.effective_from())), ("to", &to)])}
                        " · "{locale.t(&format!("rule.status_{}", v.status().code()))}
                    </p>
                    {if i == 0 {
                        Either::Left(view! { <p class="muted">{locale.t("rule.first_version")}</p> })
                    } else {
                        Either::Right(view! { <ul class="changes">{change_items}</ul> })
                    }}
                </li>
            }
        })
        .collect_view();
    let title = match published.last() {
        Some(latest) => format!("{} · {}", code, format::rule_title(locale, latest)),
        None => code.to_string(),
    };
    let shown = in_force.as_ref().or(published.last());
    let main = view! {
        <p><a href=format!("/rules/{}", record.scheme.code())>{pick(locale, &record.name_en, &record.name_zh).to_string()}</a></p>
        <h1>{title.clone()}</h1>
        {shown.map(|shown| view! {
            <p class="lead">{format::rule_description(locale, shown).to_string()}</p>
            <dl class="facts">
                <dt>{locale.t("catalogue.col_legal_basis")}</dt>
                <dd>{format::legal_basis(locale, shown).unwrap_or_default()}</dd>
                <dt>{locale.t("catalogue.col_effect")}</dt>
                <dd>{format::effect(locale, shown.effect(), component_name(locale, record, shown))}</dd>
                <dt>{locale.t("catalogue.col_counts_for")}</dt>
                <dd>{format::validity(locale, shown.counts_for())}</dd>
                <dt>{locale.t("catalogue.col_category")}</dt>
                <dd>{format::category(locale, shown.content().category)}</dd>
                <dt>{locale.t("mandates.holders")}</dt>
                <dd>{if holders.is_empty() {
                    locale.t("mandates.holders_none")
                } else {
                    holders.iter().map(|a| pick(locale, &a.name_en, &a.name_zh)).collect::<Vec<_>>().join(", ")
                }}</dd>
                <dt>{locale.t("transparency.rule_appeals")}</dt>
                <dd>{transparency_count(locale, appeals.0)}</dd>
                <dt>{locale.t("transparency.rule_overturned")}</dt>
                <dd>{transparency_rate(locale, &appeals.1)}</dd>
                <dt>{locale.t("rule.current_version")}</dt>
                <dd>{match in_force {
                    Some(v) => locale.t_with("rule.version_n", &[("n", &v.version().to_string())]),
                    None => locale.t("rule.not_in_force"),
                }}</dd>
            </dl>
        })}
        {repeal.as_ref().map(|r| view! {
            <section class="notice" aria-labelledby="repeal-title">
                <h2 id="repeal-title">{locale.t_with("rule.repealed_on", &[("date", &format::date(locale, r.repealed_at))])}</h2>
                <p>{repeal_reason(locale, r)}</p>
            </section>
        })}
        {in_force.as_ref().map(|_| view! {
            <p><a class="button" href=format!("/appeals/new?rule={}/{}", record.scheme.code(), code)>{locale.t("appeals.contest_this")}</a></p>
        })}
        <h2>{locale.t("rule.history_title")}</h2>
        <ol class="versions">{versions}</ol>
    };
    document(ctx, &title, main.into_any())
}

/// A field of a version as a person reads it.
fn field_value(locale: Locale, record: &SchemeRecord, v: &RuleVersion, field: RuleField) -> String {
    let c = v.content();
    match field {
        RuleField::TitleEn => c.title_en.clone(),
        RuleField::TitleZh => c.title_zh.clone(),
        RuleField::DescriptionEn => c.description_en.clone(),
        RuleField::DescriptionZh => c.description_zh.clone(),
        RuleField::LegalBasis => c.legal_basis.as_ref().map(|b| b.to_string()).unwrap_or_default(),
        RuleField::LegalBasisZh => c.legal_basis_zh.as_ref().map(|b| b.to_string()).unwrap_or_default(),
        RuleField::Category => format::category(locale, c.category),
        RuleField::Effect => format::effect(locale, &c.effect, component_name(locale, record, v)),
        RuleField::CountsFor => format::validity(locale, c.counts_for),
        RuleField::EffectiveFrom => format::date(locale, c.effective_from),
        RuleField::EffectiveTo => {
            c.effective_to.map(|t| format::date(locale, t)).unwrap_or_else(|| locale.t("rule.open_ended"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Category, DisputePolicy};

    /// Keys built at run time are not seen by the translation scan; check each one here.
    #[test]
    fn every_key_built_at_run_time_is_translated_in_both_languages() {
        let mut keys: Vec<String> =
            ["points", "weighted"].iter().map(|k| format!("catalogue.kind_{k}")).collect();
        for policy in [DisputePolicy::KeepsCounting, DisputePolicy::SuspendedWhileDisputed] {
            keys.push(format!("catalogue.policy_{}", policy.code()));
        }
        for status in [RuleStatus::Draft, RuleStatus::Published, RuleStatus::Repealed] {
            keys.push(format!("rule.status_{}", status.code()));
        }
        for field in [
            RuleField::TitleEn,
            RuleField::TitleZh,
            RuleField::DescriptionEn,
            RuleField::DescriptionZh,
            RuleField::LegalBasis,
            RuleField::LegalBasisZh,
            RuleField::Category,
            RuleField::Effect,
            RuleField::CountsFor,
            RuleField::EffectiveFrom,
            RuleField::EffectiveTo,
        ] {
            keys.push(format!("rule.field_{}", field.code()));
        }
        for c in Category::ALL {
            keys.push(format!("category.{}", c.code()));
        }
        for locale in Locale::ALL {
            for key in &keys {
                let text = locale.t(key);
                assert!(!text.ends_with(key.as_str()), "{} is missing {key}", locale.code());
            }
        }
    }
}
