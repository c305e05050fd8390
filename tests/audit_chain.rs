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
        let report = chain::verify(&mut conn).await.unwrap();
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
        let report = chain::verify(&mut conn).await.unwrap();
        let text = report.problems.join("\n");
        assert!(text.contains(&format!("event {event}: altered")), "{}: {text}", app.label);
        assert!(text.contains(&format!("audit row {row}")), "{}: {text}", app.label);
    })
    .await;
}
