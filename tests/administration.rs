//! Administration over HTTP on both databases: a rule from draft to publication to repeal, the
//! repeal's one transaction (every record under the rule voided, every subject rescored to a
//! fresh derivation and told why), refusals that change nothing, and the audit log.

mod common;

use chrono::{Duration, Utc};
use common::{count, counts, for_each_database, id_of, member_derivations, post, sign_in, text, TestApp};
use recourse::{
    domain::{
        AuthorityId, EventId, Fact, MandateScope, RuleCode, RulePattern, RuleStatus, RuleVersionId, SchemeId,
        Source, SubjectId,
    },
    error::AppError,
    http::{AppState, Config},
    pages::admin::rules::{Done, RulesPage, VersionPage},
    store::{
        audit::{self, Actor},
        catalogue,
        records::{self, Correction, Provenance, Recorded},
        repeal,
    },
};
use reqwest::StatusCode;
use sqlx::Row;

const BASIS_ZH: &str = "《荣成市市容管理条例》第二十一条";

/// A draft's form; with a legal basis, its Chinese text too.
fn draft_form<'a>(code: &'a str, legal_basis: &'a str, from: &'a str) -> Vec<(&'a str, &'a str)> {
    let basis_zh = if legal_basis.is_empty() { "" } else { BASIS_ZH };
    vec![
        ("rule_code", code),
        ("title_en", "Littering in a public place"),
        ("title_zh", "在公共场所乱扔垃圾"),
        ("description_en", "Dropping litter in a street, park or beach, as found by a city inspector."),
        ("description_zh", "经城市管理人员查实，在街道、公园或海滩乱扔垃圾。"),
        ("legal_basis", legal_basis),
        ("legal_basis_zh", basis_zh),
        ("points_default", "-2"),
        ("points_min", "-2"),
        ("points_max", "-2"),
        ("validity_count", "12"),
        ("validity_unit", "months"),
        ("effective_from", from),
    ]
}

#[tokio::test]
async fn a_rule_is_drafted_published_and_repealed_with_every_record_voided_and_every_subject_told() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        sign_in(&app, "demo-admin", "admin-demo-2026").await;
        let (status, hub) = text(&app, "/admin").await;
        assert_eq!(status, StatusCode::OK);
        assert!(hub.contains("/admin/schemes/rongcheng/rules") && hub.contains("/admin/audit") && hub.contains("/admin/tokens"));

        let today = Utc::now().format("%Y-%m-%d").to_string();
        let (status, location, _) = post(&app, "/admin/schemes/rongcheng/rules", &draft_form("litter-01", "", &today)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);
        let version = location.trim_start_matches("/admin/rule-versions/").trim_end_matches("?done=draft").to_string();
        let page = format!("/admin/rule-versions/{version}");

        let (status, _, body) = post(&app, &format!("{page}/publish"), &[("publish_from", &today)]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("A rule cannot be published without a legal basis."), "{body}");
        let basis = "Rongcheng City Appearance Regulations, art. 21";
        // In English only: not yet, and the Chinese field is named.
        let english_only: Vec<_> =
            draft_form("LITTER-01", basis, &today).into_iter().filter(|(k, _)| *k != "legal_basis_zh").collect();
        let (status, location, _) = post(&app, &page, &english_only).await;
        assert_eq!((status, location), (StatusCode::SEE_OTHER, format!("{page}?done=saved")));
        let (status, _, body) = post(&app, &format!("{page}/publish"), &[("publish_from", &today)]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.label);
        assert!(body.contains("A rule cannot be published without its legal basis in Chinese."), "{body}");
        assert!(body.contains(r##"href="#legal_basis_zh""##), "the summary links to the field: {body}");
        let (status, location, _) = post(&app, &page, &draft_form("LITTER-01", basis, &today)).await;
        assert_eq!((status, location), (StatusCode::SEE_OTHER, format!("{page}?done=saved")));
        let (status, _, body) = post(&app, &format!("{page}/publish"), &[("publish_from", "2020-01-01")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("cannot be before today"), "{body}");
        let (status, location, _) = post(&app, &format!("{page}/publish"), &[("publish_from", &today)]).await;
        assert_eq!((status, location), (StatusCode::SEE_OTHER, format!("{page}?done=published")));
        let (status, public) = text(&app, "/rules/rongcheng/LITTER-01").await;
        assert_eq!(status, StatusCode::OK, "published rules are public");
        assert!(public.contains(basis));
        let zh = app.client.get(app.url("/rules/rongcheng/LITTER-01")).header("accept-language", "zh-CN");
        let zh = zh.send().await.unwrap().text().await.unwrap();
        assert!(zh.contains(BASIS_ZH) && !zh.contains(basis), "the Chinese page shows the Chinese basis: {zh}");
        let (status, _, body) = post(&app, &page, &draft_form("LITTER-01", basis, &today)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a published version never changes");
        assert!(body.contains("no longer a draft"), "{body}");

        // Three subjects recorded under the new rule; one of two records of the first is voided already.
        let scheme = SchemeId::parse(&id_of(&app, "SELECT id FROM schemes WHERE code = 'rongcheng'").await).unwrap();
        let traffic =
            AuthorityId::parse(&id_of(&app, "SELECT id FROM authorities WHERE code = 'rc-traffic'").await).unwrap();
        let subjects: Vec<SubjectId> = sqlx::query(
            "SELECT subject_id FROM scheme_memberships WHERE scheme_id = $1 ORDER BY subject_id LIMIT 3",
        )
        .bind(scheme.to_string())
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| SubjectId::parse(&r.get::<String, _>(0)).unwrap())
        .collect();
        let mut conn = app.db.pool.acquire().await.unwrap();
        let ctx = catalogue::context(&mut conn, scheme).await.unwrap().unwrap();
        drop(conn);
        let rules = RulePattern::parse("LITTER-*").unwrap();
        common::grant_mandate(&app.db, traffic, MandateScope::Rules { scheme, rules }).await;
        let mut first = None;
        for (i, subject) in [subjects[0], subjects[0], subjects[1], subjects[2]].into_iter().enumerate() {
            let source = Source { subject, scheme, authority: traffic, external_ref: format!("LITTER-{i}") };
            let fact = Fact { rule_code: RuleCode::parse("LITTER-01").unwrap(), points: None, occurred_at: Utc::now() };
            let provenance = Provenance { recorded_by: "inspector".into(), source: "patrol".into(), evidence_ref: String::new() };
            let Recorded::New(event) = records::record_fact(&app.db, &ctx, source, fact, provenance, Utc::now()).await.unwrap() else {
                panic!("new")
            };
            first.get_or_insert(event.id);
        }
        let voided: EventId = first.unwrap();
        let mut tx = app.db.pool.begin().await.unwrap();
        let source = Source { subject: subjects[0], scheme, authority: traffic, external_ref: "LITTER-VOID".into() };
        let correction = Correction::Void { reason: "Wrong person".into(), decision_ref: None };
        let provenance = Provenance { recorded_by: "inspector".into(), source: "review".into(), evidence_ref: String::new() };
        records::correct_in(&mut tx, &ctx, source, voided, correction, provenance, Utc::now()).await.unwrap();
        tx.commit().await.unwrap();

        const STATE: [&str; 4] = [
            "SELECT COUNT(*) FROM events",
            "SELECT COUNT(*) FROM notices",
            "SELECT COUNT(*) FROM rule_versions WHERE status = 'repealed'",
            "SELECT COUNT(*) FROM audit_log",
        ];
        let before = counts(&app, &STATE).await;
        let (status, _, body) = post(&app, &format!("{page}/repeal"), &[("reason", "  ")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("Reason must be filled in."), "{body}");
        assert_eq!(counts(&app, &STATE).await, before, "a refused repeal changes nothing");

        let reason = "Struck down by the Rongcheng Intermediate Court";
        let (status, location, _) = post(&app, &format!("{page}/repeal"), &[("reason", reason)]).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);
        assert_eq!(location, format!("{page}?done=repealed&events=3&subjects=3"), "the voided record is not voided twice");
        let (_, body) = text(&app, &location).await;
        assert!(body.contains("3 records voided, 3 subjects notified"), "{body}");
        let after = counts(&app, &STATE).await;
        // One audit row for the repeal, and one in each of the 3 subjects' chains.
        assert_eq!(after, [before[0] + 3, before[1] + 3, before[2] + 1, before[3] + 1 + 3]);
        let voids = sqlx::query(
            "SELECT v.reason, v.points, v.decision_ref, t.rule_code FROM events v JOIN events t ON t.id = v.target_event_id \
             WHERE v.decision_ref = 'repeal:LITTER-01'",
        )
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
        assert_eq!(voids.len(), 3);
        for v in &voids {
            assert!(v.get::<String, _>(0).contains(reason) && v.get::<String, _>(0).contains("LITTER-01"));
            assert_eq!((v.get::<i64, _>(1), v.get::<String, _>(3).as_str()), (0, "LITTER-01"));
        }
        for subject in &subjects {
            let notices = count(
                &app,
                &format!("SELECT COUNT(*) FROM notices WHERE subject_id = '{subject}' AND kind = 'rule_repealed'"),
            )
            .await;
            assert_eq!(notices, 1, "one notice per subject");
        }
        member_derivations(&app, scheme).await;
        let audit = sqlx::query("SELECT actor, target_id FROM audit_log WHERE action = 'rule.repeal'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        assert_eq!((audit.get::<String, _>(0).as_str(), audit.get::<String, _>(1).as_str()), ("demo-admin", "rongcheng/LITTER-01"));
        // Two edits: the legal basis in English, then in both languages.
        for (action, n) in [("rule.draft", 1), ("rule.edit", 2), ("rule.publish", 1)] {
            assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}'")).await, n, "{action}");
        }
        let (status, _, body) = post(&app, &format!("{page}/repeal"), &[("reason", reason)]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a repealed version cannot be repealed again");
        assert!(body.contains("is not published"), "{body}");
        let (_, audit_page) = text(&app, "/admin/audit").await;
        assert!(audit_page.contains("rule.repeal") && audit_page.contains("demo-admin"), "{audit_page}");
    })
    .await;
}

#[tokio::test]
async fn repealing_a_rule_used_across_the_demo_leaves_nothing_under_it_counting_for_anyone() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let scheme = SchemeId::parse(&id_of(&app, "SELECT id FROM schemes WHERE code = 'rongcheng'").await).unwrap();
        let (targets, subjects) = standing_under(&app, "TRAFFIC-01").await;
        assert!(targets > 20 && subjects > 20, "the demo records tickets for many: {targets} {subjects}");
        member_derivations(&app, scheme).await;
        sign_in(&app, "demo-admin", "admin-demo-2026").await;
        let version = id_of(&app, "SELECT id FROM rule_versions WHERE rule_code = 'TRAFFIC-01' AND version = 2").await;
        let (status, location, _) =
            post(&app, &format!("/admin/rule-versions/{version}/repeal"), &[("reason", "Replaced by the national rule")]).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);
        assert!(location.ends_with(&format!("events={targets}&subjects={subjects}")), "{location}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM rule_versions WHERE rule_code = 'TRAFFIC-01' AND status = 'repealed'").await, 2);
        assert_eq!(standing_under(&app, "TRAFFIC-01").await, (0, 0), "every record under the rule is voided or was corrected before");
        for (subject, derivation) in member_derivations(&app, scheme).await {
            let under_rule = derivation.lines.iter().filter(|l| l.rule_code.as_str() == "TRAFFIC-01").count();
            assert_eq!(under_rule, 0, "{}: {subject} still has a repealed rule's record counting", app.label);
        }

        let other = TestApp::new_client();
        let response = other
            .post(app.url("/sign-in"))
            .header("origin", &app.address)
            .form(&[("username", "demo-subject"), ("password", "wang-fang-demo-2026")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let inbox = other.get(app.url("/notices")).send().await.unwrap().text().await.unwrap();
        assert!(inbox.contains("A rule was repealed"), "{inbox}");
        let traffic_event = id_of(
            &app,
            "SELECT e.id FROM events e JOIN accounts a ON a.subject_id = e.subject_id \
             WHERE a.username = 'demo-subject' AND e.rule_code = 'TRAFFIC-01' AND e.kind = 'fact' ORDER BY e.occurred_at DESC LIMIT 1",
        )
        .await;
        let void = id_of(&app, &format!("SELECT id FROM events WHERE target_event_id = '{traffic_event}'")).await;
        let event_page = other.get(app.url(&format!("/record/events/{traffic_event}"))).send().await.unwrap().text().await.unwrap();
        assert!(event_page.contains(&format!("/record/events/{void}")), "the record links its voiding: {event_page}");
        let void_page = other.get(app.url(&format!("/record/events/{void}"))).send().await.unwrap().text().await.unwrap();
        assert!(
            void_page.contains("Rule TRAFFIC-01 was repealed: Replaced by the national rule"),
            "the subject reads why: {void_page}"
        );
        let in_chinese = other
            .get(app.url(&format!("/record/events/{void}")))
            .header("accept-language", "zh-CN")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            in_chinese.contains("规则 TRAFFIC-01 已被废止：Replaced by the national rule")
                && !in_chinese.contains("was repealed"),
            "what Recourse wrote is in the reader's language, the administrators' words as written: {in_chinese}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_repeal_closes_every_open_appeal_on_a_record_it_voids() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let scheme = SchemeId::parse(&id_of(&app, "SELECT id FROM schemes WHERE code = 'rongcheng'").await).unwrap();
        let appeal = id_of(&app, "SELECT id FROM appeals WHERE rule_code = 'TRAFFIC-02' AND status = 'open'").await;
        sign_in(&app, "demo-admin", "admin-demo-2026").await;
        let version = id_of(
            &app,
            "SELECT id FROM rule_versions WHERE rule_code = 'TRAFFIC-02' AND status = 'published' ORDER BY version DESC LIMIT 1",
        )
        .await;
        let reason = "The speed cameras on this road were never certified";
        let (status, _, _) = post(&app, &format!("/admin/rule-versions/{version}/repeal"), &[("reason", reason)]).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM appeals WHERE rule_code = 'TRAFFIC-02' AND status = 'open'").await,
            0,
            "{}: no appeal is left open against a voided record",
            app.label
        );
        let closed = count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM appeal_actions WHERE appeal_id = '{appeal}' AND action = 'decided' \
                 AND account_id IS NULL AND note LIKE '%never certified%'"
            ),
        )
        .await;
        assert_eq!(closed, 1, "{}: closed as decided by the repeal, with its reasons", app.label);
        let told = count(
            &app,
            &format!("SELECT COUNT(*) FROM notices WHERE kind = 'appeal_decided' AND appeal_id = '{appeal}'"),
        )
        .await;
        assert_eq!(told, 1, "{}: the subject is told", app.label);
        let members = member_derivations(&app, scheme).await;

        // The grade before (the record counting) and after (void), kept with the closure.
        let subject = SubjectId::parse(&id_of(&app, &format!("SELECT subject_id FROM appeals WHERE id = '{appeal}'")).await).unwrap();
        let row = sqlx::query(&format!(
            "SELECT score_before, grade_before, score_after, grade_after, rule_code FROM appeal_repeal_closures \
             WHERE appeal_id = '{appeal}'"
        ))
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        let (score_before, grade_before, score_after, grade_after, code): (i64, String, i64, String, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
        let fresh = &members.iter().find(|(s, _)| *s == subject).expect("the subject is a member").1;
        assert_eq!((score_after, grade_after.clone()), (fresh.score, fresh.grade.to_string()), "{}", app.label);
        let voided_points: i64 = sqlx::query(&format!(
            "SELECT CAST(COALESCE(SUM(t.points), 0) AS BIGINT) FROM events v JOIN events t ON t.id = v.target_event_id \
             WHERE v.subject_id = '{subject}' AND v.kind = 'void' AND v.decision_ref = 'repeal:TRAFFIC-02'"
        ))
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .get(0);
        assert_eq!(score_before, score_after + voided_points, "{}: before, the records the repeal voided counted", app.label);
        assert_eq!(code, "TRAFFIC-02");

        let liu = app.another_visitor();
        sign_in(&liu, "demo-liu", "liu-yang-demo-2026").await;
        let (status, page) = text(&liu, &format!("/appeals/{appeal}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(reason), "the subject reads why it closed: {page}");
        assert!(page.contains("Closed by the repeal of rule TRAFFIC-02"), "{page}");
        let change = format!("Your grade: {grade_before} ({score_before}) before, {grade_after} ({score_after}) after.");
        assert!(page.contains(&change), "the subject reads {change}: {page}");
        assert!(!page.contains("Ask for a second-level review"), "nothing is left to review: {page}");
        let reviewer = app.another_visitor();
        sign_in(&reviewer, "demo-reviewer", "review-demo-2026").await;
        let (status, page) = text(&reviewer, &format!("/review/appeals/{appeal}")).await;
        assert_eq!(status, StatusCode::OK);
        let change = format!("The subject's grade: {grade_before} ({score_before}) before, {grade_after} ({score_after}) after.");
        assert!(page.replace("&#x27;", "'").contains(&change), "the reviewer reads {change}: {page}");
    })
    .await;
}

/// The records under rule `code` that a repeal would void (neither voids nor corrected), and
/// the subjects they are about.
async fn standing_under(app: &TestApp, code: &str) -> (i64, i64) {
    let standing = format!(
        "FROM events e WHERE e.rule_code = '{code}' AND e.kind <> 'void' \
         AND NOT EXISTS (SELECT 1 FROM events c WHERE c.target_event_id = e.id)"
    );
    (
        count(app, &format!("SELECT COUNT(*) {standing}")).await,
        count(app, &format!("SELECT COUNT(DISTINCT e.subject_id) {standing}")).await,
    )
}

/// A repeal goes a batch of subjects at a time; with batches of one subject every step crosses a
/// batch, and the outcome is the whole repeal: every record voided once, every subject told once
/// and given one row in its chain, the open appeal closed, the audit chain whole.
#[tokio::test]
async fn a_repeal_in_batches_of_one_subject_does_the_whole_repeal() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let scheme =
            SchemeId::parse(&id_of(&app, "SELECT id FROM schemes WHERE code = 'rongcheng'").await).unwrap();
        let (targets, subjects) = standing_under(&app, "TRAFFIC-02").await;
        let open =
            count(&app, "SELECT COUNT(*) FROM appeals WHERE rule_code = 'TRAFFIC-02' AND status = 'open'")
                .await;
        assert!(
            subjects > 2 && targets >= subjects && open > 0,
            "{}: {targets} {subjects} {open}",
            app.label
        );

        let mut tx = app.db.pool.begin().await.unwrap();
        let code = RuleCode::parse("TRAFFIC-02").unwrap();
        let reason = "The speed cameras on this road were never certified";
        let done = repeal::repeal_rule_in_batches(
            &mut tx,
            scheme,
            &code,
            reason,
            &Actor::cli("test"),
            Utc::now(),
            1,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        assert_eq!(
            (done.events_voided, done.subjects),
            (targets as usize, subjects as usize),
            "{}",
            app.label
        );
        let voids = "FROM events WHERE kind = 'void' AND decision_ref = 'repeal:TRAFFIC-02'";
        assert_eq!(count(&app, &format!("SELECT COUNT(*) {voids}")).await, targets, "{}", app.label);
        assert_eq!(count(&app, &format!("SELECT COUNT(DISTINCT target_event_id) {voids}")).await, targets);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM notices WHERE kind = 'rule_repealed'").await, subjects);
        assert_eq!(
            count(&app, "SELECT COUNT(DISTINCT subject_id) FROM notices WHERE kind = 'rule_repealed'").await,
            subjects,
            "{}: one notice each",
            app.label
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM appeals WHERE rule_code = 'TRAFFIC-02' AND status = 'open'")
                .await,
            0
        );
        assert_eq!(count(&app, "SELECT COUNT(*) FROM appeal_repeal_closures").await, open, "{}", app.label);
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'rule.repeal' AND chain LIKE 'subject:%'"
            )
            .await,
            subjects,
            "{}: one row in each subject's chain",
            app.label
        );
        let detail: String = sqlx::query_scalar(
            "SELECT detail FROM audit_log WHERE action = 'rule.repeal' AND chain = 'catalogue'",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
        assert_eq!(
            (
                detail["events_voided"].as_i64(),
                detail["subjects"].as_i64(),
                detail["appeals_closed"].as_i64()
            ),
            (Some(targets), Some(subjects), Some(open)),
            "{}: the audit row counts what was written",
            app.label
        );
        let mut conn = app.db.pool.acquire().await.unwrap();
        let report = recourse::store::chain::verify(&mut conn).await.unwrap();
        assert!(report.holds(), "{}: {:?}", app.label, report.problems);
        drop(conn);
        for (subject, derivation) in member_derivations(&app, scheme).await {
            let under_rule = derivation.lines.iter().filter(|l| l.rule_code.as_str() == "TRAFFIC-02").count();
            assert_eq!(under_rule, 0, "{}: {subject} still has a repealed rule's record counting", app.label);
        }
    })
    .await;
}

#[tokio::test]
async fn the_audit_log_pages_back_newest_first() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        // After the seed's own rows (one per subject's chain), so these are the newest.
        let start = Utc::now() + Duration::minutes(1);
        let mut conn = app.db.pool.acquire().await.unwrap();
        for i in 0..60 {
            let at = start + Duration::seconds(i);
            audit::write(
                &mut conn,
                &Actor::cli("tester"),
                &format!("test.write{i:02}"),
                "thing",
                "x",
                serde_json::json!({}),
                at,
            )
            .await
            .unwrap();
        }
        drop(conn);
        sign_in(&app, "demo-admin", "admin-demo-2026").await;
        let (status, first) = text(&app, "/admin/audit").await;
        assert_eq!(status, StatusCode::OK);
        assert!(first.contains("test.write59") && !first.contains("test.write09"), "newest first");
        let older = first.split("href=\"/admin/audit?before=").nth(1).expect("a link to older rows");
        let before = &older[..older.find('"').unwrap()];
        let (_, second) = text(&app, &format!("/admin/audit?before={before}")).await;
        assert!(second.contains("test.write09") && !second.contains("test.write59"), "{second}");
        let (status, _) = text(&app, "/admin/audit?before=banana").await;
        assert_eq!(status, StatusCode::OK, "an unreadable cursor shows the newest page");
    })
    .await;
}

#[tokio::test]
async fn a_write_with_a_catalogue_read_before_a_repeal_records_nothing_under_the_repealed_rule() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let scheme =
            SchemeId::parse(&id_of(&app, "SELECT id FROM schemes WHERE code = 'rongcheng'").await).unwrap();
        let traffic =
            AuthorityId::parse(&id_of(&app, "SELECT id FROM authorities WHERE code = 'rc-traffic'").await)
                .unwrap();
        let subject = SubjectId::parse(
            &id_of(&app, "SELECT subject_id FROM accounts WHERE username = 'demo-subject'").await,
        )
        .unwrap();
        // A recorder's request has read the catalogue (the rule is in force) ...
        let mut conn = app.db.pool.acquire().await.unwrap();
        let stale = catalogue::context(&mut conn, scheme).await.unwrap().unwrap();
        // ... when an administrator's repeal commits.
        let mut tx = app.db.pool.begin().await.unwrap();
        let code = RuleCode::parse("TRAFFIC-01").unwrap();
        repeal::repeal_rule(
            &mut tx,
            scheme,
            &code,
            "Replaced by the national rule",
            &Actor::cli("test"),
            Utc::now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        drop(conn);
        let before = count(&app, "SELECT COUNT(*) FROM events").await;
        let source = Source { subject, scheme, authority: traffic, external_ref: "LATE-1".into() };
        let fact = Fact { rule_code: code, points: None, occurred_at: Utc::now() - Duration::hours(1) };
        let provenance = Provenance {
            recorded_by: "officer".into(),
            source: "camera".into(),
            evidence_ref: String::new(),
        };
        let outcome = records::record_fact(&app.db, &stale, source, fact, provenance, Utc::now()).await;
        assert!(
            matches!(&outcome, Err(records::RecordError::Domain(e)) if e.code() == "unknown_rule"),
            "{}: {outcome:?}",
            app.label
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM events").await,
            before,
            "{}: nothing recorded",
            app.label
        );
    })
    .await;
}

#[tokio::test]
async fn the_rule_pages_load_their_scheme_and_version_and_anything_else_is_not_found() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let state = AppState::new(app.db.clone(), Config::default());
        let rules = RulesPage::load(&state, "rongcheng").await.unwrap();
        assert_eq!(rules.scheme.scheme().code(), "rongcheng");
        assert!(rules.problems.is_empty());
        let published = rules
            .scheme
            .catalogue
            .versions()
            .iter()
            .find(|v| v.status() == RuleStatus::Published)
            .expect("the demo publishes rules");
        let page =
            VersionPage::load(&state, &published.id().to_string(), Some(Done::Published)).await.unwrap();
        assert_eq!((page.version.id(), page.done), (published.id(), Some(Done::Published)));
        assert_eq!(page.scheme.scheme().code(), "rongcheng");
        assert!(page.forms.problems.is_empty() && page.forms.reason.is_empty());
        assert!(matches!(RulesPage::load(&state, "nowhere").await, Err(AppError::NotFound)));
        assert!(matches!(VersionPage::load(&state, "not-an-id", None).await, Err(AppError::NotFound)));
        let unknown = RuleVersionId::new().to_string();
        assert!(matches!(VersionPage::load(&state, &unknown, None).await, Err(AppError::NotFound)));
    })
    .await;
}
