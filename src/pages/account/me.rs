//! The signed-in person's own page (`/me`): who they are, their role and what it lets them do,
//! and the form to change their password, which signs them out everywhere else.

use axum::{
    extract::{rejection::QueryRejection, Query, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::Utc;
use leptos::prelude::*;
use serde::Deserialize;
use tower_sessions::Session;

use crate::pages::kit::{
    document,
    format::role_label,
    forms::{error_summary, notice, Field},
    PageContext,
};
use crate::{
    auth::{
        access::{SignedIn, Viewer},
        password::{self, NewPassword, PasswordError},
        session,
        throttle::{self, AttemptKeys, ClientAddress},
    },
    error::AppResult,
    http::{form::Form, AppState},
    i18n::Locale,
    store::{
        accounts::{self},
        register, sessions,
    },
};

/// Checks a new password and its confirmation against the policy; the problems are
/// (field, message) pairs for the form.
pub fn check_new_password(
    locale: Locale,
    new: &str,
    confirm: &str,
    user_inputs: &[&str],
) -> Result<NewPassword, Vec<(&'static str, String)>> {
    let mut problems = Vec::new();
    let parsed = if new.is_empty() {
        problems.push(("new_password", locale.t("auth.password.new_missing")));
        None
    } else {
        match NewPassword::parse_strong(new.to_string(), user_inputs) {
            Ok(p) => Some(p),
            Err(e) => {
                problems.push(("new_password", password_problem(locale, &e)));
                None
            }
        }
    };
    if confirm.is_empty() {
        problems.push(("confirm_password", locale.t("auth.password.confirm_missing")));
    } else if !new.is_empty() && confirm != new {
        problems.push(("confirm_password", locale.t("auth.password.mismatch")));
    }
    match parsed {
        Some(p) if problems.is_empty() => Ok(p),
        _ => Err(problems),
    }
}

/// What is wrong with a new password, in words a person can act on.
pub fn password_problem(locale: Locale, error: &PasswordError) -> String {
    match error {
        PasswordError::TooShort => {
            locale.t_with("auth.password.too_short", &[("min", &password::MIN_CHARS.to_string())])
        }
        PasswordError::TooLong => {
            locale.t_with("auth.password.too_long", &[("max", &password::MAX_CHARS.to_string())])
        }
        PasswordError::TooEasy(weakness) => format!(
            "{} {}",
            locale.t(&format!("auth.password.weak.{}", weakness.key())),
            locale.t("auth.password.advice")
        ),
    }
}

/// The hint under every new-password field.
pub fn password_hint(locale: Locale) -> String {
    locale.t_with(
        "auth.password.hint",
        &[("min", &password::MIN_CHARS.to_string()), ("max", &password::MAX_CHARS.to_string())],
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct AccountQuery {
    password_changed: Option<String>,
}

/// `GET /me`.
pub async fn page(
    State(state): State<AppState>,
    SignedIn(viewer): SignedIn,
    shell: PageContext,
    query: Result<Query<AccountQuery>, QueryRejection>,
) -> AppResult<Html<String>> {
    let locale = shell.locale;
    let ctx = shell.clone();
    let message = query.ok().and_then(|q| q.0.password_changed).map(|_| locale.t("account.password_changed"));
    render(&state, &ctx, &viewer, &[], message).await
}

/// The change-password form. `Debug` leaves the passwords out.
#[derive(Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

impl std::fmt::Debug for PasswordForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordForm(***)")
    }
}

/// `POST /me/password`: checks the current password (throttled like a sign-in), sets the new
/// one, ends every other session of the account, and keeps this one under a new id.
pub async fn change_password(
    State(state): State<AppState>,
    SignedIn(viewer): SignedIn,
    shell: PageContext,
    session: Session,
    ClientAddress(address): ClientAddress,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let ctx = shell.clone();
    let mut problems = Vec::new();
    if form.current_password.is_empty() {
        problems.push(("current_password", locale.t("auth.password.current_missing")));
    }
    let inputs = [viewer.username.as_str(), viewer.display_name.as_str()];
    let new = match check_new_password(locale, &form.new_password, &form.confirm_password, &inputs) {
        Ok(new) => Some(new),
        Err(more) => {
            problems.extend(more);
            None
        }
    };
    if problems.is_empty() && form.new_password == form.current_password {
        problems.push(("new_password", locale.t("auth.password.same_as_current")));
    }
    let (Some(new), true) = (new, problems.is_empty()) else {
        return refuse(&state, &ctx, &viewer, StatusCode::UNPROCESSABLE_ENTITY, problems).await;
    };

    let keys = AttemptKeys::new(&viewer.username, &address);
    let now = Utc::now();
    let mut conn = state.db.pool.acquire().await?;
    if let Some(wait) = throttle::retry_after(&mut conn, &keys, now).await? {
        tracing::warn!(account = keys.account_tag(), outcome = "throttled", "password change attempt");
        let minutes = throttle::minutes(wait);
        let message = if minutes == 1 {
            locale.t("auth.sign_in.throttled_one")
        } else {
            locale.t_with("auth.sign_in.throttled_many", &[("n", &minutes.to_string())])
        };
        return refuse(
            &state,
            &ctx,
            &viewer,
            StatusCode::TOO_MANY_REQUESTS,
            vec![("current_password", message)],
        )
        .await;
    }
    let account =
        accounts::by_id(&mut conn, viewer.account_id).await?.ok_or(crate::error::AppError::NotFound)?;
    drop(conn);
    let phc = account.credential.phc().map(str::to_string);
    if !password::verify_or_dummy(form.current_password.clone(), phc).await {
        let mut conn = state.db.pool.acquire().await?;
        throttle::record_failure(&mut conn, &keys, now).await?;
        tracing::info!(
            account = keys.account_tag(),
            outcome = "wrong_current_password",
            "password change attempt"
        );
        let problems = vec![("current_password", locale.t("auth.password.current_wrong"))];
        return refuse(&state, &ctx, &viewer, StatusCode::UNPROCESSABLE_ENTITY, problems).await;
    }

    let hash = password::hash(new).await?;
    let mut tx = state.db.begin_write().await?;
    let epoch = accounts::set_password(&mut tx, account.id, &hash, now).await?;
    let ended = sessions::end_sessions_of(&mut tx, account.id, None).await?;
    tx.commit().await?;
    session::renew(&session, epoch).await?;
    tracing::info!(
        account = keys.account_tag(),
        other_sessions_ended = ended.saturating_sub(1),
        "password changed"
    );
    Ok(Redirect::to("/me?password_changed=1").into_response())
}

async fn refuse(
    state: &AppState,
    ctx: &PageContext,
    viewer: &Viewer,
    status: StatusCode,
    problems: Vec<(&'static str, String)>,
) -> AppResult<Response> {
    Ok((status, render(state, ctx, viewer, &problems, None).await?).into_response())
}

async fn render(
    state: &AppState,
    ctx: &PageContext,
    viewer: &Viewer,
    problems: &[(&'static str, String)],
    message: Option<String>,
) -> AppResult<Html<String>> {
    let locale = ctx.locale;
    let mut conn = state.db.pool.acquire().await?;
    let speaks_for = match viewer.subject_id {
        Some(id) => register::subject(&mut conn, id).await?.map(|s| s.display_name),
        None => None,
    };
    let records_for =
        match viewer.authority_id {
            Some(id) => accounts::authority_choices(&mut conn)
                .await?
                .into_iter()
                .find(|a| a.id == id)
                .map(|a| if locale == Locale::ZhCn { a.name_zh } else { a.name_en }),
            None => None,
        };
    let reviews_for = match viewer.review_body_id {
        Some(id) => accounts::review_bodies(&mut conn).await?.into_iter().find(|b| b.id == id).map(|b| {
            if locale == Locale::ZhCn {
                b.name_zh
            } else {
                b.name_en
            }
        }),
        None => None,
    };
    drop(conn);

    let error_for = |field: &str| problems.iter().find(|(f, _)| *f == field).map(|(_, m)| m.clone());
    let link_row =
        |label: String, value: Option<String>| value.map(|v| view! { <dt>{label}</dt><dd>{v}</dd> });
    let main = view! {
        <h1>{locale.t("account.title")}</h1>
        {notice(message)}
        <dl class="facts">
            <dt>{locale.t("account.name")}</dt><dd>{viewer.display_name.clone()}</dd>
            <dt>{locale.t("account.username")}</dt><dd>{viewer.username.clone()}</dd>
            <dt>{locale.t("account.role_label")}</dt><dd>{role_label(locale, viewer.role)}</dd>
            {link_row(locale.t("account.speaks_for"), speaks_for)}
            {link_row(locale.t("account.records_for"), records_for)}
            {link_row(locale.t("account.reviews_for"), reviews_for)}
        </dl>
        <p>{locale.t(&format!("account.role_does.{}", viewer.role.as_str()))}</p>
        <h2 id="password">{locale.t("account.change_password")}</h2>
        {error_summary(locale.t("forms.error_summary"), problems.to_vec())}
        <p>{locale.t("account.change_password_intro")}</p>
        <form class="stack" method="post" action="/me/password">
            <input type="text" name="username" autocomplete="username" value=viewer.username.clone() hidden=true/>
            {Field::new("current_password", locale.t("auth.password.current"), "password", "current-password")
                .error(error_for("current_password")).view()}
            {Field::new("new_password", locale.t("auth.password.new"), "password", "new-password")
                .hint(password_hint(locale)).error(error_for("new_password")).view()}
            {Field::new("confirm_password", locale.t("auth.password.confirm"), "password", "new-password")
                .error(error_for("confirm_password")).view()}
            <button type="submit">{locale.t("account.change_password_submit")}</button>
        </form>
    };
    let title = if problems.is_empty() {
        locale.t("account.title")
    } else {
        locale.t_with("forms.error_title", &[("title", &locale.t("account.title"))])
    };
    Ok(document(ctx, &title, main.into_any()))
}
