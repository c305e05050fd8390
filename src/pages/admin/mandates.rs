//! An authority's mandates (`/admin/authorities/{authority}/mandates`): what it may record and
//! list, granted by an administrator with a legal basis and revoked with a reason. Revoked
//! mandates stay listed as history. The grant and the revocation each write their audit row in
//! their transaction (in `store::mandates`).

use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::Deserialize;

use super::{actor, unprocessable, Admin, BackLink, SelectOption};
use crate::pages::kit::{
    document, format,
    forms::{error_for, error_summary, notice, titled, Problems},
    problems::{describe, instant, unreadable_date},
    DataTable, PageContext, SelectField, TextField,
};
use crate::{
    auth::{access::RequireRole, throttle::ClientAddress},
    domain::{AuthorityId, LegalBasis, MandateId, MandateScope, RulePattern},
    error::{AppError, AppResult},
    http::{form::Form, AppState},
    i18n::Locale,
    store::{
        blacklist::BlacklistList,
        catalogue::{self, SchemeRecord},
        mandates::{self, Grant, MandateRecord},
        recording, register,
        register::Authority,
        StoreError,
    },
};

/// The grant form as typed: `scope` is `rules:<scheme code>` or `list:<list code>`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub rules: String,
    #[serde(default)]
    pub legal_basis: String,
    #[serde(default)]
    pub valid_from: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// What the page shows: the authority's mandates, newest first, and the grant form.
pub struct MandatesPage {
    pub authority: Authority,
    pub mandates: Vec<MandateRecord>,
    pub schemes: Vec<SchemeRecord>,
    pub lists: Vec<BlacklistList>,
    pub form: GrantForm,
    pub problems: Problems,
    /// A refused revocation: which mandate, and why.
    pub revoke_problems: Option<(MandateId, Problems)>,
    pub done: Option<&'static str>,
}

impl MandatesPage {
    /// Every query of the page: the authority (or 404), its mandates, and what can be granted.
    pub async fn load(state: &AppState, id: &str) -> AppResult<Self> {
        let id = AuthorityId::parse(id).map_err(|_| AppError::NotFound)?;
        let mut conn = state.db.pool.acquire().await?;
        let authority = register::authority(&mut conn, id).await?.ok_or(AppError::NotFound)?;
        let mut mandates = mandates::history(&mut conn, Some(id)).await?;
        mandates.reverse();
        let schemes = catalogue::schemes(&mut conn).await?;
        let lists = recording::lists(&mut conn).await?;
        Ok(Self {
            authority,
            mandates,
            schemes,
            lists,
            form: GrantForm::default(),
            problems: Problems::new(),
            revoke_problems: None,
            done: None,
        })
    }
}

/// `GET /admin/authorities/{authority}/mandates`
pub async fn page(
    State(state): State<AppState>,
    _admin: Admin,
    shell: PageContext,
    Path(id): Path<String>,
    query: Result<Query<DoneQuery>, QueryRejection>,
) -> AppResult<Html<String>> {
    let mut page = MandatesPage::load(&state, &id).await?;
    page.done = match query.ok().and_then(|Query(q)| q.done).as_deref() {
        Some("granted") => Some("mandates.done_granted"),
        Some("revoked") => Some("mandates.done_revoked"),
        _ => None,
    };
    Ok(view_page(&page, &shell, Utc::now()))
}

/// What a mandate covers, in words.
fn scope_text(locale: Locale, page: &MandatesPage, scope: &MandateScope) -> String {
    match scope {
        MandateScope::Rules { scheme, rules } => {
            let name = page
                .schemes
                .iter()
                .find(|s| s.scheme.id() == *scheme)
                .map(|s| format::pick(locale, &s.name_en, &s.name_zh).to_string())
                .unwrap_or_default();
            locale.t_with("mandates.scope_rules", &[("rules", &rules.as_text()), ("scheme", &name)])
        }
        MandateScope::List { list } => {
            let name = page
                .lists
                .iter()
                .find(|l| l.id == *list)
                .map(|l| format::pick(locale, &l.name_en, &l.name_zh).to_string())
                .unwrap_or_default();
            locale.t_with("mandates.scope_list", &[("list", &name)])
        }
    }
}

/// The page, drawn from what [`MandatesPage::load`] read.
fn view_page(page: &MandatesPage, ctx: &PageContext, now: DateTime<Utc>) -> Html<String> {
    let locale = ctx.locale;
    let authority = &page.authority;
    let name = format::pick(locale, &authority.name_en, &authority.name_zh).to_string();
    let title = locale.t_with("mandates.title", &[("authority", &name)]);
    let base = format!("/admin/authorities/{}/mandates", authority.id);
    let rows = page
        .mandates
        .iter()
        .map(|r| {
            let m = &r.mandate;
            let status = match (m.revoked_at, m.in_force_at(now)) {
                (Some(at), _) => locale.t_with(
                    "mandates.revoked",
                    &[
                        ("date", &format::date(locale, at)),
                        ("by", r.revoked_by.as_deref().unwrap_or_default()),
                        ("reason", r.revoke_reason.as_deref().unwrap_or_default()),
                    ],
                ),
                (None, true) => locale.t("mandates.in_force"),
                (None, false) => locale.t_with("mandates.from", &[("date", &format::date(locale, m.valid_from))]),
            };
            let problems = page.revoke_problems.as_ref().filter(|(id, _)| *id == m.id).map(|(_, p)| p.clone());
            let revoke = m.revoked_at.is_none().then(|| {
                view! {
                    <form method="post" action=format!("{base}/{}/revoke", m.id) class="stack">
                        <TextField id="reason" label=locale.t("mandates.revoke_reason")
                            error=problems.as_ref().and_then(|p| error_for(p, "reason"))/>
                        <button type="submit" class="secondary">{locale.t("mandates.revoke")}</button>
                    </form>
                }
            });
            view! {
                <tr>
                    <td>{scope_text(locale, page, &m.scope)}</td>
                    <td>{m.legal_basis.as_str().to_string()}</td>
                    <td>{locale.t_with("mandates.granted", &[("date", &format::date(locale, r.granted_at)), ("by", &r.granted_by)])}</td>
                    <td>{status}{revoke}</td>
                </tr>
            }
        })
        .collect_view();
    let scopes = page
        .schemes
        .iter()
        .map(|s| {
            let value = format!("rules:{}", s.scheme.code());
            let label = locale
                .t_with("mandates.option_rules", &[("scheme", format::pick(locale, &s.name_en, &s.name_zh))]);
            let selected = page.form.scope == value;
            view! { <SelectOption value=value label=label selected=selected/> }
        })
        .collect_view();
    let list_scopes = page
        .lists
        .iter()
        .map(|l| {
            let value = format!("list:{}", l.code);
            let label = locale
                .t_with("mandates.option_list", &[("list", format::pick(locale, &l.name_en, &l.name_zh))]);
            let selected = page.form.scope == value;
            view! { <SelectOption value=value label=label selected=selected/> }
        })
        .collect_view();
    let problems = &page.problems;
    let main = view! {
        <BackLink href=format!("/admin/authorities/{}", authority.id) label=name.clone()/>
        <h1>{title.clone()}</h1>
        {notice(page.done.map(|key| locale.t(key)))}
        <p>{locale.t("mandates.intro")}</p>
        {if page.mandates.is_empty() {
            view! { <p>{locale.t("mandates.none")}</p> }.into_any()
        } else {
            view! {
                <DataTable caption=locale.t("mandates.caption") columns=vec![
                    (locale.t("mandates.col_scope"), false),
                    (locale.t("mandates.col_legal_basis"), false),
                    (locale.t("mandates.col_granted"), false),
                    (locale.t("mandates.col_status"), false),
                ]>{rows}</DataTable>
            }
            .into_any()
        }}
        <h2 id="grant">{locale.t("mandates.grant_title")}</h2>
        {error_summary(locale.t("forms.error_summary"), problems.clone())}
        <form method="post" action=base.clone() class="stack">
            <SelectField id="scope" label=locale.t("mandates.field_scope") error=error_for(problems, "scope")>
                {scopes}{list_scopes}
            </SelectField>
            <TextField id="rules" label=locale.t("mandates.field_rules") value=page.form.rules.clone()
                hint=Some(locale.t("mandates.rules_hint")) error=error_for(problems, "rules")/>
            <TextField id="legal_basis" label=locale.t("problems.field_legal_basis")
                value=page.form.legal_basis.clone() error=error_for(problems, "legal_basis")/>
            <TextField id="valid_from" label=locale.t("mandates.field_valid_from") kind="date"
                value=page.form.valid_from.clone() hint=Some(locale.t("mandates.valid_from_hint"))
                error=error_for(problems, "valid_from")/>
            <button type="submit">{locale.t("mandates.grant")}</button>
        </form>
    };
    document(ctx, &titled(locale, title, problems), main.into_any())
}

/// Reads the grant form into a grant, or the problems with it, field by field.
fn check(
    locale: Locale,
    page: &MandatesPage,
    form: &GrantForm,
    now: DateTime<Utc>,
) -> Result<Grant, Problems> {
    let mut problems = Problems::new();
    let scope = match form.scope.split_once(':') {
        Some(("rules", code)) => match page.schemes.iter().find(|s| s.scheme.code() == code) {
            Some(s) => match RulePattern::parse(&form.rules) {
                Ok(rules) => Some(MandateScope::Rules { scheme: s.scheme.id(), rules }),
                Err(e) => {
                    problems.push(describe(locale, &e));
                    None
                }
            },
            None => None,
        },
        Some(("list", code)) => {
            page.lists.iter().find(|l| l.code == code).map(|l| MandateScope::List { list: l.id })
        }
        _ => None,
    };
    if scope.is_none() && problems.is_empty() {
        problems.push(("scope", locale.t("mandates.scope_unknown")));
    }
    let legal_basis =
        LegalBasis::parse(&form.legal_basis).map_err(|e| problems.push(describe(locale, &e))).ok();
    let valid_from = if form.valid_from.trim().is_empty() {
        Some(now)
    } else {
        let read = instant(&form.valid_from);
        if read.is_none() {
            problems.push(("valid_from", unreadable_date(locale, "valid_from")));
        }
        read
    };
    match (scope, legal_basis, valid_from) {
        (Some(scope), Some(legal_basis), Some(valid_from)) if problems.is_empty() => {
            Ok(Grant { authority: page.authority.id, scope, legal_basis, valid_from })
        }
        _ => Err(problems),
    }
}

/// `POST /admin/authorities/{authority}/mandates`: grants a mandate.
pub async fn grant(
    State(state): State<AppState>,
    RequireRole(viewer, _): Admin,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
    Form(form): Form<GrantForm>,
) -> AppResult<Response> {
    let now = Utc::now();
    let page = MandatesPage::load(&state, &id).await?;
    let grant = match check(shell.locale, &page, &form, now) {
        Ok(grant) => grant,
        Err(problems) => {
            let page = MandatesPage { form, problems, ..page };
            return Ok(unprocessable(view_page(&page, &shell, now)));
        }
    };
    let mut tx = state.db.begin_write().await?;
    mandates::grant(&mut tx, grant, &actor(&viewer, address), now).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/authorities/{}/mandates?done=granted", page.authority.id))
        .into_response())
}

/// `POST /admin/authorities/{authority}/mandates/{mandate}/revoke`: revokes a mandate in force.
pub async fn revoke(
    State(state): State<AppState>,
    RequireRole(viewer, _): Admin,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    Path((id, mandate)): Path<(String, String)>,
    Form(form): Form<RevokeForm>,
) -> AppResult<Response> {
    let now = Utc::now();
    let page = MandatesPage::load(&state, &id).await?;
    let mandate = MandateId::parse(&mandate).map_err(|_| AppError::NotFound)?;
    if !page.mandates.iter().any(|r| r.mandate.id == mandate) {
        return Err(AppError::NotFound);
    }
    let authority = page.authority.id;
    let mut tx = state.db.begin_write().await?;
    let problems = match mandates::revoke(
        &mut tx,
        authority,
        mandate,
        &form.reason,
        &actor(&viewer, address),
        now,
    )
    .await
    {
        Ok(()) => None,
        Err(StoreError::Domain(e)) => Some(vec![describe(shell.locale, &e)]),
        Err(StoreError::Conflict(_)) => Some(vec![("reason", shell.locale.t("mandates.not_in_force"))]),
        Err(e) => return Err(e.into()),
    };
    if let Some(problems) = problems {
        let page = MandatesPage { revoke_problems: Some((mandate, problems)), ..page };
        return Ok(unprocessable(view_page(&page, &shell, now)));
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/authorities/{authority}/mandates?done=revoked")).into_response())
}
