//! Challenges to rules: appeals that contest a rule itself are routed to administrators, who keep
//! the rule with reasons or repeal it from the rule catalogue's administration.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    Form,
};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::Deserialize;

use super::Admin;
use crate::{
    auth::{access::RequireRole, throttle::ClientAddress},
    domain::{
        appeal::{Grounds, Reasons, Status, REASONS_MIN},
        RuleCode,
    },
    error::{AppError, AppResult},
    http::{query::Query, AppState},
    i18n::Locale,
    pages::kit::{
        appeal::{
            describe, failure_message, mark_seen, parse_id, refusal_text, Audience as StaffAudience,
            DeciderNotices, EvidenceList, Lapsed, SeenForm, StatusBadge,
        },
        document, format,
        forms::{error_for, error_summary, Problems},
        queue::{NextPage, QueueFilters, QueueQuery},
        Choice, ChoiceGroup, DataTable, PageContext, TextAreaField,
    },
    store::{
        appeals::{self, Appeal, Target},
        catalogue::{self, SchemeRecord},
        deadlines::{self, Lapse},
        repeal,
        review_notices::{self, Audience, ReviewNotice},
        rule_challenges::{self, ChallengeDecision, Verdict},
    },
};

/// Challenges per page of the queue.
const PAGE: i64 = 25;

/// At most this many deadline notices are shown above the queue.
const NOTICES: i64 = 20;

/// What the page shows: one page of the challenges to rules the filters keep (open ones by
/// default), soonest due first, and the link to the next page.
pub struct RuleChallengesPage {
    /// Every scheme, to filter by.
    pub schemes: Vec<SchemeRecord>,
    pub query: QueueQuery,
    /// Filter values that name nothing: then nothing is listed.
    pub problems: Problems,
    pub challenges: Vec<Appeal>,
    pub next: Option<String>,
    /// Deadline lapses no administrator has marked seen.
    pub notices: Vec<ReviewNotice>,
}

impl RuleChallengesPage {
    /// Every query of the page.
    pub async fn load(
        state: &AppState,
        locale: Locale,
        query: QueueQuery,
        now: DateTime<Utc>,
    ) -> AppResult<Self> {
        let mut conn = state.db.pool.acquire().await?;
        let schemes = catalogue::schemes(&mut conn).await?;
        let notices = review_notices::unseen(&mut conn, Audience::Administrators, NOTICES).await?;
        let problems = query.problems(locale, &schemes, &Grounds::FOR_RULES);
        if !problems.is_empty() {
            return Ok(Self { schemes, query, problems, challenges: Vec::new(), next: None, notices });
        }
        let filter = query.filter(&schemes, true, None);
        let (challenges, more) = appeals::queue(&mut conn, &filter, now, PAGE).await?;
        let next = more.then(|| challenges.last().map(|a| query.next("/admin/appeals", a))).flatten();
        Ok(Self { schemes, query, problems, challenges, next, notices })
    }
}

/// `GET /admin/appeals`: the queue of challenges to rules, routed to administrators, who keep
/// the rule or repeal it from each challenge's page.
pub async fn rule_challenges(
    State(state): State<AppState>,
    _admin: Admin,
    shell: PageContext,
    Query(query): Query<QueueQuery>,
) -> AppResult<Response> {
    let now = Utc::now();
    let page = RuleChallengesPage::load(&state, shell.locale, query, now).await?;
    let status = if page.problems.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    Ok((status, challenges_view(&page, &shell, now)).into_response())
}

/// `POST /admin/appeals/notices/seen`: an administrator marks a deadline notice seen.
pub async fn notice_seen(
    State(state): State<AppState>,
    RequireRole(viewer, _): Admin,
    shell: PageContext,
    address: ClientAddress,
    crate::http::form::Form(form): crate::http::form::Form<SeenForm>,
) -> AppResult<Response> {
    let problems =
        mark_seen(&state, &viewer, &address, Audience::Administrators, &form, shell.locale).await?;
    if problems.is_empty() {
        return Ok(Redirect::to("/admin/appeals").into_response());
    }
    let now = Utc::now();
    let mut page = RuleChallengesPage::load(&state, shell.locale, QueueQuery::default(), now).await?;
    page.problems = problems;
    let ctx = shell.at("/admin/appeals".to_string());
    Ok((StatusCode::UNPROCESSABLE_ENTITY, challenges_view(&page, &ctx, now)).into_response())
}

/// The rule challenges, drawn from what [`RuleChallengesPage::load`] read, with each appeal's
/// status as of `now`.
fn challenges_view(page: &RuleChallengesPage, ctx: &PageContext, now: DateTime<Utc>) -> Html<String> {
    let locale = ctx.locale;
    let title = locale.t("review.rule_challenges_title");
    let table = if page.challenges.is_empty() {
        view! { <p>{locale.t("review.rule_challenges_none")}</p> }.into_any()
    } else {
        let rows = page
            .challenges
            .iter()
            .map(|a| {
                let (what, link) = describe(locale, a, false);
                view! {
                    <tr>
                        <td><a href=format!("/admin/appeals/{}", a.id)>{a.reference()}</a></td>
                        <td><a href=link.unwrap_or_default()>{what}</a></td>
                        <td>{locale.t(&format!("appeals.grounds_{}", a.grounds.code()))}</td>
                        <td class="statement">{a.statement.clone()}</td>
                        <td><time datetime=format::iso_date(a.filed_at)>{format::date(locale, a.filed_at)}</time></td>
                        <td><time datetime=format::iso_date(a.due_at)>{format::date(locale, a.due_at)}</time></td>
                        <td><StatusBadge locale appeal=a now/></td>
                    </tr>
                }
            })
            .collect_view();
        let columns = vec![
            (locale.t("appeals.col_reference"), false),
            (locale.t("appeals.col_contested"), false),
            (locale.t("appeals.col_grounds"), false),
            (locale.t("appeals.statement_label"), false),
            (locale.t("appeals.col_filed"), false),
            (locale.t("appeals.col_due"), false),
            (locale.t("appeals.col_status"), false),
        ];
        view! { <DataTable caption=title.clone() columns=columns>{rows}</DataTable> }.into_any()
    };
    let main = view! {
        <h1>{title.clone()}</h1>
        <p>{locale.t("review.rule_challenges_intro")}</p>
        {error_summary(locale.t("forms.error_summary"), page.problems.clone())}
        <DeciderNotices locale notices=page.notices.clone() action="/admin/appeals/notices/seen"
            href=|id| format!("/admin/appeals/{id}")/>
        <QueueFilters locale action="/admin/appeals" query=&page.query schemes=&page.schemes
            grounds=&Grounds::FOR_RULES with_mine=false/>
        {table}
        <NextPage locale href=page.next.clone()/>
    };
    document(ctx, &title, main.into_any())
}

/// One challenge, what it contests, the other open challenges to the same rule (decided with
/// it), and the decision once made.
pub struct ChallengePage {
    pub challenge: Appeal,
    pub what: String,
    pub link: Option<String>,
    pub together: Vec<Appeal>,
    pub files: Vec<appeals::Evidence>,
    pub decision: Option<ChallengeDecision>,
    /// Its lapsed deadline at its level, and the notice the administrators were sent about it.
    pub lapse: Option<Lapse>,
    pub told: Option<ReviewNotice>,
}

impl ChallengePage {
    /// Every query of the page; 404 for anything but a challenge to a rule.
    pub async fn load(state: &AppState, locale: Locale, id: &str) -> AppResult<Self> {
        let id = parse_id(id)?;
        let mut conn = state.db.pool.acquire().await?;
        let challenge = appeals::appeal(&mut conn, id).await?.ok_or(AppError::NotFound)?;
        if !matches!(challenge.target, Target::Rule(_)) {
            return Err(AppError::NotFound);
        }
        let (what, link) = describe(locale, &challenge, false);
        let together = match (challenge.scheme, challenge.rule_code.as_deref().map(RuleCode::parse)) {
            (Some(scheme), Some(Ok(code))) => rule_challenges::open_on_rule(&mut conn, scheme, &code)
                .await?
                .into_iter()
                .filter(|a| a.id != challenge.id)
                .collect(),
            _ => Vec::new(),
        };
        let files = appeals::evidence(&mut conn, id).await?;
        let decision = rule_challenges::decision(&mut conn, challenge.subject, id).await?;
        let lapse = deadlines::current(&mut conn, &challenge).await?;
        let told = review_notices::of_appeal(&mut conn, id)
            .await?
            .into_iter()
            .find(|n| n.lapse.level == challenge.level);
        Ok(Self { challenge, what, link, together, files, decision, lapse, told })
    }
}

/// `GET /admin/appeals/{id}`: a challenge to a rule, and the form that decides it.
pub async fn challenge(
    State(state): State<AppState>,
    _admin: Admin,
    shell: PageContext,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    let page = ChallengePage::load(&state, shell.locale, &id).await?;
    Ok(challenge_view(&page, &shell, &DecideForm::default(), &Vec::new(), Utc::now()))
}

#[derive(Debug, Default, Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    reasons: String,
}

/// `POST /admin/appeals/{id}/decide`: keeps or repeals the rule, deciding every open challenge
/// to it at once.
pub async fn decide(
    State(state): State<AppState>,
    RequireRole(viewer, _): Admin,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
    Form(form): Form<DecideForm>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let page = ChallengePage::load(&state, locale, &id).await?;
    let mut problems: Problems = Vec::new();
    let verdict = Verdict::parse(&form.verdict);
    if verdict.is_none() {
        problems.push(("verdict", locale.t("rule_challenges.verdict_required")));
    }
    let reasons =
        Reasons::parse(&form.reasons).map_err(|e| problems.push(("reasons", refusal_text(locale, &e)))).ok();
    if let (Some(Verdict::Repealed), Some(r)) = (verdict, &reasons) {
        let len = r.as_str().chars().count();
        if len > repeal::MAX_REPEAL_REASON {
            problems.push((
                "reasons",
                locale.t_with(
                    "rule_challenges.reasons_too_long",
                    &[("max", &repeal::MAX_REPEAL_REASON.to_string())],
                ),
            ));
        }
    }
    let (Some(verdict), Some(reasons), true) = (verdict, reasons, problems.is_empty()) else {
        let html = challenge_view(&page, &shell, &form, &problems, Utc::now());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
    };
    let mut tx = state.db.begin_write().await?;
    let actor = super::actor(&viewer, address);
    match rule_challenges::decide(
        &mut tx,
        &actor,
        viewer.account_id.0,
        page.challenge.id,
        verdict,
        &reasons,
        Utc::now(),
    )
    .await
    {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/admin/appeals/{}?done=decided", page.challenge.id)).into_response())
        }
        Err(failure) => {
            drop(tx);
            let message = failure_message(locale, failure)?;
            let html = challenge_view(&page, &shell, &form, &vec![("verdict", message)], Utc::now());
            Ok((StatusCode::CONFLICT, html).into_response())
        }
    }
}

fn challenge_view(
    page: &ChallengePage,
    ctx: &PageContext,
    form: &DecideForm,
    problems: &Problems,
    now: DateTime<Utc>,
) -> Html<String> {
    let locale = ctx.locale;
    let a = &page.challenge;
    let title = locale.t_with("appeals.page_title", &[("reference", &a.reference())]);
    let others = page
        .together
        .iter()
        .map(|o| view! { <li><a href=format!("/admin/appeals/{}", o.id)>{o.reference()}</a>" · "{o.statement.clone()}</li> })
        .collect_view();
    let decided = page.decision.as_ref().map(|d| {
        view! {
            <section class="decision" aria-labelledby="challenge-decision">
                <h2 id="challenge-decision">{locale.t(&format!("rule_challenges.verdict_{}", d.verdict.code()))}</h2>
                <h3>{locale.t("appeals.reasons")}</h3>
                <p class="statement">{d.reasons.clone()}</p>
                <p class="muted">{locale.t_with("rule_challenges.decided_by", &[("name", &d.decided_by), ("date", &format::date(locale, d.decided_at))])}</p>
            </section>
        }
    });
    let form_view = (a.status == Status::Open).then(|| {
        let radios = [Verdict::Kept, Verdict::Repealed]
            .into_iter()
            .map(|v| {
                view! {
                    <Choice id=format!("verdict-{}", v.code()) name="verdict" value=v.code() checked=form.verdict == v.code()
                        label=locale.t(&format!("rule_challenges.choose_{}", v.code()))/>
                }
            })
            .collect_view();
        view! {
            <h2>{locale.t("rule_challenges.decide_title")}</h2>
            {(!page.together.is_empty()).then(|| view! {
                <p>{locale.t_with("rule_challenges.together", &[("n", &page.together.len().to_string())])}</p>
                <ul>{others}</ul>
            })}
            <form method="post" action=format!("/admin/appeals/{}/decide", a.id) class="stack">
                <ChoiceGroup id="verdict" legend=locale.t("rule_challenges.verdict_label") error=error_for(problems, "verdict")>
                    {radios}
                </ChoiceGroup>
                <TextAreaField id="reasons" label=locale.t("appeals.reasons") rows=8 value=form.reasons.clone()
                    hint=Some(locale.t_with("rule_challenges.reasons_hint", &[("min", &REASONS_MIN.to_string())]))
                    error=error_for(problems, "reasons")/>
                <button type="submit">{locale.t("rule_challenges.decide_submit")}</button>
            </form>
        }
    });
    let main = view! {
        <p><a href="/admin/appeals">{locale.t("review.rule_challenges_title")}</a></p>
        <h1>{title.clone()}</h1>
        {(!problems.is_empty()).then(|| error_summary(locale.t("forms.error_summary"), problems.clone()))}
        <dl class="facts">
            <dt>{locale.t("appeals.col_contested")}</dt>
            <dd>{match &page.link { Some(href) => view! { <a href=href.clone()>{page.what.clone()}</a> }.into_any(), None => page.what.clone().into_any() }}</dd>
            <dt>{locale.t("appeals.col_grounds")}</dt><dd>{locale.t(&format!("appeals.grounds_{}", a.grounds.code()))}</dd>
            <dt>{locale.t("appeals.col_filed")}</dt><dd>{format::date(locale, a.filed_at)}</dd>
            <dt>{locale.t("appeals.col_due")}</dt><dd>{format::date(locale, a.due_at)}</dd>
            <dt>{locale.t("appeals.col_status")}</dt><dd><StatusBadge locale appeal=a now/></dd>
        </dl>
        <h2>{locale.t("appeals.statement_label")}</h2>
        <p class="statement">{a.statement.clone()}</p>
        <EvidenceList locale appeal=a files=&page.files/>
        <Lapsed locale audience=StaffAudience::Staff appeal=a lapse=page.lapse.as_ref() told=page.told.as_ref()/>
        {decided}
        {form_view}
    };
    document(ctx, &title, main.into_any())
}
