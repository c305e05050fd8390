//! Challenges to rules decided by administrators, over HTTP on both databases: kept with reasons
//! (too short refused, changing nothing), or repealed in the same transaction as the decision,
//! every open challenge to the rule decided together, each challenger told.

mod common;

use chrono::Utc;
use common::{count, for_each_database, id_of, post, sign_in, text, TestApp};
use recourse::{
    domain::{
        appeal::{Grounds, Statement},
        RuleVersionId, SubjectId,
    },
    store::{
        appeals::{self, NewAppeal, Target},
        audit::Actor,
    },
};
use reqwest::StatusCode;
use uuid::Uuid;

/// Files a challenge to the rule version with `code` in Rongcheng, as the subject of `username`.
async fn challenge(app: &TestApp, username: &str, code: &str, statement: &str) -> Uuid {
    challenge_on(app, username, code, Grounds::Disproportionate, statement).await
}

/// Files a challenge to the rule version with `code`, on `grounds`, as the subject of `username`.
async fn challenge_on(app: &TestApp, username: &str, code: &str, grounds: Grounds, statement: &str) -> Uuid {
    let account =
        Uuid::parse_str(&id_of(app, &format!("SELECT id FROM accounts WHERE username = '{username}'")).await)
            .unwrap();
    let subject = SubjectId::parse(
        &id_of(app, &format!("SELECT subject_id FROM accounts WHERE username = '{username}'")).await,
    )
    .unwrap();
    let version = RuleVersionId::parse(
        &id_of(app, &format!("SELECT id FROM rule_versions WHERE rule_code = '{code}' AND status = 'published' ORDER BY version DESC LIMIT 1")).await,
    )
    .unwrap();
    let mut tx = app.db.begin_write().await.unwrap();
    let new = NewAppeal {
        subject,
        target: Target::Rule(version),
        grounds,
        statement: Statement::parse(statement).unwrap(),
        files: Vec::new(),
    };
    let id = appeals::file(&mut tx, &Actor::cli("test"), account, new, Utc::now()).await.unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn an_administrator_keeps_a_rule_with_reasons_and_the_challenger_is_told() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let id =
            challenge(&app, "demo-subject", "VOLUNTEER-01", "Points for volunteering make a duty of a gift.")
                .await;
        sign_in(&app, "demo-admin", "admin-demo-2026").await;
        let (_, hub) = text(&app, "/admin").await;
        assert!(hub.contains(r#"href="/admin/appeals""#), "the queue is linked from the hub");
        let (_, list) = text(&app, "/admin/appeals").await;
        assert!(list.contains(&format!("/admin/appeals/{id}")), "{list}");
        let page = format!("/admin/appeals/{id}");
        let (status, body) = text(&app, &page).await;
        assert_eq!(status, StatusCode::OK, "{}", app.label);
        assert!(
            body.contains("Points for volunteering make a duty of a gift.")
                && body.contains("Decide this challenge")
        );

        let state = "SELECT COUNT(*) FROM appeals WHERE status = 'open'";
        let open = count(&app, state).await;
        let (status, _, body) =
            post(&app, &format!("{page}/decide"), &[("verdict", "kept"), ("reasons", "Too short.")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("reasons"), "{body}");
        let (status, _, body) = post(&app, &format!("{page}/decide"), &[("reasons", &"x".repeat(60))]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("Choose whether the rule is kept or repealed."), "{body}");
        assert_eq!(count(&app, state).await, open, "a refused decision changes nothing");

        let reasons =
            "Volunteering is rewarded by the published measures, art. 7; the rule stays as written.";
        let (status, location, _) =
            post(&app, &format!("{page}/decide"), &[("verdict", "kept"), ("reasons", reasons)]).await;
        assert_eq!(
            (status, location.as_str()),
            (StatusCode::SEE_OTHER, format!("{page}?done=decided").as_str())
        );
        let (_, body) = text(&app, &page).await;
        assert!(body.contains("The rule was kept") && body.contains(reasons), "{body}");
        assert_eq!(
            count(&app, &format!("SELECT COUNT(*) FROM appeals WHERE id = '{id}' AND status = 'decided'"))
                .await,
            1
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM rule_versions WHERE rule_code = 'VOLUNTEER-01' AND status = 'repealed'"
            )
            .await,
            0
        );
        assert_eq!(
            count(
                &app,
                &format!("SELECT COUNT(*) FROM notices WHERE appeal_id = '{id}' AND kind = 'appeal_decided'")
            )
            .await,
            1,
            "the challenger is told"
        );
        let (status, _, _) =
            post(&app, &format!("{page}/decide"), &[("verdict", "repealed"), ("reasons", reasons)]).await;
        assert_eq!(status, StatusCode::CONFLICT, "a decided challenge is not decided twice");
    })
    .await;
}

#[tokio::test]
async fn repealing_a_challenged_rule_decides_every_challenge_to_it_in_one_transaction() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let first = challenge(&app, "demo-subject", "TRAFFIC-02", "The deduction does not depend on the facts of the case.").await;
        let second = challenge(&app, "demo-liu", "TRAFFIC-02", "A criminal court already punishes this; the points punish twice.").await;
        sign_in(&app, "demo-admin", "admin-demo-2026").await;
        let (_, body) = text(&app, &format!("/admin/appeals/{first}")).await;
        assert!(body.contains("1 other open challenges to the same rule"), "{body}");
        let under_rule = count(
            &app,
            "SELECT COUNT(*) FROM events e WHERE e.rule_code = 'TRAFFIC-02' AND e.kind = 'fact' AND NOT EXISTS \
             (SELECT 1 FROM events v WHERE v.target_event_id = e.id)",
        )
        .await;
        assert!(under_rule > 0);
        let reasons = "Struck down: a points deduction for a criminal offence already punished is disproportionate.";
        let (status, _, _) =
            post(&app, &format!("/admin/appeals/{first}/decide"), &[("verdict", "repealed"), ("reasons", reasons)]).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", app.label);
        for id in [first, second] {
            assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM appeals WHERE id = '{id}' AND status = 'decided'")).await, 1);
            assert_eq!(
                count(&app, &format!("SELECT COUNT(*) FROM rule_challenge_decisions WHERE appeal_id = '{id}' AND verdict = 'repealed' AND score_after IS NOT NULL")).await,
                1
            );
        }
        assert!(count(&app, "SELECT COUNT(*) FROM rule_versions WHERE rule_code = 'TRAFFIC-02' AND status = 'published'").await == 0);
        assert!(count(&app, &format!("SELECT COUNT(*) FROM events WHERE kind = 'void' AND reason LIKE '%{}%'", &reasons[..30])).await >= under_rule);
        let (_, public) = text(&app, "/rules/rongcheng").await;
        assert!(public.contains("Repealed rules") && public.contains(reasons), "the repeal is public with its reason");
    })
    .await;
}

#[tokio::test]
async fn the_administrators_queue_filters_challenges_by_status_scheme_grounds_and_deadline() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.unwrap();
        let unclear = challenge_on(
            &app,
            "demo-subject",
            "VOLUNTEER-01",
            Grounds::Unclear,
            "Nobody can say what counts.",
        )
        .await;
        let unlawful = challenge_on(
            &app,
            "demo-liu",
            "TRAFFIC-02",
            Grounds::NoLegalBasis,
            "No law lets a city deduct points for this.",
        )
        .await;
        sqlx::query(&format!("UPDATE appeals SET due_at = 1 WHERE id = '{unlawful}'"))
            .execute(&app.db.pool)
            .await
            .unwrap();
        sign_in(&app, "demo-admin", "admin-demo-2026").await;
        let shows = |body: &str, id: Uuid| body.contains(&format!("/admin/appeals/{id}\""));

        let (status, all) = text(&app, "/admin/appeals").await;
        assert_eq!(status, StatusCode::OK);
        assert!(shows(&all, unclear) && shows(&all, unlawful), "{all}");
        for (grounds, offered) in [("unclear", true), ("conflicts_with_higher_law", true), ("not_me", false)]
        {
            assert_eq!(all.contains(&format!(r#"<option value="{grounds}""#)), offered, "{grounds}");
        }
        let (_, by_grounds) = text(&app, "/admin/appeals?grounds=unclear").await;
        assert!(shows(&by_grounds, unclear) && !shows(&by_grounds, unlawful), "{by_grounds}");
        let (_, overdue) = text(&app, "/admin/appeals?overdue=1").await;
        assert!(!shows(&overdue, unclear) && shows(&overdue, unlawful), "{overdue}");
        let (_, other_city) = text(&app, "/admin/appeals?scheme=haibin").await;
        assert!(!shows(&other_city, unclear) && !shows(&other_city, unlawful), "{other_city}");

        let reasons =
            "Volunteering is rewarded by the published measures, art. 7; the rule stays as written.";
        let (status, _, _) = post(
            &app,
            &format!("/admin/appeals/{unclear}/decide"),
            &[("verdict", "kept"), ("reasons", reasons)],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, open) = text(&app, "/admin/appeals").await;
        assert!(!shows(&open, unclear) && shows(&open, unlawful), "open ones by default: {open}");
        let (_, decided) = text(&app, "/admin/appeals?status=decided").await;
        assert!(shows(&decided, unclear) && !shows(&decided, unlawful), "{decided}");

        // A filter value that names nothing is refused, naming its field; nothing is listed.
        for (query, said) in [
            ("status=bogus", "Status: “bogus” is not one of the statuses listed."),
            ("scheme=nowhere", "Scheme: no scheme has the code “nowhere”."),
            ("grounds=not_me", "Grounds: “not_me” is not one of the grounds listed."),
            ("after=garbage", "The link to this page of the queue is damaged"),
        ] {
            let (status, body) = text(&app, &format!("/admin/appeals?{query}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
            assert!(body.contains(said) && !shows(&body, unlawful), "{query}: {body}");
        }
    })
    .await;
}
