//! Deadlines with consequences, over HTTP on both databases: an appeal left to go overdue under a
//! scheme that suspends at the deadline (the record stops counting though the scheme keeps
//! disputed records counting) and under one that voids by default ("not verified in time"); each
//! consequence applies once, however many times or servers run the task, with one notice and one
//! audit row; both sides' appeal pages say what happened and what comes next, in both languages;
//! a bad setting is refused naming its field.

mod common;

use chrono::{Duration, Utc};
use common::{for_each_database, signed_in, TestApp};
use recourse::{
    domain::{EventId, SchemeId, SubjectId},
    store::{catalogue, deadlines, standing},
};
use reqwest::{Client, StatusCode};
use sqlx::Row;

const LIU: (&str, &str) = ("demo-liu", "liu-yang-demo-2026");
const REVIEWER: (&str, &str) = ("demo-reviewer", "review-demo-2026");
const ADMIN: (&str, &str) = ("demo-admin", "admin-demo-2026");

async fn get(app: &TestApp, client: &Client, path: &str, language: &str) -> String {
    let response = client.get(app.url(path)).header("accept-language", language).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.unwrap()
}

/// Liu Yang's open appeal on her PAY-LATE record (coastal credit, which keeps disputed records
/// counting): (appeal id, event id, subject id, scheme id).
async fn pay_late_appeal(app: &TestApp) -> (String, String, String, String) {
    let row = sqlx::query(
        "SELECT a.id, a.event_id, a.subject_id, a.scheme_id FROM appeals a JOIN events e ON e.id = a.event_id \
         JOIN subjects s ON s.id = a.subject_id \
         WHERE s.display_name = 'Liu Yang' AND e.rule_code = 'PAY-LATE' AND a.status = 'open'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    (row.get(0), row.get(1), row.get(2), row.get(3))
}

/// Moves the appeal's due date into the past: the deadline passed undecided.
async fn make_overdue(app: &TestApp, appeal: &str) {
    sqlx::query("UPDATE appeals SET due_at = $1 WHERE id = $2")
        .bind(recourse::store::to_micros(Utc::now() - Duration::days(1)))
        .bind(appeal)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

async fn count(app: &TestApp, sql: &str, appeal: &str) -> i64 {
    sqlx::query(sql).bind(appeal).fetch_one(&app.db.pool).await.unwrap().get(0)
}

/// How often the lapse was recorded, announced and audited.
async fn once_each(app: &TestApp, appeal: &str) -> [i64; 3] {
    [
        count(app, "SELECT COUNT(*) FROM appeal_lapses WHERE appeal_id = $1", appeal).await,
        count(app, "SELECT COUNT(*) FROM notices WHERE kind = 'appeal_overdue' AND appeal_id = $1", appeal)
            .await,
        count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'appeal.lapse' AND target_id = $1", appeal)
            .await,
    ]
}

async fn fresh(app: &TestApp, subject: &str, scheme: &str) -> recourse::domain::Derivation {
    let mut conn = app.db.pool.acquire().await.unwrap();
    let ctx = catalogue::context(&mut conn, SchemeId::parse(scheme).unwrap()).await.unwrap().unwrap();
    standing::derivation(&mut conn, &ctx, SubjectId::parse(subject).unwrap(), Utc::now()).await.unwrap()
}

/// The coastal settings form with `on_deadline`, the rest as the demo has them.
async fn set_coastal(app: &TestApp, admin: &Client, on_deadline: &str) -> (StatusCode, String) {
    let form = [
        ("band_grade_0", "Excellent"),
        ("band_min_0", "700"),
        ("band_grade_1", "Good"),
        ("band_min_1", "650"),
        ("band_grade_2", "Fair"),
        ("band_min_2", "600"),
        ("band_grade_3", "Moderate"),
        ("band_min_3", "550"),
        ("band_grade_4", "Poor"),
        ("band_min_4", ""),
        ("dispute_policy", "keeps_counting"),
        ("appeal_deadline_days", "30"),
        ("on_deadline", on_deadline),
    ];
    let response = admin
        .post(app.url("/admin/schemes/coastal-credit/settings"))
        .header("origin", &app.address)
        .form(&form)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn under_a_suspending_scheme_the_record_stops_counting_once_the_deadline_passes() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.expect("demo data");
        let admin = signed_in(&app, ADMIN).await;
        // A bad value is refused, naming the field; nothing changes.
        let (status, page) = set_coastal(&app, &admin, "forgive").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.label);
        let at = page.find(r#"id="on_deadline-error""#).expect(&page);
        assert!(page[at..].contains("what happens when an appeal is not decided by its deadline"), "{page}");
        let stored = || sqlx::query("SELECT on_deadline FROM schemes WHERE code = 'coastal-credit'");
        let value: String = stored().fetch_one(&app.db.pool).await.unwrap().get(0);
        assert_eq!(value, "void", "{}: the demo's coastal scheme voids by default", app.label);
        let (status, _) = set_coastal(&app, &admin, "suspend").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);
        let value: String = stored().fetch_one(&app.db.pool).await.unwrap().get(0);
        assert_eq!(value, "suspend");

        let (appeal, event, subject, scheme) = pay_late_appeal(&app).await;
        let event_id = EventId::parse(&event).unwrap();
        let before = fresh(&app, &subject, &scheme).await;
        assert!(before.lines.iter().any(|l| l.event == event_id), "counts while disputed before the deadline");
        // Not due yet: nothing to apply to it.
        deadlines::apply_due(&app.db, Utc::now()).await.unwrap();
        assert_eq!(once_each(&app, &appeal).await, [0, 0, 0], "{}: not due yet", app.label);

        make_overdue(&app, &appeal).await;
        let applied = deadlines::apply_due(&app.db, Utc::now()).await.unwrap();
        assert!(applied >= 1, "{}", app.label);
        assert_eq!(deadlines::apply_due(&app.db, Utc::now()).await.unwrap(), 0, "a second run applies nothing");
        assert_eq!(once_each(&app, &appeal).await, [1, 1, 1], "{}: once each", app.label);

        let after = fresh(&app, &subject, &scheme).await;
        assert!(!after.lines.iter().any(|l| l.event == event_id), "{}: no longer counts", app.label);
        let reason = after.not_counting.iter().find(|n| n.event == event_id).map(|n| n.reason.code());
        assert_eq!(reason, Some("suspended_while_disputed"));
        assert_ne!(after.score, before.score, "the late payment taken out changes the score");
        let status: String =
            sqlx::query("SELECT status FROM appeals WHERE id = $1").bind(&appeal).fetch_one(&app.db.pool).await.unwrap().get(0);
        assert_eq!(status, "open", "still to be decided");

        // Liu's pages: her score is the fresh one; the appeal says what happened and what next.
        let liu = signed_in(&app, LIU).await;
        let record = get(&app, &liu, "/record", "en").await;
        assert!(record.contains(&format!("<strong>{}<", after.score)), "{}: {record}", app.label);
        let page = get(&app, &liu, &format!("/appeals/{appeal}"), "en").await;
        assert!(page.contains("The deadline passed without a decision"), "{page}");
        assert!(page.contains("the contested record has been suspended: it does not count towards your score until the appeal is decided."), "{page}");
        assert!(page.contains("You need do nothing."), "{page}");
        assert!(
            page.contains("Deadline passed undecided") && page.contains("the record stops counting until the appeal is decided"),
            "{}: the lapse is on the appeal's timeline: {page}",
            app.label
        );
        let zh = get(&app, &liu, &format!("/appeals/{appeal}"), "zh-CN").await;
        assert!(zh.contains("期限已过，仍未作出决定") && zh.contains("不计入您的分数"), "{zh}");
        let notices = get(&app, &liu, "/notices", "en").await;
        assert!(notices.contains("The deadline for deciding an appeal of yours passed"), "{notices}");

        // The reviewer's page says the same, in staff wording.
        let reviewer = signed_in(&app, REVIEWER).await;
        let page = get(&app, &reviewer, &format!("/review/appeals/{appeal}"), "en").await;
        assert!(page.contains("it does not count towards the subject&#x27;s score until the appeal is decided.")
            || page.contains("it does not count towards the subject's score until the appeal is decided."), "{page}");
        assert!(page.contains("Decide the appeal as soon as possible."), "{page}");
    })
    .await;
}

#[tokio::test]
async fn under_a_voiding_scheme_the_record_is_voided_by_default_exactly_once() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.expect("demo data");
        let (appeal, event, subject, scheme) = pay_late_appeal(&app).await;
        let event_id = EventId::parse(&event).unwrap();
        make_overdue(&app, &appeal).await;
        // Two servers' tasks at once: the consequence applies once.
        let now = Utc::now();
        let (a, b) = tokio::join!(deadlines::apply_due(&app.db, now), deadlines::apply_due(&app.db, now));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(a + b >= 1, "{}", app.label);
        assert_eq!(once_each(&app, &appeal).await, [1, 1, 1], "{}: once each", app.label);
        let voids =
            count(&app, "SELECT COUNT(*) FROM events WHERE kind = 'void' AND target_event_id = $1", &event)
                .await;
        assert_eq!(voids, 1, "{}: one void record", app.label);
        let reason: String =
            sqlx::query("SELECT reason FROM events WHERE kind = 'void' AND target_event_id = $1")
                .bind(&event)
                .fetch_one(&app.db.pool)
                .await
                .unwrap()
                .get(0);
        assert_eq!(reason, "not verified in time");
        let status: String = sqlx::query("SELECT status FROM appeals WHERE id = $1")
            .bind(&appeal)
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
            .get(0);
        assert_eq!(status, "decided", "{}: closed", app.label);
        let after = fresh(&app, &subject, &scheme).await;
        let reason = after.not_counting.iter().find(|n| n.event == event_id).map(|n| n.reason.code());
        assert_eq!(reason, Some("voided"), "{}", app.label);

        let liu = signed_in(&app, LIU).await;
        let page = get(&app, &liu, &format!("/appeals/{appeal}"), "en").await;
        assert!(page.contains("the contested record was voided on"), "{page}");
        assert!(
            page.contains(
                "not verified in time. It no longer counts towards your score and the appeal is closed."
            ),
            "{page}"
        );
        assert!(page.contains("You have nothing more to do."), "{page}");
        assert!(
            page.contains("Closed: not verified in time"),
            "{}: not a reviewer's decision: {page}",
            app.label
        );
        assert!(!page.contains(">Decided</span>"), "{page}");
        assert!(
            page.contains("the record was voided by default, not verified in time"),
            "on the timeline: {page}"
        );
        let list = get(&app, &liu, "/appeals", "en").await;
        assert!(list.contains("Closed: not verified in time"), "{list}");
        assert!(
            !page.contains(r#"action="/appeals/"#) || !page.contains("/withdraw"),
            "no withdrawal of a closed appeal"
        );
        let zh = get(&app, &liu, &format!("/appeals/{appeal}"), "zh-CN").await;
        assert!(zh.contains("未能按时核实") && zh.contains("您无需再做任何事"), "{zh}");
        let reviewer = signed_in(&app, REVIEWER).await;
        let page = get(&app, &reviewer, &format!("/review/appeals/{appeal}"), "en").await;
        assert!(page.contains("Nothing is left to decide."), "{page}");
        assert!(!page.contains(r#"name="outcome""#), "{}: no decision form on a closed appeal", app.label);
    })
    .await;
}
