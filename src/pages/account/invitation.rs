//! The invitation page (`/invitation/{token}`), where a person an administrator created an
//! account for sets their own password. A link works once and until it expires; a used, replaced
//! or expired link says so and changes nothing.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::Deserialize;

use crate::pages::account::me::{check_new_password, password_hint};
use crate::pages::kit::{
    document,
    format::datetime,
    forms::{error_for, error_summary, titled, Problems},
    PageContext, TextField,
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

/// What the set-password form shows: the invitation and its account, and the problems of a
/// failed post.
pub struct InvitationPage {
    token: String,
    pub invitation: Invitation,
    pub account: Account,
    pub problems: Problems,
}

impl InvitationPage {
    /// Every query of the page: the invitation behind a token and its account, if the link can
    /// still be used at `now`, else why not.
    async fn load(state: &AppState, token: &str, now: DateTime<Utc>) -> AppResult<Result<Self, Unusable>> {
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
        } else if found.expires_at <= now {
            Err(Unusable::Expired)
        } else {
            Ok(Self { token: token.to_string(), invitation: found, account, problems: Vec::new() })
        })
    }
}

/// `GET /invitation/{token}`.
pub async fn page(
    State(state): State<AppState>,
    shell: PageContext,
    Path(token): Path<String>,
) -> AppResult<Response> {
    Ok(match InvitationPage::load(&state, &token, Utc::now()).await? {
        Err(why) => unusable_response(&shell, why),
        Ok(page) => form_view(&page, &shell).into_response(),
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
    let mut page = match InvitationPage::load(&state, &token, Utc::now()).await? {
        Err(why) => return Ok(unusable_response(&shell, why)),
        Ok(page) => page,
    };
    let account = &page.account;
    let inputs = [account.username.as_str(), account.display_name.as_str()];
    let new = match check_new_password(locale, &form.new_password, &form.confirm_password, &inputs) {
        Ok(new) => new,
        Err(problems) => {
            page.problems = problems;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, form_view(&page, &shell)).into_response());
        }
    };
    let hash = password::hash(new).await?;
    let now = Utc::now();
    let mut tx = state.db.begin_write().await?;
    // Whoever uses the link first wins; a second, concurrent use finds it used.
    if !accounts::use_invitation(&mut tx, &invitation::digest(&token), now).await? {
        drop(tx);
        return Ok(unusable_response(&shell, Unusable::Used));
    }
    accounts::set_password(&mut tx, account.id, &hash, now).await?;
    sessions::end_sessions_of(&mut tx, account.id, None).await?;
    tx.commit().await?;
    tracing::info!(account = %account.id, "password set through an invitation");
    Ok(Redirect::to("/sign-in?welcome=1").into_response())
}

/// Why a link cannot be used, with its status; nothing was changed.
fn unusable_response(ctx: &PageContext, why: Unusable) -> Response {
    (why.status(), unusable_view(ctx, why)).into_response()
}

fn unusable_view(ctx: &PageContext, why: Unusable) -> Html<String> {
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

/// The set-password form, drawn from what [`InvitationPage::load`] read.
fn form_view(page: &InvitationPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let InvitationPage { token, invitation, account, problems } = page;
    let main = view! {
        <h1>{locale.t("invitation.title")}</h1>
        {error_summary(locale.t("forms.error_summary"), problems.clone())}
        <p>{locale.t_with("invitation.welcome", &[("name", &account.display_name)])}</p>
        <p>{locale.t_with("invitation.expires", &[("at", &datetime(locale, invitation.expires_at))])}</p>
        <form class="stack" method="post" action=format!("/invitation/{token}")>
            <TextField id="username" label=locale.t("account.username") autocomplete="username"
                value=account.username.clone() hint=Some(locale.t("invitation.username_hint")) readonly=true/>
            <TextField id="new_password" label=locale.t("auth.password.new") kind="password"
                autocomplete="new-password" hint=Some(password_hint(locale)) error=error_for(problems, "new_password")/>
            <TextField id="confirm_password" label=locale.t("auth.password.confirm") kind="password"
                autocomplete="new-password" error=error_for(problems, "confirm_password")/>
            <button type="submit">{locale.t("invitation.submit")}</button>
        </form>
    };
    document(ctx, &titled(locale, locale.t("invitation.title"), problems), main.into_any())
}
