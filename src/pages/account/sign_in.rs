//! Signing in and out. Without JavaScript: the form posts, a failure answers the same page with
//! the problem named (and the name kept, never the password), a success answers 303 to where the
//! person was going. An unknown name and a wrong password get the same message after the same
//! work; attempts are throttled per name and per address and logged without the password and
//! without the name.

use axum::{
    extract::{rejection::QueryRejection, Query, State},
    http::{header, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::Utc;
use leptos::prelude::*;
use serde::Deserialize;
use tower_sessions::Session;

use crate::pages::kit::{
    document,
    forms::{error_summary, notice},
    PageContext, TextField,
};
use crate::{
    auth::{
        access::MaybeViewer,
        password, session,
        throttle::{self, AttemptKeys, ClientAddress},
    },
    error::AppResult,
    http::{form::Form, redirect::local_path, AppState},
    i18n::Locale,
    store::accounts::{self, Role},
};

#[derive(Debug, Default, Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    /// Set by the redirects after signing out and after accepting an invitation.
    signed_out: Option<String>,
    welcome: Option<String>,
}

/// The posted form. `Debug` leaves the password out.
#[derive(Default, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

impl std::fmt::Debug for SignInForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInForm").field("password", &"***").finish_non_exhaustive()
    }
}

/// What went wrong with an attempt, as the person is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Problem {
    UsernameMissing,
    PasswordMissing,
    PasswordTooLong,
    /// Unknown name or wrong password: one message for both.
    Wrong,
    Disabled,
    /// Throttled; minutes to wait.
    Throttled(i64),
}

impl Problem {
    fn status(self) -> StatusCode {
        match self {
            Problem::UsernameMissing | Problem::PasswordMissing | Problem::PasswordTooLong => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Problem::Wrong => StatusCode::UNAUTHORIZED,
            Problem::Disabled => StatusCode::FORBIDDEN,
            Problem::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    /// The field the problem is about, for the summary's link and the field's own message.
    fn field(self) -> &'static str {
        match self {
            Problem::PasswordMissing | Problem::PasswordTooLong => "password",
            _ => "username",
        }
    }

    fn message(self, locale: Locale) -> String {
        match self {
            Problem::UsernameMissing => locale.t("auth.sign_in.username_missing"),
            Problem::PasswordMissing => locale.t("auth.sign_in.password_missing"),
            Problem::PasswordTooLong => {
                locale.t_with("auth.sign_in.password_too_long", &[("max", &password::MAX_CHARS.to_string())])
            }
            Problem::Wrong => locale.t("auth.sign_in.wrong"),
            Problem::Disabled => locale.t("auth.sign_in.disabled"),
            Problem::Throttled(1) => locale.t("auth.sign_in.throttled_one"),
            Problem::Throttled(n) => locale.t_with("auth.sign_in.throttled_many", &[("n", &n.to_string())]),
        }
    }

    /// Whether the message belongs under one field (else it is about the attempt as a whole).
    fn is_about_a_field(self) -> bool {
        matches!(self, Problem::UsernameMissing | Problem::PasswordMissing | Problem::PasswordTooLong)
    }
}

/// Where to go after signing in: a local `next`, else the page of the person's work.
fn destination(next: Option<&str>, role: Role) -> String {
    next.and_then(local_path).filter(|n| !n.starts_with("/sign-in")).unwrap_or(landing(role)).to_string()
}

/// The first page of each role's work: a subject's record, a recorder's subjects, a reviewer's
/// queue, the administration hub.
pub fn landing(role: Role) -> &'static str {
    match role {
        Role::Subject => "/record",
        Role::Recorder => "/recording",
        Role::Reviewer => "/review",
        Role::Administrator => "/admin",
    }
}

/// `GET /sign-in`: the form; a person already signed in goes straight on.
pub async fn page(
    shell: PageContext,
    MaybeViewer(viewer): MaybeViewer,
    query: Result<Query<SignInQuery>, QueryRejection>,
) -> Response {
    let locale = shell.locale;
    let query = query.map(|q| q.0).unwrap_or_default();
    if let Some(viewer) = viewer {
        return Redirect::to(&destination(query.next.as_deref(), viewer.role)).into_response();
    }
    let message = if query.signed_out.is_some() {
        Some(locale.t("auth.sign_in.signed_out"))
    } else if query.welcome.is_some() {
        Some(locale.t("auth.sign_in.welcome"))
    } else {
        None
    };
    let next = query.next.as_deref().and_then(local_path).unwrap_or_default().to_string();
    let page = SignInPage { username: String::new(), next, problems: Vec::new(), message };
    sign_in_view(&page, &shell).into_response()
}

/// `POST /sign-in`.
pub async fn submit(
    State(state): State<AppState>,
    shell: PageContext,
    session: Session,
    ClientAddress(address): ClientAddress,
    Form(form): Form<SignInForm>,
) -> AppResult<Response> {
    let next = local_path(&form.next).unwrap_or_default().to_string();
    let refuse = |problems: &[Problem]| {
        let status = problems.iter().map(|p| p.status()).max().unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
        let page = SignInPage {
            username: form.username.trim().to_string(),
            next: next.clone(),
            problems: problems.to_vec(),
            message: None,
        };
        let mut response = (status, sign_in_view(&page, &shell)).into_response();
        if let Some(Problem::Throttled(minutes)) = problems.first() {
            let seconds = (minutes * 60).to_string();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.parse().expect("digits are a header value"));
        }
        response
    };

    let mut problems = Vec::new();
    if form.username.trim().is_empty() {
        problems.push(Problem::UsernameMissing);
    }
    if form.password.is_empty() {
        problems.push(Problem::PasswordMissing);
    } else if form.password.chars().count() > password::MAX_CHARS {
        problems.push(Problem::PasswordTooLong);
    }
    if !problems.is_empty() {
        return Ok(refuse(&problems));
    }

    let keys = AttemptKeys::new(&form.username, &address);
    let now = Utc::now();
    let mut conn = state.db.pool.acquire().await?;
    if let Some(wait) = throttle::retry_after(&mut conn, &keys, now).await? {
        tracing::warn!(
            account = keys.account_tag(),
            address = keys.address_tag(),
            outcome = "throttled",
            "sign-in attempt"
        );
        return Ok(refuse(&[Problem::Throttled(throttle::minutes(wait))]));
    }
    let account = accounts::by_username(&mut conn, &form.username).await?;
    drop(conn);

    let phc = account.as_ref().and_then(|a| a.credential.phc()).map(str::to_string);
    let matches = password::verify_or_dummy(form.password.clone(), phc).await;
    let mut conn = state.db.pool.acquire().await?;
    let account = match account {
        Some(account) if matches => account,
        _ => {
            throttle::record_failure(&mut conn, &keys, now).await?;
            tracing::info!(
                account = keys.account_tag(),
                address = keys.address_tag(),
                outcome = "wrong",
                "sign-in attempt"
            );
            return Ok(refuse(&[Problem::Wrong]));
        }
    };
    if account.is_disabled() {
        tracing::info!(
            account = keys.account_tag(),
            address = keys.address_tag(),
            outcome = "disabled",
            "sign-in attempt"
        );
        return Ok(refuse(&[Problem::Disabled]));
    }
    throttle::clear_account(&mut conn, &keys).await?;
    drop(conn);
    session::begin(&session, &account, now).await?;
    tracing::info!(
        account = keys.account_tag(),
        address = keys.address_tag(),
        outcome = "signed_in",
        "sign-in attempt"
    );
    Ok(Redirect::to(&destination(Some(&next), account.role)).into_response())
}

/// `POST /sign-out`: ends the session on the server, then says so on the sign-in page.
pub async fn sign_out(session: Session) -> AppResult<Response> {
    session::end(&session).await?;
    Ok(Redirect::to("/sign-in?signed_out=1").into_response())
}

/// What the sign-in form shows: the name typed (never the password), where to go next, what
/// went wrong, and a message from the redirect that led here.
pub struct SignInPage {
    username: String,
    next: String,
    problems: Vec<Problem>,
    message: Option<String>,
}

/// The sign-in form, for a first visit and after a failed attempt alike.
fn sign_in_view(page: &SignInPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let problems = &page.problems;
    let field_error = |field: &str| {
        problems.iter().find(|p| p.is_about_a_field() && p.field() == field).map(|p| p.message(locale))
    };
    let summary = error_summary(
        locale.t("forms.error_summary"),
        problems.iter().map(|p| (p.field(), p.message(locale))).collect(),
    );
    let main = view! {
        <h1>{locale.t("sign_in.title")}</h1>
        {notice(page.message.clone())}
        {summary}
        <p>{locale.t("auth.sign_in.intro")}</p>
        <form class="stack" method="post" action="/sign-in">
            <TextField id="username" label=locale.t("auth.sign_in.username") autocomplete="username"
                value=page.username.clone() error=field_error("username")/>
            <TextField id="password" label=locale.t("auth.sign_in.password") kind="password"
                autocomplete="current-password" error=field_error("password")/>
            <input type="hidden" name="next" value=page.next.clone()/>
            <button type="submit">{locale.t("auth.sign_in.submit")}</button>
        </form>
        <p class="muted">{locale.t("auth.sign_in.no_account")}</p>
    };
    let title = if problems.is_empty() {
        locale.t("sign_in.title")
    } else {
        locale.t_with("forms.error_title", &[("title", &locale.t("sign_in.title"))])
    };
    document(ctx, &title, main.into_any())
}
