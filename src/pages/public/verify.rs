//! `/verify/{code}`: a subject's proof of status as anyone sees it, signed in or not. It shows
//! only the statement, whom it is about, when it was made and until when it is valid, whether it
//! still holds, and what was signed with which key (to check it offline); never the record
//! behind it. Each opening is recorded for the subject, with nothing about who opened it.
//! `/verify/{code}.json` (or `?format=json`) answers the same fields as JSON.

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use chrono::Utc;
use leptos::prelude::*;
use serde::Deserialize;

use crate::{
    domain::proof::{self, CodeError, ProofCode, CODE_LENGTH},
    error::AppResult,
    http::{query::Query, AppState},
    i18n::Locale,
    pages::kit::{
        document, format,
        proof::{statement, StandingBadge},
        PageContext,
    },
    store::{
        proofs::{self, Proof, Standing},
        standing::Reads,
    },
};

/// The DER prefix of an Ed25519 public key (RFC 8410): with the 32-byte key after it, the file
/// `openssl` reads.
pub const ED25519_DER_PREFIX: &str = "302a300506032b6570032100";

/// What the page shows.
pub struct VerifyPage {
    pub proof: Proof,
    /// The statement in the reader's language.
    pub statement: String,
    /// The subject's name as signed.
    pub subject_name: String,
    pub standing: Standing,
}

#[derive(Debug, Default, Deserialize)]
pub struct FormatQuery {
    format: Option<String>,
}

/// `GET /verify/{code}` (and `{code}.json`): the proof, where it stands now, and what was signed.
pub async fn page(
    State(state): State<AppState>,
    shell: PageContext,
    Path(raw): Path<String>,
    Query(query): Query<FormatQuery>,
) -> AppResult<Response> {
    let locale = shell.locale;
    let (raw, json) = match raw.strip_suffix(".json") {
        Some(code) => (code.to_string(), true),
        None => (raw, query.format.as_deref() == Some("json")),
    };
    // A malformed code is answered before the database is touched.
    let code = match ProofCode::parse(&raw) {
        Ok(code) => code,
        Err(e) => {
            let message = match e {
                CodeError::Length(n) => locale.t_with(
                    "verify.malformed_length",
                    &[("n", &n.to_string()), ("length", &CODE_LENGTH.to_string())],
                ),
                CodeError::Alphabet => locale.t("verify.malformed_alphabet"),
            };
            return Ok(not_found(&shell, json, "malformed_code", message));
        }
    };
    let mut conn = state.db.pool.acquire().await?;
    let Some(proof) = proofs::by_code(&mut conn, &code).await? else {
        let message = locale.t_with("verify.unknown", &[("code", &code.grouped())]);
        return Ok(not_found(&shell, json, "unknown_code", message));
    };
    let now = Utc::now();
    let standing = proofs::standing_of(&mut conn, Reads::cached(&state.cache).await?, &proof, now).await?;
    let statement = statement(&mut conn, locale, &proof.question).await?;
    drop(conn);
    let mut tx = state.db.begin_write().await?;
    proofs::record_verification(&mut tx, &proof, standing == Standing::Holds, now).await?;
    tx.commit().await?;
    let subject_name =
        proof.message.lines().find_map(|l| l.strip_prefix("subject: ")).unwrap_or_default().to_string();
    let page = VerifyPage { proof, statement, subject_name, standing };
    let no_store = [(header::CACHE_CONTROL, "no-store")];
    if json {
        return Ok((no_store, Json(as_json(&page))).into_response());
    }
    Ok((no_store, view(&page, &shell)).into_response())
}

/// The same fields as the page, for a program.
pub fn as_json(page: &VerifyPage) -> serde_json::Value {
    let p = &page.proof;
    serde_json::json!({
        "format": "recourse-proof-v1",
        "code": p.code.grouped(),
        "subject": page.subject_name,
        "statement": p.statement,
        "as_of": proof::instant(p.as_of),
        "valid_until": proof::instant(p.valid_until),
        "status": page.standing.code(),
        "revoked_at": p.revoked_at.map(proof::instant),
        "message": p.message,
        "signature": p.signature,
        "public_key": p.public_key,
    })
}

/// A code that is not a proof's: 404 with what is wrong with it.
fn not_found(shell: &PageContext, json: bool, code: &str, message: String) -> Response {
    if json {
        let body = serde_json::json!({ "error": code, "message": message });
        return (StatusCode::NOT_FOUND, Json(body)).into_response();
    }
    let locale = shell.locale;
    let title = locale.t("verify.not_found_title");
    let main = view! {
        <h1>{title.clone()}</h1>
        <p class="error-message" role="alert">{message}</p>
        <p>{locale.t("verify.code_help")}</p>
    };
    (StatusCode::NOT_FOUND, document(shell, &title, main.into_any())).into_response()
}

/// The page, drawn from what [`page`] read.
fn view(page: &VerifyPage, ctx: &PageContext) -> axum::response::Html<String> {
    let locale = ctx.locale;
    let p = &page.proof;
    let title = locale.t_with("verify.title", &[("code", &p.code.grouped())]);
    let verdict = verdict(locale, page.standing);
    let json_link = format!("/verify/{}.json", p.code.as_str());
    let commands = format!(
        "curl -s https://<this-site>{json_link} | jq -j .message > message.txt\n\
         echo {ED25519_DER_PREFIX}{} | xxd -r -p > key.der\n\
         echo {} | xxd -r -p > signature.bin\n\
         openssl pkeyutl -verify -pubin -inkey key.der -keyform DER -rawin -in message.txt -sigfile signature.bin",
        p.public_key, p.signature
    );
    let cli = format!(
        "recourse proofs verify --message message.txt --signature {} --public-key {}",
        p.signature, p.public_key
    );
    let main = view! {
        <h1>{title.clone()}</h1>
        <p class="lead">{locale.t("verify.intro")}</p>
        <dl class="facts proof">
            <dt>{locale.t("verify.statement")}</dt><dd><strong>{page.statement.clone()}</strong></dd>
            <dt>{locale.t("verify.about")}</dt><dd>{page.subject_name.clone()}</dd>
            <dt>{locale.t("proofs.as_of")}</dt><dd>{format::datetime(locale, p.as_of)}</dd>
            <dt>{locale.t("proofs.valid_until")}</dt><dd>{format::datetime(locale, p.valid_until)}</dd>
            <dt>{locale.t("verify.status")}</dt>
            <dd><StandingBadge locale standing=page.standing/>" "{verdict}</dd>
        </dl>
        <p>{locale.t("verify.nothing_more")}</p>
        <h2>{locale.t("verify.signed_title")}</h2>
        <p>{locale.t("verify.signed_intro")}</p>
        <h3>{locale.t("verify.message")}</h3>
        <pre class="signed-message">{p.message.clone()}</pre>
        <h3>{locale.t("verify.signature")}</h3>
        <p><code class="hex">{p.signature.clone()}</code></p>
        <h3>{locale.t("verify.public_key")}</h3>
        <p><code class="hex">{p.public_key.clone()}</code></p>
        <h2>{locale.t("verify.offline_title")}</h2>
        <p>{locale.t("verify.offline_intro")}" "<a href=json_link.clone()>{json_link.clone()}</a></p>
        <pre class="commands">{commands}</pre>
        <p>{locale.t("verify.offline_cli")}</p>
        <pre class="commands">{cli}</pre>
    };
    document(ctx, &title, main.into_any())
}

/// What the status means, in a sentence.
fn verdict(locale: Locale, standing: Standing) -> String {
    locale.t(&format!("verify.verdict_{}", standing.code()))
}
