//! The `recourse` command line: serve, demo, migrate, admin create. Every option can also be set
//! by an environment variable. Failures end with one sentence on stderr and a non-zero exit code.

use std::{io::BufRead, net::SocketAddr, path::PathBuf, process::ExitCode};

use clap::{Args, Parser, Subcommand};

use crate::{
    auth::password::{self, NewPassword},
    db::{DatabaseUrl, Db, Dialect},
    http::{self, AppState, Config},
    store::{self, accounts::Role, instance::Contents},
};

#[derive(Parser, Debug)]
#[command(name = "recourse", version, about = "Due process for scored and blacklisted people")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve Recourse (migrations are applied at start).
    Serve(ServeArgs),
    /// Create a fresh demo database, seed it, print the demo accounts, then serve.
    Demo(DemoArgs),
    /// Apply the database migrations and exit.
    Migrate(DbArgs),
    /// Print the statements that distribute a migrated PostgreSQL database by subject on a
    /// Citus cluster (run them with psql on the coordinator; README, "Scaling out").
    DistributionPlan,
    /// Administer accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Appeal deadlines that passed undecided.
    Deadlines {
        #[command(subcommand)]
        command: DeadlinesCommand,
    },
    /// Relying parties: organisations that ask about a subject's standing (README, "Relying parties").
    RelyingParties {
        #[command(subcommand)]
        command: PartiesCommand,
    },
    /// Check the tamper-evident audit log (README, "Checking the record").
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Subjects' proofs of status (README, "Proofs of status").
    Proofs {
        #[command(subcommand)]
        command: ProofsCommand,
    },
}

#[derive(Subcommand, Debug)]
enum ProofsCommand {
    /// Check a proof's signature offline: exit 0 when it is the key's signature of the message.
    Verify {
        /// The signed message, exactly as signed (`jq -j .message` of `/verify/CODE.json`).
        #[arg(long)]
        message: PathBuf,
        /// The signature, 128 hexadecimal digits.
        #[arg(long)]
        signature: String,
        /// The instance's public key, 64 hexadecimal digits.
        #[arg(long)]
        public_key: String,
    },
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Recompute every digest from the tables, every chain and every tree head signature; exit 1
    /// naming each row that does not match.
    Verify(DbArgs),
    /// Check a subject's JSON export offline: their chain, the signed tree head and the proof
    /// that the chain is in it.
    VerifyExport {
        /// The exported file (recourse-my-data.json).
        file: PathBuf,
    },
    /// Sign a tree head now (when any chain moved since the last one).
    TreeHead {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        key: KeyArgs,
    },
}

#[derive(Args, Debug)]
struct KeyArgs {
    /// The instance's Ed25519 signing key; created when missing. Default: beside an SQLite
    /// database (`<file>.signing-key`), else `recourse-signing.key` in the working directory.
    #[arg(long, env = crate::signing::KEY_FILE_ENV)]
    signing_key_file: Option<PathBuf>,
    /// Minutes between signed tree heads of the audit log (1 to 10080).
    #[arg(long, env = "RECOURSE_TREE_HEAD_MINUTES", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=10_080))]
    tree_head_minutes: u64,
    /// Seconds between runs of the task that applies the consequence of an appeal deadline that
    /// passed undecided (1 to 86400).
    #[arg(long, env = "RECOURSE_DEADLINE_SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    deadline_seconds: u64,
}

impl KeyArgs {
    fn load(&self, database_url: &str) -> Result<crate::signing::InstanceKey, CliError> {
        let path =
            self.signing_key_file.clone().unwrap_or_else(|| crate::signing::default_path(database_url));
        crate::signing::load_or_create(&path).map_err(|e| CliError::Refused(e.to_string()))
    }
}

#[derive(Subcommand, Debug)]
enum DeadlinesCommand {
    /// Apply now the consequence of every appeal deadline that passed undecided (the server
    /// does this every RECOURSE_DEADLINE_SECONDS).
    Apply(DbArgs),
}

#[derive(Subcommand, Debug)]
enum PartiesCommand {
    /// Register a relying party and print its first API token (shown once).
    Create(PartyCreateArgs),
}

#[derive(Args, Debug)]
struct PartyCreateArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Its name, as subjects will read it.
    #[arg(long)]
    name: String,
    /// What it uses the answers for.
    #[arg(long)]
    purpose: String,
    /// The law or contract that allows it to ask.
    #[arg(long)]
    legal_basis: String,
    /// The questions it may ask, comma-separated: restricted, on_any_blacklist, grade_at_least.
    #[arg(long)]
    questions: String,
    /// The first token's label.
    #[arg(long, default_value = "first token")]
    token_label: String,
}

#[derive(Subcommand, Debug)]
enum AdminCommand {
    /// Create an administrator (there is never a default one). The password is read from
    /// RECOURSE_ADMIN_PASSWORD, else from the first line of standard input.
    Create(AdminCreateArgs),
}

#[derive(Args, Debug)]
struct DbArgs {
    /// sqlite:<file> or postgres://user@host/db
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:recourse.db")]
    database_url: String,
}

#[derive(Args, Debug)]
struct WebArgs {
    /// Address to listen on.
    #[arg(long, env = "RECOURSE_ADDR", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// Mark cookies Secure and send HSTS (set when served over TLS, e.g. behind a proxy).
    #[arg(long, env = "RECOURSE_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Folder of static files served at the site root.
    #[arg(long, env = "RECOURSE_PUBLIC_DIR")]
    public_dir: Option<PathBuf>,
    /// Minutes after which an unused signed-in session ends (1 to 1440).
    #[arg(long, env = "RECOURSE_SESSION_IDLE_MINUTES", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=1440))]
    session_idle_minutes: u64,
    /// Hours after sign-in at which a session ends however active it is (1 to 720).
    #[arg(long, env = "RECOURSE_SESSION_MAX_HOURS", default_value_t = 12,
          value_parser = clap::value_parser!(u64).range(1..=720))]
    session_max_hours: u64,
    /// Behind a reverse proxy: throttle sign-ins by the last X-Forwarded-For address.
    #[arg(long, env = "RECOURSE_TRUST_FORWARDED_FOR")]
    trust_forwarded_for: bool,
    /// API calls a second, sustained, per token (and per client address without a valid token);
    /// 0 turns the limit off.
    #[arg(long, env = "RECOURSE_API_RATE_PER_SECOND", default_value_t = crate::api::limit::ApiLimit::DEFAULT.per_second)]
    api_rate_per_second: u32,
    /// API calls allowed in a burst on top of the sustained rate (1 to 100000).
    #[arg(long, env = "RECOURSE_API_BURST", default_value_t = crate::api::limit::ApiLimit::DEFAULT.burst,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    api_burst: u32,
    /// Seconds a client has to send a request's headers; an idle kept-alive connection is also
    /// closed after this long (1 to 3600).
    #[arg(long, env = "RECOURSE_HEADER_TIMEOUT_SECONDS", default_value_t = http::server::Limits::DEFAULT.header_timeout.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout_seconds: u64,
    /// Seconds a request body may send nothing before it is cut off (1 to 3600).
    #[arg(long, env = "RECOURSE_BODY_IDLE_SECONDS", default_value_t = http::server::Limits::DEFAULT.body_idle.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    body_idle_seconds: u64,
    /// Connections served at once; more wait to be accepted (1 to 100000).
    #[arg(long, env = "RECOURSE_MAX_CONNECTIONS", default_value_t = http::server::Limits::DEFAULT.max_connections as u64,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    max_connections: u64,
    /// At SIGTERM or Ctrl-C, seconds requests in flight get to finish before they are ended
    /// (0 to 3600).
    #[arg(long, env = "RECOURSE_SHUTDOWN_GRACE_SECONDS", default_value_t = http::server::Limits::DEFAULT.shutdown_grace.as_secs(),
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    shutdown_grace_seconds: u64,
}

impl WebArgs {
    fn limits(&self) -> http::server::Limits {
        use std::time::Duration;
        http::server::Limits {
            header_timeout: Duration::from_secs(self.header_timeout_seconds),
            body_idle: Duration::from_secs(self.body_idle_seconds),
            max_connections: self.max_connections as usize,
            shutdown_grace: Duration::from_secs(self.shutdown_grace_seconds),
        }
    }
}

#[derive(Args, Debug)]
struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    web: WebArgs,
    #[command(flatten)]
    key: KeyArgs,
}

#[derive(Args, Debug)]
struct DemoArgs {
    /// The demo database; refused if it exists and is not a demo database.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:recourse-demo.db")]
    database_url: String,
    #[command(flatten)]
    web: WebArgs,
    #[command(flatten)]
    key: KeyArgs,
}

#[derive(Args, Debug)]
struct AdminCreateArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Sign-in name (3–64 letters, digits, '.', '-', '_').
    #[arg(long)]
    username: String,
    /// Name shown to others; defaults to the sign-in name.
    #[arg(long)]
    display_name: Option<String>,
}

/// One clear sentence for the person at the terminal.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Serve(#[from] http::ServeError),
    #[error("{0}")]
    Refused(String),
    #[error("could not start the async runtime: {0}")]
    Runtime(std::io::Error),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(CliError::Runtime(e)),
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn fail(e: CliError) -> ExitCode {
    eprintln!("recourse: {e}");
    ExitCode::FAILURE
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RECOURSE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

async fn run(command: Command) -> Result<(), CliError> {
    match command {
        Command::Serve(args) => {
            let db = open(&args.db.database_url).await?;
            db.migrate().await?;
            let key = args.key.load(&args.db.database_url)?;
            serve(db, args.web, key, &args.key).await
        }
        Command::Migrate(args) => {
            let db = open(&args.database_url).await?;
            db.migrate().await?;
            eprintln!("recourse: migrations applied");
            Ok(())
        }
        Command::Demo(args) => {
            let db = fresh_demo_database(&args.database_url).await?;
            let seeded = crate::demo::seed_with_history(&db, chrono::Utc::now())
                .await
                .map_err(|e| CliError::Refused(format!("seeding the demo data failed: {e}")))?;
            println!(
                "Demo data: {} subjects, {} recorded events, {} blacklist entries.",
                seeded.subjects, seeded.events, seeded.entries
            );
            println!("Demo accounts (sign-in name, password, role):");
            for account in &crate::demo::ACCOUNTS {
                println!(
                    "  {:<14} {:<22} {} ({})",
                    account.username,
                    account.password,
                    account.role.as_str(),
                    account.who
                );
            }
            let key = args.key.load(&args.database_url)?;
            store::chain::produce_tree_head(&db, &key, chrono::Utc::now())
                .await
                .map_err(|e| CliError::Refused(format!("signing the first tree head failed: {e}")))?;
            serve(db, args.web, key, &args.key).await
        }
        Command::Audit { command } => audit(command).await,
        Command::Proofs { command: ProofsCommand::Verify { message, signature, public_key } } => {
            let text = std::fs::read(&message)
                .map_err(|e| CliError::Refused(format!("could not read {}: {e}", message.display())))?;
            if crate::signing::verify(public_key.trim(), &text, signature.trim()) {
                println!("The signature is valid: this key signed this message.");
                Ok(())
            } else {
                Err(CliError::Refused(
                    "the signature does not verify: the message, the signature or the key differs from what was signed"
                        .into(),
                ))
            }
        }
        Command::DistributionPlan => {
            for statement in crate::store::distribution::citus_statements() {
                println!("{statement}");
            }
            Ok(())
        }
        Command::Admin { command: AdminCommand::Create(args) } => admin_create(args).await,
        Command::RelyingParties { command: PartiesCommand::Create(args) } => party_create(args).await,
        Command::Deadlines { command: DeadlinesCommand::Apply(args) } => {
            let db = open(&args.database_url).await?;
            db.migrate().await?;
            let n = store::deadlines::apply_due(&db, chrono::Utc::now())
                .await
                .map_err(|e| CliError::Refused(e.to_string()))?;
            println!("Applied the consequence of {n} lapsed appeal deadlines.");
            Ok(())
        }
    }
}

async fn party_create(args: PartyCreateArgs) -> Result<(), CliError> {
    use store::relying_parties::{self, NewParty};
    let db = open(&args.db.database_url).await?;
    db.migrate().await?;
    let refused = |e: &dyn std::fmt::Display| CliError::Refused(e.to_string());
    let new = NewParty {
        name: args.name,
        purpose: args.purpose,
        legal_basis: args.legal_basis,
        questions: args.questions.split(',').map(str::to_string).collect(),
    };
    let now = chrono::Utc::now();
    let mut tx = db.begin_write().await.map_err(crate::db::DbError::from)?;
    let party = relying_parties::create(&mut tx, &new, None, now).await.map_err(|e| refused(&e))?;
    let (token, secret) = relying_parties::create_token(&mut tx, party.id, &args.token_label, None, now)
        .await
        .map_err(|e| refused(&e))?;
    let actor = store::audit::Actor::cli("cli:relying-parties");
    let codes: Vec<&str> = party.questions.iter().map(|q| q.code()).collect();
    let detail = serde_json::json!({ "questions": codes, "prefix": token.prefix });
    store::audit::write(
        &mut tx,
        &actor,
        "relying_party.create",
        "relying_party",
        &party.id.to_string(),
        detail,
        now,
    )
    .await
    .map_err(|e| refused(&e))?;
    tx.commit().await.map_err(crate::db::DbError::from)?;
    println!("Registered relying party {} ({}), allowed: {}.", party.name, party.id, codes.join(", "));
    println!("Its API token (shown once, keep it secret):");
    println!("{}", secret.expose());
    Ok(())
}

async fn audit(command: AuditCommand) -> Result<(), CliError> {
    match command {
        AuditCommand::Verify(args) => {
            let db = open(&args.database_url).await?;
            let started = std::time::Instant::now();
            let mut conn = db.pool.acquire().await.map_err(crate::db::DbError::from)?;
            let report =
                store::chain::verify(&mut conn).await.map_err(|e| CliError::Refused(e.to_string()))?;
            let since = report
                .started_at
                .map(|at| store::from_micros(at).to_rfc3339())
                .unwrap_or_else(|| "never (the migration has not run)".into());
            println!(
                "Chained since {since}; {} audit rows before that are not chained.",
                report.unchained_rows
            );
            println!(
                "Checked {} audit rows in {} chains, {} records and {} tree heads in {:.2} s.",
                report.rows,
                report.chains,
                report.records,
                report.tree_heads,
                started.elapsed().as_secs_f64()
            );
            for problem in &report.problems {
                println!("MISMATCH {problem}");
            }
            if report.holds() {
                println!("The audit log verifies.");
                Ok(())
            } else {
                Err(CliError::Refused(format!(
                    "the audit log does not verify: {} mismatches",
                    report.problems.len()
                )))
            }
        }
        AuditCommand::VerifyExport { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| CliError::Refused(format!("could not read {}: {e}", file.display())))?;
            let value: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| CliError::Refused(format!("{} is not JSON: {e}", file.display())))?;
            let (problems, summary) = store::chain::verify_export(&value);
            println!("{summary}");
            for problem in &problems {
                println!("MISMATCH {problem}");
            }
            if problems.is_empty() {
                println!("The export's audit chain verifies.");
                Ok(())
            } else {
                Err(CliError::Refused(format!("the export does not verify: {} mismatches", problems.len())))
            }
        }
        AuditCommand::TreeHead { db: args, key } => {
            let db = open(&args.database_url).await?;
            let key = key.load(&args.database_url)?;
            match store::chain::produce_tree_head(&db, &key, chrono::Utc::now())
                .await
                .map_err(|e| CliError::Refused(e.to_string()))?
            {
                Some(head) => println!("Tree head #{} over {} chains: {}", head.number, head.size, head.root),
                None => println!("No chain moved since the last tree head; none signed."),
            }
            Ok(())
        }
    }
}

async fn open(raw_url: &str) -> Result<Db, CliError> {
    let url = DatabaseUrl::parse(raw_url)?;
    Ok(Db::connect(&url).await?)
}

async fn serve(
    db: Db,
    web: WebArgs,
    key: crate::signing::InstanceKey,
    timing: &KeyArgs,
) -> Result<(), CliError> {
    // Imports left running by a server that is gone are marked interrupted, now and from time to time.
    store::import::watch_for_interrupted(db.clone());
    // A signed tree head of the audit log now and every so often (safe with several servers).
    store::chain::spawn_tree_heads(
        db.clone(),
        key.clone(),
        std::time::Duration::from_secs(timing.tree_head_minutes * 60),
    );
    // The consequence of every appeal deadline that passed undecided, now and every so often
    // (safe with several servers: each applies once).
    store::deadlines::spawn(db.clone(), std::time::Duration::from_secs(timing.deadline_seconds));
    // Corrections of relying parties' answers that changed with time alone (an expiry); writes
    // send theirs at once (`store::checks`).
    store::checks::spawn(db.clone(), std::time::Duration::from_secs(timing.deadline_seconds));
    let limits = web.limits();
    let config = Config {
        secure_cookies: web.secure_cookies,
        public_dir: web.public_dir.unwrap_or_else(http::default_public_dir),
        session_idle_timeout: std::time::Duration::from_secs(web.session_idle_minutes * 60),
        session_max_lifetime: std::time::Duration::from_secs(web.session_max_hours * 3600),
        trust_forwarded_for: web.trust_forwarded_for,
        api_limit: crate::api::limit::ApiLimit { per_second: web.api_rate_per_second, burst: web.api_burst },
    };
    http::serve(AppState::new(db, config).with_signing_key(key), web.addr, limits).await?;
    Ok(())
}

/// Opens the demo database, resetting it if it is a demo one and refusing anything else.
async fn fresh_demo_database(raw_url: &str) -> Result<Db, CliError> {
    let url = DatabaseUrl::parse(raw_url)?;
    let db = Db::connect(&url).await?;
    match store::instance::contents(&db).await.map_err(crate::db::DbError::from)? {
        Contents::Empty => {}
        Contents::Other => {
            return Err(CliError::Refused(format!(
                "{url} already holds data that is not the demo data set; refusing to overwrite it \
                 (choose another file with --database-url)"
            )))
        }
        Contents::Demo => match db.dialect {
            Dialect::Postgres => {
                store::instance::reset_postgres_schema(&db).await.map_err(crate::db::DbError::from)?
            }
            Dialect::Sqlite => {
                db.close().await;
                let file = url.sqlite_file().unwrap_or_default().to_string();
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{file}{suffix}"));
                }
                let db = Db::connect(&url).await?;
                db.migrate().await?;
                store::instance::mark_demo(&db).await.map_err(crate::db::DbError::from)?;
                return Ok(db);
            }
        },
    }
    db.migrate().await?;
    store::instance::mark_demo(&db).await.map_err(crate::db::DbError::from)?;
    Ok(db)
}

async fn hash_password(raw: String, user_inputs: &[&str]) -> Result<String, CliError> {
    let password =
        NewPassword::parse_strong(raw, user_inputs).map_err(|e| CliError::Refused(e.to_string()))?;
    password::hash(password).await.map_err(|e| CliError::Refused(e.to_string()))
}

async fn admin_create(args: AdminCreateArgs) -> Result<(), CliError> {
    let raw = match std::env::var("RECOURSE_ADMIN_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            eprintln!("Password for {}:", args.username);
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| CliError::Refused(format!("could not read the password: {e}")))?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    let display = args.display_name.unwrap_or_else(|| args.username.clone());
    let hash = hash_password(raw, &[&args.username, &display]).await?;
    let db = open(&args.db.database_url).await?;
    db.migrate().await?;
    let mut tx = db.begin_write().await.map_err(crate::db::DbError::from)?;
    let id = store::accounts::create(&mut tx, &args.username, &display, &hash, Role::Administrator)
        .await
        .map_err(|e| CliError::Refused(e.to_string()))?;
    let actor = store::audit::Actor::cli("recourse admin create");
    let detail = serde_json::json!({ "role": Role::Administrator.as_str() });
    store::audit::write(
        &mut tx,
        &actor,
        "account.create",
        "account",
        &id.to_string(),
        detail,
        chrono::Utc::now(),
    )
    .await
    .map_err(|e| CliError::Refused(e.to_string()))?;
    tx.commit().await.map_err(crate::db::DbError::from)?;
    eprintln!("recourse: administrator {} created", args.username.trim().to_lowercase());
    Ok(())
}
