//! Authorities (`/admin/authorities`): the bodies that record events and issue blacklist
//! entries. Administrators list them, add one (a code that never changes and a name in each
//! language) and rename one. Every write runs in one transaction with its audit row.

use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::Utc;
use leptos::prelude::*;
use serde::Deserialize;

use super::{commit_audited, unprocessable, Admin, Audited, BackLink};
use crate::pages::kit::{
    document, format,
    forms::{error_for, titled, Problems},
    forms::{error_summary, notice},
    problems::describe,
    DataTable, PageContext, TextField,
};
use crate::{
    auth::{access::RequireRole, throttle::ClientAddress},
    domain::{AuthorityId, DomainError},
    error::{AppError, AppResult},
    http::{form::Form, AppState},
    i18n::Locale,
    store::{administration, register, register::Authority, StoreError},
};

/// The longest name an authority or a review body may have, in characters.
const MAX_NAME: usize = 200;
/// The longest code, in characters.
const MAX_CODE: usize = 64;

/// A code as typed, or the problem with it: 1 to 64 small letters, digits or `-`, starting with
/// a letter or digit (it appears in URLs, imports and logs, so it stays plain).
pub(super) fn check_code(locale: Locale, code: &str) -> Result<String, (&'static str, String)> {
    let code = code.trim();
    let ok = (1..=MAX_CODE).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(code.to_string())
    } else {
        Err(("code", locale.t("administration.code_invalid")))
    }
}

/// A required name, trimmed, or the problem with it.
pub(super) fn check_name(
    locale: Locale,
    field: &'static str,
    name: &str,
    problems: &mut Problems,
) -> Option<String> {
    let name = name.trim();
    let refusal = if name.is_empty() {
        Some(DomainError::EmptyField { field })
    } else {
        let len = name.chars().count();
        (len > MAX_NAME).then_some(DomainError::TooLong { field, len, max: MAX_NAME })
    };
    match refusal {
        Some(e) => {
            problems.push((field, describe(locale, &e).1));
            None
        }
        None => Some(name.to_string()),
    }
}

/// The code and the two names every body has, as typed: checked and trimmed, or `None` with each
/// problem in `problems` beside its field.
pub(super) fn check_body(
    locale: Locale,
    (code, name_en, name_zh): (&str, &str, &str),
    problems: &mut Problems,
) -> Option<(String, String, String)> {
    let code = check_code(locale, code).map_err(|p| problems.push(p)).ok();
    let name_en = check_name(locale, "name_en", name_en, problems);
    let name_zh = check_name(locale, "name_zh", name_zh, problems);
    Some((code?, name_en?, name_zh?))
}

/// The message for a code another authority or review body already has.
pub(super) fn code_taken(locale: Locale, code: &str) -> (&'static str, String) {
    ("code", locale.t_with("administration.code_taken", &[("code", code)]))
}

/// The authority form, as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuthorityForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    name_zh: String,
}

/// What the page after a write says was done: `?done=created|renamed&code=…`. Only a code is
/// carried, and the name shown is the stored one, so a link cannot make the page say anything.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
    code: Option<String>,
}

impl DoneQuery {
    pub(super) fn read(query: Result<Query<DoneQuery>, QueryRejection>) -> Option<(&'static str, String)> {
        let Query(q) = query.ok()?;
        let key = match q.done.as_deref()? {
            "created" => "administration.done_created",
            "renamed" => "administration.done_renamed",
            _ => return None,
        };
        Some((key, q.code?))
    }
}

/// The message for a done write, naming the body with `code` as stored.
pub(super) fn done_message(
    locale: Locale,
    done: Option<(&'static str, String)>,
    names: impl IntoIterator<Item = (String, String, String)>,
) -> Option<String> {
    let (key, code) = done?;
    let (_, en, zh) = names.into_iter().find(|(c, _, _)| *c == code)?;
    Some(locale.t_with(key, &[("name", format::pick(locale, &en, &zh))]))
}

/// What the authorities page shows: every authority, what was just done, and the form adding
/// one as typed with its problems.
pub struct AuthoritiesPage {
    pub authorities: Vec<Authority>,
    pub done: Option<(&'static str, String)>,
    pub form: AuthorityForm,
    pub problems: Problems,
}

impl AuthoritiesPage {
    /// Every query of the page.
    pub async fn load(state: &AppState, done: Option<(&'static str, String)>) -> AppResult<Self> {
        let mut conn = state.db.pool.acquire().await?;
        let authorities = register::authorities(&mut conn).await?;
        Ok(Self { authorities, done, form: AuthorityForm::default(), problems: Problems::new() })
    }

    /// The same page after a refused post: the form as typed, and why it was refused.
    fn refused(self, form: AuthorityForm, problems: Problems) -> Self {
        Self { form, problems, ..self }
    }
}

/// `GET /admin/authorities`: every authority, and a form to add one.
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    shell: PageContext,
    query: Result<Query<DoneQuery>, QueryRejection>,
) -> AppResult<Html<String>> {
    let page = AuthoritiesPage::load(&state, DoneQuery::read(query)).await?;
    Ok(list_view(&page, &shell))
}

/// The authorities page, drawn from what [`AuthoritiesPage::load`] read.
fn list_view(page: &AuthoritiesPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let AuthoritiesPage { authorities, done, form, problems } = page;
    let message = done_message(
        locale,
        done.clone(),
        authorities.iter().map(|a| (a.code.clone(), a.name_en.clone(), a.name_zh.clone())),
    );
    let rows = authorities
        .iter()
        .map(|a| {
            view! {
                <tr>
                    <td><a href=format!("/admin/authorities/{}", a.id)><code>{a.code.clone()}</code></a></td>
                    <td lang="en">{a.name_en.clone()}</td>
                    <td lang="zh-CN">{a.name_zh.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let title = locale.t("administration.authorities");
    let columns = vec![
        (locale.t("problems.field_code"), false),
        (locale.t("problems.field_name_en"), false),
        (locale.t("problems.field_name_zh"), false),
    ];
    let main = view! {
        <BackLink href="/admin" label=locale.t("administration.back")/>
        <h1>{title.clone()}</h1>
        {notice(message)}
        <DataTable caption=locale.t("administration.authorities_caption") columns=columns>{rows}</DataTable>
        <h2 id="new-authority">{locale.t("administration.authority_create")}</h2>
        {error_summary(locale.t("forms.error_summary"), problems.clone())}
        <form class="stack" method="post" action="/admin/authorities">
            <CodeField locale=locale value=form.code.clone() error=error_for(problems, "code")/>
            <NameFields locale=locale name_en=form.name_en.clone() name_zh=form.name_zh.clone()
                problems=problems.clone()/>
            <button type="submit">{locale.t("administration.authority_submit")}</button>
        </form>
    };
    document(ctx, &titled(locale, title, problems), main.into_any())
}

/// The code field every body has, when it is added.
#[component]
pub(super) fn CodeField(locale: Locale, value: String, error: Option<String>) -> impl IntoView {
    view! {
        <TextField id="code" label=locale.t("problems.field_code") value=value
            hint=Some(locale.t("administration.code_hint")) error=error/>
    }
}

/// The two name fields every body has.
#[component]
pub(super) fn NameFields(
    locale: Locale,
    name_en: String,
    name_zh: String,
    problems: Problems,
) -> impl IntoView {
    view! {
        <TextField id="name_en" label=locale.t("problems.field_name_en") value=name_en
            error=error_for(&problems, "name_en")/>
        <TextField id="name_zh" label=locale.t("problems.field_name_zh") value=name_zh
            error=error_for(&problems, "name_zh")/>
    }
}

/// `POST /admin/authorities`: adds an authority; a code already used is refused beside the field.
pub async fn create(
    State(state): State<AppState>,
    RequireRole(viewer, _): Admin,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    Form(form): Form<AuthorityForm>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let mut problems = Problems::new();
    let Some((code, name_en, name_zh)) =
        check_body(locale, (&form.code, &form.name_en, &form.name_zh), &mut problems)
    else {
        let page = AuthoritiesPage::load(&state, None).await?.refused(form, problems);
        return Ok(unprocessable(list_view(&page, &shell)));
    };
    let authority = Authority { id: AuthorityId::new(), code, name_en, name_zh };
    let now = Utc::now();
    let mut tx = state.db.begin_write().await?;
    match administration::insert_authority(&mut tx, &authority).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            drop(tx);
            let problems = vec![code_taken(locale, &authority.code)];
            let page = AuthoritiesPage::load(&state, None).await?.refused(form, problems);
            return Ok(unprocessable(list_view(&page, &shell)));
        }
        Err(e) => return Err(e.into()),
    }
    let audited = Audited {
        action: "authority.create",
        target_kind: "authority",
        target_id: &authority.id.to_string(),
        detail: serde_json::json!({
            "code": authority.code,
            "name_en": authority.name_en,
            "name_zh": authority.name_zh,
        }),
    };
    commit_audited(tx, &viewer, address, audited, now).await?;
    Ok(Redirect::to(&format!("/admin/authorities?done=created&code={}", authority.code)).into_response())
}

/// What an authority's page shows: the authority, and the rename form (its names as stored, or
/// as typed with their problems).
pub struct AuthorityPage {
    pub authority: Authority,
    pub form: AuthorityForm,
    pub problems: Problems,
}

impl AuthorityPage {
    /// Every query of the page: the authority, or 404.
    pub async fn load(state: &AppState, id: &str) -> AppResult<Self> {
        let id = AuthorityId::parse(id).map_err(|_| AppError::NotFound)?;
        let mut conn = state.db.pool.acquire().await?;
        let authority = register::authority(&mut conn, id).await?.ok_or(AppError::NotFound)?;
        let form = AuthorityForm {
            code: authority.code.clone(),
            name_en: authority.name_en.clone(),
            name_zh: authority.name_zh.clone(),
        };
        Ok(Self { authority, form, problems: Problems::new() })
    }

    /// The same page after a refused post: the form as typed, and why it was refused.
    fn refused(self, form: AuthorityForm, problems: Problems) -> Self {
        Self { form, problems, ..self }
    }
}

/// `GET /admin/authorities/{authority}`: an authority, with its names to change.
pub async fn authority_page(
    State(state): State<AppState>,
    _admin: Admin,
    shell: PageContext,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    let page = AuthorityPage::load(&state, &id).await?;
    Ok(authority_view(&page, &shell))
}

/// An authority's page, drawn from what [`AuthorityPage::load`] read.
fn authority_view(page: &AuthorityPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let AuthorityPage { authority, form, problems } = page;
    let title = format::pick(locale, &authority.name_en, &authority.name_zh).to_string();
    let main = view! {
        <BackLink href="/admin/authorities" label=locale.t("administration.back_to_authorities")/>
        <h1>{title.clone()}</h1>
        <dl class="facts">
            <dt>{locale.t("problems.field_code")}</dt><dd><code>{authority.code.clone()}</code></dd>
        </dl>
        <p><a href=format!("/admin/authorities/{}/mandates", authority.id)>{locale.t("mandates.link")}</a></p>
        <h2 id="rename">{locale.t("administration.rename_title")}</h2>
        <p>{locale.t("administration.rename_intro")}</p>
        {error_summary(locale.t("forms.error_summary"), problems.clone())}
        <form class="stack" method="post" action=format!("/admin/authorities/{}", authority.id)>
            <NameFields locale=locale name_en=form.name_en.clone() name_zh=form.name_zh.clone()
                problems=problems.clone()/>
            <button type="submit">{locale.t("administration.rename_submit")}</button>
        </form>
    };
    document(ctx, &titled(locale, title, problems), main.into_any())
}

/// `POST /admin/authorities/{authority}`: renames an authority (its code stays).
pub async fn rename(
    State(state): State<AppState>,
    RequireRole(viewer, _): Admin,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
    Form(form): Form<AuthorityForm>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let page = AuthorityPage::load(&state, &id).await?;
    let mut problems = Problems::new();
    let name_en = check_name(locale, "name_en", &form.name_en, &mut problems);
    let name_zh = check_name(locale, "name_zh", &form.name_zh, &mut problems);
    let (Some(name_en), Some(name_zh)) = (name_en, name_zh) else {
        return Ok(unprocessable(authority_view(&page.refused(form, problems), &shell)));
    };
    let authority = page.authority;
    let now = Utc::now();
    let mut tx = state.db.begin_write().await?;
    if !administration::rename_authority(&mut tx, authority.id, &name_en, &name_zh).await? {
        return Err(AppError::NotFound);
    }
    let audited = Audited {
        action: "authority.rename",
        target_kind: "authority",
        target_id: &authority.id.to_string(),
        detail: serde_json::json!({
            "code": authority.code,
            "from": { "name_en": authority.name_en, "name_zh": authority.name_zh },
            "to": { "name_en": name_en, "name_zh": name_zh },
        }),
    };
    commit_audited(tx, &viewer, address, audited, now).await?;
    Ok(Redirect::to(&format!("/admin/authorities?done=renamed&code={}", authority.code)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_plain() {
        assert_eq!(check_code(Locale::En, " rc-traffic ").unwrap(), "rc-traffic");
        assert!(check_code(Locale::En, "9th-court").is_ok());
        for bad in ["", "-x", "RC", "rc traffic", "rc_traffic", &"a".repeat(65)] {
            assert!(check_code(Locale::En, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_required_and_bounded() {
        let mut problems = Problems::new();
        assert_eq!(check_name(Locale::En, "name_en", " Court ", &mut problems).as_deref(), Some("Court"));
        assert!(check_name(Locale::En, "name_en", "  ", &mut problems).is_none());
        assert!(check_name(Locale::ZhCn, "name_zh", &"法".repeat(201), &mut problems).is_none());
        assert_eq!(problems.iter().map(|(f, _)| *f).collect::<Vec<_>>(), ["name_en", "name_zh"]);
    }
}
