//! One standing (DESIGN.md invariant 10): for every demo subject with an open appeal, in a scheme
//! that suspends a disputed record and in one that keeps counting it, the subject's record page,
//! their export, the recorder's page, the reviewer's page and the stored current score show the
//! same score and grade, equal to a derivation the test assembles itself from the stored rows;
//! the record page agrees at past instants too. Values come from the pages' view models and the
//! export's JSON, not from markup. Then the recorder's list and the reviewer's contested block,
//! over HTTP.

mod common;

use chrono::{Duration, Utc};
use common::{for_each_database, id_of, post, recorder_section, sign_in, text, TestApp};
use recourse::{
    auth::access::Viewer,
    domain::{self, DisputePolicy, EventId, SchemeId, SubjectId},
    http::{AppState, Config},
    i18n::Locale,
    pages::{
        recorder::recording::SubjectPage,
        reviewer::review::ReviewPage,
        subject::{
            notices,
            record::{RecordPage, RecordQuery},
        },
    },
    store::{accounts, appeals, catalogue, records},
};
use reqwest::StatusCode;
use sqlx::Row;

async fn viewer(app: &TestApp, username: &str) -> Viewer {
    let mut conn = app.db.pool.acquire().await.unwrap();
    Viewer::from_account(&accounts::by_username(&mut conn, username).await.unwrap().unwrap())
}

/// (score, grade) derived here from the stored records and the subject's appeals, without the
/// standing loader.
async fn fresh(
    app: &TestApp,
    subject: SubjectId,
    scheme: SchemeId,
    at: chrono::DateTime<Utc>,
) -> (i64, String) {
    let mut conn = app.db.pool.acquire().await.unwrap();
    let ctx = catalogue::context(&mut conn, scheme).await.unwrap().unwrap();
    let events: Vec<_> =
        records::events_of(&mut conn, subject, scheme).await.unwrap().into_iter().map(|s| s.event).collect();
    let disputes = appeals::disputes(&mut conn, subject, scheme).await.unwrap();
    let d = domain::derive(ctx.scheme(), &ctx.catalogue, &events, &disputes, at);
    (d.score, d.grade.to_string())
}

#[tokio::test]
async fn every_view_of_a_subject_under_appeal_shows_one_score_and_grade() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let state = AppState::new(app.db.clone(), Config::default());
        let open = sqlx::query(
            "SELECT a.id, a.subject_id, a.scheme_id, a.event_id, s.dispute_policy, s.code FROM appeals a \
             JOIN schemes s ON s.id = a.scheme_id WHERE a.status = 'open' AND a.target_kind = 'event' ORDER BY a.id",
        )
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
        let policies: Vec<String> = open.iter().map(|r| r.get(4)).collect();
        for policy in [DisputePolicy::SuspendedWhileDisputed, DisputePolicy::KeepsCounting] {
            assert!(policies.iter().any(|p| p == policy.code()), "{}: the demo has an open appeal under {policy:?}", app.label);
        }
        // Each scheme's recorder: a recorder sees a scheme only where its authority holds a mandate.
        let traffic = viewer(&app, "demo-recorder").await;
        let bureau = viewer(&app, "demo-credit").await;
        let reviewer = viewer(&app, "demo-reviewer").await;
        for row in &open {
            let appeal_id = uuid::Uuid::parse_str(&row.get::<String, _>(0)).unwrap();
            let subject = SubjectId::parse(&row.get::<String, _>(1)).unwrap();
            let scheme = SchemeId::parse(&row.get::<String, _>(2)).unwrap();
            let contested = EventId::parse(&row.get::<String, _>(3)).unwrap();
            let suspends = row.get::<String, _>(4) == DisputePolicy::SuspendedWhileDisputed.code();
            let code: String = row.get(5);
            let who = format!("{}: {code}, appeal {appeal_id}", app.label);
            let owner = {
                let mut conn = app.db.pool.acquire().await.unwrap();
                let username: String = sqlx::query("SELECT username FROM accounts WHERE subject_id = $1")
                    .bind(subject.to_string())
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap()
                    .get(0);
                viewer(&app, &username).await
            };
            let now = Utc::now();
            let expected = fresh(&app, subject, scheme, now).await;
            let shown = |d: &domain::Derivation| (d.score, d.grade.to_string());

            let record = RecordPage::load(&state, &owner, &RecordQuery::default(), now).await.unwrap();
            let mine = record.schemes.iter().find(|s| s.standing.scheme_id() == scheme).unwrap();
            assert_eq!(shown(&mine.standing.derivation), expected, "{who}: the record page");
            assert_eq!(mine.standing.derivation.shown_total(), expected.0, "{who}: its lines add up");

            let export = notices::export(&state, &owner, now).await.unwrap();
            let exported = export["schemes"].as_array().unwrap().iter().find(|s| s["scheme"] == code.as_str()).unwrap();
            assert_eq!(
                (exported["score"].as_i64().unwrap(), exported["grade"].as_str().unwrap().to_string()),
                expected,
                "{who}: the export"
            );
            let status = exported["events"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["event"]["id"] == contested.to_string().as_str())
                .map(|e| e["status"].as_str().unwrap().to_string());
            let want = if suspends { "suspended_while_disputed" } else { "counting" };
            assert_eq!(status.as_deref(), Some(want), "{who}: the export says what the contested record is");

            let recorder = if code == "coastal-credit" { &bureau } else { &traffic };
            let recording = SubjectPage::load(&state, recorder, &subject.to_string(), now).await.unwrap();
            let theirs = recording.scheme(scheme).unwrap_or_else(|| panic!("{who}: the recorder's scheme"));
            assert_eq!(shown(&theirs.standing.derivation), expected, "{who}: the recorder's page");

            let appeal = {
                let mut conn = app.db.pool.acquire().await.unwrap();
                appeals::appeal(&mut conn, appeal_id).await.unwrap().unwrap()
            };
            let review = ReviewPage::load(&state, &reviewer, Locale::En, appeal, now).await.unwrap();
            assert_eq!(shown(&review.standing.as_ref().unwrap().derivation), expected, "{who}: the reviewer's page");

            for days in [30, 200] {
                let day = (now - Duration::days(days)).date_naive();
                let query = RecordQuery { as_of: Some(day.format("%Y-%m-%d").to_string()), page: None };
                let past = RecordPage::load(&state, &owner, &query, now).await.unwrap();
                let then = past.schemes.iter().find(|s| s.standing.scheme_id() == scheme).unwrap();
                assert_eq!(past.at.date_naive(), day, "{who}");
                assert_eq!(shown(&then.standing.derivation), fresh(&app, subject, scheme, past.at).await, "{who}: as of {day}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn the_recorders_list_holds_corrections_and_adds_up_to_the_score() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let wang = id_of(&app, "SELECT id FROM subjects WHERE display_name = 'Wang Fang'").await;
        sign_in(&app, "demo-recorder", "traffic-demo-2026").await;
        let (status, page) = text(&app, &format!("/recording/subjects/{wang}")).await;
        assert_eq!(status, StatusCode::OK, "{}", app.label);
        let section = recorder_section(&page, "Rongcheng").expect("the traffic police record in Rongcheng");
        let rongcheng = &section.html;
        assert!(rongcheng.contains("DEMO-CORRECTION-1"), "the correction is listed: {rongcheng}");
        assert!(rongcheng.contains("Correction") && rongcheng.contains("superseded"), "{rongcheng}");
        // With the other records' row (her court and volunteering records), the points that
        // count add up to the score.
        assert!(section.others.is_some(), "{}: the other records are summed up: {rongcheng}", app.label);
        let score = section.score;
        let base: i64 = 1000;
        assert_eq!(
            base + section.counted(),
            score,
            "{}: the points that count add up: {rongcheng}",
            app.label
        );
        assert!(rongcheng.contains(&format!("<strong>{score}</strong>")), "the total row: {rongcheng}");
    })
    .await;
}

#[tokio::test]
async fn after_a_decision_the_reviewer_sees_the_original_record_and_the_correction_apart() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let appeal = id_of(
            &app,
            "SELECT a.id FROM appeals a JOIN events e ON e.id = a.event_id WHERE e.rule_code = 'FRAUD-01' AND a.status = 'open'",
        )
        .await;
        let original = id_of(&app, &format!("SELECT external_ref FROM events WHERE id = (SELECT event_id FROM appeals WHERE id = '{appeal}')")).await;
        sign_in(&app, "demo-reviewer", "review-demo-2026").await;
        let (_, before) = text(&app, &format!("/review/appeals/{appeal}")).await;
        assert!(before.contains("The subject&#x27;s statement") || before.contains("The subject's statement"), "{before}");
        assert!(!before.contains("Your statement") && !before.contains("your score"), "staff pages speak of the subject: {before}");
        let reasons = "The contract was signed with a stolen identity card, as the police report filed at the time shows.";
        let (status, _, _) = post(
            &app,
            &format!("/review/appeals/{appeal}/decide"),
            &[("outcome", "partly_upheld"), ("points", "-60"), ("reasons", reasons)],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);
        let (_, after) = text(&app, &format!("/review/appeals/{appeal}")).await;
        let contested = after.split("The contested record").nth(1).unwrap().split("</dl>").next().unwrap();
        assert!(contested.contains(&original), "{}: the original record, not the correction: {contested}", app.label);
        assert!(contested.contains("Rongcheng People"), "credited to the authority that recorded it: {contested}");
        let correction = after.split("The correction this appeal").nth(1).unwrap().split("</dl>").next().unwrap();
        assert!(correction.contains("−60") && correction.contains("Recorded by reviewer"), "{correction}");
        assert!(after.contains("The subject&#x27;s grade") || after.contains("The subject's grade"), "{after}");
    })
    .await;
}
