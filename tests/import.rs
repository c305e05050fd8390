//! Bulk import over HTTP on both databases: CSV and JSON files through the API and the recorder's
//! form, a per-row report, all-or-nothing and good-rows modes, re-sending a file records nothing
//! twice, malformed files get specific answers, a 2 GB upload is refused from its length.

mod api_support;
mod common;

use api_support::*;
use common::{for_each_database, TestApp};
use reqwest::{header, Client, StatusCode};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn import(app: &TestApp, token: &str, mode: &str, media: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let response = Client::new()
        .post(app.url(&format!("/api/v1/imports?mode={mode}")))
        .bearer_auth(token)
        .header(header::CONTENT_TYPE, media)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// The demo data, and a token of the traffic police made by the demo administrator (signed in).
async fn traffic_import_token(app: &TestApp) -> (Client, String) {
    demo(app).await;
    let admin = signed_in(app, "demo-admin").await;
    let token = make_token(app, &admin, "rc-traffic", "nightly import").await;
    (admin, token)
}

const HEADER: &str =
    "subject_id,scheme,rule_code,occurred_at,points,external_ref,recorded_by,source,evidence_ref\n";

fn csv(rows: &[String]) -> Vec<u8> {
    let mut file = String::from("\u{feff}");
    file.push_str(HEADER);
    for row in rows {
        file.push_str(row);
        file.push('\n');
    }
    file.into_bytes()
}

fn row(subject: &str, at: &str, reference: &str) -> String {
    format!("{subject},rongcheng,TRAFFIC-01,{at},,{reference},officer 7,ticket,EV-1")
}

fn codes(report: &Value) -> Vec<(u64, String, String)> {
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["row"].as_u64().unwrap(),
                p["field"].as_str().unwrap().to_string(),
                p["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// (subject, reference of the event it is about) of every import notice about an `F-` record.
async fn import_notices(app: &TestApp) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT n.subject_id, e.external_ref FROM notices n JOIN events e ON e.id = n.event_id \
         WHERE n.kind = 'events_imported' AND e.external_ref LIKE 'F-%' ORDER BY e.external_ref",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_csv_file_is_imported_once_however_often_it_is_sent() {
    for_each_database(|app| async move {
        let (admin, token) = traffic_import_token(&app).await;
        let subjects = rongcheng_members(&app, 3).await;
        let before = events_of(&app, "rc-traffic").await;
        let mut rows: Vec<String> = subjects
            .iter()
            .enumerate()
            .map(|(i, s)| row(s, &days_ago(i as i64 + 1), &format!("F-{i}")))
            .collect();
        // A second record about the first subject: still one notice to them.
        rows.push(row(&subjects[0], &days_ago(9), "F-3"));
        let (status, report) = import(&app, &token, "all_or_nothing", "text/csv", csv(&rows)).await;
        assert_eq!(status, StatusCode::OK, "{}: {report}", app.label);
        assert_eq!((report["rows"].as_u64(), report["recorded"].as_u64()), (Some(4), Some(4)), "{report}");
        assert_eq!(events_of(&app, "rc-traffic").await, before + 4);
        for s in &subjects {
            standing_adds_up(&app, s).await;
        }
        let expected: Vec<(String, String)> =
            subjects.iter().enumerate().map(|(i, s)| (s.clone(), format!("F-{i}"))).collect();
        assert_eq!(
            import_notices(&app).await,
            expected,
            "{}: one notice per subject, about their first new record",
            app.label
        );
        let (status, report) = import(&app, &token, "good_rows", "text/csv", csv(&rows)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (report["recorded"].as_u64(), report["duplicates"].as_u64()),
            (Some(0), Some(4)),
            "{report}"
        );
        assert_eq!(events_of(&app, "rc-traffic").await, before + 4, "{}: nothing twice", app.label);
        assert_eq!(import_notices(&app).await, expected, "{}: no notice for a re-sent file", app.label);
        let provenance: (String, String) =
            sqlx::query_as("SELECT recorded_by, source FROM events WHERE external_ref = 'F-0'")
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        assert_eq!(provenance, ("officer 7".to_string(), "ticket".to_string()));
        let audited: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'import.record'")
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        assert!(
            audited >= 1,
            "{}: the import that wrote is audited, one row per subject of the transaction",
            app.label
        );
        // The status of the import, for its authority only.
        let id = report["import_id"].as_str().unwrap();
        let status = Client::new()
            .get(app.url(&format!("/api/v1/imports/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(status.status(), StatusCode::OK);
        let court = make_token(&app, &admin, "rc-court", "court").await;
        let status = Client::new()
            .get(app.url(&format!("/api/v1/imports/{id}")))
            .bearer_auth(&court)
            .send()
            .await
            .unwrap();
        assert_eq!(status.status(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn a_file_with_bad_rows_records_nothing_or_only_the_good_rows() {
    for_each_database(|app| async move {
        let (_, token) = traffic_import_token(&app).await;
        let subjects = rongcheng_members(&app, 2).await;
        let before = events_of(&app, "rc-traffic").await;
        let rows = vec![
            row(&subjects[0], &days_ago(1), "G-1"),
            row("0193a5b2-7c1e-7d3a-9f00-1234567890ab", &days_ago(1), "G-2"),
            // A blank line: skipped, and the rows after it keep the line numbers an editor shows.
            String::new(),
            format!("{},rongcheng,NO-SUCH,{},,G-3,,,", subjects[1], days_ago(1)),
            row(&subjects[1], &days_ago(-5), "G-4"),
            row(&subjects[1], &days_ago(2), "G-1"),
            format!("{},rongcheng,TRAFFIC-01", subjects[1]),
            row(&subjects[1], &days_ago(3), "G-7"),
        ];
        let (status, report) = import(&app, &token, "all_or_nothing", "text/csv", csv(&rows)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {report}", app.label);
        assert_eq!(report["committed"], false);
        let expected = vec![
            (3, "subject_id".to_string(), "unknown_subject".to_string()),
            (5, "rule_code".to_string(), "unknown_rule".to_string()),
            (6, "occurred_at".to_string(), "future_date".to_string()),
            (7, "external_ref".to_string(), "duplicate_reference".to_string()),
            (8, "".to_string(), "wrong_field_count".to_string()),
        ];
        let mut got = codes(&report);
        got.sort();
        assert_eq!(got, expected, "{}", app.label);
        assert_eq!(events_of(&app, "rc-traffic").await, before, "{}: nothing recorded", app.label);

        let (status, report) = import(&app, &token, "good_rows", "text/csv", csv(&rows)).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!((report["recorded"].as_u64(), report["refused"].as_u64()), (Some(2), Some(5)), "{report}");
        assert_eq!(events_of(&app, "rc-traffic").await, before + 2);
    })
    .await;
}

#[tokio::test]
async fn a_reference_repeated_chunks_apart_is_refused_like_one_repeated_next_door() {
    for_each_database(|app| async move {
        let (_, token) = traffic_import_token(&app).await;
        let subjects = rongcheng_members(&app, 3).await;
        let before = events_of(&app, "rc-traffic").await;
        // Far more rows than the importer checks at a time, the last (line 2,602 after the header)
        // repeating the first exactly.
        let mut rows: Vec<String> = (0..2_600)
            .map(|i| row(&subjects[i % 3], &days_ago(1 + (i % 300) as i64), &format!("C-{i}")))
            .collect();
        rows.push(rows[0].clone());
        let (status, report) = import(&app, &token, "all_or_nothing", "text/csv", csv(&rows)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {report}", app.label);
        assert_eq!(
            codes(&report),
            vec![(2_602, "external_ref".to_string(), "duplicate_reference".to_string())]
        );
        assert_eq!(events_of(&app, "rc-traffic").await, before, "{}: nothing recorded", app.label);

        let (status, report) = import(&app, &token, "good_rows", "text/csv", csv(&rows)).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(
            (report["recorded"].as_u64(), report["refused"].as_u64()),
            (Some(2_600), Some(1)),
            "{report}"
        );
        assert_eq!(events_of(&app, "rc-traffic").await, before + 2_600);
        for s in &subjects {
            standing_adds_up(&app, s).await;
        }
        // Sent again: the same answer for the repeat, and nothing twice.
        let (_, report) = import(&app, &token, "good_rows", "text/csv", csv(&rows)).await;
        assert_eq!(
            (report["duplicates"].as_u64(), report["refused"].as_u64()),
            (Some(2_600), Some(1)),
            "{report}"
        );
        assert_eq!(
            codes(&report),
            vec![(2_602, "external_ref".to_string(), "duplicate_reference".to_string())]
        );
        assert_eq!(events_of(&app, "rc-traffic").await, before + 2_600);

        // Every record of every chunk has its audit row, in either mode.
        let fresh: Vec<String> = (0..2_600)
            .map(|i| row(&subjects[i % 3], &days_ago(1 + (i % 300) as i64), &format!("D-{i}")))
            .collect();
        let (status, report) = import(&app, &token, "all_or_nothing", "text/csv", csv(&fresh)).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        // One audit row per subject for the transaction, not one per subject and chunk.
        assert_eq!(
            audit_rows_of(&app, &report).await,
            vec![867, 867, 866],
            "{}: records in each audit row of the import",
            app.label
        );
        // A subject with more records than one row holds gets a row per 2,000 of them.
        let one: Vec<String> = (0..2_600)
            .map(|i| row(&subjects[0], &days_ago(1 + (i % 300) as i64), &format!("E-{i}")))
            .collect();
        let (status, report) = import(&app, &token, "all_or_nothing", "text/csv", csv(&one)).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(audit_rows_of(&app, &report).await, vec![2_000, 600], "{}", app.label);
        let mut conn = app.db.pool.acquire().await.unwrap();
        let audit = recourse::store::chain::verify(&mut conn).await.unwrap();
        assert!(audit.holds(), "{}: {:?}", app.label, &audit.problems[..audit.problems.len().min(5)]);
    })
    .await;
}

/// How many records each audit row of an import covers, largest first.
async fn audit_rows_of(app: &TestApp, report: &Value) -> Vec<usize> {
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT records FROM audit_log WHERE action = 'import.record' AND target_id = $1")
            .bind(report["import_id"].as_str().unwrap())
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    let mut sizes: Vec<usize> =
        rows.iter().map(|r| serde_json::from_str::<Vec<Value>>(r).unwrap().len()).collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    sizes
}

#[tokio::test]
async fn after_imports_every_pooled_connection_still_enforces_foreign_keys() {
    for_each_database(|app| async move {
        let (_, token) = traffic_import_token(&app).await;
        let subjects = rongcheng_members(&app, 1).await;
        let good = csv(&[row(&subjects[0], &days_ago(1), "K-1")]);
        let bad = csv(&[row(&subjects[0], &days_ago(2), "K-2"), row(&subjects[0], &days_ago(-3), "K-3")]);
        for (mode, file) in [("all_or_nothing", &good), ("all_or_nothing", &bad), ("good_rows", &bad)] {
            import(&app, &token, mode, "text/csv", file.clone()).await;
        }
        // Every connection the pool holds at once (the importer's own one, which skips the
        // database's checks on SQLite, must never have come back to it).
        let mut held = Vec::new();
        for _ in 0..app.db.pool.size().max(1) {
            held.push(app.db.pool.acquire().await.unwrap());
        }
        // And a write transaction's connection (SQLite's writers have a pool of their own).
        let mut write = app.db.begin_write().await.unwrap();
        let orphan = sqlx::query(
            "INSERT INTO scheme_memberships (subject_id, scheme_id, joined_at, last_write_at) \
             VALUES ('0193a5b2-7c1e-7d3a-9f00-1234567890ab', 'no-such-scheme', 0, 0)",
        )
        .execute(&mut *write)
        .await;
        assert!(orphan.is_err(), "{}: a write transaction accepted a dangling reference", app.label);
        drop(write);
        for conn in &mut held {
            let orphan = sqlx::query(
                "INSERT INTO scheme_memberships (subject_id, scheme_id, joined_at, last_write_at) \
                 VALUES ('0193a5b2-7c1e-7d3a-9f00-1234567890ab', 'no-such-scheme', 0, 0)",
            )
            .execute(&mut **conn)
            .await;
            assert!(orphan.is_err(), "{}: a pooled connection accepted a dangling reference", app.label);
        }
    })
    .await;
}

#[tokio::test]
async fn malformed_files_get_a_specific_answer_and_change_nothing() {
    for_each_database(|app| async move {
        let (_, token) = traffic_import_token(&app).await;
        let subject = rongcheng_members(&app, 1).await.remove(0);
        let before = events_of(&app, "rc-traffic").await;
        let good = row(&subject, &days_ago(1), "M-1");
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (HEADER.replace(',', ";").into_bytes(), "wrong_delimiter"),
            (
                format!("{HEADER}{good}\n{subject},rongcheng,TRAFFIC-01,{},,\"M-2\n", days_ago(1))
                    .into_bytes(),
                "line_break_in_field",
            ),
            ([HEADER.as_bytes(), good.replace("officer 7", "Caf\u{e9}").as_bytes()].concat(), "none"),
            (
                [
                    HEADER.as_bytes(),
                    good.as_bytes(),
                    b"\n",
                    subject.as_bytes(),
                    b",rongcheng,TRAFFIC-01,2026-01-01,,M-3,Caf\xe9,,\n",
                ]
                .concat(),
                "not_utf8",
            ),
            (b"subject_id,colour\n".to_vec(), "bad_header"),
            (Vec::new(), "empty_file"),
        ];
        for (body, code) in cases {
            let (status, report) = import(&app, &token, "all_or_nothing", "text/csv", body).await;
            if code == "none" {
                // UTF-8 text outside ASCII is fine.
                assert_eq!(status, StatusCode::OK, "{report}");
                continue;
            }
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {code}: {report}", app.label);
            assert!(codes(&report).iter().any(|(_, _, c)| c == code), "{}: {code}: {report}", app.label);
        }
        let recorded_utf8 = 1;
        assert_eq!(events_of(&app, "rc-traffic").await, before + recorded_utf8, "{}", app.label);

        let (status, report) =
            import(&app, &token, "all_or_nothing", "application/json", b"[{\"subject_id\": ".to_vec()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(codes(&report)[0].2, "invalid_json");
        let response = Client::new()
            .post(app.url("/api/v1/imports"))
            .bearer_auth(&token)
            .header(header::CONTENT_TYPE, "text/plain")
            .body("x")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    })
    .await;
}

#[tokio::test]
async fn a_json_file_is_imported_like_a_csv_file() {
    for_each_database(|app| async move {
        let (_, token) = traffic_import_token(&app).await;
        let subjects = rongcheng_members(&app, 2).await;
        let body = serde_json::json!([
            event(&subjects[0], "J-1", &days_ago(1)),
            event(&subjects[1], "J-2", &days_ago(2))
        ]);
        let (status, report) =
            import(&app, &token, "good_rows", "application/json", body.to_string().into_bytes()).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["recorded"], 2);
    })
    .await;
}

#[tokio::test]
async fn a_two_gigabyte_upload_is_refused_from_its_length_before_it_is_read() {
    for_each_database(|app| async move {
        let (_, token) = traffic_import_token(&app).await;
        let address = app.address.trim_start_matches("http://").to_string();
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        let request = format!(
            "POST /api/v1/imports HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: text/csv\r\nContent-Length: 2147483648\r\nConnection: close\r\n\r\n{HEADER}"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = vec![0u8; 4096];
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut answer))
            .await
            .expect("answered without waiting for the body")
            .unwrap();
        let answer = String::from_utf8_lossy(&answer[..n]);
        assert!(answer.starts_with("HTTP/1.1 413"), "{}: {answer}", app.label);
        assert!(answer.contains("too_large"), "{answer}");
    })
    .await;
}

#[tokio::test]
async fn a_recorder_uploads_a_file_through_the_form_and_follows_it_to_its_report() {
    for_each_database(|app| async move {
        demo(&app).await;
        let recorder = signed_in(&app, "demo-recorder").await;
        let page = recorder.get(app.url("/recording/import")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let subjects = rongcheng_members(&app, 2).await;
        let rows = vec![row(&subjects[0], &days_ago(1), "U-1"), row("nobody", &days_ago(1), "U-2")];
        let boundary = "----recourse-test-boundary";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"mode\"\r\n\r\ngood_rows\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"events.csv\"\r\n\
                 Content-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&csv(&rows));
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let response = recorder
            .post(app.url("/recording/import"))
            .header(header::ORIGIN, &app.address)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}", app.label);
        let location = response.headers()[header::LOCATION].to_str().unwrap().to_string();
        assert!(location.starts_with("/recording/import/"));
        let mut page = String::new();
        for _ in 0..100 {
            let response = recorder.get(app.url(&location)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let running = response.headers().get(header::REFRESH).is_some();
            page = response.text().await.unwrap();
            if !running {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(page.contains("Import finished"), "{}: {page}", app.label);
        assert!(page.contains("Recorded: 1"), "{page}");
        assert!(page.contains("subject_id"), "the refused row is named with its field");
        let form = recorder.get(app.url("/recording/import")).send().await.unwrap().text().await.unwrap();
        assert!(
            form.contains(&format!("href=\"{location}\"")) && form.contains("Done"),
            "{}: the form lists the authority's imports with their status: {form}",
            app.label
        );
        // Another authority's recorder would not find it; a subject gets 404 like anything not theirs.
        let subject = signed_in(&app, "demo-subject").await;
        assert_eq!(subject.get(app.url(&location)).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    })
    .await;
}

/// A job row as a server that ran an import left it: `running`, its heartbeat `age` ago.
async fn running_job(app: &TestApp, authority: &str, age: chrono::Duration, recorded: i64) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    let micros = |at: chrono::DateTime<chrono::Utc>| at.timestamp_micros();
    sqlx::query(
        "INSERT INTO imports (id, authority_id, actor, format, mode, status, rows_done, recorded, started_at, \
         owner, heartbeat_at) VALUES ($1, $2, 'test', 'csv', 'good_rows', 'running', $3, $3, $4, 'another', $5)",
    )
    .bind(&id)
    .bind(authority)
    .bind(recorded)
    .bind(micros(chrono::Utc::now() - age))
    .bind(micros(chrono::Utc::now() - age))
    .execute(&app.db.pool)
    .await
    .unwrap();
    id
}

#[tokio::test]
async fn only_imports_whose_heartbeat_is_stale_are_marked_interrupted_and_the_list_pages_newest_first() {
    for_each_database(|app| async move {
        let (admin, token) = traffic_import_token(&app).await;
        let authority = authority_id(&app, "rc-traffic").await;
        let gone = running_job(&app, &authority, chrono::Duration::hours(1), 50_000).await;
        let alive = running_job(&app, &authority, chrono::Duration::zero(), 100_000).await;
        let marked = recourse::store::import::mark_interrupted(&app.db, chrono::Utc::now()).await.unwrap();
        assert_eq!(marked, 1, "{}: only the stale one", app.label);

        let list = |query: String| {
            let request = Client::new().get(app.url(&format!("/api/v1/imports{query}"))).bearer_auth(&token);
            async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
        };
        let first = list("?limit=1".into()).await;
        assert_eq!(first["imports"][0]["import_id"], alive.as_str(), "newest first: {first}");
        assert_eq!(first["imports"][0]["status"], "running", "a live server's job is never marked");
        let after = first["next_after"].as_str().unwrap();
        let second = list(format!("?limit=1&after={after}")).await;
        assert_eq!(second["imports"][0]["import_id"], gone.as_str(), "{second}");
        assert_eq!(second["imports"][0]["status"], "interrupted");
        assert_eq!(second["imports"][0]["recorded"], 50_000, "with what it had committed");
        assert!(second["imports"][0]["reason"].as_str().unwrap().contains("stopped"), "{second}");
        let last = list(format!("?after={}", gone)).await;
        assert!(last["imports"].as_array().unwrap().is_empty() && last["next_after"].is_null(), "{last}");
        let bad = Client::new()
            .get(app.url("/api/v1/imports?after=yesterday"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

        // Another authority sees none of them.
        let court = make_token(&app, &admin, "rc-court", "court system").await;
        let theirs: Value = Client::new()
            .get(app.url("/api/v1/imports"))
            .bearer_auth(&court)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(theirs["imports"].as_array().unwrap().is_empty(), "{theirs}");
        let doc = app.get("/api/v1/openapi.json").await.json::<Value>().await.unwrap();
        assert!(
            doc["paths"]["/api/v1/imports"]["get"].is_object()
                && doc["paths"]["/api/v1/imports"]["post"].is_object()
        );
    })
    .await;
}
