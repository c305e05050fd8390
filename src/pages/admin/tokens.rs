//! API tokens for administrators (`/admin/tokens`): create one for an authority — its secret is
//! shown once, then only its prefix —, see every token with when it was last used, revoke one.

use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::Utc;
use leptos::prelude::*;
use serde::Deserialize;
use uuid::Uuid;

use super::{unprocessable, Admin, SelectOption};
use crate::pages::kit::{
    document,
    format::datetime,
    format::pick,
    forms::{error_for, error_summary, notice, Problems},
    DataTable, PageContext, SelectField, TextField,
};
use crate::{
    auth::{access::RequireRole, throttle::ClientAddress},
    domain::AuthorityId,
    error::{AppError, AppResult},
    http::{form::Form, AppState},
    i18n::Locale,
    store::{
        accounts::{self, AuthorityChoice},
        audit::{self, Actor},
        tokens::{self, ApiToken, MAX_LABEL},
    },
};

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    revoked: Option<String>,
}

/// What the tokens page shows: every token with its authority, whether one was just revoked,
/// and the form creating one as typed with its problems.
pub struct TokensPage {
    pub tokens: Vec<ApiToken>,
    pub choices: Vec<AuthorityChoice>,
    pub revoked: bool,
    pub form: CreateForm,
    pub problems: Problems,
}

impl TokensPage {
    /// Every query of the page.
    pub async fn load(state: &AppState, revoked: bool) -> AppResult<Self> {
        let mut conn = state.db.pool.acquire().await?;
        let tokens = tokens::list(&mut conn).await?;
        let choices = accounts::authority_choices(&mut conn).await?;
        Ok(Self { tokens, choices, revoked, form: CreateForm::default(), problems: Problems::new() })
    }

    /// The same page after a refused post: the form as typed, and why it was refused.
    fn refused(self, form: CreateForm, problems: Problems) -> Self {
        Self { form, problems, ..self }
    }
}

/// `GET /admin/tokens`.
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    shell: PageContext,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> AppResult<Html<String>> {
    let revoked = query.ok().and_then(|q| q.0.revoked).is_some();
    let page = TokensPage::load(&state, revoked).await?;
    Ok(list_view(&page, &shell))
}

/// The form creating a token.
#[derive(Debug, Default, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    authority_id: String,
    #[serde(default)]
    label: String,
}

/// What the page after creating a token shows: its secret, once.
pub struct CreatedPage {
    pub label: String,
    pub authority: String,
    pub secret: String,
}

/// `POST /admin/tokens`: creates the token and shows its secret, once.
pub async fn create(
    State(state): State<AppState>,
    RequireRole(admin, _): Admin,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    Form(form): Form<CreateForm>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let mut conn = state.db.pool.acquire().await?;
    let choices = accounts::authority_choices(&mut conn).await?;
    drop(conn);
    let mut problems = Problems::new();
    let authority =
        AuthorityId::parse(&form.authority_id).ok().filter(|id| choices.iter().any(|c| c.id == *id));
    if authority.is_none() {
        let key = if form.authority_id.trim().is_empty() {
            "tokens.authority_missing"
        } else {
            "tokens.authority_unknown"
        };
        problems.push(("authority_id", locale.t(key)));
    }
    let label = form.label.trim().to_string();
    if label.is_empty() {
        problems.push(("label", locale.t("tokens.label_missing")));
    } else if label.chars().count() > MAX_LABEL {
        problems.push(("label", locale.t_with("tokens.label_too_long", &[("max", &MAX_LABEL.to_string())])));
    }
    let Some(authority) = authority.filter(|_| problems.is_empty()) else {
        let page = TokensPage::load(&state, false).await?.refused(form, problems);
        return Ok(unprocessable(list_view(&page, &shell)));
    };
    let now = Utc::now();
    let mut tx = state.db.begin_write().await?;
    let (token, secret) = tokens::create(&mut tx, authority, &label, admin.account_id, now).await?;
    let actor = Actor::person(admin.account_id, &admin.username, address);
    let detail = serde_json::json!({ "authority": authority.to_string(), "prefix": token.prefix });
    audit::write(&mut tx, &actor, "token.create", "api_token", &token.id.to_string(), detail, now).await?;
    tx.commit().await?;
    let page = CreatedPage {
        authority: authority_name(locale, &choices, authority),
        label,
        secret: secret.expose().to_string(),
    };
    Ok((StatusCode::CREATED, created_view(&page, &shell)).into_response())
}

fn created_view(page: &CreatedPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let title = locale.t("tokens.created_title");
    let main = view! {
        <h1>{title.clone()}</h1>
        <p>{locale.t_with("tokens.created_for", &[("label", &page.label), ("authority", &page.authority)])}</p>
        <p class="secret"><code>{page.secret.clone()}</code></p>
        <p class="muted">{locale.t("tokens.shown_once")}</p>
        <p>{locale.t("tokens.how_to_use")}</p>
        <p><a href="/admin/tokens">{locale.t("tokens.back")}</a></p>
    };
    document(ctx, &title, main.into_any())
}

/// `POST /admin/tokens/{id}/revoke`: the token stops working at once.
pub async fn revoke(
    State(state): State<AppState>,
    RequireRole(admin, _): Admin,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let now = Utc::now();
    let mut tx = state.db.begin_write().await?;
    let token = tokens::by_id(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    if tokens::revoke(&mut tx, id, now).await? {
        let actor = Actor::person(admin.account_id, &admin.username, address);
        let detail = serde_json::json!({ "authority": token.authority.to_string(), "prefix": token.prefix });
        audit::write(&mut tx, &actor, "token.revoke", "api_token", &id.to_string(), detail, now).await?;
    }
    tx.commit().await?;
    Ok(Redirect::to("/admin/tokens?revoked=1").into_response())
}

fn authority_name(locale: Locale, choices: &[AuthorityChoice], id: AuthorityId) -> String {
    choices
        .iter()
        .find(|c| c.id == id)
        .map(|c| pick(locale, &c.name_en, &c.name_zh).to_string())
        .unwrap_or_default()
}

/// One token's row, with a button revoking it while it works.
#[component]
fn TokenRow(locale: Locale, token: ApiToken, authority: String) -> impl IntoView {
    let last_used =
        token.last_used_at.map(|at| datetime(locale, at)).unwrap_or_else(|| locale.t("tokens.never_used"));
    let status = match token.revoked_at {
        Some(at) => locale.t_with("tokens.revoked_at", &[("at", &datetime(locale, at))]),
        None => locale.t("tokens.active"),
    };
    let action = (!token.is_revoked()).then(|| {
        let label = locale.t_with("tokens.revoke_label", &[("label", &token.label)]);
        view! {
            <form method="post" action=format!("/admin/tokens/{}/revoke", token.id) class="inline">
                <button type="submit" aria-label=label>{locale.t("tokens.revoke")}</button>
            </form>
        }
    });
    view! {
        <tr>
            <td>{token.label.clone()}</td>
            <td><code>{format!("{}…", token.prefix)}</code></td>
            <td>{authority}</td>
            <td>{datetime(locale, token.created_at)}</td>
            <td>{last_used}</td>
            <td>{status}</td>
            <td>{action}</td>
        </tr>
    }
}

/// The tokens page, drawn from what [`TokensPage::load`] read.
fn list_view(page: &TokensPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let TokensPage { tokens, choices, revoked, form, problems } = page;
    let table = if tokens.is_empty() {
        view! { <p>{locale.t("tokens.none")}</p> }.into_any()
    } else {
        let rows = tokens
            .iter()
            .map(|t| {
                let authority = authority_name(locale, choices, t.authority);
                view! { <TokenRow locale=locale token=t.clone() authority=authority/> }
            })
            .collect_view();
        let columns = ["label", "prefix", "authority", "created", "last_used", "status", "action"]
            .into_iter()
            .map(|c| (locale.t(&format!("tokens.column.{c}")), false))
            .collect();
        view! { <DataTable caption=locale.t("tokens.table_caption") columns=columns>{rows}</DataTable> }
            .into_any()
    };
    let options = choices
        .iter()
        .map(|a| {
            let id = a.id.to_string();
            let selected = form.authority_id == id;
            view! { <SelectOption value=id label=pick(locale, &a.name_en, &a.name_zh).to_string() selected=selected/> }
        })
        .collect_view();
    let title = locale.t("tokens.title");
    let main = view! {
        <h1>{title.clone()}</h1>
        <p>{locale.t("tokens.intro")}</p>
        {notice(revoked.then(|| locale.t("tokens.revoked_notice")))}
        {error_summary(locale.t("tokens.problems_title"), problems.clone())}
        {table}
        <h2>{locale.t("tokens.create_heading")}</h2>
        <form method="post" action="/admin/tokens" novalidate>
            <SelectField id="authority_id" label=locale.t("tokens.authority") error=error_for(problems, "authority_id")>
                <option value="">{locale.t("tokens.choose_authority")}</option>{options}
            </SelectField>
            <TextField id="label" label=locale.t("tokens.label") value=form.label.clone()
                hint=Some(locale.t("tokens.label_hint")) error=error_for(problems, "label")/>
            <button type="submit">{locale.t("tokens.create")}</button>
        </form>
    };
    document(ctx, &title, main.into_any())
}

#[cfg(test)]
mod tests {
    use crate::i18n::Locale;

    /// The column keys are built at run time: each must exist in both languages.
    #[test]
    fn every_column_heading_is_translated() {
        for locale in Locale::ALL {
            for c in ["label", "prefix", "authority", "created", "last_used", "status", "action"] {
                let key = format!("tokens.column.{c}");
                assert!(!locale.t(&key).ends_with(key.as_str()), "{} is missing {key}", locale.code());
            }
        }
    }
}
