//! Review bodies (`/admin/review-bodies`): the bodies whose reviewers decide appeals, each
//! independent or an authority's own office (whose reviewers may not decide on that authority's
//! records), with the reviewers who work for each. Adding one is one transaction with its audit
//! row; reviewers join a body from their account's page.

use axum::{
    extract::{rejection::QueryRejection, Query, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::Utc;
use leptos::prelude::*;
use serde::Deserialize;
use uuid::Uuid;

use super::Admin;
use crate::pages::admin::authorities::{check_body, code_taken, done_message, name_fields, DoneQuery};
use crate::pages::admin::{commit_audited, Audited};
use crate::pages::kit::{
    data_table, document, format,
    forms::{error_for, titled, Problems},
    forms::{error_summary, notice, Field, Select},
    PageContext,
};
use crate::{
    auth::{access::RequireRole, throttle::ClientAddress},
    domain::AuthorityId,
    error::AppResult,
    http::{form::Form, AppState},
    i18n::Locale,
    store::{
        administration::{self, ReviewBodyListing},
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

/// `GET /admin/review-bodies`: every review body with its authority and reviewers, and a form
/// to add one.
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    shell: PageContext,
    query: Result<Query<DoneQuery>, QueryRejection>,
) -> AppResult<Html<String>> {
    let page = shell.clone();
    render(&state, &page, &ReviewBodyForm::default(), &Problems::new(), DoneQuery::read(query)).await
}

async fn render(
    state: &AppState,
    page: &PageContext,
    form: &ReviewBodyForm,
    problems: &Problems,
    done: Option<(&'static str, String)>,
) -> AppResult<Html<String>> {
    let locale = page.locale;
    let mut conn = state.db.pool.acquire().await?;
    let bodies = administration::review_bodies(&mut conn).await?;
    let authorities = register::authorities(&mut conn).await?;
    drop(conn);
    let message = done_message(
        locale,
        done,
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
            let reviewers = if b.reviewers.is_empty() {
                view! { <span class="muted">{locale.t("administration.no_reviewers")}</span> }.into_any()
            } else {
                let items = b
                    .reviewers
                    .iter()
                    .map(|r| {
                        let label = if r.disabled {
                            locale.t_with("administration.reviewer_disabled", &[("name", &r.display_name)])
                        } else {
                            r.display_name.clone()
                        };
                        view! { <li><a href=format!("/admin/accounts/{}", r.account)>{label}</a>" ("<code>{r.username.clone()}</code>")"</li> }
                    })
                    .collect_view();
                view! { <ul class="plain">{items}</ul> }.into_any()
            };
            view! {
                <tr>
                    <td><code>{b.code.clone()}</code></td>
                    <td>{format::pick(locale, &b.name_en, &b.name_zh).to_string()}</td>
                    <td>{belongs}</td>
                    <td>{reviewers}</td>
                </tr>
            }
        })
        .collect_view();
    let options = authorities
        .iter()
        .map(|a| {
            let id = a.id.to_string();
            let selected = form.authority_id == id;
            view! { <option value=id selected=selected>{format::pick(locale, &a.name_en, &a.name_zh).to_string()}</option> }
        })
        .collect_view();
    let title = locale.t("administration.review_bodies");
    let main = view! {
        <p><a href="/admin">{locale.t("administration.back")}</a></p>
        <h1>{title.clone()}</h1>
        <p>{locale.t("administration.review_bodies_intro")}</p>
        {notice(message)}
        {data_table(None, locale.t("administration.review_bodies_caption"), vec![
            (locale.t("problems.field_code"), false),
            (locale.t("administration.col_name"), false),
            (locale.t("administration.col_belongs_to"), false),
            (locale.t("administration.col_reviewers"), false),
        ], rows)}
        <h2 id="new-review-body">{locale.t("administration.review_body_create")}</h2>
        {error_summary(locale.t("forms.error_summary"), problems.clone())}
        <form class="stack" method="post" action="/admin/review-bodies">
            {Field::new("code", locale.t("problems.field_code"), "text", "off")
                .value(form.code.clone()).hint(locale.t("administration.code_hint"))
                .error(error_for(problems, "code")).view()}
            {name_fields(locale, &form.name_en, &form.name_zh, problems)}
            {Select::new(
                "authority_id",
                locale.t("administration.body_authority"),
                view! { <option value="">{locale.t("administration.independent")}</option>{options} }.into_any(),
            )
            .hint(locale.t("administration.body_authority_hint"))
            .error(error_for(problems, "authority_id"))
            .view()}
            <button type="submit">{locale.t("administration.review_body_submit")}</button>
        </form>
    };
    Ok(document(page, &titled(locale, title, problems), main.into_any()))
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
    let page = shell.clone();
    let mut problems = Problems::new();
    let body = check_body(locale, (&form.code, &form.name_en, &form.name_zh), &mut problems);
    let now = Utc::now();
    let mut tx = state.db.begin_write().await?;
    let authorities = register::authorities(&mut tx).await?;
    let authority =
        chosen_authority(locale, &form.authority_id, &authorities).map_err(|p| problems.push(p)).ok();
    let (Some((code, name_en, name_zh)), Some(authority)) = (body, authority) else {
        drop(tx);
        let html = render(&state, &page, &form, &problems, None).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
    };
    let body =
        ReviewBodyListing { id: Uuid::now_v7(), code, name_en, name_zh, authority, reviewers: Vec::new() };
    match administration::insert_review_body(&mut tx, &body).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            drop(tx);
            let html = render(&state, &page, &form, &vec![code_taken(locale, &body.code)], None).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
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
