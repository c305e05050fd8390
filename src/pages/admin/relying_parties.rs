//! Relying parties for administrators (`/admin/relying-parties`): register one with its declared
//! purpose, legal basis and the questions it may ask; give it tokens (shown once) and revoke
//! them; see how many checks it made and which corrections it has left unacknowledged past three
//! working days.

use std::collections::BTreeMap;

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use uuid::Uuid;

use super::{unprocessable, Admin};
use crate::pages::kit::{
    document,
    format::datetime,
    forms::{error_for, error_summary, Problems},
    problems::describe,
    Choice, ChoiceGroup, DataTable, PageContext, TextAreaField, TextField,
};
use crate::{
    auth::{access::RequireRole, throttle::ClientAddress},
    error::{AppError, AppResult},
    http::{form::Form, AppState},
    i18n::Locale,
    store::{
        audit::{self, Actor},
        checks::{self, PartyCounts},
        relying_parties::{self, NewParty, PartyError, PartyToken, RelyingParty},
        status::QuestionKind,
    },
};

/// The questions an administrator may allow, in form order.
const OFFERED: [QuestionKind; 3] = QuestionKind::ALL;

fn question_name(locale: Locale, kind: QuestionKind) -> String {
    locale.t(&format!("parties.question_{}", kind.code()))
}

/// Every query of the list page.
pub struct PartiesPage {
    pub parties: Vec<RelyingParty>,
    pub counts: BTreeMap<Uuid, PartyCounts>,
    pub form: NewParty,
    pub problems: Problems,
}

impl PartiesPage {
    pub async fn load(state: &AppState, now: DateTime<Utc>) -> AppResult<Self> {
        let mut conn = state.db.pool.acquire().await?;
        let parties = relying_parties::list(&mut conn).await?;
        let counts = checks::counts_by_party(&mut conn, now).await?;
        Ok(Self { parties, counts, form: NewParty::default(), problems: Problems::new() })
    }
}

/// `GET /admin/relying-parties`.
pub async fn list(State(state): State<AppState>, _admin: Admin, ctx: PageContext) -> AppResult<Html<String>> {
    let page = PartiesPage::load(&state, Utc::now()).await?;
    Ok(list_view(&page, &ctx))
}

/// The create form's fields as pairs, so the question boxes can repeat.
fn new_party(pairs: Vec<(String, String)>) -> NewParty {
    let mut form = NewParty::default();
    for (key, value) in pairs {
        match key.as_str() {
            "name" => form.name = value,
            "purpose" => form.purpose = value,
            "legal_basis" => form.legal_basis = value,
            "questions" => form.questions.push(value),
            _ => {}
        }
    }
    form
}

/// `POST /admin/relying-parties`: registers the party, then shows it.
pub async fn create(
    State(state): State<AppState>,
    RequireRole(admin, _): Admin,
    ctx: PageContext,
    ClientAddress(address): ClientAddress,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = new_party(pairs);
    let now = Utc::now();
    let mut tx = state.db.begin_write().await?;
    let refused = |problems: Problems| async {
        let page = PartiesPage { form: form.clone(), problems, ..PartiesPage::load(&state, now).await? };
        Ok::<_, AppError>(unprocessable(list_view(&page, &ctx)))
    };
    let party = match relying_parties::create(&mut tx, &form, Some(&admin.account_id.to_string()), now).await
    {
        Ok(party) => party,
        Err(PartyError::Invalid(errors)) => {
            drop(tx);
            return refused(errors.iter().map(|e| describe(ctx.locale, e)).collect()).await;
        }
        Err(PartyError::NameTaken(name)) => {
            drop(tx);
            return refused(vec![("name", ctx.locale.t_with("parties.name_taken", &[("name", &name)]))])
                .await;
        }
        Err(PartyError::Store(e)) => return Err(e.into()),
    };
    let actor = Actor::person(admin.account_id, &admin.username, address);
    let codes: Vec<&str> = party.questions.iter().map(|q| q.code()).collect();
    let detail = serde_json::json!({ "questions": codes });
    audit::write(
        &mut tx,
        &actor,
        "relying_party.create",
        "relying_party",
        &party.id.to_string(),
        detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/relying-parties/{}", party.id)).into_response())
}

fn list_view(page: &PartiesPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let title = locale.t("parties.title");
    let table = if page.parties.is_empty() {
        view! { <p>{locale.t("parties.none")}</p> }.into_any()
    } else {
        let rows = page
            .parties
            .iter()
            .map(|p| {
                let counts = page.counts.get(&p.id).cloned().unwrap_or_default();
                let questions: Vec<String> = p.questions.iter().map(|q| question_name(locale, *q)).collect();
                let overdue = (counts.overdue > 0).then(|| {
                    view! { <strong class="badge warn">{locale.t_with("parties.overdue", &[("count", &counts.overdue.to_string())])}</strong> }
                });
                view! {
                    <tr>
                        <td><a href=format!("/admin/relying-parties/{}", p.id)>{p.name.clone()}</a></td>
                        <td>{p.purpose.clone()}</td>
                        <td>{p.legal_basis.clone()}</td>
                        <td>{questions.join(", ")}</td>
                        <td class="num">{counts.checks}</td>
                        <td class="num">{counts.corrections}" "{overdue}</td>
                    </tr>
                }
            })
            .collect_view();
        let columns = ["name", "purpose", "legal_basis", "questions", "checks", "corrections"]
            .into_iter()
            .map(|c| (locale.t(&format!("parties.col_{c}")), matches!(c, "checks" | "corrections")))
            .collect();
        view! { <DataTable caption=locale.t("parties.caption") caption_id="parties-caption" columns=columns>{rows}</DataTable> }
            .into_any()
    };
    let total_overdue: i64 = page.counts.values().map(|c| c.overdue).sum();
    let flag = (total_overdue > 0)
        .then(|| view! { <p class="notice">{locale.t_with("parties.overdue_flag", &[("count", &total_overdue.to_string())])}</p> });
    let form = &page.form;
    let problems = &page.problems;
    let boxes = OFFERED
        .into_iter()
        .map(|kind| {
            let checked = form.questions.iter().any(|q| q == kind.code());
            view! {
                <Choice kind="checkbox" id=format!("question-{}", kind.code()) name="questions" value=kind.code()
                    checked=checked label=question_name(locale, kind)/>
            }
        })
        .collect_view();
    let main = view! {
        <p><a href="/admin">{locale.t("administration.back")}</a></p>
        <h1>{title.clone()}</h1>
        <p>{locale.t("parties.intro")}</p>
        {flag}
        {error_summary(locale.t("parties.problems_title"), problems.clone())}
        {table}
        <h2>{locale.t("parties.create_heading")}</h2>
        <form method="post" action="/admin/relying-parties" novalidate>
            <TextField id="name" label=locale.t("problems.field_name") value=form.name.clone()
                error=error_for(problems, "name")/>
            <TextAreaField id="purpose" label=locale.t("problems.field_purpose") rows=3 value=form.purpose.clone()
                hint=Some(locale.t("parties.purpose_hint")) error=error_for(problems, "purpose")/>
            <TextAreaField id="legal_basis" label=locale.t("problems.field_legal_basis") rows=3
                value=form.legal_basis.clone() error=error_for(problems, "legal_basis")/>
            <ChoiceGroup id="questions" legend=locale.t("problems.field_questions") error=error_for(problems, "questions")>
                {boxes}
            </ChoiceGroup>
            <button type="submit">{locale.t("parties.create")}</button>
        </form>
    };
    document(ctx, &title, main.into_any())
}

/// One party's page: its declaration, its tokens, its corrections past due.
pub struct PartyPage {
    pub party: RelyingParty,
    pub tokens: Vec<PartyToken>,
    pub overdue: Vec<checks::Correction>,
    pub label: String,
    pub problems: Problems,
}

impl PartyPage {
    pub async fn load(state: &AppState, id: &str, now: DateTime<Utc>) -> AppResult<Self> {
        let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
        let mut conn = state.db.pool.acquire().await?;
        let party = relying_parties::by_id(&mut conn, id).await?.ok_or(AppError::NotFound)?;
        let tokens = relying_parties::tokens_of(&mut conn, id).await?;
        let overdue = checks::overdue_of(&mut conn, id, now).await?;
        Ok(Self { party, tokens, overdue, label: String::new(), problems: Problems::new() })
    }
}

/// `GET /admin/relying-parties/{id}`.
pub async fn show(
    State(state): State<AppState>,
    _admin: Admin,
    ctx: PageContext,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    let page = PartyPage::load(&state, &id, Utc::now()).await?;
    Ok(party_view(&page, &ctx))
}

/// The token form.
#[derive(Debug, Default, serde::Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    label: String,
}

/// `POST /admin/relying-parties/{id}/tokens`: makes a token and shows its secret, once.
pub async fn create_token(
    State(state): State<AppState>,
    RequireRole(admin, _): Admin,
    ctx: PageContext,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
    Form(form): Form<TokenForm>,
) -> AppResult<Response> {
    let now = Utc::now();
    let page = PartyPage::load(&state, &id, now).await?;
    let mut tx = state.db.begin_write().await?;
    let (token, secret) = match relying_parties::create_token(
        &mut tx,
        page.party.id,
        &form.label,
        Some(&admin.account_id.to_string()),
        now,
    )
    .await
    {
        Ok(made) => made,
        Err(crate::store::StoreError::Domain(e)) => {
            drop(tx);
            let page = PartyPage { label: form.label, problems: vec![describe(ctx.locale, &e)], ..page };
            return Ok(unprocessable(party_view(&page, &ctx)));
        }
        Err(e) => return Err(e.into()),
    };
    let actor = Actor::person(admin.account_id, &admin.username, address);
    let detail = serde_json::json!({ "party": page.party.id.to_string(), "prefix": token.prefix });
    audit::write(
        &mut tx,
        &actor,
        "relying_party.token_create",
        "relying_party_token",
        &token.id.to_string(),
        detail,
        now,
    )
    .await?;
    tx.commit().await?;
    let locale = ctx.locale;
    let title = locale.t("tokens.created_title");
    let main = view! {
        <h1>{title.clone()}</h1>
        <p>{locale.t_with("parties.token_created_for", &[("label", &token.label), ("party", &page.party.name)])}</p>
        <p class="secret"><code>{secret.expose().to_string()}</code></p>
        <p class="muted">{locale.t("tokens.shown_once")}</p>
        <p>{locale.t("parties.how_to_use")}</p>
        <p><a href=format!("/admin/relying-parties/{}", page.party.id)>{locale.t("parties.back_to_party")}</a></p>
    };
    Ok((StatusCode::CREATED, document(&ctx, &title, main.into_any())).into_response())
}

/// `POST /admin/relying-parties/{id}/tokens/{token}/revoke`.
pub async fn revoke_token(
    State(state): State<AppState>,
    RequireRole(admin, _): Admin,
    ClientAddress(address): ClientAddress,
    Path((id, token)): Path<(String, String)>,
) -> AppResult<Response> {
    let party = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let token = Uuid::parse_str(&token).map_err(|_| AppError::NotFound)?;
    let now = Utc::now();
    let mut tx = state.db.begin_write().await?;
    let owned = relying_parties::tokens_of(&mut tx, party).await?.into_iter().any(|t| t.id == token);
    if !owned {
        return Err(AppError::NotFound);
    }
    if relying_parties::revoke_token(&mut tx, party, token, now).await? {
        let actor = Actor::person(admin.account_id, &admin.username, address);
        let detail = serde_json::json!({ "party": party.to_string() });
        audit::write(
            &mut tx,
            &actor,
            "relying_party.token_revoke",
            "relying_party_token",
            &token.to_string(),
            detail,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/relying-parties/{party}")).into_response())
}

fn party_view(page: &PartyPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let party = &page.party;
    let questions: Vec<String> = party.questions.iter().map(|q| question_name(locale, *q)).collect();
    let tokens = if page.tokens.is_empty() {
        view! { <p>{locale.t("tokens.none")}</p> }.into_any()
    } else {
        let rows = page
            .tokens
            .iter()
            .map(|t| {
                let last_used = t.last_used_at.map(|at| datetime(locale, at)).unwrap_or_else(|| locale.t("tokens.never_used"));
                let status = match t.revoked_at {
                    Some(at) => locale.t_with("tokens.revoked_at", &[("at", &datetime(locale, at))]),
                    None => locale.t("tokens.active"),
                };
                let action = (!t.is_revoked()).then(|| {
                    let label = locale.t_with("tokens.revoke_label", &[("label", &t.label)]);
                    view! {
                        <form method="post" action=format!("/admin/relying-parties/{}/tokens/{}/revoke", party.id, t.id) class="inline">
                            <button type="submit" aria-label=label>{locale.t("tokens.revoke")}</button>
                        </form>
                    }
                });
                view! {
                    <tr>
                        <td>{t.label.clone()}</td>
                        <td><code>{format!("{}…", t.prefix)}</code></td>
                        <td>{datetime(locale, t.created_at)}</td>
                        <td>{last_used}</td>
                        <td>{status}</td>
                        <td>{action}</td>
                    </tr>
                }
            })
            .collect_view();
        let columns = ["label", "prefix", "created", "last_used", "status", "action"]
            .into_iter()
            .map(|c| (locale.t(&format!("tokens.column.{c}")), false))
            .collect();
        view! { <DataTable caption=locale.t("parties.tokens_caption") caption_id="tokens-caption" columns=columns>{rows}</DataTable> }
            .into_any()
    };
    let overdue = if page.overdue.is_empty() {
        view! { <p>{locale.t("parties.no_overdue")}</p> }.into_any()
    } else {
        let rows = page
            .overdue
            .iter()
            .map(|c| {
                view! {
                    <tr>
                        <td><code>{c.id.to_string()}</code></td>
                        <td>{datetime(locale, c.created_at)}</td>
                        <td>{datetime(locale, c.due())}</td>
                        <td>{question_name(locale, c.question)}</td>
                    </tr>
                }
            })
            .collect_view();
        let columns = ["correction", "sent", "due", "question"]
            .into_iter()
            .map(|c| (locale.t(&format!("parties.col_{c}")), false))
            .collect();
        view! {
            <p class="notice">{locale.t_with("parties.overdue_flag", &[("count", &page.overdue.len().to_string())])}</p>
            <DataTable caption=locale.t("parties.overdue_caption") caption_id="overdue-caption" columns=columns>{rows}</DataTable>
        }
        .into_any()
    };
    let title = party.name.clone();
    let main = view! {
        <p><a href="/admin/relying-parties">{locale.t("parties.back")}</a></p>
        <h1>{title.clone()}</h1>
        <dl>
            <dt>{locale.t("problems.field_purpose")}</dt><dd>{party.purpose.clone()}</dd>
            <dt>{locale.t("problems.field_legal_basis")}</dt><dd>{party.legal_basis.clone()}</dd>
            <dt>{locale.t("problems.field_questions")}</dt><dd>{questions.join(", ")}</dd>
            <dt>{locale.t("parties.registered")}</dt><dd>{datetime(locale, party.created_at)}</dd>
        </dl>
        <h2>{locale.t("parties.overdue_heading")}</h2>
        {overdue}
        <h2>{locale.t("parties.tokens_heading")}</h2>
        {error_summary(locale.t("parties.problems_title"), page.problems.clone())}
        {tokens}
        <form method="post" action=format!("/admin/relying-parties/{}/tokens", party.id) novalidate>
            <TextField id="label" label=locale.t("tokens.label") value=page.label.clone()
                hint=Some(locale.t("tokens.label_hint")) error=error_for(&page.problems, "label")/>
            <button type="submit">{locale.t("tokens.create")}</button>
        </form>
    };
    document(ctx, &title, main.into_any())
}
