//! Review bodies (`/admin/review-bodies`): the bodies whose reviewers decide appeals, each
//! independent or an authority's own office (whose reviewers may not decide on that authority's
//! records), with the reviewers who work for each. Adding one is one transaction with its audit
//! row; reviewers join a body from their account's page.

use axum::{
    extract::{rejection::QueryRejection, Query, State},
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::Utc;
use leptos::prelude::*;
use serde::Deserialize;
use uuid::Uuid;

use super::authorities::{check_body, code_taken, done_message, CodeField, DoneQuery, NameFields};
use super::{commit_audited, unprocessable, Admin, Audited, BackLink, SelectOption};
use crate::pages::kit::{
    document, format,
    forms::{error_for, titled, Problems},
    forms::{error_summary, notice},
    DataTable, PageContext, SelectField,
};
use crate::{
    auth::{access::RequireRole, throttle::ClientAddress},
    domain::AuthorityId,
    error::AppResult,
    http::{form::Form, AppState},
    i18n::Locale,
    store::{
        administration::{self, BodyReviewer, ReviewBodyListing},
        register::{self, Authority},
        StoreError,
    },
};

/// The review body form, as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ReviewBodyForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    name_zh: String,
    /// Empty: an independent body.
    #[serde(default)]
    authority_id: String,
}

/// What the review bodies page shows: every body with its authority and reviewers, what was just
/// done, and the form adding one as typed with its problems.
pub struct ReviewBodiesPage {
    pub bodies: Vec<ReviewBodyListing>,
    pub authorities: Vec<Authority>,
    pub done: Option<(&'static str, String)>,
    pub form: ReviewBodyForm,
    pub problems: Problems,
}

impl ReviewBodiesPage {
    /// Every query of the page.
    pub async fn load(state: &AppState, done: Option<(&'static str, String)>) -> AppResult<Self> {
        let mut conn = state.db.pool.acquire().await?;
        let bodies = administration::review_bodies(&mut conn).await?;
        let authorities = register::authorities(&mut conn).await?;
        Ok(Self { bodies, authorities, done, form: ReviewBodyForm::default(), problems: Problems::new() })
    }

    /// The same page after a refused post: the form as typed, and why it was refused.
    fn refused(self, form: ReviewBodyForm, problems: Problems) -> Self {
        Self { form, problems, ..self }
    }
}

/// `GET /admin/review-bodies`: every review body with its authority and reviewers, and a form
/// to add one.
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    shell: PageContext,
    query: Result<Query<DoneQuery>, QueryRejection>,
) -> AppResult<Html<String>> {
    let page = ReviewBodiesPage::load(&state, DoneQuery::read(query)).await?;
    Ok(list_view(&page, &shell))
}

/// A body's reviewers, each linking to their account.
#[component]
fn Reviewers(locale: Locale, reviewers: Vec<BodyReviewer>) -> impl IntoView {
    if reviewers.is_empty() {
        return view! { <span class="muted">{locale.t("administration.no_reviewers")}</span> }.into_any();
    }
    let items = reviewers
        .into_iter()
        .map(|r| {
            let label = if r.disabled {
                locale.t_with("administration.reviewer_disabled", &[("name", &r.display_name)])
            } else {
                r.display_name.clone()
            };
            view! { <li><a href=format!("/admin/accounts/{}", r.account)>{label}</a>" ("<code>{r.username}</code>")"</li> }
        })
        .collect_view();
    view! { <ul class="plain">{items}</ul> }.into_any()
}

/// The review bodies page, drawn from what [`ReviewBodiesPage::load`] read.
fn list_view(page: &ReviewBodiesPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let ReviewBodiesPage { bodies, authorities, done, form, problems } = page;
    let message = done_message(
        locale,
        done.clone(),
        bodies.iter().map(|b| (b.code.clone(), b.name_en.clone(), b.name_zh.clone())),
    );
    let authority_name = |id: AuthorityId| {
        authorities
            .iter()
            .find(|a| a.id == id)
            .map(|a| format::pick(locale, &a.name_en, &a.name_zh).to_string())
            .unwrap_or_else(|| id.to_string())
    };
    let rows = bodies
        .iter()
        .map(|b| {
            let belongs = match b.authority {
                Some(a) => authority_name(a),
                None => locale.t("administration.independent"),
            };
            view! {
                <tr>
                    <td><code>{b.code.clone()}</code></td>
                    <td>{format::pick(locale, &b.name_en, &b.name_zh).to_string()}</td>
                    <td>{belongs}</td>
                    <td><Reviewers locale=locale reviewers=b.reviewers.clone()/></td>
                </tr>
            }
        })
        .collect_view();
    let options = authorities
        .iter()
        .map(|a| {
            let id = a.id.to_string();
            let selected = form.authority_id == id;
            view! { <SelectOption value=id label=format::pick(locale, &a.name_en, &a.name_zh).to_string() selected=selected/> }
        })
        .collect_view();
    let title = locale.t("administration.review_bodies");
    let columns = vec![
        (locale.t("problems.field_code"), false),
        (locale.t("administration.col_name"), false),
        (locale.t("administration.col_belongs_to"), false),
        (locale.t("administration.col_reviewers"), false),
    ];
    let main = view! {
        <BackLink href="/admin" label=locale.t("administration.back")/>
        <h1>{title.clone()}</h1>
        <p>{locale.t("administration.review_bodies_intro")}</p>
        {notice(message)}
        <DataTable caption=locale.t("administration.review_bodies_caption") columns=columns>{rows}</DataTable>
        <h2 id="new-review-body">{locale.t("administration.review_body_create")}</h2>
        {error_summary(locale.t("forms.error_summary"), problems.clone())}
        <form class="stack" method="post" action="/admin/review-bodies">
            <CodeField locale=locale value=form.code.clone() error=error_for(problems, "code")/>
            <NameFields locale=locale name_en=form.name_en.clone() name_zh=form.name_zh.clone()
                problems=problems.clone()/>
            <SelectField id="authority_id" label=locale.t("administration.body_authority")
                hint=Some(locale.t("administration.body_authority_hint")) error=error_for(problems, "authority_id")>
                <option value="">{locale.t("administration.independent")}</option>{options}
            </SelectField>
            <button type="submit">{locale.t("administration.review_body_submit")}</button>
        </form>
    };
    document(ctx, &titled(locale, title, problems), main.into_any())
}

/// The authority chosen on the form: none, a known one, or a problem.
fn chosen_authority(
    locale: Locale,
    text: &str,
    authorities: &[Authority],
) -> Result<Option<AuthorityId>, (&'static str, String)> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    AuthorityId::parse(text.trim())
        .ok()
        .filter(|id| authorities.iter().any(|a| a.id == *id))
        .map(Some)
        .ok_or(("authority_id", locale.t("administration.authority_unknown")))
}

/// `POST /admin/review-bodies`: adds a review body; a code already used or an unknown authority
/// is refused beside its field.
pub async fn create(
    State(state): State<AppState>,
    RequireRole(viewer, _): Admin,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    Form(form): Form<ReviewBodyForm>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let mut problems = Problems::new();
    let body = check_body(locale, (&form.code, &form.name_en, &form.name_zh), &mut problems);
    let now = Utc::now();
    let mut tx = state.db.begin_write().await?;
    let authorities = register::authorities(&mut tx).await?;
    let authority =
        chosen_authority(locale, &form.authority_id, &authorities).map_err(|p| problems.push(p)).ok();
    let (Some((code, name_en, name_zh)), Some(authority)) = (body, authority) else {
        drop(tx);
        let page = ReviewBodiesPage::load(&state, None).await?.refused(form, problems);
        return Ok(unprocessable(list_view(&page, &shell)));
    };
    let body =
        ReviewBodyListing { id: Uuid::now_v7(), code, name_en, name_zh, authority, reviewers: Vec::new() };
    match administration::insert_review_body(&mut tx, &body).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            drop(tx);
            let problems = vec![code_taken(locale, &body.code)];
            let page = ReviewBodiesPage::load(&state, None).await?.refused(form, problems);
            return Ok(unprocessable(list_view(&page, &shell)));
        }
        Err(e) => return Err(e.into()),
    }
    let audited = Audited {
        action: "review_body.create",
        target_kind: "review_body",
        target_id: &body.id.to_string(),
        detail: serde_json::json!({
            "code": body.code,
            "name_en": body.name_en,
            "name_zh": body.name_zh,
            "authority": body.authority.map(|a| a.to_string()),
        }),
    };
    commit_audited(tx, &viewer, address, audited, now).await?;
    Ok(Redirect::to(&format!("/admin/review-bodies?done=created&code={}", body.code)).into_response())
}
