//! The subject's proofs of status: each proof with its code, its link, its validity, whether it
//! is revoked and every time it was opened; the form that makes one (only a statement true now
//! is signed) and a button to revoke each.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::Utc;
use leptos::prelude::*;
use serde::Deserialize;

use crate::{
    auth::{access::SignedIn, throttle::ClientAddress},
    domain::{proof::MAX_DAYS, ProofId, Restriction, SubjectId},
    error::{AppError, AppResult},
    http::{query::Query, AppState},
    i18n::Locale,
    pages::{
        kit::{
            appeal::actor,
            document, format,
            forms::{error_for, error_summary, notice, titled, Problems},
            proof::{statement, StandingBadge},
            Choice, ChoiceGroup, DataTable, PageContext, SelectField, TextField,
        },
        subject::own_subject,
    },
    store::{
        catalogue,
        proofs::{self, Proof, Refusal, Standing, Verification},
        register,
        standing::Reads,
        status::{Question, QuestionError},
    },
};

/// One proof as the list shows it.
pub struct ProofRow {
    pub proof: Proof,
    /// The statement in the reader's language.
    pub statement: String,
    pub standing: Standing,
    /// Newest first.
    pub verifications: Vec<Verification>,
}

/// One grade a subject may claim: (`scheme_code:grade`, its label).
pub type GradeOption = (String, String);

/// What the page shows.
pub struct ProofsPage {
    pub proofs: Vec<ProofRow>,
    /// For the form: every grade of every scheme the subject is in, best first.
    pub grades: Vec<GradeOption>,
    /// What was sent, shown back after a refusal.
    pub form: MakeForm,
    pub problems: Problems,
    pub done: Option<String>,
}

impl ProofsPage {
    /// Every query of the page.
    pub async fn load(state: &AppState, locale: Locale, subject: SubjectId) -> AppResult<Self> {
        let mut conn = state.db.pool.acquire().await?;
        let now = Utc::now();
        let mut rows = Vec::new();
        let reads = Reads::cached(&state.cache).await?;
        for (proof, verifications) in proofs::of_subject(&mut conn, subject).await? {
            let standing = proofs::standing_of(&mut conn, reads, &proof, now).await?;
            let statement = statement(&mut conn, locale, &proof.question).await?;
            rows.push(ProofRow { proof, statement, standing, verifications });
        }
        let mut grades = Vec::new();
        for scheme in register::memberships(&mut conn, subject).await? {
            let Some(record) = catalogue::scheme(&mut conn, scheme).await? else { continue };
            let name = format::pick(locale, &record.name_en, &record.name_zh).to_string();
            for band in record.scheme.bands().bands() {
                grades.push((
                    format!("{}:{}", record.scheme.code(), band.grade),
                    locale.t_with(
                        "proofs.statement_grade",
                        &[("grade", format::grade(locale, &record, band.grade.as_str())), ("scheme", &name)],
                    ),
                ));
            }
        }
        Ok(Self { proofs: rows, grades, form: MakeForm::default(), problems: Vec::new(), done: None })
    }

    fn refused(self, ctx: &PageContext, status: StatusCode) -> Response {
        (status, view(&self, ctx)).into_response()
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `GET /record/proofs`: the subject's proofs and the form to make one.
pub async fn page(
    State(state): State<AppState>,
    shell: PageContext,
    SignedIn(viewer): SignedIn,
    Query(query): Query<DoneQuery>,
) -> AppResult<Html<String>> {
    let subject = own_subject(&viewer)?;
    let locale = shell.locale;
    let mut page = ProofsPage::load(&state, locale, subject).await?;
    page.done = query
        .done
        .filter(|d| ["made", "revoked"].contains(&d.as_str()))
        .map(|d| locale.t(&format!("proofs.done_{d}")));
    Ok(view(&page, &shell))
}

/// The form that makes a proof, as sent.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct MakeForm {
    #[serde(default)]
    pub statement: String,
    #[serde(default)]
    pub restriction: String,
    /// `scheme_code:grade`.
    #[serde(default)]
    pub grade: String,
    #[serde(default)]
    pub days: String,
}

/// `POST /record/proofs`: makes and signs a proof, or says which field is wrong and writes nothing.
pub async fn make(
    State(state): State<AppState>,
    shell: PageContext,
    SignedIn(viewer): SignedIn,
    address: ClientAddress,
    crate::http::form::Form(form): crate::http::form::Form<MakeForm>,
) -> AppResult<Response> {
    let subject = own_subject(&viewer)?;
    let locale = shell.locale;
    let ctx = shell.at("/record/proofs");
    let days = form.days.trim().parse::<i64>().ok();
    let refuse = |refusal: Refusal, form: MakeForm| {
        let state = state.clone();
        let ctx = ctx.clone();
        async move {
            let mut page = ProofsPage::load(&state, locale, subject).await?;
            page.problems = vec![(refusal.field(), refusal_text(locale, &refusal))];
            page.form = form;
            Ok::<_, AppError>(page.refused(&ctx, StatusCode::UNPROCESSABLE_ENTITY))
        }
    };
    let (scheme, grade) = form.grade.split_once(':').map_or((None, None), |(s, g)| (Some(s), Some(g)));
    let question = {
        let mut conn = state.db.pool.acquire().await?;
        Question::resolve(&mut conn, &form.statement, Some(&form.restriction), scheme, grade).await?
    };
    let question = match question {
        Ok(q) => q,
        Err(e) => return refuse(Refusal::Question(e), form).await,
    };
    let Some(days) = days else { return refuse(Refusal::Days, form).await };
    let mut tx = state.db.begin_write().await?;
    let actor = actor(&viewer, &address);
    match proofs::make(&mut tx, &actor, &state.signing_key, subject, &question, days, Utc::now()).await? {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to("/record/proofs?done=made").into_response())
        }
        Err(refusal) => {
            drop(tx);
            refuse(refusal, form).await
        }
    }
}

/// `POST /record/proofs/{id}/revoke`: revokes one of the subject's proofs; anyone else's, or one
/// that does not exist, is 404.
pub async fn revoke(
    State(state): State<AppState>,
    SignedIn(viewer): SignedIn,
    address: ClientAddress,
    Path(id): Path<String>,
) -> AppResult<Redirect> {
    let subject = own_subject(&viewer)?;
    let id = ProofId::parse(&id).map_err(|_| AppError::NotFound)?;
    let mut tx = state.db.begin_write().await?;
    if !proofs::revoke(&mut tx, &actor(&viewer, &address), subject, id, Utc::now()).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(Redirect::to("/record/proofs?done=revoked"))
}

/// What a refusal says, in the person's language.
fn refusal_text(locale: Locale, refusal: &Refusal) -> String {
    match refusal {
        Refusal::Days => locale.t_with("proofs.days_invalid", &[("max", &MAX_DAYS.to_string())]),
        Refusal::NotTrue => locale.t("proofs.not_true"),
        Refusal::Question(e) => match e {
            QuestionError::UnknownQuestion(_) => locale.t("proofs.statement_missing"),
            QuestionError::Missing { field: "restriction" } | QuestionError::UnknownRestriction(_) => {
                locale.t("proofs.restriction_missing")
            }
            QuestionError::NotAMember(_) => locale.t("proofs.not_a_member"),
            _ => locale.t("proofs.grade_missing"),
        },
    }
}

/// The page, drawn from what [`ProofsPage::load`] read.
fn view(page: &ProofsPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let title = locale.t("proofs.title");
    let rows = page.proofs.iter().map(|row| proof_row(locale, row)).collect_view();
    let list = if page.proofs.is_empty() {
        view! { <p>{locale.t("proofs.none")}</p> }.into_any()
    } else {
        view! { <div class="stack">{rows}</div> }.into_any()
    };
    let main = view! {
        <p><a href="/record">{locale.t("record.title")}</a></p>
        <h1>{title.clone()}</h1>
        {notice(page.done.clone())}
        <p class="lead">{locale.t("proofs.intro")}</p>
        <h2>{locale.t("proofs.yours")}</h2>
        {list}
        <h2 id="make">{locale.t("proofs.make_title")}</h2>
        {make_form(locale, page)}
    };
    document(ctx, &titled(locale, title, &page.problems), main.into_any())
}

fn proof_row(locale: Locale, row: &ProofRow) -> impl IntoView {
    let p = &row.proof;
    let link = format!("/verify/{}", p.code.grouped());
    let verifications = if row.verifications.is_empty() {
        view! { <p>{locale.t("proofs.never_verified")}</p> }.into_any()
    } else {
        let lines = row
            .verifications
            .iter()
            .map(|v| {
                let held = if v.held { locale.t("proofs.held_yes") } else { locale.t("proofs.held_no") };
                view! { <tr><td>{format::datetime(locale, v.at)}</td><td>{held}</td></tr> }
            })
            .collect_view();
        view! {
            <DataTable caption=locale.t("proofs.verifications_caption")
                columns=vec![(locale.t("proofs.col_verified_at"), false), (locale.t("proofs.col_held"), false)]>
                {lines}
            </DataTable>
        }
        .into_any()
    };
    let revocable = p.revoked_at.is_none();
    view! {
        <section class="card" aria-label=p.code.grouped()>
            <h3>{row.statement.clone()}" "<StandingBadge locale standing=row.standing/></h3>
            <dl class="facts">
                <dt>{locale.t("proofs.code")}</dt><dd><code class="proof-code">{p.code.grouped()}</code></dd>
                <dt>{locale.t("proofs.link")}</dt><dd><a href=link.clone()>{link.clone()}</a></dd>
                <dt>{locale.t("proofs.as_of")}</dt><dd>{format::datetime(locale, p.as_of)}</dd>
                <dt>{locale.t("proofs.valid_until")}</dt><dd>{format::datetime(locale, p.valid_until)}</dd>
                {p.revoked_at.map(|at| view! {
                    <dt>{locale.t("proofs.revoked_at")}</dt><dd>{format::datetime(locale, at)}</dd>
                })}
            </dl>
            {verifications}
            {revocable.then(|| view! {
                <form method="post" action=format!("/record/proofs/{}/revoke", p.id) class="inline">
                    <button type="submit" class="secondary">
                        {locale.t_with("proofs.revoke", &[("code", &p.code.grouped())])}
                    </button>
                </form>
            })}
        </section>
    }
}

fn make_form(locale: Locale, page: &ProofsPage) -> impl IntoView {
    let form = &page.form;
    let problems = &page.problems;
    let (blacklist, restricted, grade) = (
        form.statement == "on_any_blacklist",
        form.statement == "restricted",
        form.statement == "grade_at_least",
    );
    let problems = problems.clone();
    let restrictions = Restriction::ALL
        .into_iter()
        .map(|r| {
            let selected = form.restriction == r.code();
            view! { <option value=r.code() selected=selected>{format::restriction(locale, r)}</option> }
        })
        .collect_view();
    let grades = page
        .grades
        .iter()
        .map(|(value, label)| {
            let selected = form.grade == *value;
            view! { <option value=value.clone() selected=selected>{label.clone()}</option> }
        })
        .collect_view();
    let days_value = if form.days.is_empty() { "7".to_string() } else { form.days.clone() };
    view! {
        {error_summary(locale.t("proofs.problems"), problems.clone())}
        <form method="post" action="/record/proofs" class="stack">
            <ChoiceGroup id="statement" legend=locale.t("proofs.statement_legend") error=error_for(&problems, "statement")>
                <Choice id="statement-on_any_blacklist" name="statement" value="on_any_blacklist"
                    checked=blacklist label=locale.t("proofs.statement_on_any_blacklist")/>
                <Choice id="statement-restricted" name="statement" value="restricted"
                    checked=restricted label=locale.t("proofs.choose_restricted")/>
                <Choice id="statement-grade_at_least" name="statement" value="grade_at_least"
                    checked=grade label=locale.t("proofs.choose_grade")/>
            </ChoiceGroup>
            <SelectField id="restriction" label=locale.t("proofs.restriction_label")
                hint=Some(locale.t("proofs.restriction_hint")) error=error_for(&problems, "restriction")>
                {restrictions}
            </SelectField>
            <SelectField id="grade" label=locale.t("proofs.grade_label")
                hint=Some(locale.t("proofs.grade_hint")) error=error_for(&problems, "grade")>
                {grades}
            </SelectField>
            <TextField id="days" label=locale.t("proofs.days_label") inputmode="numeric" value=days_value
                hint=Some(locale.t_with("proofs.days_hint", &[("max", &MAX_DAYS.to_string())]))
                error=error_for(&problems, "days")/>
            <button type="submit">{locale.t("proofs.make_submit")}</button>
        </form>
    }
}
