//! Bulk import for recorders (`/recording/import`): upload a CSV or JSON file, choose
//! all-or-nothing or "record the good rows", then follow the import on its own page.
//!
//! Progress without JavaScript: the upload is first written to a temporary file (as fast as the
//! network allows, never held in memory), the import then runs in the background and the browser
//! is sent to `/recording/import/{id}`, which reloads itself every two seconds (`Refresh` header)
//! while the import runs, showing the rows read so far, and shows the per-row report at the end.
//! A status page survives a closed tab and can be opened again; a long streamed response would not.

use axum::{
    extract::{Multipart, Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::Utc;
use leptos::prelude::*;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use crate::pages::kit::{
    document, format::datetime, forms::error_summary, Choice, DataTable, FileField, PageContext,
};
use crate::{
    api::{
        files::{self, Format},
        imports::MAX_IMPORT_BYTES,
        rows::{Defaults, COLUMNS, REQUIRED},
    },
    auth::{
        access::{Recorders, RequireRole, Viewer},
        throttle::ClientAddress,
    },
    db::Db,
    domain::AuthorityId,
    error::{AppError, AppResult},
    http::AppState,
    store::{
        audit::Actor,
        import::{self, ImportJob, Importer, Mode, Origin, Problem},
    },
};

type Recorder = RequireRole<Recorders>;

/// The import form and the authority's imports: what `/recording/import` shows, on a first
/// visit and again, with the problems, after a refused upload.
pub struct ImportFormPage {
    pub mode: Mode,
    pub problems: Vec<(&'static str, String)>,
    /// The authority's latest imports, newest first.
    pub imports: Vec<ImportJob>,
}

/// How many of the authority's imports the form lists (the API pages through all of them).
const LISTED: i64 = 20;

impl ImportFormPage {
    pub async fn load(
        db: &Db,
        authority: AuthorityId,
        mode: Mode,
        problems: Vec<(&'static str, String)>,
    ) -> AppResult<Self> {
        let mut conn = db.pool.acquire().await?;
        let imports = import::jobs(&mut conn, authority, None, LISTED).await?;
        Ok(Self { mode, problems, imports })
    }
}

/// `GET /recording/import`.
pub async fn form(
    State(state): State<AppState>,
    RequireRole(viewer, _): Recorder,
    shell: PageContext,
) -> AppResult<Html<String>> {
    let page =
        ImportFormPage::load(&state.db, authority_of(&viewer)?, Mode::AllOrNothing, Vec::new()).await?;
    Ok(form_view(&page, &shell))
}

fn form_view(page: &ImportFormPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let title = locale.t("import.title");
    let columns = COLUMNS
        .iter()
        .map(|c| {
            let note =
                if REQUIRED.contains(c) { locale.t("import.required") } else { locale.t("import.optional") };
            view! { <li><code>{*c}</code>" "{note}</li> }
        })
        .collect_view();
    let file_error = page.problems.iter().find(|(f, _)| *f == "file").map(|(_, m)| m.clone());
    let mode = page.mode;
    let main = view! {
        <h1>{title.clone()}</h1>
        <p>{locale.t("import.intro")}</p>
        {error_summary(locale.t("import.problems_title"), page.problems.clone())}
        <form method="post" action="/recording/import" enctype="multipart/form-data" novalidate>
            <FileField id="file" label=locale.t("import.file") accept=".csv,.json,text/csv,application/json"
                hint=Some(locale.t("import.file_hint")) error=file_error/>
            <fieldset>
                <legend>{locale.t("import.mode")}</legend>
                <ModeChoice value=Mode::AllOrNothing chosen=mode label=locale.t("import.all_or_nothing")
                    hint=locale.t("import.all_or_nothing_hint") />
                <ModeChoice value=Mode::GoodRows chosen=mode label=locale.t("import.good_rows")
                    hint=locale.t("import.good_rows_hint") />
            </fieldset>
            <button type="submit">{locale.t("import.submit")}</button>
        </form>
        <h2>{locale.t("import.columns_heading")}</h2>
        <p>{locale.t("import.columns_intro")}</p>
        <ul class="columns">{columns}</ul>
        <h2>{locale.t("import_jobs.heading")}</h2>
        {imports_table(ctx, &page.imports)}
    };
    document(ctx, &title, main.into_any())
}

/// One radio button of the mode, with its hint.
#[component]
fn ModeChoice(value: Mode, chosen: Mode, label: String, hint: String) -> impl IntoView {
    view! {
        <Choice id=format!("mode-{}", value.code()) name="mode" value=value.code() checked=chosen == value
            label hint=Some(hint)/>
    }
}

/// The authority's imports, each linked to its page, with status and counts.
fn imports_table(ctx: &PageContext, jobs: &[ImportJob]) -> AnyView {
    let locale = ctx.locale;
    if jobs.is_empty() {
        return view! { <p class="muted">{locale.t("import_jobs.none")}</p> }.into_any();
    }
    let rows = jobs
        .iter()
        .map(|job| {
            let mode = if job.mode == Mode::GoodRows.code() { "import.good_rows" } else { "import.all_or_nothing" };
            view! {
                <tr>
                    <td><a href=format!("/recording/import/{}", job.id)>{datetime(locale, job.started_at)}</a></td>
                    <td>{locale.t(mode)}</td>
                    <td>{locale.t(&format!("import_jobs.status_{}", job.status))}</td>
                    <td class="num">{job.rows_done}</td>
                    <td class="num">{job.recorded}</td>
                </tr>
            }
        })
        .collect_view();
    let columns = vec![
        (locale.t("import_jobs.column_started"), false),
        (locale.t("import.mode"), false),
        (locale.t("import_jobs.column_status"), false),
        (locale.t("import_jobs.column_rows"), true),
        (locale.t("import_jobs.column_recorded"), true),
    ];
    view! {
        <DataTable class="import-jobs" caption=locale.t("import_jobs.caption") columns=columns>{rows}</DataTable>
    }
    .into_any()
}

fn authority_of(viewer: &Viewer) -> AppResult<AuthorityId> {
    // A recorder account always records for an authority; one without is refused as not found.
    viewer.authority_id.ok_or(AppError::NotFound)
}

/// Why an upload was refused before its import began: the status, the message's key, the mode
/// chosen (kept on the form shown again).
type Refusal = (StatusCode, &'static str, Mode);

/// `POST /recording/import`: spools the file, starts the import, sends the browser to its page.
pub async fn upload(
    State(state): State<AppState>,
    RequireRole(viewer, _): Recorder,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<Response> {
    let authority = authority_of(&viewer)?;
    let (path, format, mode) = match receive(&headers, multipart).await? {
        Ok(spooled) => spooled,
        Err((status, key, mode)) => {
            let problems = vec![("file", shell.locale.t(key))];
            let page = ImportFormPage::load(&state.db, authority, mode, problems).await?;
            return Ok((status, form_view(&page, &shell)).into_response());
        }
    };
    let origin = Origin {
        authority,
        actor: Actor::person(viewer.account_id, &viewer.username, address),
        account: Some(viewer.account_id),
        format: format.code(),
    };
    let importer = match Importer::start(&state.db, origin, mode, false, Utc::now()).await {
        Ok(importer) => importer,
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(e.into());
        }
    };
    let id = importer.id();
    let defaults =
        Defaults { recorded_by: viewer.username.clone(), source: format!("import:{}", format.code()) };
    tokio::spawn(async move {
        if let Err(e) = files::import_file(importer, format, defaults, path.clone()).await {
            tracing::error!(import = %id, error = %e, "an import stopped");
        }
        let _ = tokio::fs::remove_file(&path).await;
    });
    Ok(Redirect::to(&format!("/recording/import/{id}")).into_response())
}

/// Reads the form: the mode, and the file spooled to a temporary path; or why it was refused.
async fn receive(
    headers: &HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<Result<(std::path::PathBuf, Format, Mode), Refusal>> {
    let length =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if length.is_some_and(|l| l > MAX_IMPORT_BYTES) {
        return Ok(Err((StatusCode::PAYLOAD_TOO_LARGE, "import.too_large", Mode::AllOrNothing)));
    }
    let Ok(mut multipart) = multipart else {
        return Ok(Err((StatusCode::UNPROCESSABLE_ENTITY, "import.no_file", Mode::AllOrNothing)));
    };
    let mut mode = Mode::AllOrNothing;
    let mut spooled: Option<(std::path::PathBuf, Format)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                return cleanup_and(spooled, Ok(Err((StatusCode::BAD_REQUEST, "import.unreadable", mode))))
                    .await
            }
        };
        match field.name() {
            Some("mode") => {
                let text = field.text().await.unwrap_or_default();
                mode = Mode::parse(&text).unwrap_or(Mode::AllOrNothing);
            }
            Some("file") if spooled.is_none() => {
                let name = field.file_name().unwrap_or("").to_ascii_lowercase();
                let media = field.content_type().unwrap_or("").to_string();
                let format = if name.ends_with(".csv") {
                    Some(Format::Csv)
                } else if name.ends_with(".json") {
                    Some(Format::Json)
                } else {
                    Format::from_media_type(&media)
                };
                if name.is_empty() {
                    return Ok(Err((StatusCode::UNPROCESSABLE_ENTITY, "import.no_file", mode)));
                }
                let Some(format) = format else {
                    return Ok(Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, "import.wrong_type", mode)));
                };
                let path = std::env::temp_dir().join(format!("recourse-import-{}", Uuid::now_v7()));
                let refused = match spool(field, &path).await {
                    Ok(0) => (StatusCode::UNPROCESSABLE_ENTITY, "import.no_file"),
                    Ok(_) => {
                        spooled = Some((path, format));
                        continue;
                    }
                    Err(SpoolError::TooLarge) => (StatusCode::PAYLOAD_TOO_LARGE, "import.too_large"),
                    Err(SpoolError::Broken) => (StatusCode::BAD_REQUEST, "import.unreadable"),
                    Err(SpoolError::Disk(e)) => {
                        let _ = tokio::fs::remove_file(&path).await;
                        return Err(AppError::Internal(e.into()));
                    }
                };
                let _ = tokio::fs::remove_file(&path).await;
                return Ok(Err((refused.0, refused.1, mode)));
            }
            _ => {}
        }
    }
    Ok(match spooled {
        Some((path, format)) => Ok((path, format, mode)),
        None => Err((StatusCode::UNPROCESSABLE_ENTITY, "import.no_file", mode)),
    })
}

async fn cleanup_and<T>(spooled: Option<(std::path::PathBuf, Format)>, response: T) -> T {
    if let Some((path, _)) = spooled {
        let _ = tokio::fs::remove_file(&path).await;
    }
    response
}

enum SpoolError {
    TooLarge,
    Broken,
    Disk(std::io::Error),
}

/// Writes an uploaded file to `path`, refusing it once it passes the size limit.
async fn spool(
    mut field: axum::extract::multipart::Field<'_>,
    path: &std::path::Path,
) -> Result<u64, SpoolError> {
    let mut file = tokio::fs::File::create(path).await.map_err(SpoolError::Disk)?;
    let mut written = 0u64;
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                written += chunk.len() as u64;
                if written > MAX_IMPORT_BYTES {
                    return Err(SpoolError::TooLarge);
                }
                file.write_all(&chunk).await.map_err(SpoolError::Disk)?;
            }
            Ok(None) => break,
            Err(_) => return Err(SpoolError::Broken),
        }
    }
    file.flush().await.map_err(SpoolError::Disk)?;
    Ok(written)
}

/// One import's page: its job row, its kept problems, and the rows read so far while it runs
/// in this process.
pub struct ImportStatusPage {
    pub job: ImportJob,
    pub problems: Vec<Problem>,
    pub progress: Option<u64>,
}

impl ImportStatusPage {
    /// The import `id` of `authority`; another authority's is not found.
    pub async fn load(db: &Db, authority: AuthorityId, id: Uuid) -> AppResult<Self> {
        let mut conn = db.pool.acquire().await?;
        let (job, problems) = import::job(&mut conn, id)
            .await?
            .filter(|(job, _)| job.authority == authority)
            .ok_or(AppError::NotFound)?;
        Ok(Self { progress: files::progress_of(id), job, problems })
    }

    fn running(&self) -> bool {
        self.job.status == "running"
    }
}

/// `GET /recording/import/{id}`: the import's progress, then its report.
pub async fn status(
    State(state): State<AppState>,
    RequireRole(viewer, _): Recorder,
    shell: PageContext,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let page = ImportStatusPage::load(&state.db, authority_of(&viewer)?, id).await?;
    let html = status_view(&page, &shell);
    if page.running() {
        // Reload while it runs: progress without JavaScript.
        Ok(([(header::REFRESH, "2"), (header::CACHE_CONTROL, "no-store")], html).into_response())
    } else {
        Ok(([(header::CACHE_CONTROL, "no-store")], html).into_response())
    }
}

/// What the status line says of an import: a title and a sentence.
fn status_summary(page: &ImportStatusPage, locale: crate::i18n::Locale) -> (String, String) {
    let job = &page.job;
    let rows = job.rows_done.to_string();
    let interrupted = || {
        let key = if job.mode == Mode::GoodRows.code() {
            "import.interrupted_good_rows"
        } else {
            "import.interrupted_all"
        };
        (locale.t("import.interrupted_title"), locale.t_with(key, &[("rows", &rows)]))
    };
    match job.status.as_str() {
        "running" => match page.progress {
            Some(read) => (
                locale.t("import.running_title"),
                locale.t_with("import.running", &[("rows", &read.to_string())]),
            ),
            // Running in no process of this server: the one running it is gone (it will be
            // marked interrupted once its heartbeat is stale).
            None => interrupted(),
        },
        "interrupted" => interrupted(),
        "done" => (locale.t("import.done_title"), locale.t("import.done")),
        "refused" => (locale.t("import.refused_title"), locale.t("import.refused")),
        _ if job.rows_done > 0 => (
            locale.t("import.failed_title"),
            locale.t_with(
                "import_jobs.failed_kept",
                &[("rows", &rows), ("recorded", &job.recorded.to_string())],
            ),
        ),
        _ => (locale.t("import.failed_title"), locale.t("import_jobs.failed_nothing")),
    }
}

fn status_view(page: &ImportStatusPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let job = &page.job;
    let running = page.running();
    let (title, summary) = status_summary(page, locale);
    let counts = (!running).then(|| {
        let item = |key: &str, n: i64| view! { <li>{locale.t_with(key, &[("count", &n.to_string())])}</li> };
        view! {
            <ul class="import-counts">
                {item("import.count_rows", job.rows_done)}
                {item("import.count_recorded", job.recorded)}
                {item("import.count_duplicates", job.duplicates)}
                {item("import.count_refused", job.refused)}
            </ul>
        }
    });
    let report = (!page.problems.is_empty()).then(|| {
        let rows = page
            .problems
            .iter()
            .map(|p| {
                let row = if p.row == 0 { locale.t("import.whole_file") } else { p.row.to_string() };
                view! {
                    <tr>
                        <td class="num">{row}</td>
                        <td><code>{p.field.clone()}</code></td>
                        <td>{p.message.clone()}</td>
                    </tr>
                }
            })
            .collect_view();
        let caption = if job.problems > page.problems.len() as i64 {
            locale.t_with(
                "import.problems_caption_first",
                &[("shown", &page.problems.len().to_string()), ("count", &job.problems.to_string())],
            )
        } else {
            locale.t_with("import.problems_caption", &[("count", &job.problems.to_string())])
        };
        let columns = vec![
            (locale.t("import.column_row"), true),
            (locale.t("import.column_field"), false),
            (locale.t("import.column_problem"), false),
        ];
        view! { <DataTable class="import-problems" caption=caption columns=columns>{rows}</DataTable> }
    });
    let id = job.id;
    let main = view! {
        <h1>{title.clone()}</h1>
        <p role="status">{summary}</p>
        <p class="muted">
            {locale.t_with("import.started", &[("at", &datetime(locale, job.started_at))])}
        </p>
        {counts}
        {report}
        {running.then(|| view! { <p><a href=format!("/recording/import/{id}")>{locale.t("import.reload")}</a></p> })}
        <p><a href="/recording/import">{locale.t("import.another")}</a></p>
    };
    document(ctx, &title, main.into_any())
}
