//! The access matrix: for every route of the router and for each kind of visitor, the status it
//! must answer. The routes come from `http::route_table()`, the list the router itself is built
//! from, so a route added without an entry here fails `every_route_has_an_entry_in_the_matrix`.
//!
//! Visitors, in column order: anonymous; the subject who owns the record in `{subject}` (the demo
//! person Wang Fang); another subject (the demo organisation's representative); a recorder; a
//! reviewer; an administrator. Posts carry an empty form unless the route needs none, so they show
//! who gets past the door (an empty form is refused as invalid only after access is granted).

mod common;

use std::collections::BTreeSet;

use chrono::Utc;
use common::{for_each_database, TestApp};
use recourse::{
    auth::invitation::InvitationToken,
    demo::ACCOUNTS,
    http::route_table,
    store::accounts::{self, AccountId, Role},
};
use reqwest::{header, Client, Method, StatusCode};

/// What a visitor must get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// 200.
    Ok,
    /// 201.
    Created,
    /// 303 to the sign-in page (not signed in).
    SignIn,
    /// 303 somewhere else (the request was done).
    See,
    /// 404, exactly like a page that does not exist.
    NotFound,
    /// 422: let in, and the empty form refused as invalid.
    Invalid,
    /// 410.
    Gone,
    /// 401: the API wants a bearer token; a session cookie does not count.
    Unauthorized,
}
use Expect::*;

const VISITORS: [&str; 6] = ["anonymous", "owner", "non-owner", "recorder", "reviewer", "administrator"];

/// Every route: (method, path pattern, expected answer for each visitor in [`VISITORS`] order).
const MATRIX: &[(&str, &str, [Expect; 6])] = &[
    // Public.
    ("GET", "/", [Ok; 6]),
    ("GET", "/healthz", [Ok; 6]),
    ("GET", "/language/{code}", [See; 6]),
    ("GET", "/style/recourse.css", [Ok; 6]),
    ("GET", "/rules", [Ok; 6]),
    ("GET", "/rules/compare", [Ok; 6]),
    ("GET", "/transparency", [Ok; 6]),
    ("GET", "/transparency.csv", [Ok; 6]),
    ("GET", "/transparency.json", [Ok; 6]),
    ("GET", "/transparency/tree-heads", [Ok; 6]),
    ("GET", "/rules/{scheme}", [Ok; 6]),
    ("GET", "/rules/{scheme}/{rule}", [Ok; 6]),
    // `{proof}` is left as it is: not a proof code, so a specific 404 for everyone.
    ("GET", "/verify/{proof}", [NotFound; 6]),
    // A subject's own record: everyone else, staff included, gets 404 here (staff read records
    // through their own pages, which record the access).
    ("GET", "/record", [SignIn, Ok, Ok, NotFound, NotFound, NotFound]),
    ("GET", "/record/events/{id}", [SignIn, Ok, NotFound, NotFound, NotFound, NotFound]),
    ("GET", "/record/entries/{id}", [SignIn, Ok, NotFound, NotFound, NotFound, NotFound]),
    ("GET", "/record/access", [SignIn, Ok, Ok, NotFound, NotFound, NotFound]),
    ("GET", "/record/checks", [SignIn, Ok, Ok, NotFound, NotFound, NotFound]),
    ("GET", "/record/export.json", [SignIn, Ok, Ok, NotFound, NotFound, NotFound]),
    ("GET", "/record/events.csv", [SignIn, Ok, Ok, NotFound, NotFound, NotFound]),
    ("GET", "/notices", [SignIn, Ok, Ok, NotFound, NotFound, NotFound]),
    ("POST", "/notices/read", [SignIn, See, See, NotFound, NotFound, NotFound]),
    ("GET", "/record/proofs", [SignIn, Ok, Ok, NotFound, NotFound, NotFound]),
    ("POST", "/record/proofs", [SignIn, Invalid, Invalid, NotFound, NotFound, NotFound]),
    // `{id}` here is an account's id: no proof has it.
    ("POST", "/record/proofs/{id}/revoke", [SignIn, NotFound, NotFound, NotFound, NotFound, NotFound]),
    // Signing in and out.
    ("GET", "/sign-in", [Ok, See, See, See, See, See]),
    ("POST", "/sign-in", [Invalid; 6]),
    ("POST", "/sign-out", [See; 6]),
    // One's own account.
    ("GET", "/me", [SignIn, Ok, Ok, Ok, Ok, Ok]),
    ("POST", "/me/password", [SignIn, Invalid, Invalid, Invalid, Invalid, Invalid]),
    // Administrators only.
    ("GET", "/admin/accounts", [SignIn, NotFound, NotFound, NotFound, NotFound, Ok]),
    ("POST", "/admin/accounts", [SignIn, NotFound, NotFound, NotFound, NotFound, Invalid]),
    ("GET", "/admin/accounts/{id}", [SignIn, NotFound, NotFound, NotFound, NotFound, Ok]),
    ("POST", "/admin/accounts/{id}/disable", [SignIn, NotFound, NotFound, NotFound, NotFound, See]),
    ("POST", "/admin/accounts/{id}/invitation", [SignIn, NotFound, NotFound, NotFound, NotFound, Ok]),
    // Recorders only; an entry of another authority (the court's, here) answers 404 to them too.
    ("GET", "/recording", [SignIn, NotFound, NotFound, Ok, NotFound, NotFound]),
    ("GET", "/recording/subjects/{subject}", [SignIn, NotFound, NotFound, Ok, NotFound, NotFound]),
    ("GET", "/recording/subjects/{subject}/events", [SignIn, NotFound, NotFound, Ok, NotFound, NotFound]),
    (
        "POST",
        "/recording/subjects/{subject}/events",
        [SignIn, NotFound, NotFound, Invalid, NotFound, NotFound],
    ),
    ("GET", "/recording/subjects/{subject}/entries", [SignIn, NotFound, NotFound, Ok, NotFound, NotFound]),
    (
        "POST",
        "/recording/subjects/{subject}/entries",
        [SignIn, NotFound, NotFound, Invalid, NotFound, NotFound],
    ),
    ("GET", "/recording/entries/{entry}", [SignIn, NotFound, NotFound, NotFound, NotFound, NotFound]),
    (
        "POST",
        "/recording/entries/{entry}/delivered",
        [SignIn, NotFound, NotFound, NotFound, NotFound, NotFound],
    ),
    // Appeals: the subject's own (a post with an empty form is refused as invalid once let in);
    // evidence downloads to the appeal's subject and to reviewers; the reviewers' dashboard; rule
    // challenges to administrators.
    ("GET", "/appeals", [SignIn, Ok, Ok, NotFound, NotFound, NotFound]),
    ("GET", "/appeals/new", [SignIn, Ok, NotFound, NotFound, NotFound, NotFound]),
    ("POST", "/appeals", [SignIn, Invalid, Invalid, NotFound, NotFound, NotFound]),
    ("GET", "/appeals/{id}", [SignIn, Ok, NotFound, NotFound, NotFound, NotFound]),
    ("POST", "/appeals/{id}/evidence", [SignIn, Invalid, NotFound, NotFound, NotFound, NotFound]),
    ("POST", "/appeals/{id}/withdraw", [SignIn, Invalid, NotFound, NotFound, NotFound, NotFound]),
    ("POST", "/appeals/{id}/second-level", [SignIn, Invalid, NotFound, NotFound, NotFound, NotFound]),
    ("GET", "/appeals/{id}/evidence/{file}", [SignIn, Ok, NotFound, NotFound, Ok, NotFound]),
    ("GET", "/appeals/{id}/decision", [SignIn, Ok, NotFound, NotFound, Ok, NotFound]),
    ("GET", "/review", [SignIn, NotFound, NotFound, NotFound, Ok, NotFound]),
    ("GET", "/review/statistics", [SignIn, NotFound, NotFound, NotFound, Ok, NotFound]),
    // An empty form names no notice: refused as invalid once let in.
    ("POST", "/review/notices/seen", [SignIn, NotFound, NotFound, NotFound, Invalid, NotFound]),
    ("GET", "/review/appeals/{id}", [SignIn, NotFound, NotFound, NotFound, Ok, NotFound]),
    ("POST", "/review/appeals/{id}/claim", [SignIn, NotFound, NotFound, NotFound, See, NotFound]),
    ("POST", "/review/appeals/{id}/assign", [SignIn, NotFound, NotFound, NotFound, Invalid, NotFound]),
    ("POST", "/review/appeals/{id}/decide", [SignIn, NotFound, NotFound, NotFound, Invalid, NotFound]),
    ("GET", "/admin/appeals", [SignIn, NotFound, NotFound, NotFound, NotFound, Ok]),
    ("POST", "/admin/appeals/notices/seen", [SignIn, NotFound, NotFound, NotFound, NotFound, Invalid]),
    // `{id}` here is an account's id: no challenge has it, so even an administrator gets 404.
    ("GET", "/admin/appeals/{id}", [SignIn, NotFound, NotFound, NotFound, NotFound, NotFound]),
    ("POST", "/admin/appeals/{id}/decide", [SignIn, NotFound, NotFound, NotFound, NotFound, NotFound]),
    // API tokens (administrators) and bulk import (recorders).
    ("GET", "/admin/tokens", [SignIn, NotFound, NotFound, NotFound, NotFound, Ok]),
    ("POST", "/admin/tokens", [SignIn, NotFound, NotFound, NotFound, NotFound, Invalid]),
    ("POST", "/admin/tokens/{id}/revoke", [SignIn, NotFound, NotFound, NotFound, NotFound, NotFound]),
    // Relying parties (administrators); `{id}` is an account's id, so no party has it.
    ("GET", "/admin/relying-parties", [SignIn, NotFound, NotFound, NotFound, NotFound, Ok]),
    ("POST", "/admin/relying-parties", [SignIn, NotFound, NotFound, NotFound, NotFound, Invalid]),
    ("GET", "/admin/relying-parties/{id}", [SignIn, NotFound, NotFound, NotFound, NotFound, NotFound]),
    (
        "POST",
        "/admin/relying-parties/{id}/tokens",
        [SignIn, NotFound, NotFound, NotFound, NotFound, NotFound],
    ),
    (
        "POST",
        "/admin/relying-parties/{id}/tokens/{token}/revoke",
        [SignIn, NotFound, NotFound, NotFound, NotFound, NotFound],
    ),
    ("GET", "/recording/import", [SignIn, NotFound, NotFound, Ok, NotFound, NotFound]),
    ("POST", "/recording/import", [SignIn, NotFound, NotFound, Invalid, NotFound, NotFound]),
    ("GET", "/recording/import/{id}", [SignIn, NotFound, NotFound, NotFound, NotFound, NotFound]),
    // The API: its document is public; everything else wants a bearer token, never a cookie.
    ("GET", "/api/v1/openapi.json", [Ok; 6]),
    ("GET", "/api/v1/events", [Unauthorized; 6]),
    ("POST", "/api/v1/events", [Unauthorized; 6]),
    ("GET", "/api/v1/events/{id}", [Unauthorized; 6]),
    ("POST", "/api/v1/events/batch", [Unauthorized; 6]),
    ("POST", "/api/v1/imports", [Unauthorized; 6]),
    ("GET", "/api/v1/imports/{id}", [Unauthorized; 6]),
    ("GET", "/api/v1/imports", [Unauthorized; 6]),
    ("GET", "/api/v1/entries", [Unauthorized; 6]),
    ("POST", "/api/v1/entries", [Unauthorized; 6]),
    ("GET", "/api/v1/entries/{id}", [Unauthorized; 6]),
    ("POST", "/api/v1/checks", [Unauthorized; 6]),
    ("GET", "/api/v1/corrections", [Unauthorized; 6]),
    ("POST", "/api/v1/corrections/{id}/ack", [Unauthorized; 6]),
    // Administration: schemes' catalogues, drafts, publishing, repeal, the audit log. Empty forms
    // are refused before anything changes (the matrix never repeals a rule).
    ("GET", "/admin", [SignIn, NotFound, NotFound, NotFound, NotFound, Ok]),
    ("GET", "/admin/audit", [SignIn, NotFound, NotFound, NotFound, NotFound, Ok]),
    ("GET", "/admin/schemes/{scheme}/rules", [SignIn, NotFound, NotFound, NotFound, NotFound, Ok]),
    ("POST", "/admin/schemes/{scheme}/rules", [SignIn, NotFound, NotFound, NotFound, NotFound, Invalid]),
    ("GET", "/admin/rule-versions/{version}", [SignIn, NotFound, NotFound, NotFound, NotFound, Ok]),
    ("POST", "/admin/rule-versions/{version}", [SignIn, NotFound, NotFound, NotFound, NotFound, Invalid]),
    (
        "POST",
        "/admin/rule-versions/{version}/publish",
        [SignIn, NotFound, NotFound, NotFound, NotFound, Invalid],
    ),
    (
        "POST",
        "/admin/rule-versions/{version}/repeal",
        [SignIn, NotFound, NotFound, NotFound, NotFound, Invalid],
    ),
    // Administration: a scheme's settings, authorities and review bodies. Empty forms are
    // refused before anything changes.
    ("GET", "/admin/schemes/{scheme}/settings", [SignIn, NotFound, NotFound, NotFound, NotFound, Ok]),
    ("POST", "/admin/schemes/{scheme}/settings", [SignIn, NotFound, NotFound, NotFound, NotFound, Invalid]),
    ("GET", "/admin/authorities", [SignIn, NotFound, NotFound, NotFound, NotFound, Ok]),
    ("POST", "/admin/authorities", [SignIn, NotFound, NotFound, NotFound, NotFound, Invalid]),
    ("GET", "/admin/authorities/{authority}", [SignIn, NotFound, NotFound, NotFound, NotFound, Ok]),
    ("POST", "/admin/authorities/{authority}", [SignIn, NotFound, NotFound, NotFound, NotFound, Invalid]),
    ("GET", "/admin/authorities/{authority}/mandates", [SignIn, NotFound, NotFound, NotFound, NotFound, Ok]),
    (
        "POST",
        "/admin/authorities/{authority}/mandates",
        [SignIn, NotFound, NotFound, NotFound, NotFound, Invalid],
    ),
    (
        "POST",
        "/admin/authorities/{authority}/mandates/{mandate}/revoke",
        [SignIn, NotFound, NotFound, NotFound, NotFound, NotFound],
    ),
    ("GET", "/admin/review-bodies", [SignIn, NotFound, NotFound, NotFound, NotFound, Ok]),
    ("POST", "/admin/review-bodies", [SignIn, NotFound, NotFound, NotFound, NotFound, Invalid]),
    // Whoever holds the link.
    ("GET", "/invitation/{token}", [Ok; 6]),
    ("POST", "/invitation/{token}", [Invalid; 6]),
];

/// Public lookups whose 404 names what was not found (a proof code that is malformed or unknown):
/// it reveals nothing a visitor did not send, so it need not look like any other 404.
const SPECIFIC_NOT_FOUND: &[(&str, &str)] = &[("GET", "/verify/{proof}")];

/// Routes after which the visitor is signed out and must sign in again.
const ENDS_THE_SESSION: &[(&str, &str)] = &[("POST", "/sign-out")];

#[test]
fn every_route_has_an_entry_in_the_matrix() {
    let routes: BTreeSet<(String, String)> =
        route_table().iter().map(|r| (r.verb.as_str().to_string(), r.path.to_string())).collect();
    let entries: BTreeSet<(String, String)> =
        MATRIX.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
    assert_eq!(entries.len(), MATRIX.len(), "the matrix lists a route twice");
    let missing: Vec<_> = routes.difference(&entries).collect();
    let stale: Vec<_> = entries.difference(&routes).collect();
    assert!(
        missing.is_empty(),
        "routes without an entry in the access matrix (add one to MATRIX in tests/access_matrix.rs, \
         saying what each visitor must get): {missing:?}"
    );
    assert!(stale.is_empty(), "matrix entries for routes that no longer exist: {stale:?}");
}

/// The concrete values behind a pattern's placeholders.
struct Fixtures {
    /// The owner's subject.
    subject: String,
    /// One of the owner's recorded events.
    event: String,
    /// One of the owner's blacklist entries.
    entry: String,
    /// An account administrators act on (never disabled).
    account: String,
    /// An account the disable route disables.
    disposable: String,
    /// A usable invitation token (for a third account nobody acts on).
    token: String,
    /// An open appeal of the owner's, on `event`.
    appeal: String,
    /// An evidence file of that appeal.
    evidence: String,
    /// A published rule version (TRAFFIC-01 version 2).
    version: String,
    /// An authority (the demo's traffic police).
    authority: String,
}

fn concrete(method: &str, pattern: &str, f: &Fixtures) -> String {
    if pattern == "/appeals/new" {
        return format!("/appeals/new?event={}", f.event);
    }
    let id = if pattern.starts_with("/record/events/") {
        &f.event
    } else if pattern.starts_with("/appeals/") || pattern.starts_with("/review/appeals/") {
        &f.appeal
    } else if pattern.starts_with("/record/entries/") {
        &f.entry
    } else if method == "POST" && pattern.ends_with("/disable") {
        &f.disposable
    } else {
        &f.account
    };
    pattern
        .replace("{code}", "en")
        .replace("{scheme}", "rongcheng")
        .replace("{rule}", "TRAFFIC-01")
        .replace("{subject}", &f.subject)
        .replace("{entry}", &f.entry)
        .replace("{version}", &f.version)
        .replace("{authority}", &f.authority)
        .replace("{id}", id)
        .replace("{token}", &f.token)
        .replace("{file}", &f.evidence)
}

/// Files an appeal of the owner's on `event` with one evidence file: (appeal id, evidence id).
async fn owner_appeal(app: &TestApp, event: &str) -> (String, String) {
    use recourse::{
        domain::{appeal::*, EventId},
        store::{appeals, audit::Actor},
    };
    let mut tx = app.db.pool.begin().await.unwrap();
    let owner = accounts::by_username(&mut tx, "demo-subject").await.unwrap().unwrap();
    let new = appeals::NewAppeal {
        subject: owner.subject_id.unwrap(),
        target: appeals::Target::Event(EventId::parse(event).unwrap()),
        grounds: Grounds::DidNotHappen,
        statement: Statement::parse("It did not happen.").unwrap(),
        files: vec![appeals::NewEvidence {
            name: "note.txt".into(),
            kind: EvidenceKind::Text,
            bytes: b"I was elsewhere.".to_vec(),
        }],
    };
    let id = appeals::file(&mut tx, &Actor::cli("test"), owner.id.0, new, Utc::now()).await.unwrap();
    tx.commit().await.unwrap();
    let mut conn = app.db.pool.acquire().await.unwrap();
    let evidence = appeals::evidence(&mut conn, id).await.unwrap();
    (id.to_string(), evidence[0].id.to_string())
}

async fn invited_account(app: &TestApp, username: &str) -> (AccountId, InvitationToken) {
    let mut conn = app.db.pool.acquire().await.unwrap();
    let id = AccountId(accounts::create(&mut conn, username, username, "", Role::Reviewer).await.unwrap());
    let token = InvitationToken::generate();
    let now = Utc::now();
    accounts::create_invitation(&mut conn, id, None, &token.digest(), now, now + chrono::Duration::hours(72))
        .await
        .unwrap();
    (id, token)
}

/// Signs a demo account in on a fresh client.
async fn signed_in(app: &TestApp, username: &str) -> Client {
    let account = ACCOUNTS.iter().find(|a| a.username == username).unwrap();
    let client = TestApp::new_client();
    let response = client
        .post(app.url("/sign-in"))
        .header(header::ORIGIN, &app.address)
        .form(&[("username", account.username), ("password", account.password)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}: {username} signs in", app.label);
    client
}

#[tokio::test]
async fn every_route_answers_each_visitor_as_the_matrix_says() {
    for_each_database(|app| async move {
        recourse::demo::seed(&app.db, Utc::now()).await.expect("demo data");
        let owner_subject = {
            let mut conn = app.db.pool.acquire().await.unwrap();
            let owner = accounts::by_username(&mut conn, "demo-subject").await.unwrap().unwrap();
            owner.subject_id.expect("the demo subject speaks for Wang Fang").to_string()
        };
        let first_of = |table: &'static str| {
            let sql = format!("SELECT id FROM {table} WHERE subject_id = $1 ORDER BY id LIMIT 1");
            let pool = app.db.pool.clone();
            let subject = owner_subject.clone();
            async move { sqlx::query_scalar::<_, String>(&sql).bind(subject).fetch_one(&pool).await.unwrap() }
        };
        let event = first_of("events").await;
        let entry = first_of("blacklist_entries").await;
        let (account, _) = invited_account(&app, "matrix-target").await;
        let (disposable, _) = invited_account(&app, "matrix-disposable").await;
        let (_, token) = invited_account(&app, "matrix-invited").await;
        let (appeal, evidence) = owner_appeal(&app, &event).await;
        let fixtures = Fixtures {
            subject: owner_subject,
            event,
            entry,
            account: account.to_string(),
            disposable: disposable.to_string(),
            token: token.expose().to_string(),
            appeal,
            evidence,
            version: sqlx::query_scalar::<_, String>(
                "SELECT id FROM rule_versions WHERE rule_code = 'TRAFFIC-01' AND version = 2",
            )
            .fetch_one(&app.db.pool)
            .await
            .unwrap(),
            authority: sqlx::query_scalar::<_, String>(
                "SELECT id FROM authorities WHERE code = 'rc-traffic'",
            )
            .fetch_one(&app.db.pool)
            .await
            .unwrap(),
        };

        let usernames = [
            None,
            Some("demo-subject"),
            Some("demo-org"),
            Some("demo-recorder"),
            Some("demo-reviewer"),
            Some("demo-admin"),
        ];
        let mut failures = Vec::new();
        for (column, username) in usernames.into_iter().enumerate() {
            let mut client = match username {
                Some(name) => signed_in(&app, name).await,
                None => TestApp::new_client(),
            };
            for (method, pattern, expected) in MATRIX {
                let path = concrete(method, pattern, &fixtures);
                let method = Method::from_bytes(method.as_bytes()).unwrap();
                let mut request = client.request(method.clone(), app.url(&path));
                if method != Method::GET {
                    request = request.header(header::ORIGIN, &app.address).form(&[("", "")][..0]);
                }
                let response = request.send().await.unwrap();
                let status = response.status();
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .map(str::to_string);
                let to_sign_in =
                    location.as_deref().is_some_and(|l| l == "/sign-in" || l.starts_with("/sign-in?next="));
                let got = match status.as_u16() {
                    200 => Ok,
                    201 => Created,
                    303 if to_sign_in => SignIn,
                    303 => See,
                    404 => NotFound,
                    422 => Invalid,
                    410 => Gone,
                    401 => Unauthorized,
                    _ => {
                        failures
                            .push(format!("{method} {path} as {}: unexpected {status}", VISITORS[column]));
                        continue;
                    }
                };
                if got != expected[column] {
                    failures.push(format!(
                        "{method} {path} as {}: expected {:?}, got {got:?} ({status}{})",
                        VISITORS[column],
                        expected[column],
                        location.map(|l| format!(" to {l}")).unwrap_or_default()
                    ));
                }
                if got == NotFound && SPECIFIC_NOT_FOUND.contains(&(method.as_str(), *pattern)) {
                    let page = response.text().await.unwrap();
                    assert!(page.contains("No such proof"), "{method} {path}: a specific 404: {page}");
                } else if got == NotFound {
                    let page = response.text().await.unwrap();
                    assert!(
                        page.contains("Page not found"),
                        "{method} {path} as {}: a refusal looks like any 404: {page}",
                        VISITORS[column]
                    );
                }
                if ENDS_THE_SESSION.contains(&(method.as_str(), *pattern)) {
                    if let Some(name) = username {
                        client = signed_in(&app, name).await;
                    }
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{}: the access matrix does not hold:\n{}",
            app.label,
            failures.join("\n")
        );
    })
    .await;
}
