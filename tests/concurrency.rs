//! Simultaneous writes of mixed kinds, on both databases: every one is recorded or refused with
//! its own answer, never a 5xx ("database is locked" on SQLite, before writes took the lock at
//! BEGIN), and what was recorded is exactly what was answered.

mod common;

use chrono::{Duration, Utc};
use common::{count, for_each_database, id_of, multipart, sign_in, TestApp};
use futures::future::join_all;
use reqwest::StatusCode;

/// One form post with its own client; (what it was, status).
async fn send(
    app: &TestApp,
    what: &'static str,
    path: String,
    form: Vec<(String, String)>,
) -> (&'static str, StatusCode) {
    let response =
        app.client.post(app.url(&path)).header("origin", &app.address).form(&form).send().await.unwrap();
    (what, response.status())
}

/// A multipart appeal filing on `event`.
async fn file(app: &TestApp, event: String) -> (&'static str, StatusCode) {
    let fields = [
        ("target_kind", "event"),
        ("target_id", event.as_str()),
        ("grounds", "other"),
        ("statement", "Filed at the same moment as everything else."),
    ];
    let (content_type, body) = multipart(&fields, &[]);
    let response = app
        .client
        .post(app.url("/appeals"))
        .header("origin", &app.address)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    ("file an appeal", response.status())
}

#[tokio::test]
async fn fifty_simultaneous_writes_of_mixed_kinds_never_answer_a_server_error() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let recorder = app.another_visitor();
        sign_in(&recorder, "demo-recorder", "traffic-demo-2026").await;
        let liu = app.another_visitor();
        sign_in(&liu, "demo-liu", "liu-yang-demo-2026").await;
        let wang = app.another_visitor();
        sign_in(&wang, "demo-subject", "wang-fang-demo-2026").await;
        let reviewer = app.another_visitor();
        sign_in(&reviewer, "demo-reviewer", "review-demo-2026").await;

        let chen = id_of(&app, "SELECT id FROM subjects WHERE display_name = 'Chen Jie'").await;
        let liu_events: Vec<String> = sqlx::query_scalar(
            "SELECT e.id FROM events e JOIN subjects s ON s.id = e.subject_id WHERE s.display_name = 'Liu Yang' \
             AND e.kind = 'fact' AND e.id NOT IN (SELECT event_id FROM appeals WHERE event_id IS NOT NULL) ORDER BY e.id",
        )
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
        assert!(liu_events.len() >= 4, "{}", app.label);
        let open: Vec<String> = sqlx::query_scalar("SELECT id FROM appeals WHERE status = 'open' ORDER BY id")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
        let events_before = count(&app, "SELECT COUNT(*) FROM events").await;
        let appeals_before = count(&app, "SELECT COUNT(*) FROM appeals").await;

        let occurred = (Utc::now() - Duration::days(1)).format("%Y-%m-%dT%H:%M").to_string();
        let mut writes = Vec::new();
        for i in 0..20 {
            let form = vec![
                ("scheme".to_string(), "rongcheng".to_string()),
                ("rule_code".to_string(), "TRAFFIC-01".to_string()),
                ("occurred_at".to_string(), occurred.clone()),
                ("points".to_string(), String::new()),
                ("source".to_string(), "Ticket".to_string()),
                ("evidence_ref".to_string(), String::new()),
                // Two of them send the same reference: one event, one duplicate answer.
                ("external_ref".to_string(), format!("RACE-{}", i.min(18))),
            ];
            writes.push(Box::pin(send(&recorder, "record an event", format!("/recording/subjects/{chen}/events"), form))
                as std::pin::Pin<Box<dyn std::future::Future<Output = (&'static str, StatusCode)>>>);
        }
        // Each of four records contested three times at once: one appeal each, the rest refused.
        for event in liu_events.iter().take(4) {
            for _ in 0..3 {
                writes.push(Box::pin(file(&liu, event.clone())));
            }
        }
        for _ in 0..10 {
            writes.push(Box::pin(send(&wang, "mark notices read", "/notices/read".into(), Vec::new())));
        }
        for id in open.iter().cycle().take(8) {
            writes.push(Box::pin(send(&reviewer, "claim", format!("/review/appeals/{id}/claim"), Vec::new())));
        }
        assert_eq!(writes.len(), 50);
        let answers = join_all(writes).await;
        for (what, status) in &answers {
            assert!(status.as_u16() < 500, "{}: {what} answered {status}", app.label);
        }
        let recorded = answers.iter().filter(|(w, s)| *w == "record an event" && *s == StatusCode::SEE_OTHER).count();
        assert_eq!(recorded, 20, "{}: every event post was answered as recorded or duplicate", app.label);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM events").await, events_before + 19, "{}", app.label);
        let filed = answers.iter().filter(|(w, s)| *w == "file an appeal" && *s == StatusCode::SEE_OTHER).count();
        assert_eq!(filed, 4, "{}: one appeal per record: {answers:?}", app.label);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM appeals").await, appeals_before + 4, "{}", app.label);
    })
    .await;
}
