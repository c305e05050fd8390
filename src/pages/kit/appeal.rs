//! The pieces of an appeal that both its subject and its reviewer see: what it contests, its
//! status and due-date clock, evidence, decisions and timeline, and the wording of refusals.

use chrono::{DateTime, Utc};
use leptos::{either::Either, prelude::*};
use uuid::Uuid;

use super::format::{self, pick};
use crate::{
    auth::{access::Viewer, throttle::ClientAddress},
    domain::appeal::{AppealError, Grounds, Outcome, Status},
    error::{AppError, AppResult},
    http::AppState,
    i18n::Locale,
    store::{
        appeals::{self, Appeal, AppealFailure, RepealClosure, StoredDecision, Target, TargetSummary},
        audit::Actor,
        catalogue::{self, SchemeRecord},
        records,
        review_notices::{self, ReviewNotice},
    },
};

/// Who reads an appeal's page: its subject is addressed as "you"; staff read of "the subject".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Subject,
    Staff,
}

impl Audience {
    /// The key of `key`'s wording for this audience: staff wording lives under `<key>_staff`.
    fn key(self, key: &str) -> String {
        match self {
            Audience::Subject => key.to_string(),
            Audience::Staff => format!("{key}_staff"),
        }
    }
}

/// A refusal's message in the person's language.
pub fn refusal_text(locale: Locale, error: &AppealError) -> String {
    let args = error.args();
    let pairs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    locale.t_with(&format!("appeals.error.{}", error.code()), &pairs)
}

/// The message for a failed appeal write, or the error page when it is not the person's to fix.
pub fn failure_message(locale: Locale, failure: AppealFailure) -> AppResult<String> {
    match failure {
        AppealFailure::Refused(e) => Ok(refusal_text(locale, &e)),
        AppealFailure::Record(records::RecordError::Domain(e)) => {
            Ok(crate::pages::kit::problems::describe(locale, &e).1)
        }
        AppealFailure::NotFound => Err(AppError::NotFound),
        AppealFailure::Record(e) => Err(AppError::Internal(e.into())),
        AppealFailure::Store(e) => Err(e.into()),
    }
}

/// The "under appeal" marker with a link to the open appeal, or the "contest this" link (or
/// nothing, when the item cannot be contested): `<Contest locale open contest_href/>`.
#[component]
pub fn Contest(
    locale: Locale,
    /// The appeal open on the item, if any.
    open: Option<Uuid>,
    /// Where to file an appeal on it, when it can be contested.
    contest_href: Option<String>,
) -> impl IntoView {
    match (open, contest_href) {
        (Some(a), _) => Some(Either::Left(view! {
            <p class="under-appeal">
                <span class="badge warn">{locale.t("appeals.under_appeal")}</span>" "
                <a href=format!("/appeals/{a}")>{locale.t_with("appeals.see_appeal", &[("reference", &appeals::reference(a))])}</a>
            </p>
        })),
        (None, Some(href)) => Some(Either::Right(
            view! { <p><a class="button" href=href>{locale.t("appeals.contest_this")}</a></p> },
        )),
        (None, None) => None,
    }
}

pub fn parse_id(text: &str) -> AppResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| AppError::NotFound)
}

/// An appeal's status as a badge (open, overdue, decided, withdrawn), and with `show_level` a
/// second badge when it is a second-level review: `<StatusBadge locale appeal=a now/>`.
#[component]
pub fn StatusBadge<'a>(
    locale: Locale,
    appeal: &'a Appeal,
    now: DateTime<Utc>,
    #[prop(optional)] show_level: bool,
) -> impl IntoView {
    let (class, key) = match appeal.status {
        Status::Open if appeal.is_overdue(now) => ("badge danger", "appeals.status_overdue"),
        Status::Open => ("badge warn", "appeals.status_open"),
        Status::Decided if appeal.voided_by_default => ("badge", "appeals.status_voided_by_default"),
        Status::Decided => ("badge ok", "appeals.status_decided"),
        Status::Withdrawn => ("badge", "appeals.status_withdrawn"),
    };
    let level = (show_level && appeal.level == 2)
        .then(|| view! { " "<span class="badge">{locale.t("appeals.second_level")}</span> });
    view! { <span class=class>{locale.t(key)}</span>{level} }
}

/// "Decision due by 3 March (12 days left)", or the overdue flag with what applies meanwhile;
/// nothing once the appeal is closed.
#[component]
pub fn DueClock<'a>(
    locale: Locale,
    audience: Audience,
    appeal: &'a Appeal,
    /// Whether the scheme suspends a disputed record (see [`suspends`]).
    suspends: bool,
    now: DateTime<Utc>,
) -> impl IntoView {
    let a = appeal;
    let due = format::date(locale, a.due_at);
    match a.status {
        Status::Open if a.is_overdue(now) => {
            let meanwhile = match (a.target, suspends) {
                (Target::Event(_), true) => locale.t(&audience.key("appeals.overdue_suspended")),
                (Target::Event(_), false) => locale.t("appeals.overdue_counting"),
                _ => locale.t("appeals.overdue_other"),
            };
            let since = locale.t_with("appeals.overdue_since", &[("date", &due)]);
            Some(Either::Left(view! { <p class="notice danger"><strong>{since}</strong>" "{meanwhile}</p> }))
        }
        Status::Open => {
            let days = (a.due_at - now).num_days().max(0).to_string();
            let text = locale.t_with("appeals.due_by", &[("date", &due), ("days", &days)]);
            Some(Either::Right(view! { <p class="notice">{text}</p> }))
        }
        _ => None,
    }
}

/// What the appeal contests, as a short line and a link the viewer may follow: from what was
/// read with the appeal, so a list of appeals costs no query per row.
pub fn describe(locale: Locale, a: &Appeal, subject_view: bool) -> (String, Option<String>) {
    describe_summary(locale, a.target, &a.summary, subject_view)
}

/// [`describe`] for a target no appeal exists on yet (the filing form).
pub async fn describe_target(
    conn: &mut sqlx::AnyConnection,
    locale: Locale,
    target: Target,
    subject_view: bool,
) -> AppResult<(String, Option<String>)> {
    let summary = appeals::target_summary(conn, target).await?.ok_or(AppError::NotFound)?;
    Ok(describe_summary(locale, target, &summary, subject_view))
}

fn describe_summary(
    locale: Locale,
    target: Target,
    summary: &TargetSummary,
    subject_view: bool,
) -> (String, Option<String>) {
    let code = summary.rule_code.clone().unwrap_or_default();
    let title = pick(
        locale,
        summary.title_en.as_deref().unwrap_or_default(),
        summary.title_zh.as_deref().unwrap_or_default(),
    )
    .to_string();
    match target {
        Target::Event(id) => {
            let text = locale.t_with(
                "appeals.target_event",
                &[
                    ("code", &code),
                    ("title", &title),
                    ("date", &summary.occurred_at.map(|at| format::date(locale, at)).unwrap_or_default()),
                    ("points", &format::points(summary.points.unwrap_or_default())),
                ],
            );
            (text, subject_view.then(|| format!("/record/events/{id}")))
        }
        Target::Entry(id) => {
            let case = summary.case_number.clone().unwrap_or_default();
            let text = locale.t_with("appeals.target_entry", &[("case", &case)]);
            (text, subject_view.then(|| format!("/record/entries/{id}")))
        }
        Target::Rule(_) => {
            let text = locale.t_with("appeals.target_rule", &[("code", &code), ("title", &title)]);
            let scheme = summary.scheme_code.clone().unwrap_or_default();
            (text, Some(format!("/rules/{scheme}/{code}")))
        }
    }
}

pub fn actor(viewer: &Viewer, address: &ClientAddress) -> Actor {
    Actor::person(viewer.account_id, &viewer.username, address.0.clone())
}

/// The scheme of the appeal's record or rule, to name its grades (none for a listing).
pub async fn scheme_of(conn: &mut sqlx::AnyConnection, a: &Appeal) -> AppResult<Option<SchemeRecord>> {
    Ok(match a.scheme {
        Some(id) => catalogue::scheme(conn, id).await?,
        None => None,
    })
}

/// Whether the scheme of an event appeal suspends disputed records.
pub async fn suspends(conn: &mut sqlx::AnyConnection, a: &Appeal) -> AppResult<bool> {
    Ok(match (a.target, a.scheme) {
        (Target::Event(_), Some(s)) => catalogue::scheme(conn, s).await?.is_some_and(|r| {
            r.scheme.dispute_policy() == crate::domain::DisputePolicy::SuspendedWhileDisputed
        }),
        _ => false,
    })
}

/// The appeal's evidence files, each a download link with its type and size.
#[component]
pub fn EvidenceList<'a>(locale: Locale, appeal: &'a Appeal, files: &'a [appeals::Evidence]) -> impl IntoView {
    let list = if files.is_empty() {
        Either::Left(view! { <p>{locale.t("appeals.no_evidence")}</p> })
    } else {
        let items = files
            .iter()
            .map(|f| {
                let size = format!("{:.1} KB", f.size_bytes as f64 / 1024.0);
                view! {
                    <li>
                        <a href=format!("/appeals/{}/evidence/{}", appeal.id, f.id) download=f.name.clone()>{f.name.clone()}</a>
                        " · "{f.content_type.split(';').next().unwrap_or_default().to_string()}" · "{size}
                    </li>
                }
            })
            .collect_view();
        Either::Right(view! { <ul class="evidence">{items}</ul> })
    };
    view! {
        <h2>{locale.t("appeals.evidence_title")}</h2>
        {list}
    }
}

/// The grade before and after a decision or a repeal in `scheme` (the appeal's), worded for the
/// audience.
fn grade_change(
    locale: Locale,
    audience: Audience,
    scheme: Option<&SchemeRecord>,
    before: (&str, i64),
    after: (&str, i64),
) -> String {
    let name = |grade| scheme.map_or(grade, |s| format::grade(locale, s, grade));
    locale.t_with(
        &audience.key("appeals.grade_change"),
        &[
            ("before", name(before.0)),
            ("score_before", &before.1.to_string()),
            ("after", name(after.0)),
            ("score_after", &after.1.to_string()),
        ],
    )
}

/// Each decision on the appeal (first level, then second), with its outcome, the grade before
/// and after, its written reasons and who decided it for which body.
#[component]
pub fn Decisions<'a>(
    locale: Locale,
    audience: Audience,
    decided: &'a [StoredDecision],
    /// The appeal's scheme, to name its grades.
    scheme: Option<&'a SchemeRecord>,
) -> impl IntoView {
    decided
        .iter()
        .map(|d| {
            let outcome = match d.outcome {
                Outcome::PartlyUpheld { points } => locale
                    .t_with("appeals.outcome_partly_upheld_points", &[("points", &format::points(points))]),
                o => locale.t(&format!("appeals.outcome_{}", o.code())),
            };
            let level = if d.level == 2 {
                locale.t("appeals.decision_second")
            } else {
                locale.t("appeals.decision_first")
            };
            let grades = match (&d.grade_before, &d.grade_after) {
                (Some(before), Some(after)) => Some(grade_change(
                    locale,
                    audience,
                    scheme,
                    (before, d.score_before.unwrap_or_default()),
                    (after, d.score_after.unwrap_or_default()),
                )),
                _ => None,
            };
            view! {
                <section class="decision" aria-labelledby=format!("decision-{}", d.level)>
                    <h2 id=format!("decision-{}", d.level)>{level}": "{outcome}</h2>
                    {grades.map(|g| view! { <p class="grade-change"><strong>{g}</strong></p> })}
                    <h3>{locale.t("appeals.reasons")}</h3>
                    <p class="statement">{d.reasons.clone()}</p>
                    <p class="muted">{locale.t_with("appeals.decided_by", &[
                        ("name", &d.reviewer_name),
                        ("body", pick(locale, &d.body_en, &d.body_zh)),
                        ("date", &format::date(locale, d.decided_at)),
                    ])}</p>
                </section>
            }
        })
        .collect_view()
}

/// How a repeal closed the appeal, if one did: the repeal's reasons and the grade before and
/// after.
#[component]
pub fn ClosedByRepeal<'a>(
    locale: Locale,
    audience: Audience,
    closure: Option<&'a RepealClosure>,
    /// The appeal's scheme, to name its grades.
    scheme: Option<&'a SchemeRecord>,
) -> impl IntoView {
    closure.map(|c| {
        let grades = grade_change(
            locale,
            audience,
            scheme,
            (&c.grade_before, c.score_before),
            (&c.grade_after, c.score_after),
        );
        view! {
            <section class="decision" aria-labelledby="decision-repeal">
                <h2 id="decision-repeal">{locale.t_with("appeals.repealed_title", &[("code", &c.rule_code)])}</h2>
                <p class="grade-change"><strong>{grades}</strong></p>
                <h3>{locale.t("appeals.reasons")}</h3>
                <p class="statement">{c.reasons.clone()}</p>
                <p class="muted">{locale.t_with("appeals.repealed_by", &[("date", &format::date(locale, c.closed_at))])}</p>
            </section>
        }
    })
}

/// How administrators decided a challenge to a rule, if they did: kept or repealed, the reasons,
/// and the challenger's grade before and after.
#[component]
pub fn ChallengeDecided<'a>(
    locale: Locale,
    decision: Option<&'a crate::store::rule_challenges::ChallengeDecision>,
    /// The challenged rule's scheme, to name its grades.
    scheme: Option<&'a SchemeRecord>,
) -> impl IntoView {
    decision.map(|d| {
        let grades = match (&d.before, &d.after) {
            (Some((sb, gb)), Some((sa, ga))) => {
                Some(grade_change(locale, Audience::Subject, scheme, (gb, *sb), (ga, *sa)))
            }
            _ => None,
        };
        view! {
            <section class="decision" aria-labelledby="challenge-decision">
                <h2 id="challenge-decision">{locale.t(&format!("rule_challenges.verdict_{}", d.verdict.code()))}</h2>
                {grades.map(|g| view! { <p class="grade-change"><strong>{g}</strong></p> })}
                <h3>{locale.t("appeals.reasons")}</h3>
                <p class="statement">{d.reasons.clone()}</p>
                <p class="muted">{locale.t_with("rule_challenges.decided_on", &[("date", &format::date(locale, d.decided_at))])}</p>
            </section>
        }
    })
}

/// What happened to the appeal, oldest first: filed, claimed, decided, …, when and by whom.
#[component]
pub fn Timeline<'a>(
    locale: Locale,
    actions: &'a [appeals::Action],
    /// The appeal's lapsed deadline, shown in its place among the actions.
    #[prop(optional_no_strip)]
    lapse: Option<&'a crate::store::deadlines::Lapse>,
    /// What the appeal contests (a lapse touches only a contested record).
    #[prop(optional_no_strip)]
    target: Option<Target>,
) -> impl IntoView {
    let item = |at: DateTime<Utc>, text: String| {
        view! {
            <li>
                <time datetime=at.to_rfc3339()>{format::date(locale, at)}" "{at.format("%H:%M").to_string()}</time>
                " · "{text}
            </li>
        }
    };
    let mut items: Vec<(DateTime<Utc>, String)> = actions
        .iter()
        .map(|x| {
            let what = locale.t(&format!("appeals.action_{}", x.action));
            let note = match x.action.as_str() {
                "filed" => Grounds::parse(&x.note)
                    .map(|g| locale.t(&format!("appeals.grounds_{}", g.code())))
                    .unwrap_or_default(),
                "decided" if Outcome::CODES.contains(&x.note.as_str()) => {
                    locale.t(&format!("appeals.outcome_{}", x.note))
                }
                // Decided by no reviewer: closed by a repeal, whose reasons the note holds.
                "decided" if x.who.is_none() => x.note.clone(),
                "decided" => String::new(),
                _ => x.note.clone(),
            };
            let mut text = what;
            if let Some(who) = &x.who {
                text.push_str(&format!(" · {who}"));
            }
            if !note.is_empty() {
                text.push_str(&format!(" · {note}"));
            }
            (x.at, text)
        })
        .collect();
    if let Some(l) = lapse {
        let note = match target {
            Some(Target::Event(_)) => format!("appeals.lapse_note_{}", l.outcome.code()),
            _ => "appeals.lapse_note_announced".to_string(),
        };
        items.push((l.lapsed_at, format!("{} · {}", locale.t("appeals.action_lapsed"), locale.t(&note))));
        items.sort_by_key(|(at, _)| *at);
    }
    let items = items.into_iter().map(|(at, text)| item(at, text)).collect_view();
    view! {
        <h2>{locale.t("appeals.timeline")}</h2>
        <ol class="timeline">{items}</ol>
    }
}

/// The wording key of a lapse's consequence for what the appeal contests.
fn lapse_key(outcome: crate::domain::OnDeadline, target: Target) -> &'static str {
    use crate::domain::OnDeadline;
    match (outcome, target) {
        (OnDeadline::Void, _) => "appeals.lapsed_void",
        (OnDeadline::Suspend, Target::Event(_)) => "appeals.lapsed_suspend",
        (OnDeadline::Suspend, _) => "appeals.lapsed_other",
    }
}

/// What happened when an appeal's deadline passed undecided, in `audience`'s words.
fn lapse_text(
    locale: Locale,
    audience: Audience,
    target: Target,
    l: &crate::store::deadlines::Lapse,
) -> String {
    let due = format::date(locale, l.due_at);
    let on = format::date(locale, l.lapsed_at);
    locale.t_with(&audience.key(lapse_key(l.outcome, target)), &[("due", &due), ("date", &on)])
}

/// What happened when the appeal's deadline passed undecided, if it did, and what the subject can
/// do next; for staff, also when the deciders were told and who marked it seen.
#[component]
pub fn Lapsed<'a>(
    locale: Locale,
    audience: Audience,
    appeal: &'a Appeal,
    lapse: Option<&'a crate::store::deadlines::Lapse>,
    /// The notice the deciders were sent about this lapse (staff pages; `None` for the subject).
    told: Option<&'a ReviewNotice>,
) -> impl IntoView {
    lapse.map(|l| {
        let text = lapse_text(locale, audience, appeal.target, l);
        let next = locale.t(&audience.key(&format!("{}_next", lapse_key(l.outcome, appeal.target))));
        let told = told.map(|n| {
            let sent = format::date(locale, n.created_at);
            let line = match &n.seen {
                Some((name, at)) => locale.t_with(
                    "review_notices.told_seen",
                    &[("date", &sent), ("name", name), ("seen", &format::date(locale, *at))],
                ),
                None => locale.t_with("review_notices.told_unseen", &[("date", &sent)]),
            };
            view! { <p>{line}</p> }
        });
        view! {
            <section class="decision" aria-labelledby="deadline-lapsed">
                <h2 id="deadline-lapsed">{locale.t("appeals.lapsed_title")}</h2>
                <p class="notice danger">{text}</p>
                {told}
                <h3>{locale.t("appeals.lapsed_next_title")}</h3>
                <p>{next}</p>
            </section>
        }
    })
}

/// The form of a "mark as seen" button of [`DeciderNotices`].
#[derive(Debug, Default, serde::Deserialize)]
pub struct SeenForm {
    #[serde(default)]
    appeal: String,
    #[serde(default)]
    level: String,
}

/// Marks a deciders' notice seen by `viewer`, in its own write transaction. The problems say which
/// field is wrong when the form names no notice of `audience`; marking it twice changes nothing.
pub async fn mark_seen(
    state: &AppState,
    viewer: &Viewer,
    address: &ClientAddress,
    audience: review_notices::Audience,
    form: &SeenForm,
    locale: Locale,
) -> AppResult<super::forms::Problems> {
    // The fields are hidden: the messages name them, and link nowhere.
    let no_notice = || vec![("", locale.t("review_notices.error_no_notice"))];
    let Ok(id) = Uuid::parse_str(form.appeal.trim()) else { return Ok(no_notice()) };
    let Some(level) = form.level.trim().parse::<u8>().ok().filter(|l| matches!(l, 1 | 2)) else {
        return Ok(vec![("", locale.t("review_notices.error_level"))]);
    };
    let mut tx = state.db.begin_write().await?;
    let seen = review_notices::mark_seen(
        &mut tx,
        &actor(viewer, address),
        audience,
        id,
        level,
        viewer.account_id,
        Utc::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(if seen == review_notices::Seen::NoNotice { no_notice() } else { Vec::new() })
}

/// The deadline lapses the deciders have not marked seen, each with a button that marks it seen
/// (`POST action` with the appeal and level); nothing when there are none.
#[component]
pub fn DeciderNotices(
    locale: Locale,
    notices: Vec<ReviewNotice>,
    /// Where marking seen posts to.
    action: &'static str,
    /// The staff page of an appeal.
    href: fn(Uuid) -> String,
) -> impl IntoView {
    (!notices.is_empty()).then(|| {
        let items = notices
            .into_iter()
            .map(|n| {
                let a = &n.appeal;
                let text = lapse_text(locale, Audience::Staff, a.target, &n.lapse);
                let label = locale.t_with("review_notices.mark_seen_label", &[("reference", &a.reference())]);
                view! {
                    <li>
                        <p><a href=href(a.id)>{a.reference()}</a>" · "{a.subject_name.clone()}</p>
                        <p>{text}</p>
                        <form method="post" action=action class="inline">
                            <input type="hidden" name="appeal" value=a.id.to_string()/>
                            <input type="hidden" name="level" value=n.lapse.level.to_string()/>
                            <button type="submit" class="secondary" aria-label=label>
                                {locale.t("review_notices.mark_seen")}
                            </button>
                        </form>
                    </li>
                }
            })
            .collect_view();
        view! {
            <section class="notice-list" aria-labelledby="decider-notices">
                <h2 id="decider-notices">{locale.t("review_notices.title")}</h2>
                <p>{locale.t("review_notices.intro")}</p>
                <ul class="notices">{items}</ul>
            </section>
        }
    })
}
