//! "Who has acted on my standing": every check a relying party made about the subject — the
//! party, its declared purpose and legal basis, the question, the answer and when — and every
//! correction sent since, with whether and when each party acknowledged it.

use axum::{extract::State, response::Html};
use chrono::{DateTime, Utc};
use leptos::{either::Either, prelude::*};
use serde_json::json;
use uuid::Uuid;

use crate::pages::kit::{document, format, DataTable, PageContext};
use crate::pages::subject::own_subject;
use crate::{
    auth::access::{SignedIn, Viewer},
    error::AppResult,
    http::AppState,
    i18n::Locale,
    store::{
        catalogue::{self, SchemeRecord},
        checks::{self, Check, Correction},
        relying_parties::{self, RelyingParty},
        status::QuestionKind,
    },
};
use sqlx::AnyConnection;

/// Every query of the page (and of the export's `checks` part).
pub struct ChecksPage {
    pub checks: Vec<Check>,
    pub corrections: Vec<Correction>,
    pub parties: Vec<RelyingParty>,
    /// Every scheme, to name a grade question's scheme and grade.
    pub schemes: Vec<SchemeRecord>,
}

impl ChecksPage {
    pub async fn load(conn: &mut AnyConnection, viewer: &Viewer) -> AppResult<Self> {
        let subject = own_subject(viewer)?;
        let checks = checks::checks_of(conn, subject).await?;
        let corrections = checks::corrections_of(conn, subject).await?;
        let parties = relying_parties::list(conn).await?;
        let schemes = catalogue::schemes(conn).await?;
        Ok(Self { checks, corrections, parties, schemes })
    }

    fn party(&self, id: Uuid) -> Option<&RelyingParty> {
        self.parties.iter().find(|p| p.id == id)
    }

    fn party_name(&self, id: Uuid) -> String {
        self.party(id).map(|p| p.name.clone()).unwrap_or_else(|| id.to_string())
    }

    /// The question in the reader's words: "Restricted from buying plane tickets?".
    pub fn question(&self, locale: Locale, kind: QuestionKind, parameter: &str) -> String {
        match kind {
            QuestionKind::Restricted => locale.t_with(
                "checks.q_restricted",
                &[("restriction", &locale.t(&format!("restriction.{parameter}")))],
            ),
            QuestionKind::OnAnyBlacklist => locale.t("checks.q_on_any_blacklist"),
            QuestionKind::GradeAtLeast => {
                let (code, grade) = parameter.split_once(':').unwrap_or((parameter, ""));
                let (scheme, grade) = match self.schemes.iter().find(|r| r.scheme.code() == code) {
                    Some(r) => {
                        (format::pick(locale, &r.name_en, &r.name_zh), format::grade(locale, r, grade))
                    }
                    None => (code, grade),
                };
                locale.t_with("checks.q_grade_at_least", &[("grade", grade), ("scheme", scheme)])
            }
        }
    }

    /// The export's part: every check and correction, with the party's declaration.
    pub fn export(&self) -> serde_json::Value {
        let party = |id: Uuid| match self.party(id) {
            Some(p) => {
                json!({ "id": id, "name": p.name, "purpose": p.purpose, "legal_basis": p.legal_basis })
            }
            None => json!({ "id": id }),
        };
        let checks: Vec<_> = self
            .checks
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "party": party(c.party),
                    "question": c.question.code(),
                    "parameter": c.parameter,
                    "text": { "en": self.question(Locale::En, c.question, &c.parameter),
                              "zh-CN": self.question(Locale::ZhCn, c.question, &c.parameter) },
                    "answer": c.answer,
                    "asked_at": c.asked_at,
                })
            })
            .collect();
        let corrections: Vec<_> = self
            .corrections
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "check_id": c.check,
                    "party": party(c.party),
                    "question": c.question.code(),
                    "parameter": c.parameter,
                    "previous_answer": c.previous_answer,
                    "answer": c.answer,
                    "cause": c.cause,
                    "sent_at": c.created_at,
                    "acknowledge_by": c.due(),
                    "acknowledged_at": c.acknowledged_at,
                })
            })
            .collect();
        json!({ "checks": checks, "corrections": corrections })
    }
}

/// `GET /record/checks`.
pub async fn page(
    State(state): State<AppState>,
    ctx: PageContext,
    SignedIn(viewer): SignedIn,
) -> AppResult<Html<String>> {
    let mut conn = state.db.pool.acquire().await?;
    let page = ChecksPage::load(&mut conn, &viewer).await?;
    Ok(view_page(&page, &ctx, chrono::Utc::now()))
}

fn when(locale: Locale, at: DateTime<Utc>) -> impl IntoView {
    view! { <time datetime=at.to_rfc3339()>{format::date(locale, at)}" "{at.format("%H:%M").to_string()}</time> }
}

fn yes_no(locale: Locale, answer: bool) -> String {
    locale.t(if answer { "checks.yes" } else { "checks.no" })
}

fn view_page(page: &ChecksPage, ctx: &PageContext, now: DateTime<Utc>) -> Html<String> {
    let locale = ctx.locale;
    let title = locale.t("checks.title");
    let checks = if page.checks.is_empty() {
        Either::Left(view! { <p>{locale.t("checks.none")}</p> })
    } else {
        let rows = page
            .checks
            .iter()
            .map(|c| {
                let party = page.party(c.party);
                view! {
                    <tr>
                        <td>{when(locale, c.asked_at)}</td>
                        <td>{page.party_name(c.party)}</td>
                        <td>{page.question(locale, c.question, &c.parameter)}</td>
                        <td>{yes_no(locale, c.answer)}</td>
                        <td>{party.map(|p| p.purpose.clone())}</td>
                        <td>{party.map(|p| p.legal_basis.clone())}</td>
                    </tr>
                }
            })
            .collect_view();
        let columns = vec![
            (locale.t("checks.col_when"), false),
            (locale.t("checks.col_party"), false),
            (locale.t("checks.col_question"), false),
            (locale.t("checks.col_answer"), false),
            (locale.t("checks.col_purpose"), false),
            (locale.t("checks.col_legal_basis"), false),
        ];
        Either::Right(view! {
            <DataTable caption=locale.t("checks.caption") caption_id="checks-caption" columns>{rows}</DataTable>
        })
    };
    let overdue = page.corrections.iter().filter(|c| c.is_overdue(now)).count();
    let corrections = if page.corrections.is_empty() {
        Either::Left(view! { <p>{locale.t("checks.no_corrections")}</p> })
    } else {
        let rows = page
            .corrections
            .iter()
            .map(|c| {
                let acknowledged = match c.acknowledged_at {
                    Some(at) => Either::Left(when(locale, at)),
                    None if c.is_overdue(now) => Either::Right(view! {
                        <strong class="badge warn">
                            {locale.t_with("checks.overdue", &[("date", &format::date(locale, c.due()))])}
                        </strong>
                    }.into_any()),
                    None => Either::Right(view! {
                        <span>{locale.t_with("checks.awaiting", &[("date", &format::date(locale, c.due()))])}</span>
                    }.into_any()),
                };
                view! {
                    <tr>
                        <td>{when(locale, c.created_at)}</td>
                        <td>{page.party_name(c.party)}</td>
                        <td>{page.question(locale, c.question, &c.parameter)}</td>
                        <td>{locale.t_with("checks.was_now", &[("was", &yes_no(locale, c.previous_answer)), ("now", &yes_no(locale, c.answer))])}</td>
                        <td>{locale.t(&format!("checks.cause_{}", c.cause.replace('.', "_")))}</td>
                        <td>{acknowledged}</td>
                    </tr>
                }
            })
            .collect_view();
        let columns = vec![
            (locale.t("checks.col_sent"), false),
            (locale.t("checks.col_party"), false),
            (locale.t("checks.col_question"), false),
            (locale.t("checks.col_change"), false),
            (locale.t("checks.col_cause"), false),
            (locale.t("checks.col_acknowledged"), false),
        ];
        Either::Right(view! {
            <DataTable caption=locale.t("checks.corrections_caption") caption_id="corrections-caption" columns>{rows}</DataTable>
        })
    };
    let flag = (overdue > 0).then(|| {
        view! {
            <p class="notice">
                {locale.t_with("checks.overdue_flag", &[("count", &overdue.to_string())])}
            </p>
        }
    });
    let main = view! {
        <p><a href="/record">{locale.t("record.back")}</a></p>
        <h1>{title.clone()}</h1>
        <p>{locale.t("checks.intro")}</p>
        {flag}
        {checks}
        <h2>{locale.t("checks.corrections_title")}</h2>
        <p>{locale.t("checks.corrections_intro")}</p>
        {corrections}
        <p><a href="/record/access">{locale.t("access.title")}</a></p>
    };
    document(ctx, &title, main.into_any())
}
