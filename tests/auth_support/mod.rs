//! Helpers of the account and access tests: people with known passwords in every role, signing
//! in over HTTP, and form posts that carry the `Origin` a browser would send.
#![allow(dead_code)]

use chrono::Utc;
use recourse::{
    auth::password::{self, NewPassword},
    db::Db,
    domain::{AuthorityId, SubjectId},
    http::{self, AppState, Config},
    store::{
        accounts::{self, AccountId, Role},
        register::{self, Authority, Subject, SubjectKind},
    },
};
use reqwest::{header, Client, Response, StatusCode};

use crate::common::TestApp;

/// The password every test person has (strong enough for the policy).
pub const PASSWORD: &str = "lantern orchard velvet 42";

/// Someone who can sign in.
#[derive(Clone, Debug)]
pub struct Person {
    pub id: AccountId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub subject: Option<SubjectId>,
}

/// A subject (a person) in the register.
pub async fn subject(db: &Db, name: &str) -> SubjectId {
    let id = SubjectId::new();
    let mut conn = db.pool.acquire().await.unwrap();
    let subject = Subject { id, kind: SubjectKind::Person, display_name: name.into(), uscc: None };
    register::insert_subject(&mut conn, &subject, Utc::now()).await.unwrap();
    id
}

/// An authority in the register.
pub async fn authority(db: &Db, code: &str) -> AuthorityId {
    let id = AuthorityId::new();
    let mut conn = db.pool.acquire().await.unwrap();
    let authority =
        Authority { id, code: code.into(), name_en: format!("{code} bureau"), name_zh: format!("{code}局") };
    register::insert_authority(&mut conn, &authority).await.unwrap();
    id
}

/// An account with [`PASSWORD`], linked to a fresh subject (subjects) or authority (recorders).
pub async fn person(db: &Db, username: &str, role: Role) -> Person {
    let hash = password::hash(NewPassword::parse(PASSWORD.into()).unwrap()).await.unwrap();
    let display_name = format!("{username} display");
    let subject_id = match role {
        Role::Subject => Some(subject(db, &display_name).await),
        _ => None,
    };
    let authority_id = match role {
        Role::Recorder => Some(authority(db, &format!("auth-{username}")).await),
        _ => None,
    };
    let mut conn = db.pool.acquire().await.unwrap();
    let id = accounts::create(&mut conn, username, &display_name, &hash, role).await.unwrap();
    accounts::link(&mut conn, id, subject_id, authority_id).await.unwrap();
    Person { id: AccountId(id), username: username.into(), display_name, role, subject: subject_id }
}

/// A client with its own cookie jar that does not follow redirects.
pub fn client() -> Client {
    TestApp::new_client()
}

/// A client without cookie jar, for sending a cookie by hand (replaying an old one).
pub fn bare_client() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A form post as a browser on one of Recourse's own pages sends it.
pub async fn post(app: &TestApp, client: &Client, path: &str, form: &[(&str, &str)]) -> Response {
    client.post(app.url(path)).header(header::ORIGIN, &app.address).form(form).send().await.unwrap()
}

/// Signs `username` in on `client` with `password`.
pub async fn sign_in_with(app: &TestApp, client: &Client, username: &str, password: &str) -> Response {
    post(app, client, "/sign-in", &[("username", username), ("password", password), ("next", "")]).await
}

/// Signs `person` in on `client` and checks it worked.
pub async fn sign_in(app: &TestApp, client: &Client, person: &Person) {
    let response = sign_in_with(app, client, &person.username, PASSWORD).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{}: signing in {} failed",
        app.label,
        person.username
    );
}

/// The session cookie (`name=value`) a response sets, if any.
pub fn session_cookie(response: &Response) -> Option<String> {
    response.headers().get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|c| {
        let pair = c.split(';').next()?.trim();
        (pair.starts_with("recourse=") || pair.starts_with("__Host-recourse=")).then(|| pair.to_string())
    })
}

/// The full `Set-Cookie` header of the session cookie.
pub fn session_set_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("recourse=") || c.starts_with("__Host-recourse="))
        .map(str::to_string)
}

/// Whether `client` (or `cookie` sent by hand) is signed in, judged by `/me`.
pub async fn is_signed_in(app: &TestApp, client: &Client, cookie: Option<&str>) -> bool {
    let mut request = client.get(app.url("/me"));
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = request.send().await.unwrap();
    match response.status() {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER => {
            assert!(response.headers()[header::LOCATION].to_str().unwrap().starts_with("/sign-in"));
            false
        }
        other => panic!("{}: /me answered {other}", app.label),
    }
}

/// Starts another server on the same database with a different configuration.
pub async fn spawn_with(db: Db, config: Config, label: &'static str) -> TestApp {
    let state = AppState::new(db.clone(), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            http::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    TestApp { address, client: client(), db, label }
}

/// The invitation link on an administrator's "account created" page.
pub fn invitation_path(page: &str) -> String {
    let start = page.find("/invitation/").expect("the page shows an invitation link");
    let token: String =
        page[start + "/invitation/".len()..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    assert_eq!(token.len(), 64, "{page}");
    format!("/invitation/{token}")
}
