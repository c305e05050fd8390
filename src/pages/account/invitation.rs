//! The invitation page (`/invitation/{token}`), where a person an administrator created an
//! account for sets their own password. A link works once and until it expires; a used, replaced
//! or expired link says so and changes nothing.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::Utc;
use leptos::prelude::*;
use serde::Deserialize;

use crate::pages::account::me::{check_new_password, password_hint};
use crate::pages::kit::{
    document,
    format::datetime,
    forms::{error_summary, Field},
    PageContext,
};
use crate::{
    auth::{invitation, password},
    error::AppResult,
    http::{form::Form, AppState},
    store::{
        accounts::{self, Account, Invitation},
        sessions,
    },
};

/// Why a link cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unusable {
    Unknown,
    Used,
    Replaced,
    Expired,
    Disabled,
}

impl Unusable {
    fn status(self) -> StatusCode {
        match self {
            Unusable::Unknown => StatusCode::NOT_FOUND,
            _ => StatusCode::GONE,
        }
    }

    fn key(self) -> &'static str {
        match self {
            Unusable::Unknown => "invitation.unknown",
            Unusable::Used => "invitation.used",
            Unusable::Replaced => "invitation.replaced",
            Unusable::Expired => "invitation.expired",
            Unusable::Disabled => "invitation.disabled",
        }
    }
}

/// The invitation behind a token and its account, if the link can still be used.
async fn usable(state: &AppState, token: &str) -> AppResult<Result<(Invitation, Account), Unusable>> {
    let mut conn = state.db.pool.acquire().await?;
    let Some(found) = accounts::invitation(&mut conn, &invitation::digest(token)).await? else {
        return Ok(Err(Unusable::Unknown));
    };
    let Some(account) = accounts::by_id(&mut conn, found.account_id).await? else {
        return Ok(Err(Unusable::Unknown));
    };
    Ok(if found.used_at.is_some() {
        Err(Unusable::Used)
    } else if found.revoked_at.is_some() {
        Err(Unusable::Replaced)
    } else if account.is_disabled() {
        Err(Unusable::Disabled)
    } else if found.expires_at <= Utc::now() {
        Err(Unusable::Expired)
    } else {
        Ok((found, account))
    })
}

/// `GET /invitation/{token}`.
pub async fn page(
    State(state): State<AppState>,
    shell: PageContext,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let ctx = shell.clone();
    Ok(match usable(&state, &token).await? {
        Err(why) => (why.status(), render_unusable(&ctx, why)).into_response(),
        Ok((found, account)) => render_form(&ctx, &token, &found, &account, &[]).into_response(),
    })
}

/// The posted form. `Debug` leaves the passwords out.
#[derive(Default, Deserialize)]
pub struct SetPasswordForm {
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

impl std::fmt::Debug for SetPasswordForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SetPasswordForm(***)")
    }
}

/// `POST /invitation/{token}`: sets the password and uses up the link, in one transaction.
pub async fn submit(
    State(state): State<AppState>,
    shell: PageContext,
    Path(token): Path<String>,
    Form(form): Form<SetPasswordForm>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let ctx = shell.clone();
    let (found, account) = match usable(&state, &token).await? {
        Err(why) => return Ok((why.status(), render_unusable(&ctx, why)).into_response()),
        Ok(ok) => ok,
    };
    let inputs = [account.username.as_str(), account.display_name.as_str()];
    let new = match check_new_password(locale, &form.new_password, &form.confirm_password, &inputs) {
        Ok(new) => new,
        Err(problems) => {
            let page = render_form(&ctx, &token, &found, &account, &problems);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let hash = password::hash(new).await?;
    let now = Utc::now();
    let mut tx = state.db.begin_write().await?;
    // Whoever uses the link first wins; a second, concurrent use finds it used.
    if !accounts::use_invitation(&mut tx, &invitation::digest(&token), now).await? {
        drop(tx);
        return Ok((Unusable::Used.status(), render_unusable(&ctx, Unusable::Used)).into_response());
    }
    accounts::set_password(&mut tx, account.id, &hash, now).await?;
    sessions::end_sessions_of(&mut tx, account.id, None).await?;
    tx.commit().await?;
    tracing::info!(account = %account.id, "password set through an invitation");
    Ok(Redirect::to("/sign-in?welcome=1").into_response())
}

fn render_unusable(ctx: &PageContext, why: Unusable) -> Html<String> {
    let locale = ctx.locale;
    let title = locale.t("invitation.unusable_title");
    let main = view! {
        <h1>{title.clone()}</h1>
        <p>{locale.t(why.key())}</p>
        <p>{locale.t("refusal.nothing_changed")}</p>
        <p><a href="/sign-in">{locale.t("invitation.to_sign_in")}</a></p>
    };
    document(ctx, &title, main.into_any())
}

fn render_form(
    ctx: &PageContext,
    token: &str,
    found: &Invitation,
    account: &Account,
    problems: &[(&'static str, String)],
) -> Html<String> {
    let locale = ctx.locale;
    let error_for = |field: &str| problems.iter().find(|(f, _)| *f == field).map(|(_, m)| m.clone());
    let main = view! {
        <h1>{locale.t("invitation.title")}</h1>
        {error_summary(locale.t("forms.error_summary"), problems.to_vec())}
        <p>{locale.t_with("invitation.welcome", &[("name", &account.display_name)])}</p>
        <p>{locale.t_with("invitation.expires", &[("at", &datetime(locale, found.expires_at))])}</p>
        <form class="stack" method="post" action=format!("/invitation/{token}")>
            {Field::new("username", locale.t("account.username"), "text", "username")
                .value(account.username.clone()).hint(locale.t("invitation.username_hint")).readonly().view()}
            {Field::new("new_password", locale.t("auth.password.new"), "password", "new-password")
                .hint(password_hint(locale)).error(error_for("new_password")).view()}
            {Field::new("confirm_password", locale.t("auth.password.confirm"), "password", "new-password")
                .error(error_for("confirm_password")).view()}
            <button type="submit">{locale.t("invitation.submit")}</button>
        </form>
    };
    let title = if problems.is_empty() {
        locale.t("invitation.title")
    } else {
        locale.t_with("forms.error_title", &[("title", &locale.t("invitation.title"))])
    };
    document(ctx, &title, main.into_any())
}
