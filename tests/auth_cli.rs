//! The first administrator, made at the command line, is held to the same password policy as
//! everyone else.

use std::process::Command;

#[test]
fn admin_create_refuses_an_easily_guessed_password_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("a.db").display());
    let output = Command::new(env!("CARGO_BIN_EXE_recourse"))
        .args(["admin", "create", "--database-url", &url, "--username", "root"])
        .env("RECOURSE_ADMIN_PASSWORD", "password123")
        .env("RECOURSE_LOG", "error")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("recourse: the password is too easy to guess"), "{stderr}");
    assert!(!stderr.contains("password123"), "the password is not echoed: {stderr}");
}
