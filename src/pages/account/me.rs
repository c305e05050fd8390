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
    forms::{error_for, error_summary, notice, titled, Problems},
    PageContext, TextField,
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
) -> Result<NewPassword, Problems> {
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

/// What the account page shows besides the viewer's own name and role: whom they act for, a
/// message after a change, and the password form's problems after a failed post.
pub struct AccountPage {
    /// The subject a subject account speaks for.
    pub speaks_for: Option<String>,
    /// The authority a recorder records for, in the page's language.
    pub records_for: Option<String>,
    /// The review body a reviewer reviews for, in the page's language.
    pub reviews_for: Option<String>,
    pub message: Option<String>,
    pub problems: Problems,
}

impl AccountPage {
    /// Every query of the account page.
    pub async fn load(state: &AppState, viewer: &Viewer, locale: Locale) -> AppResult<Self> {
        let mut conn = state.db.pool.acquire().await?;
        let speaks_for = match viewer.subject_id {
            Some(id) => register::subject(&mut conn, id).await?.map(|s| s.display_name),
            None => None,
        };
        let records_for = match viewer.authority_id {
            Some(id) => accounts::authority_choices(&mut conn)
                .await?
                .into_iter()
                .find(|a| a.id == id)
                .map(|a| if locale == Locale::ZhCn { a.name_zh } else { a.name_en }),
            None => None,
        };
        let reviews_for =
            match viewer.review_body_id {
                Some(id) => accounts::review_bodies(&mut conn)
                    .await?
                    .into_iter()
                    .find(|b| b.id == id)
                    .map(|b| if locale == Locale::ZhCn { b.name_zh } else { b.name_en }),
                None => None,
            };
        Ok(Self { speaks_for, records_for, reviews_for, message: None, problems: Vec::new() })
    }
}

/// `GET /me`.
pub async fn page(
    State(state): State<AppState>,
    SignedIn(viewer): SignedIn,
    shell: PageContext,
    query: Result<Query<AccountQuery>, QueryRejection>,
) -> AppResult<Html<String>> {
    let locale = shell.locale;
    let mut page = AccountPage::load(&state, &viewer, locale).await?;
    page.message =
        query.ok().and_then(|q| q.0.password_changed).map(|_| locale.t("account.password_changed"));
    Ok(account_view(&page, &shell, &viewer))
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
    let mut problems: Problems = Vec::new();
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

/// The account page again after a failed change, with its problems and status.
async fn refuse(
    state: &AppState,
    ctx: &PageContext,
    viewer: &Viewer,
    status: StatusCode,
    problems: Problems,
) -> AppResult<Response> {
    let mut page = AccountPage::load(state, viewer, ctx.locale).await?;
    page.problems = problems;
    Ok((status, account_view(&page, ctx, viewer)).into_response())
}

/// The account page, drawn from what [`AccountPage::load`] read and who is signed in.
fn account_view(page: &AccountPage, ctx: &PageContext, viewer: &Viewer) -> Html<String> {
    let locale = ctx.locale;
    let problems = &page.problems;
    let main = view! {
        <h1>{locale.t("account.title")}</h1>
        {notice(page.message.clone())}
        <dl class="facts">
            <dt>{locale.t("account.name")}</dt><dd>{viewer.display_name.clone()}</dd>
            <dt>{locale.t("account.username")}</dt><dd>{viewer.username.clone()}</dd>
            <dt>{locale.t("account.role_label")}</dt><dd>{role_label(locale, viewer.role)}</dd>
            <Fact label=locale.t("account.speaks_for") value=page.speaks_for.clone()/>
            <Fact label=locale.t("account.records_for") value=page.records_for.clone()/>
            <Fact label=locale.t("account.reviews_for") value=page.reviews_for.clone()/>
        </dl>
        <p>{locale.t(&format!("account.role_does.{}", viewer.role.as_str()))}</p>
        <h2 id="password">{locale.t("account.change_password")}</h2>
        {error_summary(locale.t("forms.error_summary"), problems.clone())}
        <p>{locale.t("account.change_password_intro")}</p>
        <form class="stack" method="post" action="/me/password">
            <input type="text" name="username" autocomplete="username" value=viewer.username.clone() hidden=true/>
            <TextField id="current_password" label=locale.t("auth.password.current") kind="password"
                autocomplete="current-password" error=error_for(problems, "current_password")/>
            <TextField id="new_password" label=locale.t("auth.password.new") kind="password"
                autocomplete="new-password" hint=Some(password_hint(locale)) error=error_for(problems, "new_password")/>
            <TextField id="confirm_password" label=locale.t("auth.password.confirm") kind="password"
                autocomplete="new-password" error=error_for(problems, "confirm_password")/>
            <button type="submit">{locale.t("account.change_password_submit")}</button>
        </form>
    };
    document(ctx, &titled(locale, locale.t("account.title"), problems), main.into_any())
}

/// One fact of the account, shown only when the account has it.
#[component]
fn Fact(label: String, value: Option<String>) -> impl IntoView {
    value.map(|v| view! { <dt>{label}</dt><dd>{v}</dd> })
}
