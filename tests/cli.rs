//! The command line as a person meets it: bad input ends with one clear sentence and a non-zero
//! exit code, never a panic; SIGTERM stops the server cleanly.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Output, Stdio},
    time::Duration,
};

fn recourse(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_recourse"));
    cmd.args(args).env_remove("DATABASE_URL").env("RECOURSE_LOG", "error");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

/// Asserts a failure with one `recourse: …` line on stderr containing `expected`.
fn assert_clear_failure(output: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "exit code; stderr: {stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");
    let line = stderr.lines().find(|l| l.starts_with("recourse: ")).unwrap_or_else(|| panic!("{stderr}"));
    assert!(line.contains(expected), "expected {expected:?} in {line:?}");
}

#[test]
fn a_database_url_of_an_unknown_kind_is_named_and_refused() {
    let out = recourse(&["migrate", "--database-url", "mysql://root@localhost/x"], &[]);
    assert_clear_failure(&out, "is not understood");
}

#[test]
fn a_malformed_postgres_url_is_refused() {
    let out = recourse(&["migrate"], &[("DATABASE_URL", "postgres://root@[zz/test")]);
    assert_clear_failure(&out, "malformed");
}

#[test]
fn an_unreachable_postgres_server_is_named() {
    let out = recourse(&["migrate", "--database-url", "postgres://root@127.0.0.1:9/test"], &[]);
    assert_clear_failure(&out, "cannot reach the PostgreSQL server at 127.0.0.1:9");
}

#[test]
fn an_sqlite_file_in_a_missing_folder_is_named() {
    let out = recourse(&["migrate", "--database-url", "sqlite:/no/such/folder/recourse.db"], &[]);
    assert_clear_failure(&out, "cannot open the SQLite database at /no/such/folder/recourse.db");
}

#[test]
fn an_unwritable_sqlite_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // A folder where the database file should be cannot be opened as a database.
    let path = dir.path().join("taken.db");
    std::fs::create_dir(&path).unwrap();
    let url = format!("sqlite:{}", path.display());
    let out = recourse(&["migrate", "--database-url", &url], &[]);
    assert_clear_failure(&out, "cannot open the SQLite database");
}

#[test]
fn a_port_in_use_is_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("r.db").display());
    let out = recourse(&["serve", "--addr", &addr, "--database-url", &url], &[]);
    assert_clear_failure(&out, "already in use");
}

#[test]
fn demo_refuses_to_overwrite_a_database_that_is_not_a_demo() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("real.db").display());
    assert!(recourse(&["migrate", "--database-url", &url], &[]).status.success());
    let out = recourse(&["demo", "--database-url", &url, "--addr", "127.0.0.1:1"], &[]);
    assert_clear_failure(&out, "refusing to overwrite");
}

#[test]
fn admin_create_makes_an_administrator_and_refuses_short_passwords_and_taken_names() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("a.db").display());
    let args = ["admin", "create", "--database-url", &url, "--username", "Ada"];
    let short = recourse(&args, &[("RECOURSE_ADMIN_PASSWORD", "short")]);
    assert_clear_failure(&short, "at least 8 characters");
    let ok = recourse(&args, &[("RECOURSE_ADMIN_PASSWORD", "a long enough passphrase")]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let again = recourse(&args, &[("RECOURSE_ADMIN_PASSWORD", "a long enough passphrase")]);
    assert_clear_failure(&again, "already taken");
}

#[test]
fn sigterm_stops_the_server_cleanly_with_exit_code_zero() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("s.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_recourse"))
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", &url])
        .env("RECOURSE_LOG", "info")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("server prints its address").unwrap();
        if let Some(at) = line.find("listening on http://") {
            break line[at + "listening on http://".len()..].trim().to_string();
        }
    };
    let body = std::thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(&addr).unwrap();
        use std::io::{Read, Write};
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    })
    .join()
    .unwrap();
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert_eq!(status.code(), Some(0));
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "server did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}
