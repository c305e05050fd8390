//! The administrators' pages (`/admin`): the hub, each scheme's rule catalogue with drafts,
//! publishing from an effective date and repeal, and the audit log. Every write is checked by
//! the domain, runs in one transaction and writes its audit row in it. Accounts live in
//! `pages::admin`; API tokens at `/admin/tokens`.

use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::Deserialize;

use super::{actor, commit_audited, unprocessable, Admin, Audited, BackLink};
use crate::pages::kit::{
    document, format,
    format::datetime,
    forms::{error_for, titled, Problems},
    forms::{error_summary, notice},
    problems::{self, describe, unreadable_date},
    DataTable, PageContext, SelectField, TextField,
};
use crate::{
    auth::{access::RequireRole, throttle::ClientAddress},
    domain::{
        Category, ComponentCode, DomainError, Effect, LegalBasis, RuleCode, RuleContent, RuleStatus,
        RuleVersion, RuleVersionId, Validity,
    },
    error::{AppError, AppResult},
    http::{form::Form, AppState},
    i18n::Locale,
    store::{
        administration,
        catalogue::{self, SchemeContext},
        repeal, StoreError,
    },
};

pub(super) async fn scheme_by_code(state: &AppState, code: &str) -> AppResult<SchemeContext> {
    let mut conn = state.db.pool.acquire().await?;
    let record = catalogue::scheme_by_code(&mut conn, code).await?.ok_or(AppError::NotFound)?;
    catalogue::context(&mut conn, record.scheme.id()).await?.ok_or(AppError::NotFound)
}

/// The draft form, as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DraftForm {
    #[serde(default)]
    rule_code: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    title_zh: String,
    #[serde(default)]
    description_en: String,
    #[serde(default)]
    description_zh: String,
    #[serde(default)]
    legal_basis: String,
    #[serde(default)]
    legal_basis_zh: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    component: String,
    #[serde(default)]
    points_default: String,
    #[serde(default)]
    points_min: String,
    #[serde(default)]
    points_max: String,
    #[serde(default)]
    validity_count: String,
    #[serde(default)]
    validity_unit: String,
    #[serde(default)]
    effective_from: String,
    #[serde(default)]
    effective_to: String,
}

impl DraftForm {
    fn of(version: &RuleVersion) -> Self {
        let c = version.content();
        let (min, max) = c.effect.range();
        let (count, unit) = match c.counts_for {
            Validity::Days(n) => (n, "days"),
            Validity::Months(n) => (n, "months"),
        };
        Self {
            rule_code: version.rule_code().to_string(),
            title_en: c.title_en.clone(),
            title_zh: c.title_zh.clone(),
            description_en: c.description_en.clone(),
            description_zh: c.description_zh.clone(),
            legal_basis: c.legal_basis.as_ref().map(|b| b.to_string()).unwrap_or_default(),
            legal_basis_zh: c.legal_basis_zh.as_ref().map(|b| b.to_string()).unwrap_or_default(),
            category: c.category.code().into(),
            component: c.effect.component().map(|x| x.to_string()).unwrap_or_default(),
            points_default: c.effect.default_points().to_string(),
            points_min: min.to_string(),
            points_max: max.to_string(),
            validity_count: count.to_string(),
            validity_unit: unit.into(),
            effective_from: format::iso_date(c.effective_from),
            effective_to: c.effective_to.map(format::iso_date).unwrap_or_default(),
        }
    }

    /// The content the form describes, or the problems with it (the domain checks the rest).
    fn content(&self, locale: Locale) -> Result<RuleContent, Problems> {
        let mut problems = Problems::new();
        let mut number = |field: &'static str, text: &str| -> Option<i64> {
            text.trim()
                .replace('\u{2212}', "-")
                .parse::<i64>()
                .map_err(|_| {
                    problems.push((
                        field,
                        locale.t_with(
                            "administration.number_invalid",
                            &[("field", &problems::field_label(locale, "points"))],
                        ),
                    ))
                })
                .ok()
        };
        let default = number("points_default", &self.points_default);
        let min = number("points_min", &self.points_min);
        let max = number("points_max", &self.points_max);
        let count = self.validity_count.trim().parse::<u32>().ok();
        if count.is_none() {
            problems.push((
                "validity_count",
                locale.t_with(
                    "administration.number_invalid",
                    &[("field", &problems::field_label(locale, "counts_for"))],
                ),
            ));
        }
        let legal_basis = match self.legal_basis.trim() {
            "" => None,
            text => LegalBasis::parse(text).map_err(|e| problems.push(describe(locale, &e))).ok(),
        };
        let legal_basis_zh = match self.legal_basis_zh.trim() {
            "" => None,
            text => LegalBasis::parse_zh(text).map_err(|e| problems.push(describe(locale, &e))).ok(),
        };
        // A form from before categories existed sends none: such a rule is "other".
        let category = match self.category.trim() {
            "" => Some(Category::Other),
            text => Category::parse(text).map_err(|e| problems.push(describe(locale, &e))).ok(),
        };
        let component = match self.component.trim() {
            "" => None,
            text => ComponentCode::parse(text).map_err(|e| problems.push(describe(locale, &e))).ok(),
        };
        let effective_from = match problems::instant(&self.effective_from) {
            Some(at) => Some(at),
            None if self.effective_from.trim().is_empty() => {
                problems.push(describe(locale, &DomainError::EmptyField { field: "effective_from" }));
                None
            }
            None => {
                problems.push(("effective_from", unreadable_date(locale, "effective_from")));
                None
            }
        };
        let effective_to = match self.effective_to.trim() {
            "" => None,
            text => problems::instant(text).or_else(|| {
                problems.push(("effective_to", unreadable_date(locale, "effective_to")));
                None
            }),
        };
        let (Some(default), Some(min), Some(max), Some(count), Some(effective_from), Some(category), true) =
            (default, min, max, count, effective_from, category, problems.is_empty())
        else {
            return Err(problems);
        };
        let effect = match component {
            Some(component) => Effect::Component { component, default, min, max },
            None => Effect::Points { default, min, max },
        };
        let counts_for =
            if self.validity_unit == "days" { Validity::Days(count) } else { Validity::Months(count) };
        Ok(RuleContent {
            title_en: self.title_en.clone(),
            title_zh: self.title_zh.clone(),
            description_en: self.description_en.clone(),
            description_zh: self.description_zh.clone(),
            legal_basis,
            legal_basis_zh,
            category,
            effect,
            counts_for,
            effective_from,
            effective_to,
        })
    }
}

/// Where a domain refusal of rule content belongs on the draft form.
fn draft_problem(locale: Locale, e: &DomainError) -> (&'static str, String) {
    let (field, message) = describe(locale, e);
    let field = match field {
        "effect" | "points" => "points_default",
        "counts_for" => "validity_count",
        other => other,
    };
    (field, message)
}

/// What a scheme's rules page shows: every version of every rule, and the new-draft form as
/// typed with the problems a refused post found in it.
pub struct RulesPage {
    pub scheme: SchemeContext,
    pub form: DraftForm,
    pub problems: Problems,
}

impl RulesPage {
    /// Every query of the page: the scheme with its catalogue.
    pub async fn load(state: &AppState, code: &str) -> AppResult<Self> {
        let scheme = scheme_by_code(state, code).await?;
        let form = DraftForm {
            validity_unit: "months".into(),
            validity_count: "12".into(),
            category: "other".into(),
            ..DraftForm::default()
        };
        Ok(Self { scheme, form, problems: Problems::new() })
    }

    /// The same page after a refused post: the form as typed, and why it was refused.
    fn refused(self, form: DraftForm, problems: Problems) -> Self {
        Self { form, problems, ..self }
    }
}

/// `GET /admin/schemes/{scheme}/rules`: every version of every rule, and a new draft.
pub async fn rules(
    State(state): State<AppState>,
    _admin: Admin,
    shell: PageContext,
    Path(code): Path<String>,
) -> AppResult<Html<String>> {
    let page = RulesPage::load(&state, &code).await?;
    Ok(rules_view(&page, &shell))
}

/// The rules page, drawn from what [`RulesPage::load`] read.
fn rules_view(page: &RulesPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let RulesPage { scheme, form, problems } = page;
    let rows = scheme
        .catalogue
        .versions()
        .iter()
        .map(|v| {
            view! {
                <tr>
                    <td><a href=format!("/admin/rule-versions/{}", v.id())>{format!("{} v{}", v.rule_code(), v.version())}</a></td>
                    <td>{format::rule_title(locale, v).to_string()}</td>
                    <td>{status_label(locale, v.status())}</td>
                    <td>{format::date(locale, v.effective_from())}</td>
                    <td>{v.effective_to().map(|t| format::date(locale, t)).unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    let code = scheme.scheme().code();
    let name = format::pick(locale, &scheme.record.name_en, &scheme.record.name_zh).to_string();
    let title = locale.t_with("administration.rules_of", &[("scheme", &name)]);
    let columns = vec![
        (locale.t("administration.col_version"), false),
        (locale.t("problems.field_title_en"), false),
        (locale.t("administration.col_status"), false),
        (locale.t("problems.field_effective_from"), false),
        (locale.t("problems.field_effective_to"), false),
    ];
    let main = view! {
        <BackLink href="/admin" label=locale.t("administration.back")/>
        <h1>{title.clone()}</h1>
        <p><a href=format!("/admin/schemes/{code}/settings")>{locale.t_with("administration.scheme_title", &[("scheme", &name)])}</a></p>
        <DataTable caption=locale.t("administration.versions_caption") columns=columns>{rows}</DataTable>
        <h2 id="new-draft">{locale.t("administration.new_draft")}</h2>
        <p>{locale.t("administration.new_draft_intro")}</p>
        {error_summary(locale.t("forms.error_summary"), problems.clone())}
        <form class="stack" method="post" action=format!("/admin/schemes/{code}/rules")>
            <TextField id="rule_code" label=locale.t("problems.field_rule_code") value=form.rule_code.clone()
                hint=Some(locale.t("administration.rule_code_hint")) error=error_for(problems, "rule_code")/>
            {draft_fields(locale, scheme, form, problems)}
            <button type="submit">{locale.t("administration.create_draft")}</button>
        </form>
    };
    document(ctx, &titled(locale, title, problems), main.into_any())
}

fn status_label(locale: Locale, status: RuleStatus) -> String {
    locale.t(&format!("administration.status_{}", status.code()))
}

/// The fields of a rule's content, on the new-draft form and on a draft's edit form.
fn draft_fields(
    locale: Locale,
    scheme: &SchemeContext,
    form: &DraftForm,
    problems: &Problems,
) -> impl IntoView {
    let text = |id: &'static str, value: &str| {
        view! {
            <TextField id=id label=locale.t(&format!("problems.field_{id}")) value=value.to_string()
                error=error_for(problems, id)/>
        }
    };
    let components = scheme.scheme().components();
    let component = (!components.is_empty()).then(|| {
        let codes = components.iter().map(|c| c.code.to_string()).collect::<Vec<_>>().join(", ");
        view! {
            <TextField id="component" label=locale.t("problems.field_component") value=form.component.clone()
                hint=Some(locale.t_with("administration.component_hint", &[("codes", &codes)]))
                error=error_for(problems, "component")/>
        }
    });
    let category_options = Category::ALL
        .into_iter()
        .map(|c| {
            view! { <option value=c.code() selected=form.category == c.code()>{format::category(locale, c)}</option> }
        })
        .collect_view();
    let unit_options = ["months", "days"]
        .into_iter()
        .map(|u| view! { <option value=u selected=form.validity_unit == u>{locale.t(&format!("administration.unit_{u}"))}</option> })
        .collect_view();
    view! {
        {text("title_en", &form.title_en)}
        {text("title_zh", &form.title_zh)}
        {text("description_en", &form.description_en)}
        {text("description_zh", &form.description_zh)}
        <TextField id="legal_basis" label=locale.t("administration.legal_basis_en") value=form.legal_basis.clone()
            hint=Some(locale.t("administration.legal_basis_hint")) error=error_for(problems, "legal_basis")/>
        <TextField id="legal_basis_zh" label=locale.t("problems.field_legal_basis_zh") value=form.legal_basis_zh.clone()
            error=error_for(problems, "legal_basis_zh")/>
        <SelectField id="category" label=locale.t("problems.field_category") error=error_for(problems, "category")>
            {category_options}
        </SelectField>
        {component}
        <TextField id="points_default" label=locale.t("administration.points_default") value=form.points_default.clone()
            hint=Some(locale.t("administration.points_hint")) error=error_for(problems, "points_default")/>
        <TextField id="points_min" label=locale.t("administration.points_min") value=form.points_min.clone()
            error=error_for(problems, "points_min")/>
        <TextField id="points_max" label=locale.t("administration.points_max") value=form.points_max.clone()
            error=error_for(problems, "points_max")/>
        <TextField id="validity_count" label=locale.t("problems.field_counts_for") value=form.validity_count.clone()
            error=error_for(problems, "validity_count")/>
        <SelectField id="validity_unit" label=locale.t("administration.unit")>{unit_options}</SelectField>
        <TextField id="effective_from" label=locale.t("problems.field_effective_from") kind="date"
            value=form.effective_from.clone() hint=Some(locale.t("administration.draft_from_hint"))
            error=error_for(problems, "effective_from")/>
        <TextField id="effective_to" label=locale.t("problems.field_effective_to") kind="date"
            value=form.effective_to.clone() hint=Some(locale.t("recording.optional"))
            error=error_for(problems, "effective_to")/>
    }
}

/// `POST /admin/schemes/{scheme}/rules`: a new draft (a new rule, or the next version of one).
pub async fn create_draft(
    State(state): State<AppState>,
    RequireRole(viewer, _): Admin,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    Path(code): Path<String>,
    Form(form): Form<DraftForm>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let page = RulesPage::load(&state, &code).await?;
    let (rule_code, content) = match (RuleCode::parse(&form.rule_code), form.content(locale)) {
        (Ok(r), Ok(c)) => (r, c),
        (r, c) => {
            let mut problems: Problems = r.err().map(|e| vec![describe(locale, &e)]).unwrap_or_default();
            problems.extend(c.err().unwrap_or_default());
            return Ok(unprocessable(rules_view(&page.refused(form, problems), &shell)));
        }
    };
    let scheme = page.scheme.scheme();
    let now = Utc::now();
    let id = RuleVersionId::new();
    let mut tx = state.db.begin_write().await?;
    administration::lock_scheme(&mut tx, scheme.id()).await?;
    let mut fresh = catalogue::context(&mut tx, scheme.id()).await?.ok_or(AppError::NotFound)?;
    let draft = match fresh.catalogue.add_draft(id, rule_code, content) {
        Ok(draft) => draft.clone(),
        Err(e) => {
            let problems = vec![draft_problem(locale, &e)];
            return Ok(unprocessable(rules_view(&page.refused(form, problems), &shell)));
        }
    };
    catalogue::insert_rule_version(&mut tx, scheme.id(), &draft).await?;
    let detail = serde_json::json!({ "scheme": scheme.code(), "rule_code": draft.rule_code().as_str(), "version": draft.version() });
    let audited =
        Audited { action: "rule.draft", target_kind: "rule_version", target_id: &id.to_string(), detail };
    commit_audited(tx, &viewer, address, audited, now).await?;
    Ok(Redirect::to(&format!("/admin/rule-versions/{id}?done=draft")).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct VersionQuery {
    done: Option<String>,
    events: Option<usize>,
    subjects: Option<usize>,
}

impl VersionQuery {
    /// What the write that led here did, if the query says one did.
    fn done(query: Result<Query<VersionQuery>, QueryRejection>) -> Option<Done> {
        let Query(q) = query.ok()?;
        Some(match q.done.as_deref()? {
            "draft" => Done::Draft,
            "saved" => Done::Saved,
            "published" => Done::Published,
            "repealed" => Done::Repealed { events: q.events.unwrap_or(0), subjects: q.subjects.unwrap_or(0) },
            _ => return None,
        })
    }
}

/// What the version page after a write says was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    Draft,
    Saved,
    Published,
    /// The rule was repealed: so many records voided, of so many subjects.
    Repealed {
        events: usize,
        subjects: usize,
    },
}

impl Done {
    fn message(self, locale: Locale) -> String {
        match self {
            Done::Draft => locale.t("administration.done_draft"),
            Done::Saved => locale.t("administration.done_saved"),
            Done::Published => locale.t("administration.done_published"),
            Done::Repealed { events, subjects } => locale.t_with(
                "administration.done_repealed",
                &[("events", &events.to_string()), ("subjects", &subjects.to_string())],
            ),
        }
    }
}

/// The forms of a version page, as stored or as typed, with their problems.
pub struct VersionForms {
    /// A draft's content (shown to edit only while the version is a draft).
    pub draft: DraftForm,
    pub publish_from: String,
    pub reason: String,
    pub problems: Problems,
}

/// What a rule version's page shows: the version, its scheme, what was just done, and the forms
/// its status allows (a draft is edited and published, a published version repealed).
pub struct VersionPage {
    pub scheme: SchemeContext,
    pub version: RuleVersion,
    pub done: Option<Done>,
    pub forms: VersionForms,
}

impl VersionPage {
    /// Every query of the page: the version with its scheme, or 404.
    pub async fn load(state: &AppState, id: &str, done: Option<Done>) -> AppResult<Self> {
        let id = RuleVersionId::parse(id).map_err(|_| AppError::NotFound)?;
        let mut conn = state.db.pool.acquire().await?;
        let scheme_id = administration::scheme_of_version(&mut conn, id).await?.ok_or(AppError::NotFound)?;
        let scheme = catalogue::context(&mut conn, scheme_id).await?.ok_or(AppError::NotFound)?;
        let version = scheme.catalogue.get(id).cloned().ok_or(AppError::NotFound)?;
        let forms = VersionForms {
            draft: DraftForm::of(&version),
            publish_from: String::new(),
            reason: String::new(),
            problems: Problems::new(),
        };
        Ok(Self { scheme, version, done, forms })
    }
}

/// `GET /admin/rule-versions/{version}`: a version; a draft can be edited and published, a
/// published version repealed.
pub async fn version_page(
    State(state): State<AppState>,
    _admin: Admin,
    shell: PageContext,
    Path(id): Path<String>,
    query: Result<Query<VersionQuery>, QueryRejection>,
) -> AppResult<Html<String>> {
    let page = VersionPage::load(&state, &id, VersionQuery::done(query)).await?;
    Ok(version_view(&page, &shell))
}

/// The version page, drawn from what [`VersionPage::load`] read.
fn version_view(page: &VersionPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let VersionPage { scheme, version, done, forms } = page;
    let id = version.id();
    let problems = &forms.problems;
    let c = version.content();
    let actions = match version.status() {
        RuleStatus::Draft => view! {
            <h2 id="publish">{locale.t("administration.publish_title")}</h2>
            <p>{locale.t("administration.publish_intro")}</p>
            <form class="stack" method="post" action=format!("/admin/rule-versions/{id}/publish")>
                <TextField id="publish_from" label=locale.t("problems.field_effective_from") kind="date"
                    value=forms.publish_from.clone() hint=Some(locale.t("administration.publish_hint"))
                    error=error_for(problems, "publish_from")/>
                <button type="submit">{locale.t("administration.publish_submit")}</button>
            </form>
            <h2 id="edit">{locale.t("administration.edit_title")}</h2>
            <form class="stack" method="post" action=format!("/admin/rule-versions/{id}")>
                {draft_fields(locale, scheme, &forms.draft, problems)}
                <button type="submit" class="secondary">{locale.t("administration.save_draft")}</button>
            </form>
        }
        .into_any(),
        RuleStatus::Published => view! {
            <h2 id="repeal">{locale.t("administration.repeal_title")}</h2>
            <p>{locale.t_with("administration.repeal_intro", &[("code", version.rule_code().as_str())])}</p>
            <form class="stack" method="post" action=format!("/admin/rule-versions/{id}/repeal")>
                <TextField id="reason" label=locale.t("problems.field_reason") value=forms.reason.clone()
                    hint=Some(locale.t("administration.repeal_hint")) error=error_for(problems, "reason")/>
                <button type="submit" class="danger">{locale.t("administration.repeal_submit")}</button>
            </form>
        }
        .into_any(),
        RuleStatus::Repealed => view! { <p>{locale.t("administration.repealed_note")}</p> }.into_any(),
    };
    let title = format!("{} v{}", version.rule_code(), version.version());
    let main = view! {
        <BackLink href=format!("/admin/schemes/{}/rules", scheme.scheme().code()) label=locale.t("administration.back_to_rules")/>
        <h1>{title.clone()}</h1>
        {notice(done.map(|d| d.message(locale)))}
        {error_summary(locale.t("forms.error_summary"), problems.clone())}
        <dl class="facts">
            <dt>{locale.t("administration.col_status")}</dt><dd>{status_label(locale, version.status())}</dd>
            <dt>{locale.t("problems.field_title_en")}</dt><dd lang="en">{c.title_en.clone()}</dd>
            <dt>{locale.t("problems.field_title_zh")}</dt><dd lang="zh-CN">{c.title_zh.clone()}</dd>
            <dt>{locale.t("administration.legal_basis_en")}</dt><dd class="wrap" lang="en">{c.legal_basis.as_ref().map(|b| b.to_string()).unwrap_or_else(|| "—".into())}</dd>
            <dt>{locale.t("problems.field_legal_basis_zh")}</dt><dd class="wrap" lang="zh-CN">{c.legal_basis_zh.as_ref().map(|b| b.to_string()).unwrap_or_else(|| "—".into())}</dd>
            <dt>{locale.t("problems.field_effect")}</dt><dd>{format::effect(locale, &c.effect, None)}</dd>
            <dt>{locale.t("problems.field_counts_for")}</dt><dd>{format::validity(locale, c.counts_for)}</dd>
            <dt>{locale.t("problems.field_effective_from")}</dt><dd>{datetime(locale, c.effective_from)}</dd>
            <dt>{locale.t("problems.field_effective_to")}</dt><dd>{c.effective_to.map(|t| datetime(locale, t)).unwrap_or_else(|| "—".into())}</dd>
        </dl>
        {actions}
    };
    document(ctx, &titled(locale, title, problems), main.into_any())
}

/// `POST /admin/rule-versions/{version}`: saves a draft's content.
pub async fn edit_draft(
    State(state): State<AppState>,
    RequireRole(viewer, _): Admin,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
    Form(form): Form<DraftForm>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let page = VersionPage::load(&state, &id, None).await?;
    let refuse = |mut page: VersionPage, problems: Problems| {
        page.forms.draft = form.clone();
        page.forms.problems = problems;
        unprocessable(version_view(&page, &shell))
    };
    let content = match form.content(locale) {
        Ok(c) => c,
        Err(problems) => return Ok(refuse(page, problems)),
    };
    let scheme = page.scheme.scheme();
    let now = Utc::now();
    let mut tx = state.db.begin_write().await?;
    administration::lock_scheme(&mut tx, scheme.id()).await?;
    let mut fresh = catalogue::context(&mut tx, scheme.id()).await?.ok_or(AppError::NotFound)?;
    if let Err(e) = fresh.catalogue.edit_draft(page.version.id(), content) {
        return Ok(refuse(page, vec![draft_problem(locale, &e)]));
    }
    let edited = fresh.catalogue.get(page.version.id()).expect("just edited").clone();
    administration::update_draft(&mut tx, &edited).await?;
    let detail = serde_json::json!({ "scheme": scheme.code(), "rule_code": edited.rule_code().as_str(), "version": edited.version() });
    let audited = Audited { action: "rule.edit", target_kind: "rule_version", target_id: &id, detail };
    commit_audited(tx, &viewer, address, audited, now).await?;
    Ok(Redirect::to(&format!("/admin/rule-versions/{id}?done=saved")).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct PublishForm {
    /// Named apart from the draft form's `effective_from`: both forms share the version page.
    #[serde(default)]
    publish_from: String,
}

/// `POST /admin/rule-versions/{version}/publish`: publishes a draft from a date not before today
/// (today means now: a rule never reaches back before it was public).
pub async fn publish(
    State(state): State<AppState>,
    RequireRole(viewer, _): Admin,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
    Form(form): Form<PublishForm>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let page = VersionPage::load(&state, &id, None).await?;
    let refuse = |mut page: VersionPage, problems: Problems| {
        page.forms.publish_from = form.publish_from.clone();
        page.forms.problems = problems;
        unprocessable(version_view(&page, &shell))
    };
    let now = Utc::now();
    let effective_from: DateTime<Utc> = match problems::instant(&form.publish_from) {
        Some(at) if format::iso_date(at) == format::iso_date(now) => now,
        Some(at) => at,
        None if form.publish_from.trim().is_empty() => {
            let (_, message) = describe(locale, &DomainError::EmptyField { field: "effective_from" });
            return Ok(refuse(page, vec![("publish_from", message)]));
        }
        None => return Ok(refuse(page, vec![("publish_from", unreadable_date(locale, "effective_from"))])),
    };
    let scheme = page.scheme.scheme();
    let mut tx = state.db.begin_write().await?;
    administration::lock_scheme(&mut tx, scheme.id()).await?;
    let mut fresh = catalogue::context(&mut tx, scheme.id()).await?.ok_or(AppError::NotFound)?;
    let publication = match fresh.catalogue.publish_from(page.version.id(), effective_from, now) {
        Ok(publication) => publication,
        Err(DomainError::DateOrder { .. }) => {
            return Ok(refuse(page, vec![("publish_from", locale.t("administration.publish_past"))]))
        }
        Err(e) => return Ok(refuse(page, vec![describe(locale, &e)])),
    };
    administration::publish(&mut tx, &publication).await?;
    let published = &publication.published;
    let detail = serde_json::json!({
        "scheme": scheme.code(),
        "rule_code": published.rule_code().as_str(),
        "version": published.version(),
        "effective_from": published.effective_from().to_rfc3339(),
        "ended_versions": publication.ended.iter().map(|v| v.version()).collect::<Vec<_>>(),
    });
    let audited = Audited { action: "rule.publish", target_kind: "rule_version", target_id: &id, detail };
    commit_audited(tx, &viewer, address, audited, now).await?;
    Ok(Redirect::to(&format!("/admin/rule-versions/{id}?done=published")).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct RepealForm {
    #[serde(default)]
    reason: String,
}

/// `POST /admin/rule-versions/{version}/repeal`: repeals the rule — every published version —
/// voiding every record under it for every subject, rescoring them and telling each why.
pub async fn repeal_rule(
    State(state): State<AppState>,
    RequireRole(viewer, _): Admin,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
    Form(form): Form<RepealForm>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let page = VersionPage::load(&state, &id, None).await?;
    let refuse = |mut page: VersionPage, problems: Problems| {
        page.forms.reason = form.reason.clone();
        page.forms.problems = problems;
        unprocessable(version_view(&page, &shell))
    };
    let version = &page.version;
    if version.status() != RuleStatus::Published {
        let e = DomainError::NotPublished {
            code: version.rule_code().to_string(),
            version: version.version(),
            status: version.status(),
        };
        return Ok(refuse(page, vec![describe(locale, &e)]));
    }
    let rule_code = *version.rule_code();
    let now = Utc::now();
    let mut tx = state.db.begin_write().await?;
    let repealed = match repeal::repeal_rule(
        &mut tx,
        page.scheme.scheme().id(),
        &rule_code,
        &form.reason,
        &actor(&viewer, address),
        now,
    )
    .await
    {
        Ok(r) => r,
        Err(StoreError::Domain(e)) => return Ok(refuse(page, vec![describe(locale, &e)])),
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    tracing::info!(rule = %rule_code, events = repealed.events_voided, subjects = repealed.subjects, "rule repealed");
    Ok(Redirect::to(&format!(
        "/admin/rule-versions/{id}?done=repealed&events={}&subjects={}",
        repealed.events_voided, repealed.subjects
    ))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_built_at_run_time_is_translated_in_both_languages() {
        let mut keys: Vec<String> =
            ["draft", "published", "repealed"].iter().map(|s| format!("administration.status_{s}")).collect();
        keys.extend(["draft", "saved", "published"].iter().map(|d| format!("administration.done_{d}")));
        keys.extend(["months", "days"].iter().map(|u| format!("administration.unit_{u}")));
        for locale in Locale::ALL {
            for key in &keys {
                assert!(!locale.t(key).ends_with(key.as_str()), "{} is missing {key}", locale.code());
            }
        }
    }
}
