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
use sqlx::AnyConnection;
use uuid::Uuid;

use super::{unprocessable, Admin, BackLink, SelectOption};
use crate::pages::kit::{
    document,
    format::datetime,
    format::role_label,
    forms::{error_for, error_summary, notice, titled, Problems},
    DataTable, PageContext, SelectField, TextField,
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

/// What the accounts page shows: every account with what it is linked to, the form creating one
/// as typed with its problems, and whether an account was just disabled.
pub struct AccountsPage {
    pub accounts: Vec<Account>,
    links: Links,
    pub form: CreateForm,
    pub problems: Problems,
    pub disabled: bool,
}

impl AccountsPage {
    /// Every query of the page.
    pub async fn load(state: &AppState, disabled: bool) -> AppResult<Self> {
        let mut conn = state.db.pool.acquire().await?;
        let accounts = accounts::list(&mut conn).await?;
        let links = Links::load(&mut conn).await?;
        Ok(Self { accounts, links, form: CreateForm::default(), problems: Problems::new(), disabled })
    }

    /// The same page after a refused post: the form as typed, and why it was refused.
    fn refused(self, form: CreateForm, problems: Problems) -> Self {
        Self { form, problems, ..self }
    }
}

/// `GET /admin/accounts`.
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    shell: PageContext,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> AppResult<Html<String>> {
    let disabled = query.ok().and_then(|q| q.0.disabled).is_some();
    let page = AccountsPage::load(&state, disabled).await?;
    Ok(list_view(&page, &shell))
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
    let new = match check(&state, locale, &form).await? {
        Ok(new) => new,
        Err(problems) => {
            let page = AccountsPage::load(&state, false).await?.refused(form, problems);
            return Ok(unprocessable(list_view(&page, &shell)));
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
            let page = AccountsPage::load(&state, false).await?.refused(form, problems);
            return Ok(unprocessable(list_view(&page, &shell)));
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
    let page = InvitationPage {
        display_name: new.display_name,
        username: new.username,
        link: invitation_url(&state, &headers, &token),
        expires,
        created: true,
    };
    Ok((StatusCode::CREATED, invitation_view(&page, &shell)).into_response())
}

/// What an account's page shows: the account, what it is linked to, whether it is the viewer's
/// own, and why an action on it was refused.
pub struct AccountPage {
    pub account: Account,
    links: Links,
    /// The viewer's own account cannot be disabled from here.
    pub is_self: bool,
    pub problems: Problems,
}

impl AccountPage {
    /// Every query of the page: the account, or 404, and the names of what it may be linked to.
    pub async fn load(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<Self> {
        let id = AccountId::parse(id).ok_or(AppError::NotFound)?;
        let mut conn = state.db.pool.acquire().await?;
        let account = accounts::by_id(&mut conn, id).await?.ok_or(AppError::NotFound)?;
        let links = Links::load(&mut conn).await?;
        Ok(Self { is_self: account.id == viewer.account_id, account, links, problems: Problems::new() })
    }

    /// The same page with an action on it refused, and why.
    fn refused(self, message: String) -> Self {
        Self { problems: vec![("", message)], ..self }
    }
}

/// `GET /admin/accounts/{id}`: one account, with its actions.
pub async fn detail(
    State(state): State<AppState>,
    RequireRole(admin, _): Admin,
    shell: PageContext,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    let page = AccountPage::load(&state, &admin, &id).await?;
    Ok(detail_view(&page, &shell))
}

/// `POST /admin/accounts/{id}/disable`: disables the account and ends all its sessions.
pub async fn disable(
    State(state): State<AppState>,
    RequireRole(admin, _): Admin,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let page = AccountPage::load(&state, &admin, &id).await?;
    if page.is_self {
        let page = page.refused(shell.locale.t("admin.cannot_disable_self"));
        return Ok(unprocessable(detail_view(&page, &shell)));
    }
    let account = &page.account;
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
    let page = AccountPage::load(&state, &admin, &id).await?;
    if page.account.is_disabled() {
        let page = page.refused(shell.locale.t("admin.disabled_no_invitation"));
        return Ok(unprocessable(detail_view(&page, &shell)));
    }
    let account = page.account;
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
    let page = InvitationPage {
        display_name: account.display_name,
        username: account.username,
        link: invitation_url(&state, &headers, &token),
        expires,
        created: false,
    };
    Ok(invitation_view(&page, &shell).into_response())
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
) -> AppResult<Result<NewAccount, Problems>> {
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
    async fn load(conn: &mut AnyConnection) -> AppResult<Self> {
        Ok(Self {
            authorities: accounts::authority_choices(&mut *conn).await?,
            bodies: accounts::review_bodies(&mut *conn).await?,
            subjects: accounts::linked_subject_names(&mut *conn).await?,
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

/// The accounts page, drawn from what [`AccountsPage::load`] read.
fn list_view(page: &AccountsPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let AccountsPage { accounts, links, form, problems, disabled } = page;
    let (authorities, bodies) = (&links.authorities, &links.bodies);
    let rows = accounts
        .iter()
        .map(|a| {
            view! {
                <tr>
                    <td><a href=format!("/admin/accounts/{}", a.id)>{a.username.clone()}</a></td>
                    <td>{a.display_name.clone()}</td>
                    <td>{role_label(locale, a.role)}</td>
                    <td>{link_label(locale, a, links, false)}</td>
                    <td>{status_label(locale, a)}</td>
                </tr>
            }
        })
        .collect_view();
    let role_options = Role::ALL
        .into_iter()
        .map(|r| view! { <SelectOption value=r.as_str() label=role_label(locale, r) selected=form.role == r.as_str()/> })
        .collect_view();
    let authority_options = authorities
        .iter()
        .map(|a| {
            let id = a.id.to_string();
            let selected = form.authority_id == id;
            view! { <SelectOption value=id label=pick(locale, &a.name_en, &a.name_zh) selected=selected/> }
        })
        .collect_view();
    let body_select = (!bodies.is_empty()).then(|| {
        let options = bodies
            .iter()
            .map(|b| {
                let id = b.id.to_string();
                let selected = form.review_body_id == id;
                view! { <SelectOption value=id label=pick(locale, &b.name_en, &b.name_zh) selected=selected/> }
            })
            .collect_view();
        view! {
            <SelectField id="review_body_id" label=locale.t("admin.review_body")
                hint=Some(locale.t("admin.review_body_hint")) error=error_for(problems, "review_body_id")>
                <option value="">{locale.t("admin.none")}</option>{options}
            </SelectField>
        }
    });
    let main = view! {
        <h1>{locale.t("admin.title")}</h1>
        {notice(disabled.then(|| locale.t("admin.disabled_notice")))}
        <DataTable caption=locale.t("admin.caption") caption_id="accounts-caption" columns=vec![
            (locale.t("account.username"), false),
            (locale.t("account.name"), false),
            (locale.t("account.role_label"), false),
            (locale.t("admin.linked_to"), false),
            (locale.t("admin.status"), false),
        ]>{rows}</DataTable>
        <h2 id="create">{locale.t("admin.create_title")}</h2>
        {error_summary(locale.t("forms.error_summary"), problems.clone())}
        <p>{locale.t("admin.create_intro")}</p>
        <form class="stack" method="post" action="/admin/accounts">
            <TextField id="username" label=locale.t("account.username") value=form.username.clone()
                hint=Some(locale.t("admin.username_hint")) error=error_for(problems, "username")/>
            <TextField id="display_name" label=locale.t("account.name") value=form.display_name.clone()
                error=error_for(problems, "display_name")/>
            <SelectField id="role" label=locale.t("account.role_label") error=error_for(problems, "role")>
                <option value="">{locale.t("admin.choose_role")}</option>{role_options}
            </SelectField>
            <TextField id="subject_id" label=locale.t("admin.subject") value=form.subject_id.clone()
                hint=Some(locale.t("admin.subject_hint")) error=error_for(problems, "subject_id")/>
            <SelectField id="authority_id" label=locale.t("admin.authority")
                hint=Some(locale.t("admin.authority_hint")) error=error_for(problems, "authority_id")>
                <option value="">{locale.t("admin.none")}</option>{authority_options}
            </SelectField>
            {body_select}
            <button type="submit">{locale.t("admin.create_submit")}</button>
        </form>
    };
    document(ctx, &titled(locale, locale.t("admin.title"), problems), main.into_any())
}

/// An account's page, drawn from what [`AccountPage::load`] read.
fn detail_view(page: &AccountPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let AccountPage { account, links, is_self, problems } = page;
    let id = account.id;
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
    let main = view! {
        <BackLink href="/admin/accounts" label=locale.t("admin.back")/>
        <h1>{account.display_name.clone()}</h1>
        {error_summary(locale.t("forms.error_summary"), problems.clone())}
        <dl class="facts">
            <dt>{locale.t("account.username")}</dt><dd>{account.username.clone()}</dd>
            <dt>{locale.t("account.role_label")}</dt><dd>{role_label(locale, account.role)}</dd>
            <dt>{locale.t("admin.linked_to")}</dt><dd class="wrap">{link_label(locale, account, links, true)}</dd>
            <dt>{locale.t("admin.status")}</dt><dd>{status_label(locale, account)}</dd>
            <dt>{locale.t("admin.created")}</dt><dd>{datetime(locale, account.created_at)}</dd>
        </dl>
        {actions}
    };
    document(ctx, &account.display_name, main.into_any())
}

/// What the page after creating an account or issuing a new link shows: the link, once.
pub struct InvitationPage {
    pub display_name: String,
    pub username: String,
    pub link: String,
    pub expires: DateTime<Utc>,
    /// A new account, rather than a new link for an existing one.
    pub created: bool,
}

fn invitation_view(page: &InvitationPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let InvitationPage { display_name, username, link, expires, created } = page;
    let title = if *created { locale.t("admin.created_title") } else { locale.t("admin.reinvited_title") };
    let main = view! {
        <h1>{title.clone()}</h1>
        <p>{locale.t_with("admin.send_link", &[("name", display_name), ("username", username)])}</p>
        <p class="invitation-link"><a href=link.clone()>{link.clone()}</a></p>
        <p>{locale.t_with("admin.link_expires", &[("at", &datetime(locale, *expires))])}</p>
        <p class="muted">{locale.t("admin.link_once")}</p>
        <p><a href="/admin/accounts">{locale.t("admin.back")}</a></p>
    };
    document(ctx, &title, main.into_any())
}
