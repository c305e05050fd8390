//! The tamper-evident record (DESIGN "Audit log"): a seeded database verifies; altering an audit
//! row or an event, or removing a row, fails naming it; a subject's export verifies offline and
//! an altered one does not. On both databases.

mod common;

use common::{for_each_database, sign_in};
use recourse::{signing::InstanceKey, store::chain};

#[tokio::test]
async fn the_audit_log_verifies_and_names_what_was_altered() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, chrono::Utc::now()).await.unwrap();
        let key = InstanceKey::from_seed([7; 32]);
        chain::produce_tree_head(&app.db, &key, chrono::Utc::now()).await.unwrap().unwrap();
        let mut conn = app.db.pool.acquire().await.unwrap();
        let report = verify(&mut conn).await;
        assert!(report.holds(), "{}: {:?}", app.label, report.problems);

        // The export carries the chain and verifies offline; altered, it does not.
        sign_in(&app, "demo-subject", "wang-fang-demo-2026").await;
        let export: serde_json::Value = app.get("/record/export.json").await.json().await.unwrap();
        let (problems, _) = chain::verify_export(&export);
        assert!(problems.is_empty(), "{}: {problems:?}", app.label);
        let mut altered = export.clone();
        altered["audit_chain"]["rows"][0]["detail"] = serde_json::json!("{}");
        assert!(!chain::verify_export(&altered).0.is_empty());

        let event: String =
            sqlx::query_scalar("SELECT id FROM events LIMIT 1").fetch_one(&mut *conn).await.unwrap();
        sqlx::query("UPDATE events SET points = points + 1 WHERE id = $1")
            .bind(&event)
            .execute(&mut *conn)
            .await
            .unwrap();
        let row: String = sqlx::query_scalar("SELECT id FROM audit_log WHERE chain = 'catalogue' LIMIT 1")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        sqlx::query("UPDATE audit_log SET actor = 'x' WHERE id = $1")
            .bind(&row)
            .execute(&mut *conn)
            .await
            .unwrap();
        let report = verify(&mut conn).await;
        let text = report.problems.join("\n");
        assert!(text.contains(&format!("event {event}: altered")), "{}: {text}", app.label);
        assert!(text.contains(&format!("audit row {row}")), "{}: {text}", app.label);
    })
    .await;
}

/// `recourse audit verify`'s report, which must be the same when every subject is a range of
/// its own: records and chains read range by range find what one pass over everything finds.
async fn verify(conn: &mut sqlx::AnyConnection) -> chain::Report {
    let report = chain::verify(&mut *conn).await.unwrap();
    let by_one = chain::verify_in_ranges(&mut *conn, 1).await.unwrap();
    let sorted = |r: &chain::Report| {
        let mut p = r.problems.clone();
        p.sort();
        p
    };
    assert_eq!(sorted(&report), sorted(&by_one));
    assert_eq!(
        (report.rows, report.chains, report.records, report.tree_heads),
        (by_one.rows, by_one.chains, by_one.records, by_one.tree_heads)
    );
    report
}

/// One statement, run as the database's own client would, behind Recourse's back.
async fn by_hand(conn: &mut sqlx::AnyConnection, sql: &str) {
    sqlx::query(sql).execute(&mut *conn).await.unwrap();
}

#[tokio::test]
async fn the_whole_demo_and_a_decided_rule_challenge_verify_and_every_kind_of_tampering_is_named() {
    for_each_database(|app| async move {
        recourse::demo::seed_with_history(&app.db, chrono::Utc::now()).await.unwrap();
        // A rule challenge decided through the administrators' page: the decision and the
        // repeal it carries are covered in the challenger's chain and the catalogue's.
        let account: String =
            sqlx::query_scalar("SELECT id FROM accounts WHERE username = 'demo-subject'")
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        let subject: String =
            sqlx::query_scalar("SELECT subject_id FROM accounts WHERE username = 'demo-subject'")
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        let version: String = sqlx::query_scalar(
            "SELECT id FROM rule_versions WHERE rule_code = 'VOLUNTEER-01' AND status = 'published' LIMIT 1",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        let mut tx = app.db.begin_write().await.unwrap();
        let challenge = recourse::store::appeals::file(
            &mut tx,
            &recourse::store::audit::Actor::cli("test"),
            uuid::Uuid::parse_str(&account).unwrap(),
            recourse::store::appeals::NewAppeal {
                subject: recourse::domain::SubjectId::parse(&subject).unwrap(),
                target: recourse::store::appeals::Target::Rule(
                    recourse::domain::RuleVersionId::parse(&version).unwrap(),
                ),
                grounds: recourse::domain::appeal::Grounds::Disproportionate,
                statement: recourse::domain::appeal::Statement::parse(
                    "Points for volunteering make a duty of a gift.",
                )
                .unwrap(),
                files: Vec::new(),
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        sign_in(&app, "demo-admin", "admin-demo-2026").await;
        let reasons = "Repealed: rewarding volunteering with points turns a gift into a duty.";
        let (status, _, _) = common::post(
            &app,
            &format!("/admin/appeals/{challenge}/decide"),
            &[("verdict", "repealed"), ("reasons", reasons)],
        )
        .await;
        assert_eq!(status, reqwest::StatusCode::SEE_OTHER, "{}", app.label);
        let key = InstanceKey::from_seed([9; 32]);
        chain::produce_tree_head(&app.db, &key, chrono::Utc::now()).await.unwrap().unwrap();
        let mut conn = app.db.pool.acquire().await.unwrap();
        let report = verify(&mut conn).await;
        assert!(report.holds(), "{}: {:?}", app.label, report.problems);
        assert!(report.records > 0 && report.tree_heads == 1, "{}: {report:?}", app.label);

        // Behind Recourse's back: one record of each kind altered, …
        let first = |sql: &'static str| {
            let pool = app.db.pool.clone();
            async move { sqlx::query_scalar::<_, String>(sql).fetch_one(&pool).await.unwrap() }
        };
        let decision = first("SELECT id FROM appeal_decisions ORDER BY id LIMIT 1").await;
        by_hand(&mut conn, &format!("UPDATE appeal_decisions SET reasons = 'Upheld.' WHERE id = '{decision}'")).await;
        by_hand(&mut conn, &format!("UPDATE rule_challenge_decisions SET reasons = 'Kept.' WHERE appeal_id = '{challenge}'"))
            .await;
        let rule = first("SELECT id FROM rule_versions WHERE rule_code = 'TRAFFIC-01' ORDER BY version LIMIT 1").await;
        by_hand(&mut conn, &format!("UPDATE rule_versions SET points_default = -1 WHERE id = '{rule}'")).await;
        // … a row removed from one chain, two rows swapped in another, …
        let chains: Vec<String> = sqlx::query_scalar(
            "SELECT chain FROM audit_log WHERE chain LIKE 'subject:%' GROUP BY chain HAVING COUNT(*) >= 3 ORDER BY chain LIMIT 2",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        assert_eq!(chains.len(), 2, "{}: the demo has subjects with several audit rows", app.label);
        let removed: String = sqlx::query_scalar("SELECT id FROM audit_log WHERE chain = $1 AND seq = 2")
            .bind(&chains[0])
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        by_hand(&mut conn, &format!("DELETE FROM audit_log WHERE id = '{removed}'")).await;
        let swapped: Vec<String> =
            sqlx::query_scalar("SELECT id FROM audit_log WHERE chain = $1 AND seq IN (1, 2) ORDER BY seq")
                .bind(&chains[1])
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        by_hand(&mut conn, &format!("UPDATE audit_log SET seq = -1 WHERE id = '{}'", swapped[0])).await;
        by_hand(&mut conn, &format!("UPDATE audit_log SET seq = 1 WHERE id = '{}'", swapped[1])).await;
        by_hand(&mut conn, &format!("UPDATE audit_log SET seq = 2 WHERE id = '{}'", swapped[0])).await;
        // … a chain of no subject, copied from one that is, …
        by_hand(
            &mut conn,
            &format!(
                "INSERT INTO audit_log (id, chain, seq, at, account_id, actor, origin, action, target_kind, \
                 target_id, detail, records, content_digest, prev_digest, digest) \
                 SELECT 'planted-row', 'subject:nobody', seq, at, account_id, actor, origin, action, target_kind, \
                 target_id, detail, records, content_digest, prev_digest, digest FROM audit_log \
                 WHERE chain = '{}' AND seq = 1",
                chains[1]
            ),
        )
        .await;
        // … and an event written with no audit row.
        let micros = chrono::Utc::now().timestamp_micros();
        let planted = uuid::Uuid::now_v7().to_string();
        by_hand(
            &mut conn,
            &format!(
                "INSERT INTO events (id, subject_id, scheme_id, rule_version_id, rule_code, points, occurred_at, \
                 recorded_at, authority_id, recorded_by, source, evidence_ref, external_ref, kind) \
                 SELECT '{planted}', subject_id, scheme_id, rule_version_id, rule_code, points, occurred_at, \
                 {micros}, authority_id, recorded_by, source, evidence_ref, 'planted-by-hand', kind FROM events \
                 WHERE kind = 'fact' ORDER BY id LIMIT 1"
            ),
        )
        .await;

        let report = verify(&mut conn).await;
        let text = report.problems.join("\n");
        for expected in [
            format!("appeal decision {decision}: altered"),
            format!("rule challenge decision {challenge}: altered"),
            format!("rule version {rule}: altered"),
            format!("({} #3): out of place", chains[0]),
            format!("audit row {} ({} #1): out of place", swapped[1], chains[1]),
            format!("event {planted}: has no audit row"),
            "audit row planted-row (subject:nobody #1): altered, its content does not match its digest".into(),
            "chain subject:nobody: rows without a chain head".into(),
        ] {
            assert!(text.contains(&expected), "{}: expected {expected:?} in:\n{text}", app.label);
        }
    })
    .await;
}
