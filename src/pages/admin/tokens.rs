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

use super::Admin;
use crate::pages::kit::{
    data_table, document,
    format::datetime,
    format::pick,
    forms::{error_summary, notice, Field, Select},
    PageContext,
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

/// `GET /admin/tokens`.
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    shell: PageContext,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> AppResult<Html<String>> {
    let locale = shell.locale;
    let ctx = shell.clone();
    let message = query.ok().and_then(|q| q.0.revoked).map(|_| locale.t("tokens.revoked_notice"));
    render_list(&state, &ctx, &CreateForm::default(), &[], message).await
}

/// The form creating a token.
#[derive(Debug, Default, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    authority_id: String,
    #[serde(default)]
    label: String,
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
    let ctx = shell.clone();
    let mut conn = state.db.pool.acquire().await?;
    let choices = accounts::authority_choices(&mut conn).await?;
    drop(conn);
    let mut problems = Vec::new();
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
        let page = render_list(&state, &ctx, &form, &problems, None).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let now = Utc::now();
    let mut tx = state.db.begin_write().await?;
    let (token, secret) = tokens::create(&mut tx, authority, &label, admin.account_id, now).await?;
    let actor = Actor::person(admin.account_id, &admin.username, address);
    let detail = serde_json::json!({ "authority": authority.to_string(), "prefix": token.prefix });
    audit::write(&mut tx, &actor, "token.create", "api_token", &token.id.to_string(), detail, now).await?;
    tx.commit().await?;
    let authority_name = choices
        .iter()
        .find(|c| c.id == authority)
        .map(|c| pick(locale, &c.name_en, &c.name_zh).to_string())
        .unwrap_or_default();
    let title = locale.t("tokens.created_title");
    let main = view! {
        <h1>{title.clone()}</h1>
        <p>{locale.t_with("tokens.created_for", &[("label", &label), ("authority", &authority_name)])}</p>
        <p class="secret"><code>{secret.expose().to_string()}</code></p>
        <p class="muted">{locale.t("tokens.shown_once")}</p>
        <p>{locale.t("tokens.how_to_use")}</p>
        <p><a href="/admin/tokens">{locale.t("tokens.back")}</a></p>
    };
    Ok((StatusCode::CREATED, document(&ctx, &title, main.into_any())).into_response())
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

fn token_row(locale: Locale, choices: &[AuthorityChoice], t: &ApiToken) -> impl IntoView {
    let last_used =
        t.last_used_at.map(|at| datetime(locale, at)).unwrap_or_else(|| locale.t("tokens.never_used"));
    let status = match t.revoked_at {
        Some(at) => locale.t_with("tokens.revoked_at", &[("at", &datetime(locale, at))]),
        None => locale.t("tokens.active"),
    };
    let action = (!t.is_revoked()).then(|| {
        let label = locale.t_with("tokens.revoke_label", &[("label", &t.label)]);
        view! {
            <form method="post" action=format!("/admin/tokens/{}/revoke", t.id) class="inline">
                <button type="submit" aria-label=label>{locale.t("tokens.revoke")}</button>
            </form>
        }
    });
    view! {
        <tr>
            <td>{t.label.clone()}</td>
            <td><code>{format!("{}…", t.prefix)}</code></td>
            <td>{authority_name(locale, choices, t.authority)}</td>
            <td>{datetime(locale, t.created_at)}</td>
            <td>{last_used}</td>
            <td>{status}</td>
            <td>{action}</td>
        </tr>
    }
}

async fn render_list(
    state: &AppState,
    ctx: &PageContext,
    form: &CreateForm,
    problems: &[(&'static str, String)],
    message: Option<String>,
) -> AppResult<Html<String>> {
    let locale = ctx.locale;
    let mut conn = state.db.pool.acquire().await?;
    let all = tokens::list(&mut conn).await?;
    let choices = accounts::authority_choices(&mut conn).await?;
    drop(conn);
    let error_for = |field: &str| problems.iter().find(|(f, _)| *f == field).map(|(_, m)| m.clone());
    let table = if all.is_empty() {
        view! { <p>{locale.t("tokens.none")}</p> }.into_any()
    } else {
        let rows = all.iter().map(|t| token_row(locale, &choices, t)).collect_view();
        let columns = ["label", "prefix", "authority", "created", "last_used", "status", "action"]
            .into_iter()
            .map(|c| (locale.t(&format!("tokens.column.{c}")), false))
            .collect();
        data_table(None, locale.t("tokens.table_caption"), columns, rows)
    };
    let options = choices
        .iter()
        .map(|a| {
            let id = a.id.to_string();
            let selected = form.authority_id == id;
            view! { <option value=id selected=selected>{pick(locale, &a.name_en, &a.name_zh).to_string()}</option> }
        })
        .collect_view();
    let title = locale.t("tokens.title");
    let main = view! {
        <h1>{title.clone()}</h1>
        <p>{locale.t("tokens.intro")}</p>
        {notice(message)}
        {error_summary(locale.t("tokens.problems_title"), problems.to_vec())}
        {table}
        <h2>{locale.t("tokens.create_heading")}</h2>
        <form method="post" action="/admin/tokens" novalidate>
            {Select::new(
                "authority_id",
                locale.t("tokens.authority"),
                view! { <option value="">{locale.t("tokens.choose_authority")}</option>{options} }.into_any(),
            )
            .error(error_for("authority_id"))
            .view()}
            {Field::new("label", locale.t("tokens.label"), "text", "off")
                .value(form.label.clone())
                .hint(locale.t("tokens.label_hint"))
                .error(error_for("label"))
                .view()}
            <button type="submit">{locale.t("tokens.create")}</button>
        </form>
    };
    Ok(document(ctx, &title, main.into_any()))
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
