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

use crate::pages::kit::{data_table, document, format::datetime, forms::error_summary, PageContext};
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
    error::{AppError, AppResult},
    http::AppState,
    store::{
        audit::Actor,
        import::{self, Importer, Mode, Origin},
    },
};

type Recorder = RequireRole<Recorders>;

/// `GET /recording/import`.
pub async fn form(_recorder: Recorder, shell: PageContext) -> Html<String> {
    let ctx = shell.clone();
    render_form(&ctx, &[], Mode::AllOrNothing)
}

fn render_form(ctx: &PageContext, problems: &[(&'static str, String)], mode: Mode) -> Html<String> {
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
    let file_error = problems.iter().find(|(f, _)| *f == "file").map(|(_, m)| m.clone());
    let described = if file_error.is_some() { "file-hint file-error" } else { "file-hint" };
    let option = |value: Mode, key: &'static str, hint: &'static str| {
        let id = format!("mode-{}", value.code());
        view! {
            <div class="choice">
                <input type="radio" id=id.clone() name="mode" value=value.code() checked=mode == value
                    aria-describedby=format!("{id}-hint")/>
                <label for=id.clone()>{locale.t(key)}</label>
                <p class="hint" id=format!("{id}-hint")>{locale.t(hint)}</p>
            </div>
        }
    };
    let main = view! {
        <h1>{title.clone()}</h1>
        <p>{locale.t("import.intro")}</p>
        {error_summary(locale.t("import.problems_title"), problems.to_vec())}
        <form method="post" action="/recording/import" enctype="multipart/form-data" novalidate>
            <div class=if file_error.is_some() { "field has-error" } else { "field" }>
                <label for="file">{locale.t("import.file")}</label>
                <p class="hint" id="file-hint">{locale.t("import.file_hint")}</p>
                {file_error.clone().map(|e| view! { <p class="field-error" id="file-error">{e}</p> })}
                <input type="file" id="file" name="file" accept=".csv,.json,text/csv,application/json"
                    aria-describedby=described aria-invalid=file_error.is_some().then_some("true")/>
            </div>
            <fieldset>
                <legend>{locale.t("import.mode")}</legend>
                {option(Mode::AllOrNothing, "import.all_or_nothing", "import.all_or_nothing_hint")}
                {option(Mode::GoodRows, "import.good_rows", "import.good_rows_hint")}
            </fieldset>
            <button type="submit">{locale.t("import.submit")}</button>
        </form>
        <h2>{locale.t("import.columns_heading")}</h2>
        <p>{locale.t("import.columns_intro")}</p>
        <ul class="columns">{columns}</ul>
    };
    document(ctx, &title, main.into_any())
}

fn authority_of(viewer: &Viewer) -> AppResult<crate::domain::AuthorityId> {
    // A recorder account always records for an authority; one without is refused as not found.
    viewer.authority_id.ok_or(AppError::NotFound)
}

/// `POST /recording/import`: spools the file, starts the import, sends the browser to its page.
pub async fn upload(
    State(state): State<AppState>,
    RequireRole(viewer, _): Recorder,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let authority = authority_of(&viewer)?;
    let ctx = shell.clone();
    let refuse = |status: StatusCode, key: &str, mode: Mode| {
        let problems = [("file", locale.t(key))];
        Ok((status, render_form(&ctx, &problems, mode)).into_response())
    };
    let length =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if length.is_some_and(|l| l > MAX_IMPORT_BYTES) {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, "import.too_large", Mode::AllOrNothing);
    }
    let Ok(mut multipart) = multipart else {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, "import.no_file", Mode::AllOrNothing);
    };
    let mut mode = Mode::AllOrNothing;
    let mut spooled: Option<(std::path::PathBuf, Format)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                return cleanup_and(spooled, refuse(StatusCode::BAD_REQUEST, "import.unreadable", mode)).await
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
                    return refuse(StatusCode::UNPROCESSABLE_ENTITY, "import.no_file", mode);
                }
                let Some(format) = format else {
                    return refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, "import.wrong_type", mode);
                };
                let path = std::env::temp_dir().join(format!("recourse-import-{}", Uuid::now_v7()));
                match spool(field, &path).await {
                    Ok(0) => {
                        let _ = tokio::fs::remove_file(&path).await;
                        return refuse(StatusCode::UNPROCESSABLE_ENTITY, "import.no_file", mode);
                    }
                    Ok(_) => spooled = Some((path, format)),
                    Err(SpoolError::TooLarge) => {
                        let _ = tokio::fs::remove_file(&path).await;
                        return refuse(StatusCode::PAYLOAD_TOO_LARGE, "import.too_large", mode);
                    }
                    Err(SpoolError::Broken) => {
                        let _ = tokio::fs::remove_file(&path).await;
                        return refuse(StatusCode::BAD_REQUEST, "import.unreadable", mode);
                    }
                    Err(SpoolError::Disk(e)) => {
                        let _ = tokio::fs::remove_file(&path).await;
                        return Err(AppError::Internal(e.into()));
                    }
                }
            }
            _ => {}
        }
    }
    let Some((path, format)) = spooled else {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, "import.no_file", mode);
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
            return Err(AppError::Internal(e.into()));
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

async fn cleanup_and(
    spooled: Option<(std::path::PathBuf, Format)>,
    response: AppResult<Response>,
) -> AppResult<Response> {
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

/// `GET /recording/import/{id}`: the import's progress, then its report.
pub async fn status(
    State(state): State<AppState>,
    RequireRole(viewer, _): Recorder,
    shell: PageContext,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let authority = authority_of(&viewer)?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let mut conn = state.db.pool.acquire().await?;
    let (job, problems) = import::job(&mut conn, id)
        .await?
        .filter(|(job, _)| job.authority == authority)
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let ctx = shell.clone();
    let progress = files::progress_of(id);
    let running = job.status == "running";
    let (title, summary) = match job.status.as_str() {
        "running" => match progress {
            Some(rows) => (
                locale.t("import.running_title"),
                locale.t_with("import.running", &[("rows", &rows.to_string())]),
            ),
            None => (
                locale.t("import.interrupted_title"),
                locale.t_with(
                    if job.mode == Mode::GoodRows.code() {
                        "import.interrupted_good_rows"
                    } else {
                        "import.interrupted_all"
                    },
                    &[("rows", &job.rows_done.to_string())],
                ),
            ),
        },
        "done" => (locale.t("import.done_title"), locale.t("import.done")),
        "refused" => (locale.t("import.refused_title"), locale.t("import.refused")),
        _ => (locale.t("import.failed_title"), locale.t("import.failed")),
    };
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
    let report = (!problems.is_empty()).then(|| {
        let rows = problems
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
        let caption = if job.problems > problems.len() as i64 {
            locale.t_with(
                "import.problems_caption_first",
                &[("shown", &problems.len().to_string()), ("count", &job.problems.to_string())],
            )
        } else {
            locale.t_with("import.problems_caption", &[("count", &job.problems.to_string())])
        };
        let columns = vec![
            (locale.t("import.column_row"), true),
            (locale.t("import.column_field"), false),
            (locale.t("import.column_problem"), false),
        ];
        data_table(Some("import-problems"), caption, columns, rows)
    });
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
    let page = document(&ctx, &title, main.into_any());
    if running {
        // Reload while it runs: progress without JavaScript.
        Ok(([(header::REFRESH, "2"), (header::CACHE_CONTROL, "no-store")], page).into_response())
    } else {
        Ok(([(header::CACHE_CONTROL, "no-store")], page).into_response())
    }
}
