//! Several servers, one database: two `recourse serve` processes (the real binary) on one
//! PostgreSQL database, as behind a load balancer with no sticky sessions. A session made on one
//! works on the other and signing out on one ends it on both; a catalogue change through one
//! shows on the other at its next request; sign-in throttling counts attempts on both together;
//! overlapping files imported through both at once record each row once, and both answers say
//! so; a repeal through one while the other serves record pages leaves every score, as the other
//! shows it, equal to a fresh derivation.
//!
//! PostgreSQL only (an SQLite file is one process's database): without
//! `RECOURSE_TEST_POSTGRES_URL` the test fails and says so.

mod api_support;
mod auth_support;
mod common;

use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use api_support::{authority_id, make_token, rongcheng_members, signed_in};
use auth_support::{bare_client, is_signed_in, session_cookie};
use chrono::{DateTime, Utc};
use common::{count, id_of, member_derivations, ServeProcess, TestApp};
use recourse::{
    auth::throttle::PER_ACCOUNT,
    db::{DatabaseUrl, Db},
    domain::SchemeId,
};
use reqwest::{header, Client, Response, StatusCode};
use serde_json::Value;
use sqlx::{AnyConnection, Connection, Executor};

const LABEL: &str = "postgres";

/// A fresh PostgreSQL database for the scenario, dropped afterwards whatever happens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_share_sessions_catalogue_throttling_imports_and_repeals() {
    let admin_url = std::env::var("RECOURSE_TEST_POSTGRES_URL").expect(
        "RECOURSE_TEST_POSTGRES_URL is not set: this test needs PostgreSQL (two server processes \
         share one database, which an SQLite file cannot be); ./scripts/test sets it",
    );
    sqlx::any::install_default_drivers();
    let name = format!("recourse_test_{}", uuid::Uuid::now_v7().simple());
    let mut admin = AnyConnection::connect(&admin_url).await.expect("PostgreSQL admin connection");
    admin.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
    let mut url = url::Url::parse(&admin_url).expect("RECOURSE_TEST_POSTGRES_URL is a URL");
    url.set_path(&name);
    let outcome =
        futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(scenario(url.as_str()))).await;
    // The scenario's servers are killed by now (dropped with it, also on a panic).
    admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await.expect("drop");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn scenario(url: &str) {
    let db = Db::connect(&DatabaseUrl::parse(url).unwrap()).await.unwrap();
    db.migrate().await.unwrap();
    recourse::demo::seed(&db, Utc::now()).await.unwrap();
    // Both behind one proxy: each counts sign-ins by the X-Forwarded-For address.
    let flags = ["--trust-forwarded-for"];
    let (server_a, server_b) =
        tokio::join!(ServeProcess::start(url, &flags, &[]), ServeProcess::start(url, &flags, &[]));
    let a = TestApp {
        address: server_a.address.clone(),
        client: TestApp::new_client(),
        db: db.clone(),
        label: LABEL,
    };
    let b = TestApp {
        address: server_b.address.clone(),
        client: TestApp::new_client(),
        db: db.clone(),
        label: LABEL,
    };

    let started = Instant::now();
    a_session_made_on_one_server_works_and_ends_on_the_other(&a, &b).await;
    eprintln!("sessions: {:?}", started.elapsed());
    a_catalogue_change_through_one_shows_on_the_other_at_its_next_request(&a, &b).await;
    eprintln!("catalogue: {:?}", started.elapsed());
    failed_sign_ins_on_both_servers_count_together(&a, &b).await;
    eprintln!("throttling: {:?}", started.elapsed());
    overlapping_files_imported_through_both_at_once_record_each_row_once(&a, &b).await;
    eprintln!("imports: {:?}", started.elapsed());
    a_repeal_through_one_while_the_other_serves_records_leaves_every_score_fresh(&a, &b).await;
    eprintln!("repeal: {:?}", started.elapsed());

    drop((server_a, server_b));
    db.close().await;
}

/// A form post as one of the server's own pages sends it, with `cookie` sent by hand.
async fn post_with(node: &TestApp, cookie: &str, path: &str, form: &[(&str, &str)]) -> Response {
    bare_client()
        .post(node.url(path))
        .header(header::ORIGIN, &node.address)
        .header(header::COOKIE, cookie)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// A page fetched with `cookie` sent by hand: (status, body).
async fn page_with(node: &TestApp, cookie: &str, path: &str) -> (StatusCode, String) {
    let response = bare_client().get(node.url(path)).header(header::COOKIE, cookie).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// Signs `username` in on `node` from `address` (X-Forwarded-For).
async fn sign_in_from(node: &TestApp, address: &str, username: &str, password: &str) -> Response {
    bare_client()
        .post(node.url("/sign-in"))
        .header(header::ORIGIN, &node.address)
        .header("x-forwarded-for", address)
        .form(&[("username", username), ("password", password), ("next", "")])
        .send()
        .await
        .unwrap()
}

/// Signs a demo account in on `node` and answers its session cookie (`name=value`), to be sent
/// by hand to either server: a browser behind the load balancer sends it to whichever answers.
async fn session_on(node: &TestApp, username: &str, password: &str) -> String {
    let response = sign_in_from(node, "192.0.2.1", username, password).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{username} signs in on {}", node.address);
    session_cookie(&response).expect("a session cookie")
}

async fn a_session_made_on_one_server_works_and_ends_on_the_other(a: &TestApp, b: &TestApp) {
    let cookie = session_on(a, "demo-subject", "wang-fang-demo-2026").await;
    let (status, me) = page_with(b, &cookie, "/me").await;
    assert_eq!(status, StatusCode::OK, "the session made on A is signed in on B");
    assert!(me.contains("Signed in as Wang Fang"), "B knows who: {me}");
    let (status, record) = page_with(b, &cookie, "/record").await;
    assert_eq!(status, StatusCode::OK);
    assert!(record.contains(r#"<p class="lead">Wang Fang<"#), "B shows Wang Fang's own record: {record}");
    assert!(is_signed_in(a, &bare_client(), Some(&cookie)).await, "and A still does");

    let out = post_with(b, &cookie, "/sign-out", &[]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER, "signing out on B");
    assert_eq!(out.headers()[header::LOCATION], "/sign-in?signed_out=1");
    assert!(!is_signed_in(a, &bare_client(), Some(&cookie)).await, "A treats the cookie as signed out");
    assert!(!is_signed_in(b, &bare_client(), Some(&cookie)).await, "so does B");
    let (status, _) = page_with(a, &cookie, "/record").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "A's record page asks to sign in again");
}

async fn a_catalogue_change_through_one_shows_on_the_other_at_its_next_request(a: &TestApp, b: &TestApp) {
    let traffic = authority_id(a, "rc-traffic").await;
    let old = id_of(a, &format!("SELECT name_en FROM authorities WHERE id = '{traffic}'")).await;
    let new = "Coastal Traffic Directorate";
    let cookie = session_on(a, "demo-subject", "wang-fang-demo-2026").await;
    // B reads (and keeps) the catalogue with the authority's names.
    let (status, before) = page_with(b, &cookie, "/record").await;
    assert_eq!(status, StatusCode::OK);
    let named = before.matches(old.as_str()).count();
    assert!(named > 0 && !before.contains(new), "B names the traffic police {old:?}: {before}");

    let admin = session_on(a, "demo-admin", "admin-demo-2026").await;
    let form = [("name_en", new), ("name_zh", "滨海交通管理局")];
    let renamed = post_with(a, &admin, &format!("/admin/authorities/{traffic}"), &form).await;
    assert_eq!(renamed.status(), StatusCode::SEE_OTHER, "renamed through A");

    let (status, after) = page_with(b, &cookie, "/record").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(after.matches(new).count(), named, "B's next page names every record's authority anew");
    assert!(!after.contains(old.as_str()), "and never by its old name: {after}");
    let zh = bare_client()
        .get(b.url("/record"))
        .header(header::COOKIE, &cookie)
        .header(header::ACCEPT_LANGUAGE, "zh-CN")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(zh.matches("滨海交通管理局").count(), named, "in Chinese too");
}

async fn failed_sign_ins_on_both_servers_count_together(a: &TestApp, b: &TestApp) {
    let attacker = "203.0.113.7";
    let owner = "198.51.100.20";
    let limit = PER_ACCOUNT.failures;
    // One name from one address, alternately through A and B: each server alone has seen fewer
    // than the limit when the two together reach it.
    for attempt in 0..limit {
        let node = if attempt % 2 == 0 { a } else { b };
        let wrong = sign_in_from(node, attacker, "demo-liu", "not liu's password at all").await;
        assert_eq!(
            wrong.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {} of {limit} is only wrong",
            attempt + 1
        );
    }
    for node in [a, b] {
        let refused = sign_in_from(node, attacker, "demo-liu", "liu-yang-demo-2026").await;
        assert_eq!(
            refused.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "after {limit} failures in all, {} refuses even the right password from that address",
            node.address
        );
        assert!(refused.headers().contains_key(header::RETRY_AFTER));
        assert!(session_cookie(&refused).is_none());
    }
    // The owner, from their own address, is not kept out on either.
    for node in [b, a] {
        let own = sign_in_from(node, owner, "demo-liu", "liu-yang-demo-2026").await;
        assert_eq!(own.status(), StatusCode::SEE_OTHER, "the owner signs in on {}", node.address);
        assert!(session_cookie(&own).is_some());
    }
    assert_eq!(
        sign_in_from(b, attacker, "demo-liu", "liu-yang-demo-2026").await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the owner's success frees no one else"
    );
}

/// Rows `rows` of a CSV file of traffic tickets, row `i` always the same record (subject,
/// instant, reference `TWO-i`), whichever file carries it.
fn tickets(subjects: &[String], base: DateTime<Utc>, rows: std::ops::Range<usize>) -> Vec<u8> {
    let mut file = String::from(
        "subject_id,scheme,rule_code,occurred_at,points,external_ref,recorded_by,source,evidence_ref\n",
    );
    for i in rows {
        let subject = &subjects[i % subjects.len()];
        let at = (base - chrono::Duration::days(1 + (i % 300) as i64)).format("%Y-%m-%dT%H:%M:%SZ");
        file.push_str(&format!("{subject},rongcheng,TRAFFIC-01,{at},,TWO-{i},officer 7,ticket,EV-{i}\n"));
    }
    file.into_bytes()
}

async fn import(node: &TestApp, token: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let response = Client::new()
        .post(node.url("/api/v1/imports?mode=good_rows"))
        .bearer_auth(token)
        .header(header::CONTENT_TYPE, "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

/// Imports `body` through `node` until it is answered in full. A 409 (another request recorded
/// one of its references at the same moment) is acceptable only if it kept nothing (the file is
/// one chunk) and sending the file again is answered in full. Answers (recorded, already recorded).
async fn import_until_answered(
    node: &TestApp,
    token: &str,
    body: Vec<u8>,
    first: (StatusCode, Value),
    rows: u64,
) -> (u64, u64) {
    let mut answer = first;
    for _ in 0..5 {
        let (status, report) = answer;
        match status {
            StatusCode::OK => {
                assert_eq!(report["refused"], 0, "{report}");
                assert_eq!(report["rows"].as_u64(), Some(rows), "{report}");
                let recorded = report["recorded"].as_u64().unwrap();
                let duplicates = report["duplicates"].as_u64().unwrap();
                assert_eq!(recorded + duplicates, rows, "every row recorded or already recorded: {report}");
                return (recorded, duplicates);
            }
            StatusCode::CONFLICT => {
                assert_eq!(report["code"], "conflict", "{report}");
                assert_eq!(report["kept"]["recorded"].as_u64().unwrap_or(0), 0, "{report}");
                eprintln!("{}: 409, sent again: {report}", node.address);
            }
            other => panic!("{}: the import answered {other}: {report}", node.address),
        }
        answer = import(node, token, body.clone()).await;
    }
    panic!("{}: the import still conflicts after five tries", node.address);
}

async fn overlapping_files_imported_through_both_at_once_record_each_row_once(a: &TestApp, b: &TestApp) {
    let admin = signed_in(a, "demo-admin").await;
    let token = make_token(a, &admin, "rc-traffic", "two servers").await;
    let subjects = rongcheng_members(a, 200).await;
    assert!(subjects.len() >= 50, "the demo enrols enough subjects: {}", subjects.len());
    let base = Utc::now();
    let (first, second) = (tickets(&subjects, base, 0..600), tickets(&subjects, base, 300..900));
    let events_before = count(a, "SELECT COUNT(*) FROM events").await;

    // Both uploads at the same moment, one to each server.
    let (answer_a, answer_b) =
        tokio::join!(import(a, &token, first.clone()), import(b, &token, second.clone()));
    let (recorded_a, duplicates_a) = import_until_answered(a, &token, first, answer_a, 600).await;
    let (recorded_b, duplicates_b) = import_until_answered(b, &token, second, answer_b, 600).await;
    eprintln!(
        "imports: A recorded {recorded_a} ({duplicates_a} already), B {recorded_b} ({duplicates_b} already)"
    );

    assert_eq!(recorded_a + recorded_b, 900, "together the answers recorded each of the 900 rows once");
    assert_eq!(duplicates_a + duplicates_b, 300, "and found the 300 rows of both files already recorded");
    assert_eq!(count(a, "SELECT COUNT(*) FROM events WHERE external_ref LIKE 'TWO-%'").await, 900);
    assert_eq!(
        count(a, "SELECT COUNT(DISTINCT external_ref) FROM events WHERE external_ref LIKE 'TWO-%'").await,
        900
    );
    assert_eq!(count(a, "SELECT COUNT(*) FROM event_references WHERE external_ref LIKE 'TWO-%'").await, 900);
    assert_eq!(
        count(a, "SELECT COUNT(*) FROM events").await,
        events_before + 900,
        "nothing else was written"
    );
    // Each job row tells what its answer told.
    let jobs: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT recorded, duplicates, status FROM imports WHERE status <> 'failed' ORDER BY started_at",
    )
    .fetch_all(&a.db.pool)
    .await
    .unwrap();
    assert_eq!(jobs.iter().map(|j| j.0).sum::<i64>(), 900, "{jobs:?}");
    assert!(jobs.iter().all(|j| j.2 == "done"), "{jobs:?}");
}

/// The score a page shows for the Rongcheng scheme: the first `Score` after the scheme's heading
/// (the record page's summary, or the recorder's "Score N, grade G").
fn rongcheng_score(page: &str, scheme_name: &str) -> Option<i64> {
    let heading = format!("{scheme_name}</h2>");
    let section = &page[page.find(&heading)? + heading.len()..];
    let number = [r#"<span class="label">Score</span><strong>"#, "<p>Score "]
        .iter()
        .filter_map(|marker| section.find(marker).map(|at| &section[at + marker.len()..]))
        .max_by_key(|rest| rest.len())?;
    number.split(|c: char| !(c.is_ascii_digit() || c == '-')).next()?.parse().ok()
}

async fn a_repeal_through_one_while_the_other_serves_records_leaves_every_score_fresh(
    a: &TestApp,
    b: &TestApp,
) {
    let scheme = SchemeId::parse(&id_of(a, "SELECT id FROM schemes WHERE code = 'rongcheng'").await).unwrap();
    let scheme_name = id_of(a, "SELECT name_en FROM schemes WHERE code = 'rongcheng'").await;
    let version =
        id_of(a, "SELECT id FROM rule_versions WHERE rule_code = 'TRAFFIC-01' AND version = 2").await;
    let wang = id_of(a, "SELECT subject_id FROM accounts WHERE username = 'demo-subject'").await;
    let liu = id_of(a, "SELECT subject_id FROM accounts WHERE username = 'demo-liu'").await;
    let counting = "SELECT COUNT(*) FROM events e WHERE e.rule_code = 'TRAFFIC-01' AND e.kind <> 'void' \
                    AND NOT EXISTS (SELECT 1 FROM events c WHERE c.target_event_id = e.id)";
    assert!(count(a, counting).await > 900, "the rule counts for the demo and the imports");

    let wang_cookie = session_on(a, "demo-subject", "wang-fang-demo-2026").await;
    let liu_cookie = session_on(a, "demo-liu", "liu-yang-demo-2026").await;
    let recorder_cookie = session_on(a, "demo-recorder", "traffic-demo-2026").await;
    let scores_before: BTreeMap<_, _> =
        member_derivations(a, scheme).await.into_iter().map(|(s, d)| (s.to_string(), d.score)).collect();
    let wang_before = scores_before[&wang];
    let (_, page) = page_with(b, &wang_cookie, "/record").await;
    assert_eq!(rongcheng_score(&page, &scheme_name), Some(wang_before), "B agrees before: {page}");
    let members: Vec<String> = scores_before.keys().cloned().collect();

    // B serves record pages, the subjects' own and the recorder's, in a loop until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for (cookie, path, subject) in [
        (wang_cookie.clone(), "/record".to_string(), wang.clone()),
        (liu_cookie.clone(), "/record".to_string(), liu.clone()),
        (recorder_cookie.clone(), format!("/recording/subjects/{wang}"), wang.clone()),
        (recorder_cookie.clone(), String::new(), String::new()),
    ] {
        let (b, stop, scheme_name, members) =
            (b.address.clone(), stop.clone(), scheme_name.clone(), members.clone());
        readers.push(tokio::spawn(async move {
            let client = bare_client();
            let mut seen: Vec<(String, StatusCode, Option<i64>, Instant)> = Vec::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                // The fourth reader walks the recorder's page of every member in turn.
                let (path, subject) = if path.is_empty() {
                    let m = &members[n % members.len()];
                    (format!("/recording/subjects/{m}"), m.clone())
                } else {
                    (path.clone(), subject.clone())
                };
                n += 1;
                let response =
                    client.get(format!("{b}{path}")).header(header::COOKIE, &cookie).send().await.unwrap();
                let status = response.status();
                let body = response.text().await.unwrap();
                seen.push((subject, status, rongcheng_score(&body, &scheme_name), Instant::now()));
            }
            seen
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let admin = session_on(a, "demo-admin", "admin-demo-2026").await;
    let repeal_sent = Instant::now();
    let repealed = post_with(
        a,
        &admin,
        &format!("/admin/rule-versions/{version}/repeal"),
        &[("reason", "Replaced by the national rule")],
    )
    .await;
    let repeal_answered = Instant::now();
    assert_eq!(
        repealed.status(),
        StatusCode::SEE_OTHER,
        "repealed through A: {}",
        repealed.text().await.unwrap()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut seen = Vec::new();
    for reader in readers {
        seen.extend(reader.await.unwrap());
    }
    assert_eq!(count(a, counting).await, 0, "every record under the rule is voided");

    // Fresh from the rows: every derivation adds up, nothing under the repealed rule counts.
    let fresh: BTreeMap<String, i64> = member_derivations(a, scheme)
        .await
        .into_iter()
        .map(|(subject, derivation)| {
            let under = derivation.lines.iter().filter(|l| l.rule_code.as_str() == "TRAFFIC-01").count();
            assert_eq!(under, 0, "{subject} still has a line under the repealed rule");
            (subject.to_string(), derivation.score)
        })
        .collect();
    assert_ne!(fresh[&wang], wang_before, "the repeal changed Wang Fang's score");

    // While it ran, B answered every page, each with the score before the repeal or after it.
    let served = seen.len();
    let errors: Vec<_> = seen.iter().filter(|(_, status, _, _)| !status.is_success()).collect();
    assert!(errors.is_empty(), "B answered {errors:?} of {served} pages");
    let (mut old, mut new) = (0, 0);
    for (subject, _, score, _) in &seen {
        let score = score.unwrap_or_else(|| panic!("a page of {subject} shows no Rongcheng score"));
        assert!(
            score == scores_before[subject] || score == fresh[subject],
            "{subject}: B showed {score}, neither {} before nor {} after",
            scores_before[subject],
            fresh[subject]
        );
        if scores_before[subject] != fresh[subject] {
            if score == fresh[subject] {
                new += 1;
            } else {
                old += 1;
            }
        }
    }
    let during = seen.iter().filter(|(_, _, _, at)| (repeal_sent..repeal_answered).contains(at)).count();
    eprintln!(
        "B served {served} record pages, {during} while the repeal ran ({:?}); of those the repeal \
         changed, {old} showed the score before, {new} after",
        repeal_answered - repeal_sent
    );
    assert!(during > 0, "B served pages while the repeal ran");
    let wang_after =
        seen.iter().filter(|(s, _, score, _)| s == &wang && *score == Some(fresh[&wang])).count();
    assert!(wang_after > 0, "B showed Wang Fang the score after the repeal at its next pages");

    // Afterwards, B shows every member the score a fresh derivation gives.
    let (_, page) = page_with(b, &wang_cookie, "/record").await;
    assert_eq!(rongcheng_score(&page, &scheme_name), Some(fresh[&wang]), "Wang Fang's own page on B");
    let (_, page) = page_with(b, &liu_cookie, "/record").await;
    assert_eq!(rongcheng_score(&page, &scheme_name), Some(fresh[&liu]), "Liu Yang's own page on B");
    for (subject, score) in &fresh {
        let (status, page) = page_with(b, &recorder_cookie, &format!("/recording/subjects/{subject}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(rongcheng_score(&page, &scheme_name), Some(*score), "{subject} on B's recorder page");
    }
}
