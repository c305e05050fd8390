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

/// Posts a "mark as seen" form.
async fn mark_seen(
    app: &TestApp,
    client: &Client,
    path: &str,
    appeal: &str,
    level: &str,
) -> (StatusCode, String) {
    let response = client
        .post(app.url(path))
        .header("origin", &app.address)
        .form(&[("appeal", appeal), ("level", level)])
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn unseen(app: &TestApp, appeal: &str) -> i64 {
    count(app, "SELECT COUNT(*) FROM review_notices WHERE seen_at IS NULL AND appeal_id = $1", appeal).await
}

#[tokio::test]
async fn those_who_decide_are_told_once_when_a_deadline_lapses_until_one_marks_it_seen() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.expect("demo data");
        let (appeal, ..) = pay_late_appeal(&app).await;
        let reference = recourse::store::appeals::reference(uuid::Uuid::parse_str(&appeal).unwrap());
        let reviewer = signed_in(&app, REVIEWER).await;
        let queue = get(&app, &reviewer, "/review", "en").await;
        assert!(!queue.contains("Deadlines that passed undecided"), "{}: nothing lapsed yet", app.label);

        make_overdue(&app, &appeal).await;
        let now = Utc::now();
        let (a, b) = tokio::join!(deadlines::apply_due(&app.db, now), deadlines::apply_due(&app.db, now));
        assert!(a.unwrap() + b.unwrap() >= 1, "{}", app.label);
        let sent = count(&app, "SELECT COUNT(*) FROM review_notices WHERE appeal_id = $1", &appeal).await;
        assert_eq!(sent, 1, "{}: the review body is told once", app.label);

        // Every reviewer sees it above the queue, in either language; administrators do not.
        let other = signed_in(&app, ("demo-reviewer-2", "review2-demo-2026")).await;
        for client in [&reviewer, &other] {
            let queue = get(&app, client, "/review", "en").await;
            let at = queue.find("Deadlines that passed undecided").expect(&queue);
            assert!(queue[at..].contains(&reference), "{}: {queue}", app.label);
            assert!(queue[at..].contains("the contested record was voided on"), "{queue}");
        }
        let zh = get(&app, &reviewer, "/review", "zh-CN").await;
        assert!(zh.contains("已过期限仍未决定的申诉") && zh.contains("未能按时核实"), "{zh}");
        let admin = signed_in(&app, ADMIN).await;
        let challenges = get(&app, &admin, "/admin/appeals", "en").await;
        assert!(!challenges.contains(&reference), "{}: not the administrators' to decide", app.label);
        let page = get(&app, &reviewer, &format!("/review/appeals/{appeal}"), "en").await;
        assert!(page.contains("nobody has marked it seen yet"), "{page}");

        // Bad forms are refused, saying which field, and change nothing.
        let (status, page) = mark_seen(&app, &reviewer, "/review/notices/seen", "not-an-id", "1").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.label);
        assert!(page.contains("Appeal: no deadline notice of this appeal is waiting here."), "{page}");
        let (status, page) = mark_seen(&app, &reviewer, "/review/notices/seen", &appeal, "7").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("Level: it must be 1 or 2."), "{page}");
        let (status, _) = mark_seen(&app, &admin, "/admin/appeals/notices/seen", &appeal, "1").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: not the administrators' notice", app.label);
        assert_eq!(unseen(&app, &appeal).await, 1, "{}: nothing changed", app.label);

        // One reviewer marks it seen: gone for both, and the appeal page says who and when.
        let (status, _) = mark_seen(&app, &reviewer, "/review/notices/seen", &appeal, "1").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);
        assert_eq!(unseen(&app, &appeal).await, 0);
        let queue = get(&app, &other, "/review", "en").await;
        // (The demo's other overdue appeal, lapsed in the same run, is still listed.)
        assert!(!queue.contains(&reference), "{}: {queue}", app.label);
        let page = get(&app, &other, &format!("/review/appeals/{appeal}"), "en").await;
        let name: String = sqlx::query("SELECT display_name FROM accounts WHERE username = 'demo-reviewer'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
            .get(0);
        assert!(page.contains(&format!("{name} marked it seen on")), "{}: says who: {page}", app.label);
        // A second press, by the other reviewer, changes nothing.
        let (status, _) = mark_seen(&app, &other, "/review/notices/seen", &appeal, "1").await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let by: String = sqlx::query(
            "SELECT c.username FROM review_notices n JOIN accounts c ON c.id = n.seen_by WHERE n.appeal_id = $1",
        )
        .bind(&appeal)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .get(0);
        assert_eq!(by, "demo-reviewer", "{}: the first to mark it", app.label);
        let audited =
            count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'appeal.notice_seen' AND target_id = $1", &appeal)
                .await;
        assert_eq!(audited, 1, "{}", app.label);

        // A challenge to a rule is the administrators' to decide: its lapse is told to them.
        let challenge = file_rule_challenge(&app).await;
        let reference = recourse::store::appeals::reference(challenge);
        make_overdue(&app, &challenge.to_string()).await;
        deadlines::apply_due(&app.db, Utc::now()).await.unwrap();
        let queue = get(&app, &admin, "/admin/appeals", "en").await;
        let at = queue.find("Deadlines that passed undecided").expect(&queue);
        assert!(queue[at..].contains(&reference), "{}: {queue}", app.label);
        let queue = get(&app, &reviewer, "/review", "en").await;
        assert!(!queue.contains(&reference), "{}: not the reviewers'", app.label);
        let (status, _) =
            mark_seen(&app, &admin, "/admin/appeals/notices/seen", &challenge.to_string(), "1").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);
        let page = get(&app, &admin, &format!("/admin/appeals/{challenge}"), "en").await;
        assert!(page.contains("The deadline passed without a decision") && page.contains("marked it seen on"), "{page}");
    })
    .await;
}

/// Wang Fang's challenge to the VOLUNTEER-01 rule, filed now.
async fn file_rule_challenge(app: &TestApp) -> uuid::Uuid {
    use recourse::{
        domain::{
            appeal::{Grounds, Statement},
            RuleVersionId,
        },
        store::{
            appeals::{self, NewAppeal, Target},
            audit::Actor,
        },
    };
    let row = sqlx::query("SELECT id, subject_id FROM accounts WHERE username = 'demo-subject'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let (account, subject): (String, String) = (row.get(0), row.get(1));
    let version: String = sqlx::query(
        "SELECT id FROM rule_versions WHERE rule_code = 'VOLUNTEER-01' AND status = 'published' \
         ORDER BY version DESC LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
    .get(0);
    let new = NewAppeal {
        subject: SubjectId::parse(&subject).unwrap(),
        target: Target::Rule(RuleVersionId::parse(&version).unwrap()),
        grounds: Grounds::Disproportionate,
        statement: Statement::parse("Points for volunteering make a duty of a gift.").unwrap(),
        files: Vec::new(),
    };
    let mut tx = app.db.begin_write().await.unwrap();
    let id = appeals::file(
        &mut tx,
        &Actor::cli("test"),
        uuid::Uuid::parse_str(&account).unwrap(),
        new,
        Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}
