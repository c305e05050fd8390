//! Slow and idle clients over raw sockets against the real binary: headers sent too slowly and
//! bodies that stall are cut off after their limits while others are served, connections over
//! the cap wait and are then served, and SIGTERM ends a slow request in flight after the grace.
#![cfg(unix)]

use std::{
    io::{BufRead, BufReader, ErrorKind, Read, Write},
    net::TcpStream,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

/// A generous bound for "cut off after a limit of 1 or 2 seconds".
const BOUND: Duration = Duration::from_secs(20);

/// `recourse serve` on a fresh SQLite database, with its log lines readable as they come.
struct Server {
    child: Child,
    addr: String,
    log: mpsc::Receiver<String>,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(flags: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("slow.db").display());
        let mut child = Command::new(env!("CARGO_BIN_EXE_recourse"))
            .args(["serve", "--addr", "127.0.0.1:0", "--database-url", &url])
            .args(flags)
            .env_remove("DATABASE_URL")
            .env("RECOURSE_LOG", "info")
            .env("NO_COLOR", "1")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut seen = Vec::new();
        let addr = loop {
            let Some(Ok(line)) = lines.next() else {
                panic!("the server stopped before listening: {seen:?}")
            };
            seen.push(line.clone());
            if let Some(at) = line.find("listening on http://") {
                break line[at + "listening on http://".len()..].trim().to_string();
            }
        };
        // Keep reading the log, so the server never blocks on a full pipe.
        let (tx, log) = mpsc::channel();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Server { child, addr, log, _dir: dir }
    }

    fn connect(&self) -> TcpStream {
        TcpStream::connect(&self.addr).unwrap()
    }

    /// A complete GET answered whole on its own connection.
    fn get(&self, path: &str) -> String {
        let mut stream = self.connect();
        stream.set_read_timeout(Some(BOUND)).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }

    /// The headers of a form post to the sign-in page announcing `length` bytes of body.
    fn post_head(&self, length: usize) -> String {
        format!(
            "POST /sign-in HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n",
            addr = self.addr
        )
    }

    fn wait_for_log(&self, text: &str) {
        let deadline = Instant::now() + BOUND;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.log.recv_timeout(left) {
                Ok(line) if line.contains(text) => return,
                Ok(_) => {}
                Err(_) => panic!("the server never logged {text:?}"),
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads until the server closes the connection, which must happen within [`BOUND`]; returns
/// what it sent before closing.
fn closed_by_server(stream: &mut TcpStream) -> String {
    stream.set_read_timeout(Some(BOUND)).unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!("the server did not close the connection within {BOUND:?}")
            }
            Err(_) => break, // reset: closed as well
        }
    }
    String::from_utf8_lossy(&received).into_owned()
}

#[test]
fn a_client_sending_half_its_headers_is_disconnected_after_the_header_limit() {
    let server = Server::start(&["--header-timeout-seconds", "1"]);
    let mut slow = server.connect();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
    let answer = closed_by_server(&mut slow);
    assert!(!answer.contains("200 OK"), "no request was served: {answer}");
    // A kept-alive connection left idle is closed too.
    let mut idle = server.connect();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let answer = closed_by_server(&mut idle);
    assert!(answer.starts_with("HTTP/1.1 200"), "the first request is answered: {answer}");
    assert!(server.get("/healthz").starts_with("HTTP/1.1 200"), "the server still serves");
}

#[test]
fn a_stalled_body_is_cut_after_the_idle_limit_while_others_are_served() {
    let server = Server::start(&["--body-idle-seconds", "2", "--header-timeout-seconds", "600"]);
    let mut stalled = server.connect();
    let body = b"username=nobody&password=wrong-password";
    stalled.write_all(server.post_head(body.len()).as_bytes()).unwrap();
    stalled.write_all(&body[..10]).unwrap();

    // Served meanwhile.
    assert!(server.get("/healthz").starts_with("HTTP/1.1 200"), "a normal request works");

    // A body that keeps sending, for longer than the idle limit in all, is not cut.
    let mut trickle = server.connect();
    trickle.write_all(server.post_head(body.len()).as_bytes()).unwrap();
    for piece in body.chunks(4) {
        trickle.write_all(piece).unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    trickle.set_read_timeout(Some(BOUND)).unwrap();
    let mut head = [0u8; 12];
    trickle.read_exact(&mut head).unwrap();
    let status = String::from_utf8_lossy(&head).into_owned();
    assert!(
        status.starts_with("HTTP/1.1 ") && !status.contains("400"),
        "the trickled form is read: {status}"
    );

    closed_by_server(&mut stalled);
    assert!(server.get("/healthz").starts_with("HTTP/1.1 200"), "the server still serves");
}

#[test]
fn connections_over_the_cap_wait_and_are_then_served() {
    let server = Server::start(&["--max-connections", "2", "--header-timeout-seconds", "600"]);
    let mut first = server.connect();
    let mut second = server.connect();
    for held in [&mut first, &mut second] {
        held.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
    }
    let mut third = server.connect();
    third.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    third.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let mut byte = [0u8; 1];
    let waited = third.read(&mut byte);
    assert!(
        matches!(&waited, Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)),
        "a third connection waits while two are open: {waited:?}"
    );
    drop(first);
    let answer = closed_by_server(&mut third);
    assert!(answer.starts_with("HTTP/1.1 200"), "then it is served: {answer}");
    drop(second);
}

#[test]
fn sigterm_ends_a_slow_request_in_flight_after_the_grace_period() {
    let server = Server::start(&[
        "--shutdown-grace-seconds",
        "2",
        "--body-idle-seconds",
        "600",
        "--header-timeout-seconds",
        "600",
    ]);
    let mut slow = server.connect();
    slow.write_all(server.post_head(100).as_bytes()).unwrap();
    slow.write_all(b"username=").unwrap();
    // Answering another request meanwhile gives the server time to read the slow one's headers.
    assert!(server.get("/healthz").starts_with("HTTP/1.1 200"));

    let killed = Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    server.wait_for_log("shutting down: no new connections");
    let refused = TcpStream::connect(&server.addr);
    assert!(refused.is_err(), "no new connection is accepted once shutting down");

    closed_by_server(&mut slow);
    let mut server = server;
    let deadline = Instant::now() + BOUND;
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not stop within {BOUND:?} of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0), "a clean stop");
}
