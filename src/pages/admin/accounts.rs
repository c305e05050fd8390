//! Account management for administrators (`/admin/accounts`): the list of accounts, creating
//! one with a role and its link (the subject it speaks for, the authority it records for, the
//! review body it reviews for), which yields a single-use invitation link where the person sets
//! their own password; issuing a new link; disabling an account, which ends its sessions.

use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
};
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::Deserialize;
use uuid::Uuid;

use super::Admin;
use crate::pages::kit::{
    document,
    format::datetime,
    format::role_label,
    forms::{error_summary, notice, Field, Select},
    PageContext,
};
use crate::{
    auth::{
        access::{RequireRole, Viewer},
        invitation::{self, InvitationToken},
        throttle::ClientAddress,
    },
    domain::{AuthorityId, SubjectId},
    error::{AppError, AppResult},
    http::{form::Form, AppState},
    i18n::Locale,
    store::{
        accounts::{self, Account, AccountError, AccountId, AuthorityChoice, ReviewBody, Role},
        audit::{self, Actor},
        sessions,
    },
};

/// Longest display name accepted, in characters.
const MAX_DISPLAY_NAME: usize = 200;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    disabled: Option<String>,
}

/// `GET /admin/accounts`.
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    shell: PageContext,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> AppResult<Html<String>> {
    let locale = shell.locale;
    let ctx = shell.clone();
    let message = query.ok().and_then(|q| q.0.disabled).map(|_| locale.t("admin.disabled_notice"));
    render_list(&state, &ctx, &CreateForm::default(), &[], message).await
}

/// The form creating an account.
#[derive(Debug, Default, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    subject_id: String,
    #[serde(default)]
    authority_id: String,
    #[serde(default)]
    review_body_id: String,
}

/// A checked [`CreateForm`].
struct NewAccount {
    username: String,
    display_name: String,
    role: Role,
    subject: Option<SubjectId>,
    authority: Option<AuthorityId>,
    review_body: Option<Uuid>,
}

/// `POST /admin/accounts`: creates the account and shows its invitation link, once.
pub async fn create(
    State(state): State<AppState>,
    RequireRole(admin, _): Admin,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<CreateForm>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let ctx = shell.clone();
    let checked = check(&state, locale, &form).await?;
    let new = match checked {
        Ok(new) => new,
        Err(problems) => {
            let page = render_list(&state, &ctx, &form, &problems, None).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let now = Utc::now();
    let token = InvitationToken::generate();
    let expires = now + invitation::LIFETIME;
    let mut tx = state.db.begin_write().await?;
    let id = match accounts::create(&mut tx, &new.username, &new.display_name, "", new.role).await {
        Ok(id) => AccountId(id),
        Err(AccountError::NameTaken(name)) => {
            drop(tx);
            let problems = vec![("username", locale.t_with("admin.username_taken", &[("name", &name)]))];
            let page = render_list(&state, &ctx, &form, &problems, None).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(AccountError::BadName) => {
            return Err(AppError::Internal(anyhow::anyhow!("checked name refused")))
        }
        Err(AccountError::Db(e)) => return Err(e.into()),
    };
    accounts::link(&mut tx, id.0, new.subject, new.authority).await.map_err(|e| anyhow::anyhow!(e))?;
    if let Some(body) = new.review_body {
        accounts::link_review_body(&mut tx, id, body).await?;
    }
    accounts::create_invitation(&mut tx, id, Some(admin.account_id), &token.digest(), now, expires).await?;
    let detail = serde_json::json!({
        "role": new.role.as_str(),
        "subject": new.subject.map(|s| s.to_string()),
        "authority": new.authority.map(|a| a.to_string()),
        "review_body": new.review_body.map(|b| b.to_string()),
    });
    let actor = Actor::person(admin.account_id, &admin.username, address);
    audit::write(&mut tx, &actor, "account.create", "account", &id.to_string(), detail, now)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    tx.commit().await?;
    tracing::info!(account = %id, role = new.role.as_str(), "account created with an invitation");
    let link = invitation_url(&state, &headers, &token);
    let page = render_invitation(&ctx, &new.display_name, &new.username, &link, expires, true);
    Ok((StatusCode::CREATED, page).into_response())
}

/// `GET /admin/accounts/{id}`: one account, with its actions.
pub async fn detail(
    State(state): State<AppState>,
    RequireRole(admin, _): Admin,
    shell: PageContext,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    let ctx = shell.clone();
    let account = load(&state, &id).await?;
    render_detail(&state, &ctx, &admin, &account, None).await
}

/// `POST /admin/accounts/{id}/disable`: disables the account and ends all its sessions.
pub async fn disable(
    State(state): State<AppState>,
    RequireRole(admin, _): Admin,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let ctx = shell.clone();
    let account = load(&state, &id).await?;
    if account.id == admin.account_id {
        let page = render_detail(&state, &ctx, &admin, &account, Some(locale.t("admin.cannot_disable_self")))
            .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let now = Utc::now();
    let mut tx = state.db.begin_write().await?;
    if accounts::disable(&mut tx, account.id, now).await? {
        let ended = sessions::end_sessions_of(&mut tx, account.id, None).await?;
        let actor = Actor::person(admin.account_id, &admin.username, address);
        let detail = serde_json::json!({ "sessions_ended": ended });
        audit::write(&mut tx, &actor, "account.disable", "account", &account.id.to_string(), detail, now)
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
        tracing::info!(account = %account.id, sessions_ended = ended, "account disabled");
    }
    tx.commit().await?;
    Ok(Redirect::to("/admin/accounts?disabled=1").into_response())
}

/// `POST /admin/accounts/{id}/invitation`: a new link (the earlier one stops working), for a
/// person who lost theirs, let it expire, or forgot their password.
pub async fn reinvite(
    State(state): State<AppState>,
    RequireRole(admin, _): Admin,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let locale = shell.locale;
    let ctx = shell.clone();
    let account = load(&state, &id).await?;
    if account.is_disabled() {
        let page =
            render_detail(&state, &ctx, &admin, &account, Some(locale.t("admin.disabled_no_invitation")))
                .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let now = Utc::now();
    let token = InvitationToken::generate();
    let expires = now + invitation::LIFETIME;
    let mut tx = state.db.begin_write().await?;
    accounts::create_invitation(&mut tx, account.id, Some(admin.account_id), &token.digest(), now, expires)
        .await?;
    let actor = Actor::person(admin.account_id, &admin.username, address);
    audit::write(
        &mut tx,
        &actor,
        "account.invite",
        "account",
        &account.id.to_string(),
        serde_json::json!({}),
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!(e))?;
    tx.commit().await?;
    tracing::info!(account = %account.id, "new invitation issued");
    let link = invitation_url(&state, &headers, &token);
    Ok(render_invitation(&ctx, &account.display_name, &account.username, &link, expires, false)
        .into_response())
}

async fn load(state: &AppState, id: &str) -> AppResult<Account> {
    let id = AccountId::parse(id).ok_or(AppError::NotFound)?;
    let mut conn = state.db.pool.acquire().await?;
    accounts::by_id(&mut conn, id).await?.ok_or(AppError::NotFound)
}

/// The absolute link to put in a message: this server's host, https when served over TLS.
fn invitation_url(state: &AppState, headers: &HeaderMap, token: &InvitationToken) -> String {
    let scheme = if state.config.secure_cookies { "https" } else { "http" };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match host {
        Some(host) => format!("{scheme}://{host}/invitation/{}", token.expose()),
        None => format!("/invitation/{}", token.expose()),
    }
}

async fn check(
    state: &AppState,
    locale: Locale,
    form: &CreateForm,
) -> AppResult<Result<NewAccount, Vec<(&'static str, String)>>> {
    let mut problems = Vec::new();
    let username = accounts::parse_username(&form.username).ok();
    if username.is_none() {
        problems.push(("username", locale.t("admin.username_invalid")));
    }
    let display_name = form.display_name.trim().to_string();
    if display_name.is_empty() {
        problems.push(("display_name", locale.t("admin.display_name_missing")));
    } else if display_name.chars().count() > MAX_DISPLAY_NAME {
        let max = MAX_DISPLAY_NAME.to_string();
        problems.push(("display_name", locale.t_with("admin.display_name_too_long", &[("max", &max)])));
    }
    let role = Role::parse(form.role.trim());
    if role.is_none() {
        problems.push(("role", locale.t("admin.role_missing")));
    }
    let mut conn = state.db.pool.acquire().await?;

    let subject_text = form.subject_id.trim();
    let mut subject = None;
    if role == Some(Role::Subject) {
        if subject_text.is_empty() {
            problems.push(("subject_id", locale.t("admin.subject_missing")));
        } else {
            match SubjectId::parse(subject_text) {
                Err(_) => problems.push(("subject_id", locale.t("admin.subject_invalid"))),
                Ok(id) if !accounts::subject_exists(&mut conn, id).await? => {
                    problems.push(("subject_id", locale.t("admin.subject_unknown")))
                }
                Ok(id) => subject = Some(id),
            }
        }
    } else if !subject_text.is_empty() {
        problems.push(("subject_id", locale.t("admin.subject_not_allowed")));
    }

    let authority_text = form.authority_id.trim();
    let mut authority = None;
    if role == Some(Role::Recorder) {
        let choices = accounts::authority_choices(&mut conn).await?;
        match AuthorityId::parse(authority_text).ok().filter(|id| choices.iter().any(|c| c.id == *id)) {
            Some(id) => authority = Some(id),
            None if authority_text.is_empty() => {
                problems.push(("authority_id", locale.t("admin.authority_missing")))
            }
            None => problems.push(("authority_id", locale.t("admin.authority_unknown"))),
        }
    } else if !authority_text.is_empty() {
        problems.push(("authority_id", locale.t("admin.authority_not_allowed")));
    }

    let body_text = form.review_body_id.trim();
    let mut review_body = None;
    if !body_text.is_empty() {
        let bodies = accounts::review_bodies(&mut conn).await?;
        match Uuid::parse_str(body_text).ok().filter(|id| bodies.iter().any(|b| b.id == *id)) {
            _ if role != Some(Role::Reviewer) => {
                problems.push(("review_body_id", locale.t("admin.review_body_not_allowed")))
            }
            Some(id) => review_body = Some(id),
            None => problems.push(("review_body_id", locale.t("admin.review_body_unknown"))),
        }
    }

    Ok(match (username, role) {
        (Some(username), Some(role)) if problems.is_empty() => {
            Ok(NewAccount { username, display_name, role, subject, authority, review_body })
        }
        _ => Err(problems),
    })
}

fn status_label(locale: Locale, account: &Account) -> String {
    if account.is_disabled() {
        locale.t("admin.status_disabled")
    } else if account.is_invited() {
        locale.t("admin.status_invited")
    } else {
        locale.t("admin.status_active")
    }
}

fn pick(locale: Locale, en: &str, zh: &str) -> String {
    if locale == Locale::ZhCn { zh } else { en }.to_string()
}

/// What an account may be linked to, with the names an administrator recognises it by.
struct Links {
    authorities: Vec<AuthorityChoice>,
    bodies: Vec<ReviewBody>,
    subjects: HashMap<SubjectId, String>,
}

impl Links {
    async fn load(state: &AppState) -> AppResult<Self> {
        let mut conn = state.db.pool.acquire().await?;
        Ok(Self {
            authorities: accounts::authority_choices(&mut conn).await?,
            bodies: accounts::review_bodies(&mut conn).await?,
            subjects: accounts::linked_subject_names(&mut conn).await?,
        })
    }
}

/// What an account is linked to, in words; a subject also by its id when `with_id`.
fn link_label(locale: Locale, account: &Account, links: &Links, with_id: bool) -> String {
    let (authorities, bodies) = (&links.authorities, &links.bodies);
    if let Some(subject) = account.subject_id {
        let name = links.subjects.get(&subject).cloned().unwrap_or_default();
        return if with_id {
            locale.t_with("admin.linked_subject", &[("name", &name), ("id", &subject.to_string())])
        } else {
            name
        };
    }
    if let Some(a) = account.authority_id.and_then(|id| authorities.iter().find(|a| a.id == id)) {
        return pick(locale, &a.name_en, &a.name_zh);
    }
    if let Some(b) = account.review_body_id.and_then(|id| bodies.iter().find(|b| b.id == id)) {
        return pick(locale, &b.name_en, &b.name_zh);
    }
    "—".into()
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
    let all = accounts::list(&mut conn).await?;
    drop(conn);
    let links = Links::load(state).await?;
    let (authorities, bodies) = (&links.authorities, &links.bodies);

    let rows = all
        .iter()
        .map(|a| {
            view! {
                <tr>
                    <td><a href=format!("/admin/accounts/{}", a.id)>{a.username.clone()}</a></td>
                    <td>{a.display_name.clone()}</td>
                    <td>{role_label(locale, a.role)}</td>
                    <td>{link_label(locale, a, &links, false)}</td>
                    <td>{status_label(locale, a)}</td>
                </tr>
            }
        })
        .collect_view();

    let error_for = |field: &str| problems.iter().find(|(f, _)| *f == field).map(|(_, m)| m.clone());
    let role_options = Role::ALL
        .into_iter()
        .map(|r| view! { <option value=r.as_str() selected=form.role == r.as_str()>{role_label(locale, r)}</option> })
        .collect_view();
    let authority_options = authorities
        .iter()
        .map(|a| {
            let id = a.id.to_string();
            let selected = form.authority_id == id;
            view! { <option value=id selected=selected>{pick(locale, &a.name_en, &a.name_zh)}</option> }
        })
        .collect_view();
    let body_select = (!bodies.is_empty()).then(|| {
        let options = bodies
            .iter()
            .map(|b| {
                let id = b.id.to_string();
                let selected = form.review_body_id == id;
                view! { <option value=id selected=selected>{pick(locale, &b.name_en, &b.name_zh)}</option> }
            })
            .collect_view();
        Select::new(
            "review_body_id",
            locale.t("admin.review_body"),
            view! { <option value="">{locale.t("admin.none")}</option>{options} }.into_any(),
        )
        .hint(locale.t("admin.review_body_hint"))
        .error(error_for("review_body_id"))
        .view()
    });

    let main = view! {
        <h1>{locale.t("admin.title")}</h1>
        {notice(message)}
        <div class="table-scroll" role="region" aria-labelledby="accounts-caption" tabindex="0">
            <table>
                <caption id="accounts-caption">{locale.t("admin.caption")}</caption>
                <thead>
                    <tr>
                        <th scope="col">{locale.t("account.username")}</th>
                        <th scope="col">{locale.t("account.name")}</th>
                        <th scope="col">{locale.t("account.role_label")}</th>
                        <th scope="col">{locale.t("admin.linked_to")}</th>
                        <th scope="col">{locale.t("admin.status")}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <h2 id="create">{locale.t("admin.create_title")}</h2>
        {error_summary(locale.t("forms.error_summary"), problems.to_vec())}
        <p>{locale.t("admin.create_intro")}</p>
        <form class="stack" method="post" action="/admin/accounts">
            {Field::new("username", locale.t("account.username"), "text", "off")
                .value(form.username.clone()).hint(locale.t("admin.username_hint")).error(error_for("username")).view()}
            {Field::new("display_name", locale.t("account.name"), "text", "off")
                .value(form.display_name.clone()).error(error_for("display_name")).view()}
            {Select::new(
                "role",
                locale.t("account.role_label"),
                view! { <option value="">{locale.t("admin.choose_role")}</option>{role_options} }.into_any(),
            )
            .error(error_for("role"))
            .view()}
            {Field::new("subject_id", locale.t("admin.subject"), "text", "off")
                .value(form.subject_id.clone()).hint(locale.t("admin.subject_hint")).error(error_for("subject_id")).view()}
            {Select::new(
                "authority_id",
                locale.t("admin.authority"),
                view! { <option value="">{locale.t("admin.none")}</option>{authority_options} }.into_any(),
            )
            .hint(locale.t("admin.authority_hint"))
            .error(error_for("authority_id"))
            .view()}
            {body_select}
            <button type="submit">{locale.t("admin.create_submit")}</button>
        </form>
    };
    let title = if problems.is_empty() {
        locale.t("admin.title")
    } else {
        locale.t_with("forms.error_title", &[("title", &locale.t("admin.title"))])
    };
    Ok(document(ctx, &title, main.into_any()))
}

async fn render_detail(
    state: &AppState,
    ctx: &PageContext,
    admin: &Viewer,
    account: &Account,
    problem: Option<String>,
) -> AppResult<Html<String>> {
    let locale = ctx.locale;
    let links = Links::load(state).await?;
    let id = account.id;
    let is_self = account.id == admin.account_id;
    let actions = (!account.is_disabled()).then(|| {
        view! {
            <h2>{locale.t("admin.invitation_title")}</h2>
            <p>{locale.t("admin.invitation_explain")}</p>
            <form method="post" action=format!("/admin/accounts/{id}/invitation")>
                <button type="submit" class="secondary">{locale.t("admin.invitation_submit")}</button>
            </form>
            {(!is_self).then(|| view! {
                <h2>{locale.t("admin.disable_title")}</h2>
                <p>{locale.t("admin.disable_explain")}</p>
                <form method="post" action=format!("/admin/accounts/{id}/disable")>
                    <button type="submit" class="danger">{locale.t("admin.disable_submit")}</button>
                </form>
            })}
        }
    });
    let problem = problem.map(|p| error_summary(locale.t("forms.error_summary"), vec![("", p)]));
    let main = view! {
        <p><a href="/admin/accounts">{locale.t("admin.back")}</a></p>
        <h1>{account.display_name.clone()}</h1>
        {problem}
        <dl class="facts">
            <dt>{locale.t("account.username")}</dt><dd>{account.username.clone()}</dd>
            <dt>{locale.t("account.role_label")}</dt><dd>{role_label(locale, account.role)}</dd>
            <dt>{locale.t("admin.linked_to")}</dt><dd class="wrap">{link_label(locale, account, &links, true)}</dd>
            <dt>{locale.t("admin.status")}</dt><dd>{status_label(locale, account)}</dd>
            <dt>{locale.t("admin.created")}</dt><dd>{datetime(locale, account.created_at)}</dd>
        </dl>
        {actions}
    };
    Ok(document(ctx, &account.display_name, main.into_any()))
}

fn render_invitation(
    ctx: &PageContext,
    display_name: &str,
    username: &str,
    link: &str,
    expires: DateTime<Utc>,
    created: bool,
) -> Html<String> {
    let locale = ctx.locale;
    let title = if created { locale.t("admin.created_title") } else { locale.t("admin.reinvited_title") };
    let main = view! {
        <h1>{title.clone()}</h1>
        <p>{locale.t_with("admin.send_link", &[("name", display_name), ("username", username)])}</p>
        <p class="invitation-link"><a href=link.to_string()>{link.to_string()}</a></p>
        <p>{locale.t_with("admin.link_expires", &[("at", &datetime(locale, expires))])}</p>
        <p class="muted">{locale.t("admin.link_once")}</p>
        <p><a href="/admin/accounts">{locale.t("admin.back")}</a></p>
    };
    document(ctx, &title, main.into_any())
}
