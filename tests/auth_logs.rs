//! No secrets and no personal data in the log: every sign-in attempt is logged, but never with
//! the password, the sign-in name, the client's address or an invitation token. One test alone in
//! this binary, because it captures the process-wide log.

mod auth_support;
mod common;

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use auth_support::{client, invitation_path, person, post, sign_in, sign_in_with, subject, PASSWORD};

use common::for_each_database;
use recourse::store::accounts::Role;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn sign_in_attempts_are_logged_without_passwords_names_addresses_or_tokens() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "info,recourse=debug,tower_http=debug,tower_sessions=debug,tower_sessions_core=debug,sqlx=warn",
        ))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let secrets = Arc::new(Mutex::new(Vec::<String>::new()));
    let found = secrets.clone();
    for_each_database(move |app| {
        let found = found.clone();
        async move {
            let wang = person(&app.db, "wang.fang", Role::Subject).await;
            let admin = person(&app.db, "ada.admin", Role::Administrator).await;
            let id = subject(&app.db, "Qian Hui").await.to_string();
            sign_in_with(&app, &client(), "wang.fang", "Wr0ng-Secret-Guess").await;
            sign_in_with(&app, &client(), "no.such.person", "Wr0ng-Secret-Guess").await;
            let signed_in = sign_in_with(&app, &client(), &wang.username, PASSWORD).await;
            let cookie = auth_support::session_cookie(&signed_in).unwrap();
            let session_id = cookie.split_once('=').unwrap().1.to_string();
            let c = client();
            sign_in(&app, &c, &admin).await;
            let form = [
                ("username", "qian.hui"),
                ("display_name", "Qian Hui"),
                ("role", "subject"),
                ("subject_id", id.as_str()),
            ];
            let page = post(&app, &c, "/admin/accounts", &form).await.text().await.unwrap();
            let link = invitation_path(&page);
            client().get(app.url(&link)).send().await.unwrap();
            post(
                &app,
                &client(),
                &link,
                &[("new_password", "tidal granite ember 8"), ("confirm_password", "tidal granite ember 8")],
            )
            .await;
            found.lock().unwrap().extend([
                PASSWORD.to_string(),
                "Wr0ng-Secret-Guess".into(),
                "tidal granite ember 8".into(),
                "wang.fang".into(),
                "no.such.person".into(),
                "qian.hui".into(),
                link.trim_start_matches("/invitation/").to_string(),
                "127.0.0.1".into(),
                session_id,
            ]);
        }
    })
    .await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("sign-in attempt")
            && log.contains("outcome=\"wrong\"")
            && log.contains("outcome=\"signed_in\""),
        "{log}"
    );
    assert!(log.contains("/invitation/***"), "the request log shows invitation paths redacted: {log}");
    for secret in secrets.lock().unwrap().iter() {
        assert!(!log.contains(secret.as_str()), "the log contains {secret:?}:\n{log}");
    }
}
