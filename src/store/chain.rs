//! The tamper-evident record (DESIGN "Audit log"): every audit row belongs to a chain and carries
//! SHA-256 digests of what was written and of the row before it in its chain; a signed tree head
//! (an RFC 6962 Merkle root over every chain's head, as Certificate Transparency logs make) is
//! produced from time to time and kept.
//!
//! - **Chains.** `subject:<id>` for what concerns one subject (their records, appeals, decisions),
//!   `catalogue` for the catalogue and administration. Appending locks only the chain's head row
//!   (`audit_chain_heads`), so writes about different subjects never wait on one another.
//! - **Records covered.** A subject's audit row covers the subject's records written in the same
//!   transaction: events, blacklist entries, entry actions and appeal decisions stamped with the
//!   write's time (or, for an import, the subject's events since their last row of the import's
//!   transaction: see [`ImportRows`]). Each is named with the digest of its canonical encoding
//!   in the row's `records` (a JSON list of `[ref, sha256]`).
//! - **Canonical encoding** of a record: the compact JSON array
//!   `[table, [[column, value], …]]`, columns in a fixed order, values JSON strings, integers
//!   (times in microseconds since the epoch) or null. The audit row's own content is encoded the
//!   same way (`audit_log`, with its chain and position); `content_digest` = SHA-256 of that,
//!   `digest` = SHA-256(previous row's digest ‖ content_digest), both 32 raw bytes, the first
//!   row of a chain following 32 zero bytes.
//! - **Tree heads.** Leaf of a chain = SHA-256(0x00 ‖ `"<chain>\n<seq>\n<digest hex>"`), chains in
//!   byte order; nodes SHA-256(0x01 ‖ left ‖ right) (RFC 6962 §2.1). The signed message is
//!   [`TreeHead::message`]. `audit_tree_leaves` keeps, per tree head, the chains whose head
//!   moved, so `verify` rebuilds every tree head from the log.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::{any::AnyRow, AnyConnection, Row};

use super::{sql, to_micros, StoreError};
use crate::{
    domain::{EventId, SubjectId},
    signing::{self, InstanceKey},
};

pub type Hash = [u8; 32];

/// What the first row of a chain follows.
pub const GENESIS: Hash = [0; 32];

/// The chain of the catalogue and administration.
pub const CATALOGUE: &str = "catalogue";

/// The chain of one subject.
pub fn subject_chain(subject: &str) -> String {
    format!("subject:{subject}")
}

fn sha256(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

fn unhex(s: &str) -> Option<Hash> {
    hex::decode(s).ok()?.try_into().ok()
}

// ---------------------------------------------------------------------------------------------
// Canonical encoding of the records an audit row covers.

/// One table whose rows audit rows cover.
pub struct Table {
    pub name: &'static str,
    /// How a record of it is named: `<prefix>:<key>`.
    pub prefix: &'static str,
    /// The SQL expression of its key (its id, or its primary key's columns joined by `/`).
    pub key: &'static str,
    /// Whether later writes change its rows (catalogue rules: a version's end, its status): then
    /// the last audit row covering a record holds its digest, else every row covering it does.
    pub mutable: bool,
    /// Its time column: records at or after the start of chaining must be covered.
    pub time: &'static str,
    /// Columns in canonical order; `true` for integers.
    pub columns: &'static [(&'static str, bool)],
    /// Columns added after rows were first digested, after `columns`: each is in the encoding
    /// only when not NULL, so a row written before it existed keeps its digest.
    pub added: &'static [(&'static str, bool)],
}

const T: bool = false;
const I: bool = true;

pub const EVENTS: Table = Table {
    name: "events",
    prefix: "event",
    key: "id",
    mutable: false,
    time: "recorded_at",
    columns: &[
        ("id", T),
        ("subject_id", T),
        ("scheme_id", T),
        ("rule_version_id", T),
        ("rule_code", T),
        ("points", I),
        ("occurred_at", I),
        ("recorded_at", I),
        ("authority_id", T),
        ("recorded_by", T),
        ("source", T),
        ("evidence_ref", T),
        ("external_ref", T),
        ("kind", T),
        ("target_event_id", T),
        ("reason", T),
        ("decision_ref", T),
    ],
    added: &[],
};

pub const ENTRIES: Table = Table {
    name: "blacklist_entries",
    prefix: "entry",
    key: "id",
    mutable: false,
    time: "recorded_at",
    columns: &[
        ("id", T),
        ("subject_id", T),
        ("list_id", T),
        ("authority_id", T),
        ("case_number", T),
        ("legal_basis", T),
        ("reason", T),
        ("restrictions", T),
        ("notice_delivered_at", I),
        ("effective_from", I),
        ("expires_at", I),
        ("removal_kind", T),
        ("removal_cents", I),
        ("removal_currency", T),
        ("removal_text", T),
        ("recorded_at", I),
    ],
    added: &[],
};

pub const ENTRY_ACTIONS: Table = Table {
    name: "blacklist_entry_actions",
    prefix: "entry_action",
    key: "id",
    mutable: false,
    time: "recorded_at",
    columns: &[
        ("id", T),
        ("entry_id", T),
        ("subject_id", T),
        ("action", T),
        ("at", I),
        ("reason", T),
        ("recorded_at", I),
    ],
    added: &[],
};

pub const DECISIONS: Table = Table {
    name: "appeal_decisions",
    prefix: "decision",
    key: "id",
    mutable: false,
    time: "decided_at",
    columns: &[
        ("id", T),
        ("appeal_id", T),
        ("subject_id", T),
        ("level", I),
        ("outcome", T),
        ("reasons", T),
        ("reviewer_id", T),
        ("review_body_id", T),
        ("correction_event_id", T),
        ("new_points", I),
        ("score_before", I),
        ("grade_before", T),
        ("score_after", I),
        ("grade_after", T),
        ("decided_at", I),
    ],
    added: &[],
};

/// A decision of administrators on a subject's challenge to a rule (one per challenge).
pub const CHALLENGE_DECISIONS: Table = Table {
    name: "rule_challenge_decisions",
    prefix: "challenge_decision",
    key: "appeal_id",
    mutable: false,
    time: "decided_at",
    columns: &[
        ("appeal_id", T),
        ("subject_id", T),
        ("verdict", T),
        ("reasons", T),
        ("decided_by", T),
        ("decided_at", I),
        ("score_before", I),
        ("grade_before", T),
        ("score_after", I),
        ("grade_after", T),
    ],
    added: &[],
};

/// A subject's proof of status, as signed. Its revocation is a later write of its own (an audit
/// row `proof.revoke`), so `revoked_at` is left out of the digest: what was signed never changes.
pub const STATUS_PROOFS: Table = Table {
    name: "status_proofs",
    prefix: "status_proof",
    key: "id",
    mutable: false,
    time: "created_at",
    columns: &[
        ("id", T),
        ("subject_id", T),
        ("code", T),
        ("kind", T),
        ("parameter", T),
        ("statement", T),
        ("message", T),
        ("as_of", I),
        ("valid_until", I),
        ("created_at", I),
        ("signature", T),
        ("public_key", T),
    ],
    added: &[],
};

/// A version of a rule of a scheme's catalogue.
pub const RULE_VERSIONS: Table = Table {
    name: "rule_versions",
    prefix: "rule_version",
    key: "id",
    mutable: true,
    time: "created_at",
    columns: &[
        ("id", T),
        ("scheme_id", T),
        ("rule_code", T),
        ("version", I),
        ("status", T),
        ("category", T),
        ("title_en", T),
        ("title_zh", T),
        ("description_en", T),
        ("description_zh", T),
        ("legal_basis", T),
        ("component", T),
        ("points_default", I),
        ("points_min", I),
        ("points_max", I),
        ("validity_unit", T),
        ("validity_count", I),
        ("effective_from", I),
        ("effective_to", I),
        ("created_at", I),
    ],
    added: &[("legal_basis_zh", T)],
};

/// The repeal of a rule (its reason and date).
pub const RULE_REPEALS: Table = Table {
    name: "rule_repeals",
    prefix: "rule_repeal",
    key: "scheme_id || '/' || rule_code",
    mutable: true,
    time: "repealed_at",
    columns: &[("scheme_id", T), ("rule_code", T), ("repealed_at", I), ("reason", T)],
    added: &[],
};

/// The tables whose rows belong to one subject (each has `subject_id`): their subject's chain
/// covers them.
pub const SUBJECT_TABLES: [&Table; 6] =
    [&EVENTS, &ENTRIES, &ENTRY_ACTIONS, &DECISIONS, &CHALLENGE_DECISIONS, &STATUS_PROOFS];

/// The catalogue's tables: the catalogue chain covers them.
pub const CATALOGUE_TABLES: [&Table; 2] = [&RULE_VERSIONS, &RULE_REPEALS];

impl Table {
    /// Its key, then its columns in canonical order.
    fn select(&self) -> String {
        let columns: Vec<&str> = self.columns.iter().chain(self.added).map(|(c, _)| *c).collect();
        format!("SELECT {} AS record_key, {} FROM {}", self.key, columns.join(", "), self.name)
    }

    /// The canonical encoding of a row read with [`Table::select`]'s columns.
    fn canonical(&self, row: &AnyRow) -> Result<Value, StoreError> {
        let mut fields = Vec::with_capacity(self.columns.len());
        let base = self.columns.len();
        for (i, (column, int)) in self.columns.iter().chain(self.added).enumerate() {
            let value = if *int {
                row.try_get::<Option<i64>, _>(i + 1)?.map(Value::from).unwrap_or(Value::Null)
            } else {
                row.try_get::<Option<String>, _>(i + 1)?.map(Value::from).unwrap_or(Value::Null)
            };
            if i < base || !value.is_null() {
                fields.push(json!([column, value]));
            }
        }
        Ok(json!([self.name, fields]))
    }

    fn reference(&self, id: &str) -> String {
        format!("{}:{id}", self.prefix)
    }
}

/// The digest of a record's (or an audit row's) canonical encoding.
pub fn digest_of(canonical: &Value) -> Hash {
    sha256(&serde_json::to_vec(canonical).expect("JSON of strings and integers"))
}

/// The canonical encoding of an event as the import inserts it (a fact: no target, reason or
/// decision), equal to what [`Table::canonical`] reads back from `events`.
pub fn imported_event(event: &crate::domain::Event, provenance: &super::records::Provenance) -> Value {
    let values: [Value; 17] = [
        event.id.to_string().into(),
        event.subject.to_string().into(),
        event.scheme.to_string().into(),
        event.rule_version.to_string().into(),
        event.rule_code.as_str().into(),
        event.points.into(),
        to_micros(event.occurred_at).into(),
        to_micros(event.recorded_at).into(),
        event.authority.to_string().into(),
        provenance.recorded_by.clone().into(),
        provenance.source.clone().into(),
        provenance.evidence_ref.clone().into(),
        event.external_ref.clone().into(),
        event.kind.code().into(),
        Value::Null,
        Value::Null,
        Value::Null,
    ];
    let fields: Vec<Value> = EVENTS.columns.iter().zip(values).map(|((c, _), v)| json!([c, v])).collect();
    json!([EVENTS.name, fields])
}

// ---------------------------------------------------------------------------------------------
// Audit rows and their digests.

/// An audit row as chained: everything its content digest covers.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ChainedRow {
    pub id: String,
    pub chain: String,
    pub seq: i64,
    pub at: i64,
    pub account_id: Option<String>,
    pub actor: String,
    pub origin: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub detail: String,
    /// JSON: `[[ref, sha256 hex], …]`.
    pub records: String,
    pub content_digest: String,
    pub prev_digest: String,
    pub digest: String,
}

impl ChainedRow {
    /// The canonical encoding of the row's content.
    pub fn canonical(&self) -> Value {
        json!([
            "audit_log",
            [
                ["id", self.id],
                ["chain", self.chain],
                ["seq", self.seq],
                ["at", self.at],
                ["account_id", self.account_id],
                ["actor", self.actor],
                ["origin", self.origin],
                ["action", self.action],
                ["target_kind", self.target_kind],
                ["target_id", self.target_id],
                ["detail", self.detail],
                ["records", self.records]
            ]
        ])
    }

    pub fn content(&self) -> Hash {
        digest_of(&self.canonical())
    }
}

/// The digest of a row: SHA-256(previous digest ‖ content digest).
pub fn link(prev: &Hash, content: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(content);
    h.finalize().into()
}

/// A row about to be appended: all but its position and digests.
pub struct NewRow {
    pub chain: String,
    pub at: DateTime<Utc>,
    pub account_id: Option<String>,
    pub actor: String,
    pub origin: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub detail: String,
    pub records: Vec<(String, Hash)>,
}

fn records_json(records: &[(String, Hash)]) -> String {
    Value::Array(records.iter().map(|(r, h)| json!([r, hex::encode(h)])).collect()).to_string()
}

const ROW_COLUMNS: &str =
    "id, chain, seq, at, account_id, actor, origin, action, target_kind, target_id, detail, \
     records, content_digest, prev_digest, digest";

fn row_from(r: &AnyRow) -> Result<ChainedRow, StoreError> {
    Ok(ChainedRow {
        id: r.try_get(0)?,
        chain: r.try_get(1)?,
        seq: r.try_get(2)?,
        at: r.try_get(3)?,
        account_id: r.try_get(4)?,
        actor: r.try_get(5)?,
        origin: r.try_get(6)?,
        action: r.try_get(7)?,
        target_kind: r.try_get(8)?,
        target_id: r.try_get(9)?,
        detail: r.try_get(10)?,
        records: r.try_get::<Option<String>, _>(11)?.unwrap_or_default(),
        content_digest: r.try_get::<Option<String>, _>(12)?.unwrap_or_default(),
        prev_digest: r.try_get::<Option<String>, _>(13)?.unwrap_or_default(),
        digest: r.try_get::<Option<String>, _>(14)?.unwrap_or_default(),
    })
}

/// Appends rows, each to its own chain (one row per chain per call), in the caller's
/// transaction, and moves their chains' heads.
pub async fn append(conn: &mut AnyConnection, rows: Vec<NewRow>) -> Result<(), StoreError> {
    let mut heads = Heads::default();
    heads.append(conn, rows).await?;
    heads.write(conn).await
}

/// The heads of the chains one transaction appends to. A chain's head row is claimed (locked,
/// its next position taken) the first time, then advanced here, and written once, by
/// [`Heads::write`], before the transaction commits. An import appends to the same subjects'
/// chains chunk after chunk in one transaction: moving each head row twice a chunk left
/// PostgreSQL two new versions of it a chunk, none of which can be pruned before the commit, so
/// every later look-up of the head walked them all (a 1,000,000-row all-or-nothing import ran
/// at 5,200 events/s, a 200,000-row one at 12,700).
#[derive(Default)]
pub struct Heads {
    held: HashMap<String, Head>,
}

/// A chain's last row in this transaction.
struct Head {
    seq: i64,
    digest: String,
    at: i64,
}

impl Heads {
    /// Appends rows, each to its own chain (one row per chain per call): one statement claims
    /// the heads not yet held (locking them, in chain order), one inserts the rows.
    pub async fn append(
        &mut self,
        conn: &mut AnyConnection,
        mut rows: Vec<NewRow>,
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        rows.sort_by(|a, b| a.chain.cmp(&b.chain));
        // Every write about a subject passes here, so this is where the answers relying parties
        // were given are reconsidered (`store::checks`), in the write's own transaction.
        let touched: Vec<(String, String)> = rows
            .iter()
            .filter_map(|r| r.chain.strip_prefix("subject:").map(|s| (s.to_string(), r.action.clone())))
            .collect();
        let at = rows.iter().map(|r| r.at).max().unwrap_or_default();
        let unclaimed: Vec<&NewRow> = rows.iter().filter(|r| !self.held.contains_key(&r.chain)).collect();
        for (chain, seq, digest) in claim(conn, &unclaimed).await? {
            // Held as if its row before the claimed position were this transaction's.
            self.held.insert(chain, Head { seq: seq - 1, digest, at: 0 });
        }
        let mut chained = Vec::with_capacity(rows.len());
        for row in rows {
            let head = self
                .held
                .get_mut(&row.chain)
                .ok_or_else(|| StoreError::corrupt("a chain head not claimed"))?;
            let prev = unhex(&head.digest).ok_or_else(|| StoreError::corrupt("a chain head's digest"))?;
            let mut c = ChainedRow {
                id: uuid::Uuid::now_v7().to_string(),
                chain: row.chain,
                seq: head.seq + 1,
                at: to_micros(row.at),
                account_id: row.account_id,
                actor: row.actor,
                origin: row.origin,
                action: row.action,
                target_kind: row.target_kind,
                target_id: row.target_id,
                detail: row.detail,
                records: records_json(&row.records),
                content_digest: String::new(),
                prev_digest: std::mem::take(&mut head.digest),
                digest: String::new(),
            };
            let content = c.content();
            c.content_digest = hex::encode(content);
            c.digest = hex::encode(link(&prev, &content));
            *head = Head { seq: c.seq, digest: c.digest.clone(), at: c.at };
            chained.push(c);
        }
        insert_rows(conn, &chained).await?;
        super::checks::reconsider(conn, &touched, at).await
    }

    /// Moves every held chain's head row to its last row, and lets go of them: before the
    /// transaction commits.
    pub async fn write(self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        let mut heads: Vec<(String, Head)> = self.held.into_iter().collect();
        heads.sort_by(|a, b| a.0.cmp(&b.0));
        if !sql::is_sqlite(conn) {
            for batch in heads.chunks(ARRAY_ROWS) {
                sqlx::query(
                    "UPDATE audit_chain_heads h SET seq = t.s, digest = t.d, at = t.a \
                     FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[]) AS t(c, s, d, a) \
                     WHERE h.chain = t.c",
                )
                .bind(sql::text_array(batch.iter().map(|(c, _)| c)))
                .bind(sql::int_array(batch.iter().map(|(_, h)| h.seq)))
                .bind(sql::text_array(batch.iter().map(|(_, h)| &h.digest)))
                .bind(sql::int_array(batch.iter().map(|(_, h)| h.at)))
                .execute(&mut *conn)
                .await?;
            }
            return Ok(());
        }
        for batch in heads.chunks(sql::params(conn) / 4) {
            let statement = sql::positional(
                conn,
                format!(
                    "INSERT INTO audit_chain_heads (chain, seq, digest, at) VALUES {} ON CONFLICT (chain) \
                     DO UPDATE SET seq = excluded.seq, digest = excluded.digest, at = excluded.at",
                    sql::rows(1, 4, batch.len())
                ),
            );
            let mut query = sqlx::query(&statement);
            for (chain, head) in batch {
                query = query.bind(chain).bind(head.seq).bind(&head.digest).bind(head.at);
            }
            query.execute(&mut *conn).await?;
        }
        Ok(())
    }
}

/// Claims the next position of each row's chain, locking its head row (made when the chain is
/// new): the chain, the position claimed, and the digest of the row before it.
async fn claim(conn: &mut AnyConnection, rows: &[&NewRow]) -> Result<Vec<(String, i64, String)>, StoreError> {
    let genesis = hex::encode(GENESIS);
    let mut claimed = Vec::with_capacity(rows.len());
    let got = |r: AnyRow| -> Result<(String, i64, String), StoreError> {
        Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
    };
    if !sql::is_sqlite(conn) {
        // One statement over arrays for any number of chains (see `store::import::postgres`).
        for batch in rows.chunks(ARRAY_ROWS) {
            let found = sqlx::query(
                "INSERT INTO audit_chain_heads (chain, digest, at, seq) \
                 SELECT c, $2, a, 1 FROM unnest($1::text[], $3::bigint[]) AS t(c, a) ON CONFLICT (chain) \
                 DO UPDATE SET seq = audit_chain_heads.seq + 1 RETURNING chain, seq, digest",
            )
            .bind(sql::text_array(batch.iter().map(|r| &r.chain)))
            .bind(&genesis)
            .bind(sql::int_array(batch.iter().map(|r| to_micros(r.at))))
            .fetch_all(&mut *conn)
            .await?;
            for r in found {
                claimed.push(got(r)?);
            }
        }
        return Ok(claimed);
    }
    for batch in rows.chunks(sql::params(conn) / 3) {
        let statement = sql::positional(
            conn,
            format!(
                "INSERT INTO audit_chain_heads (chain, digest, at, seq) VALUES {} ON CONFLICT (chain) \
                 DO UPDATE SET seq = audit_chain_heads.seq + 1 RETURNING chain, seq, digest",
                values(batch.len(), 3, |_| Some("1"))
            ),
        );
        let mut query = sqlx::query(&statement);
        for row in batch {
            query = query.bind(&row.chain).bind(&genesis).bind(to_micros(row.at));
        }
        for r in query.fetch_all(&mut *conn).await? {
            claimed.push(got(r)?);
        }
    }
    Ok(claimed)
}

/// Rows per statement over arrays on PostgreSQL.
const ARRAY_ROWS: usize = 10_000;

/// The chained rows: on PostgreSQL one statement per [`ARRAY_ROWS`], each column one array (a
/// statement per 273 rows of placeholders took a fifth of a bulk import's time in the
/// database); on SQLite multi-row inserts.
async fn insert_rows(conn: &mut AnyConnection, chained: &[ChainedRow]) -> Result<(), StoreError> {
    if !sql::is_sqlite(conn) {
        for batch in chained.chunks(ARRAY_ROWS) {
            let text = |f: &dyn Fn(&ChainedRow) -> &str| sql::text_array(batch.iter().map(f));
            sqlx::query(&format!(
                "INSERT INTO audit_log ({ROW_COLUMNS}) SELECT * FROM unnest($1::text[], $2::text[], \
                 $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], \
                 $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])"
            ))
            .bind(text(&|c| &c.id))
            .bind(text(&|c| &c.chain))
            .bind(sql::int_array(batch.iter().map(|c| c.seq)))
            .bind(sql::int_array(batch.iter().map(|c| c.at)))
            .bind(sql::nullable_text_array(batch.iter().map(|c| c.account_id.as_deref())))
            .bind(text(&|c| &c.actor))
            .bind(text(&|c| &c.origin))
            .bind(text(&|c| &c.action))
            .bind(text(&|c| &c.target_kind))
            .bind(text(&|c| &c.target_id))
            .bind(text(&|c| &c.detail))
            .bind(text(&|c| &c.records))
            .bind(text(&|c| &c.content_digest))
            .bind(text(&|c| &c.prev_digest))
            .bind(text(&|c| &c.digest))
            .execute(&mut *conn)
            .await?;
        }
        return Ok(());
    }
    for batch in chained.chunks(sql::INSERT_PARAMS / 15) {
        let statement = sql::positional(
            conn,
            format!("INSERT INTO audit_log ({ROW_COLUMNS}) VALUES {}", sql::rows(1, 15, batch.len())),
        );
        let mut query = sqlx::query(&statement);
        for c in batch {
            query = query
                .bind(&c.id)
                .bind(&c.chain)
                .bind(c.seq)
                .bind(c.at)
                .bind(c.account_id.as_deref())
                .bind(&c.actor)
                .bind(&c.origin)
                .bind(&c.action)
                .bind(&c.target_kind)
                .bind(&c.target_id)
                .bind(&c.detail)
                .bind(&c.records)
                .bind(&c.content_digest)
                .bind(&c.prev_digest)
                .bind(&c.digest);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// `($1, $2, $3[, extra]), …` for `rows` rows of `columns` placeholders.
fn values(rows: usize, columns: usize, extra: impl Fn(usize) -> Option<&'static str>) -> String {
    let mut out = String::new();
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..columns {
            if c > 0 {
                out.push_str(", ");
            }
            out.push_str(&format!("${}", r * columns + c + 1));
        }
        if let Some(e) = extra(r) {
            out.push_str(", ");
            out.push_str(e);
        }
        out.push(')');
    }
    out
}

/// The chain an audit row about `target_kind`/`target_id` belongs to, and the subject it
/// concerns, if any.
pub async fn chain_of(
    conn: &mut AnyConnection,
    target_kind: &str,
    target_id: &str,
) -> Result<Option<String>, StoreError> {
    let table = match target_kind {
        "subject" => return Ok(Some(target_id.to_string())),
        "event" => "events",
        "blacklist_entry" => "blacklist_entries",
        "appeal" => "appeals",
        "status_proof" => "status_proofs",
        _ => return Ok(None),
    };
    let subject: Option<String> =
        sqlx::query_scalar(&format!("SELECT subject_id FROM {table} WHERE id = $1 LIMIT 1"))
            .bind(target_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(subject)
}

/// The subject's records stamped `at` (what a write at `at` added), or all of them.
pub async fn records_of(
    conn: &mut AnyConnection,
    subject: &str,
    at: Option<i64>,
) -> Result<Vec<(String, Hash)>, StoreError> {
    let subject = [subject.to_string()];
    Ok(records_of_each(conn, &subject, at).await?.remove(&subject[0]).unwrap_or_default())
}

/// Subjects per statement of [`records_of_each`] on PostgreSQL, where they go as one array.
const SUBJECTS_PER_ARRAY: usize = 10_000;

/// Subjects one statement reads: an array of them on PostgreSQL, one parameter each on SQLite
/// (with one left for the instant).
fn subjects_per_statement(conn: &AnyConnection) -> usize {
    if sql::is_sqlite(conn) {
        sql::SQLITE_PARAMS - 1
    } else {
        SUBJECTS_PER_ARRAY
    }
}

/// [`records_of`] for many subjects: a statement per table and batch of subjects, where one per
/// table and subject made a repeal reaching 740,000 subjects send 4.4 million statements.
async fn records_of_each(
    conn: &mut AnyConnection,
    subjects: &[String],
    at: Option<i64>,
) -> Result<HashMap<String, Vec<(String, Hash)>>, StoreError> {
    let first = if at.is_some() { 2 } else { 1 };
    let mut out: HashMap<String, Vec<(String, Hash)>> = HashMap::new();
    for batch in subjects.chunks(subjects_per_statement(conn)) {
        for table in SUBJECT_TABLES {
            let time = at.map(|_| format!("{} = $1 AND ", table.time)).unwrap_or_default();
            let statement = sql::among(conn, "subject_id", first, batch.len(), "record_key", |among| {
                format!("{} WHERE {time}{among}", table.select())
            });
            let statement = sql::positional(conn, statement);
            let mut query = sqlx::query(&statement);
            if let Some(at) = at {
                query = query.bind(at);
            }
            let query = sql::bind_among(conn, query, batch);
            let subject_column =
                1 + table.columns.iter().position(|(c, _)| *c == "subject_id").expect("subject_id");
            for row in query.fetch_all(&mut *conn).await? {
                let id: String = row.try_get(0)?;
                let subject: String = row.try_get(subject_column)?;
                out.entry(subject)
                    .or_default()
                    .push((table.reference(&id), digest_of(&table.canonical(&row)?)));
            }
        }
    }
    Ok(out)
}

/// The catalogue records a catalogue write concerns, as they stand after it: every version of
/// the rule it acted on (publishing one ends the one before) and the rule's repeal; for the
/// `instance` (the demo's seed), every catalogue record.
async fn catalogue_records_of(
    conn: &mut AnyConnection,
    target_kind: &str,
    target_id: &str,
) -> Result<Vec<(String, Hash)>, StoreError> {
    let rule: Option<(String, String)> = match target_kind {
        "rule_version" => {
            let row = sqlx::query("SELECT scheme_id, rule_code FROM rule_versions WHERE id = $1")
                .bind(target_id)
                .fetch_optional(&mut *conn)
                .await?;
            row.map(|r| Ok::<_, StoreError>((r.try_get(0)?, r.try_get(1)?))).transpose()?
        }
        "rule" => match target_id.split_once('/') {
            Some((scheme, code)) => {
                let id: Option<String> = sqlx::query_scalar("SELECT id FROM schemes WHERE code = $1")
                    .bind(scheme)
                    .fetch_optional(&mut *conn)
                    .await?;
                id.map(|id| (id, code.to_string()))
            }
            None => None,
        },
        "instance" => {
            let mut out = Vec::new();
            for table in CATALOGUE_TABLES {
                let statement = format!("{} ORDER BY record_key", table.select());
                for row in sqlx::query(&statement).fetch_all(&mut *conn).await? {
                    let key: String = row.try_get(0)?;
                    out.push((table.reference(&key), digest_of(&table.canonical(&row)?)));
                }
            }
            return Ok(out);
        }
        _ => None,
    };
    let Some((scheme, code)) = rule else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for table in CATALOGUE_TABLES {
        let statement =
            format!("{} WHERE scheme_id = $1 AND rule_code = $2 ORDER BY record_key", table.select());
        for row in sqlx::query(&statement).bind(&scheme).bind(&code).fetch_all(&mut *conn).await? {
            let key: String = row.try_get(0)?;
            out.push((table.reference(&key), digest_of(&table.canonical(&row)?)));
        }
    }
    Ok(out)
}

/// The row `audit::write` appends: to the subject's chain when the target concerns one subject
/// (covering that subject's records written at `at`), else to the catalogue's.
#[allow(clippy::too_many_arguments)]
pub async fn write_one(
    conn: &mut AnyConnection,
    account_id: Option<String>,
    actor: &str,
    origin: &str,
    action: &str,
    target_kind: &str,
    target_id: &str,
    detail: String,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (chain, records) = match chain_of(conn, target_kind, target_id).await? {
        Some(subject) => (subject_chain(&subject), records_of(conn, &subject, Some(to_micros(at))).await?),
        None => (CATALOGUE.to_string(), catalogue_records_of(conn, target_kind, target_id).await?),
    };
    let row = NewRow {
        chain,
        at,
        account_id,
        actor: actor.into(),
        origin: origin.into(),
        action: action.into(),
        target_kind: target_kind.into(),
        target_id: target_id.into(),
        detail,
        records,
    };
    append(conn, vec![row]).await
}

/// One row in each subject's chain for a write that reached many subjects (a repeal voiding
/// their records, the demo seed): each covers that subject's records written at `at`, or all of
/// them when `all`.
#[allow(clippy::too_many_arguments)]
pub async fn write_subjects(
    conn: &mut AnyConnection,
    actor: &super::audit::Actor,
    action: &str,
    target_kind: &str,
    target_id: &str,
    detail: &Value,
    at: DateTime<Utc>,
    subjects: &[SubjectId],
    all: bool,
) -> Result<(), StoreError> {
    let mut unique = subjects.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let detail = detail.to_string();
    let account_id = actor.account.map(|a| a.0.to_string());
    // A batch of subjects at a time, so a repeal reaching every subject holds one batch's rows.
    for batch in unique.chunks(subjects_per_statement(conn)) {
        let ids: Vec<String> = batch.iter().map(ToString::to_string).collect();
        let mut records = records_of_each(conn, &ids, (!all).then(|| to_micros(at))).await?;
        let rows = ids
            .into_iter()
            .map(|subject| NewRow {
                records: records.remove(&subject).unwrap_or_default(),
                chain: subject_chain(&subject),
                at,
                account_id: account_id.clone(),
                actor: actor.label.clone(),
                origin: actor.origin.clone(),
                action: action.into(),
                target_kind: target_kind.into(),
                target_id: target_id.into(),
                detail: detail.clone(),
            })
            .collect();
        append(conn, rows).await?;
    }
    Ok(())
}

/// Records an import holds before writing its subjects' audit rows (with the commit, if that
/// comes first): one row per subject per this many records of the transaction, where a row per
/// chunk made nearly one audit row per record when subjects are many (a 1,000,000-row import
/// about 20,000 subjects wrote about 950,000; each row enters four indexes). About 50 bytes a
/// record held.
pub const IMPORT_RECORDS_HELD: usize = 100_000;
/// At most this many records in one audit row: a subject reaching it gets their row at once.
pub const IMPORT_ROW_RECORDS: usize = 2_000;
/// Audit rows of an import written by one [`Heads::append`].
const IMPORT_ROWS_PER_APPEND: usize = 2_000;

/// An import's audit rows: one per subject, covering that subject's records written in the
/// import's transaction since their last row, built from what was inserted without reading it
/// back. Held until [`IMPORT_RECORDS_HELD`] records wait (or a subject has
/// [`IMPORT_ROW_RECORDS`]), and all written by [`ImportRows::write`] before the commit, with the
/// chains' heads, so no record commits without its row.
pub struct ImportRows {
    account_id: Option<String>,
    actor: String,
    origin: String,
    import_id: String,
    detail: String,
    at: DateTime<Utc>,
    heads: Heads,
    /// Per subject (in chain order), their records not yet in an audit row: event id, digest.
    waiting: BTreeMap<SubjectId, Vec<(EventId, Hash)>>,
    held: usize,
}

impl ImportRows {
    pub fn new(actor: &super::audit::Actor, import_id: &str, detail: &Value, at: DateTime<Utc>) -> Self {
        Self {
            account_id: actor.account.map(|a| a.0.to_string()),
            actor: actor.label.clone(),
            origin: actor.origin.clone(),
            import_id: import_id.to_string(),
            detail: detail.to_string(),
            at,
            heads: Heads::default(),
            waiting: BTreeMap::new(),
            held: 0,
        }
    }

    /// Takes in records just inserted in the transaction; writes the rows that are due.
    pub async fn add(
        &mut self,
        conn: &mut AnyConnection,
        events: &[(crate::domain::Event, super::records::Provenance)],
    ) -> Result<(), StoreError> {
        for (event, provenance) in events {
            let digest = digest_of(&imported_event(event, provenance));
            let records = self.waiting.entry(event.subject).or_default();
            records.push((event.id, digest));
            self.held += 1;
            if records.len() >= IMPORT_ROW_RECORDS {
                let records = self.waiting.remove(&event.subject).unwrap_or_default();
                self.held -= records.len();
                let row = self.row(event.subject, records);
                self.heads.append(conn, vec![row]).await?;
            }
        }
        if self.held >= IMPORT_RECORDS_HELD {
            self.flush(conn).await?;
        }
        Ok(())
    }

    /// Writes every waiting row and moves the chains' heads: just before the commit.
    pub async fn write(&mut self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        self.flush(conn).await?;
        std::mem::take(&mut self.heads).write(conn).await
    }

    /// What is held, taken out (for a task of its own to write), leaving nothing held here.
    pub fn take(&mut self) -> Self {
        let held = std::mem::take(&mut self.held);
        Self {
            account_id: self.account_id.clone(),
            actor: self.actor.clone(),
            origin: self.origin.clone(),
            import_id: self.import_id.clone(),
            detail: self.detail.clone(),
            at: self.at,
            heads: std::mem::take(&mut self.heads),
            waiting: std::mem::take(&mut self.waiting),
            held,
        }
    }

    /// Drops what the rolled-back transaction held.
    pub fn forget(&mut self) {
        self.heads = Heads::default();
        self.waiting.clear();
        self.held = 0;
    }

    /// One row per waiting subject (so one per chain, as [`Heads::append`] takes them), a
    /// chunk's worth of rows at a time: the rows and their encodings for every subject at once
    /// raised a 1,000,000-row import's peak memory by 32 MB, over its 300 MB budget.
    async fn flush(&mut self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        let waiting = std::mem::take(&mut self.waiting);
        self.held = 0;
        let mut rows = Vec::with_capacity(IMPORT_ROWS_PER_APPEND.min(waiting.len()));
        for (subject, records) in waiting {
            rows.push(self.row(subject, records));
            if rows.len() == IMPORT_ROWS_PER_APPEND {
                self.heads.append(conn, std::mem::take(&mut rows)).await?;
            }
        }
        self.heads.append(conn, rows).await
    }

    fn row(&self, subject: SubjectId, records: Vec<(EventId, Hash)>) -> NewRow {
        NewRow {
            chain: subject_chain(&subject.to_string()),
            at: self.at,
            account_id: self.account_id.clone(),
            actor: self.actor.clone(),
            origin: self.origin.clone(),
            action: "import.record".into(),
            target_kind: "import".into(),
            target_id: self.import_id.clone(),
            detail: self.detail.clone(),
            records: records.into_iter().map(|(id, h)| (EVENTS.reference(&id.to_string()), h)).collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Merkle trees (RFC 6962 §2.1).

pub fn leaf_hash(chain: &str, seq: i64, digest_hex: &str) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(format!("{chain}\n{seq}\n{digest_hex}").as_bytes());
    h.finalize().into()
}

fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two smaller than `n` (n > 1).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The Merkle tree hash of the leaf hashes.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => sha256(b""),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The audit path of leaf `m` (RFC 6962 §2.1.1).
pub fn path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = split(n);
    if m < k {
        let mut p = path(m, &leaves[..k]);
        p.push(root(&leaves[k..]));
        p
    } else {
        let mut p = path(m - k, &leaves[k..]);
        p.push(root(&leaves[..k]));
        p
    }
}

/// Whether `path` proves `leaf` is leaf `index` of a tree of `size` with `root` (RFC 9162
/// §2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, path: &[Hash], expected: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && &r == expected
}

// ---------------------------------------------------------------------------------------------
// Tree heads.

/// A signed tree head.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TreeHead {
    pub number: i64,
    /// Microseconds since the epoch.
    pub at: i64,
    /// How many chains (leaves).
    pub size: i64,
    pub root: String,
    pub public_key: String,
    pub signature: String,
}

impl TreeHead {
    /// What is signed.
    pub fn message(number: i64, at: i64, size: i64, root: &str) -> String {
        format!("recourse tree head v1\nnumber {number}\nat {at}\nsize {size}\nroot {root}\n")
    }

    pub fn signature_holds(&self) -> bool {
        signing::verify(
            &self.public_key,
            Self::message(self.number, self.at, self.size, &self.root).as_bytes(),
            &self.signature,
        )
    }

    pub fn time(&self) -> DateTime<Utc> {
        super::from_micros(self.at)
    }
}

/// Leaves sorted by chain (bytewise), with their hashes.
fn sorted_leaves(mut heads: Vec<(String, i64, String)>) -> (Vec<(String, i64, String)>, Vec<Hash>) {
    heads.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let hashes = heads.iter().map(|(c, s, d)| leaf_hash(c, *s, d)).collect();
    (heads, hashes)
}

/// Produces a tree head over every chain's head, signed with `key`, unless no chain moved since
/// the last one. Servers producing at once are ordered by the state row; each commits or skips.
pub async fn produce_tree_head(
    db: &crate::db::Db,
    key: &InstanceKey,
    now: DateTime<Utc>,
) -> Result<Option<TreeHead>, StoreError> {
    let mut tx = db.begin_write().await?;
    let conn: &mut AnyConnection = &mut tx;
    sqlx::query("UPDATE audit_chain_state SET tree_lock = tree_lock + 1 WHERE id = 1")
        .execute(&mut *conn)
        .await?;
    let number: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(number), 0) + 1 FROM audit_tree_heads")
        .fetch_one(&mut *conn)
        .await?;
    let moved = sqlx::query(
        "UPDATE audit_chain_heads SET tree_seq = seq, tree_digest = digest WHERE seq <> tree_seq RETURNING chain, seq",
    )
    .fetch_all(&mut *conn)
    .await?;
    if moved.is_empty() && number > 1 {
        tx.rollback().await?;
        return Ok(None);
    }
    let heads = current_leaves(&mut tx).await?;
    let (_, hashes) = sorted_leaves(heads);
    let size = hashes.len() as i64;
    let root = hex::encode(root(&hashes));
    let at = to_micros(now).max(
        sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(at) FROM audit_tree_heads")
            .fetch_one(&mut *tx)
            .await?
            .map_or(0, |a| a + 1),
    );
    let head = TreeHead {
        number,
        at,
        size,
        signature: key.sign_hex(TreeHead::message(number, at, size, &root).as_bytes()),
        root,
        public_key: key.public_hex(),
    };
    sqlx::query(
        "INSERT INTO audit_tree_heads (number, at, size, root, public_key, signature) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(head.number)
    .bind(head.at)
    .bind(head.size)
    .bind(&head.root)
    .bind(&head.public_key)
    .bind(&head.signature)
    .execute(&mut *tx)
    .await?;
    let moved: Vec<(String, i64)> =
        moved.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_, sqlx::Error>>()?;
    for batch in moved.chunks(sql::INSERT_PARAMS / 3) {
        let statement = sql::positional(
            &tx,
            format!(
                "INSERT INTO audit_tree_leaves (tree_number, chain, seq) VALUES {}",
                sql::rows(1, 3, batch.len())
            ),
        );
        let mut query = sqlx::query(&statement);
        for (chain, seq) in batch {
            query = query.bind(number).bind(chain).bind(*seq);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(Some(head))
}

/// Every chain's head as the latest tree head saw it.
async fn current_leaves(conn: &mut AnyConnection) -> Result<Vec<(String, i64, String)>, StoreError> {
    let rows = sqlx::query("SELECT chain, tree_seq, tree_digest FROM audit_chain_heads WHERE tree_seq > 0")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
}

/// Produces a tree head every `every`, from now on, in the background (a server's task; several
/// servers are safe: a tree head is only made when a chain moved, one at a time).
pub fn spawn_tree_heads(db: crate::db::Db, key: InstanceKey, every: std::time::Duration) {
    tokio::spawn(async move {
        loop {
            match produce_tree_head(&db, &key, Utc::now()).await {
                Ok(Some(head)) => {
                    tracing::info!(number = head.number, size = head.size, "signed a tree head")
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "producing a tree head failed; trying again later"),
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// Tree heads, newest first, at most `limit`.
pub async fn tree_heads(conn: &mut AnyConnection, limit: i64) -> Result<Vec<TreeHead>, StoreError> {
    let rows = sqlx::query(
        "SELECT number, at, size, root, public_key, signature FROM audit_tree_heads ORDER BY number DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(head_from).collect()
}

fn head_from(r: &AnyRow) -> Result<TreeHead, StoreError> {
    Ok(TreeHead {
        number: r.try_get(0)?,
        at: r.try_get(1)?,
        size: r.try_get(2)?,
        root: r.try_get(3)?,
        public_key: r.try_get(4)?,
        signature: r.try_get(5)?,
    })
}

/// When chaining started (microseconds), if the migration ran.
pub async fn started_at(conn: &mut AnyConnection) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar("SELECT started_at FROM audit_chain_state WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await?)
}

// ---------------------------------------------------------------------------------------------
// Verification of a whole database.

mod verify;
pub use verify::{verify, verify_in_ranges, Report};

fn prefix_of(reference: &str) -> &str {
    reference.split_once(':').map_or(reference, |(p, _)| p)
}

/// A record's reference as a person reads it.
fn describe(reference: &str) -> String {
    let (prefix, id) = reference.split_once(':').unwrap_or(("record", reference));
    let kind = match prefix {
        "event" => "event",
        "entry" => "blacklist entry",
        "entry_action" => "blacklist entry action",
        "decision" => "appeal decision",
        "challenge_decision" => "rule challenge decision",
        "rule_version" => "rule version",
        "rule_repeal" => "rule repeal",
        other => other,
    };
    format!("{kind} {id}")
}

// ---------------------------------------------------------------------------------------------
// A subject's chain in their export, and its offline check.

/// The export's `audit_chain` field: the subject's chain (every row, and the canonical encoding
/// of every record it covers), the latest signed tree head, and the proof that the chain's head
/// as of that tree head is in it. `recourse audit verify-export FILE` checks it offline.
pub async fn export(conn: &mut AnyConnection, subject: &str) -> Result<Value, StoreError> {
    let chain = subject_chain(subject);
    let rows = sqlx::query(&format!("SELECT {ROW_COLUMNS} FROM audit_log WHERE chain = $1 ORDER BY seq"))
        .bind(&chain)
        .fetch_all(&mut *conn)
        .await?;
    let rows: Vec<ChainedRow> = rows.iter().map(row_from).collect::<Result<_, _>>()?;
    let mut records = serde_json::Map::new();
    for table in SUBJECT_TABLES {
        let found = sqlx::query(&format!("{} WHERE subject_id = $1 ORDER BY record_key", table.select()))
            .bind(subject)
            .fetch_all(&mut *conn)
            .await?;
        for row in found {
            let id: String = row.try_get(0)?;
            records.insert(table.reference(&id), table.canonical(&row)?);
        }
    }
    let (tree_head, proof) = proof_for(conn, &chain).await?;
    Ok(json!({
        "format": "recourse-audit-chain-v1",
        "how_to_check": "recourse audit verify-export FILE (README, \"Checking an export\")",
        "chain": chain,
        "rows": rows,
        "records": records,
        "tree_head": tree_head,
        "inclusion_proof": proof,
    }))
}

/// The latest tree head and the inclusion proof of `chain`'s head in it, if it holds the chain.
async fn proof_for(conn: &mut AnyConnection, chain: &str) -> Result<(Value, Value), StoreError> {
    for _ in 0..3 {
        let Some(head) = tree_heads(conn, 1).await?.into_iter().next() else {
            return Ok((Value::Null, Value::Null));
        };
        let (leaves, hashes) = sorted_leaves(current_leaves(conn).await?);
        if hex::encode(root(&hashes)) != head.root {
            continue; // a tree head was produced between the two reads
        }
        let proof = match leaves.iter().position(|(c, _, _)| c == chain) {
            Some(i) => json!({
                "leaf_index": i,
                "tree_size": hashes.len(),
                "seq": leaves[i].1,
                "digest": leaves[i].2,
                "audit_path": path(i, &hashes).iter().map(hex::encode).collect::<Vec<_>>(),
            }),
            None => Value::Null,
        };
        return Ok((serde_json::to_value(&head).expect("a tree head"), proof));
    }
    Ok((Value::Null, Value::Null))
}

/// Checks an export's `audit_chain` field (or the whole export holding it) offline: every row's
/// content and link, every record's digest against the encoding the file holds, the tree head's
/// signature, and the inclusion of the chain's head. Returns the problems found and a summary.
pub fn verify_export(file: &Value) -> (Vec<String>, String) {
    let field = file.get("audit_chain").unwrap_or(file);
    let mut problems = Vec::new();
    let rows: Vec<ChainedRow> = match field.get("rows").cloned().map(serde_json::from_value) {
        Some(Ok(rows)) => rows,
        _ => {
            return (
                vec!["the file holds no readable audit chain (field audit_chain.rows)".into()],
                String::new(),
            )
        }
    };
    let records = field.get("records").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut prev = hex::encode(GENESIS);
    let mut digests: HashMap<i64, String> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let name = format!("audit row {} (#{})", row.id, row.seq);
        if row.seq != i as i64 + 1 || row.prev_digest != prev {
            problems.push(format!("{name}: out of place; rows were removed or reordered"));
        }
        let content = row.content();
        if hex::encode(content) != row.content_digest {
            problems.push(format!("{name}: altered, its content does not match its digest"));
        }
        match unhex(&row.prev_digest) {
            Some(p) if hex::encode(link(&p, &content)) == row.digest => {}
            _ => problems.push(format!("{name}: altered, its digest does not follow from the row before")),
        }
        if let Ok(list) = serde_json::from_str::<Vec<(String, String)>>(&row.records) {
            for (reference, digest) in list {
                match records.get(&reference) {
                    Some(canonical) if hex::encode(digest_of(canonical)) == digest => {}
                    Some(_) => problems.push(format!("{}: altered in the file", describe(&reference))),
                    None => problems.push(format!("{}: missing from the file", describe(&reference))),
                }
            }
        }
        digests.insert(row.seq, row.digest.clone());
        prev = row.digest.clone();
    }
    let chain = field.get("chain").and_then(Value::as_str).unwrap_or_default().to_string();
    let head: Option<TreeHead> = field.get("tree_head").cloned().and_then(|h| serde_json::from_value(h).ok());
    let summary = match (head, field.get("inclusion_proof").filter(|p| !p.is_null())) {
        (Some(head), Some(proof)) => {
            if !head.signature_holds() {
                problems.push(format!("tree head #{}: its signature does not verify", head.number));
            }
            let seq = proof.get("seq").and_then(Value::as_i64).unwrap_or(-1);
            let index = proof.get("leaf_index").and_then(Value::as_u64).unwrap_or(u64::MAX);
            let path: Option<Vec<Hash>> = proof
                .get("audit_path")
                .and_then(Value::as_array)
                .map(|p| p.iter().filter_map(|h| h.as_str().and_then(unhex)).collect());
            match (digests.get(&seq), path, unhex(&head.root)) {
                (Some(digest), Some(path), Some(root)) => {
                    if !verify_inclusion(
                        index,
                        head.size as u64,
                        &leaf_hash(&chain, seq, digest),
                        &path,
                        &root,
                    ) {
                        problems.push(format!(
                            "tree head #{}: the chain's row #{seq} is not in it (inclusion proof fails)",
                            head.number
                        ));
                    }
                }
                _ => problems.push(format!("tree head #{}: the inclusion proof is incomplete", head.number)),
            }
            format!(
                "{} rows of {chain}; row #{seq} is in tree head #{} of {} signed by {}",
                rows.len(),
                head.number,
                head.time().to_rfc3339(),
                head.public_key
            )
        }
        _ => format!("{} rows of {chain}; no signed tree head includes this chain yet", rows.len()),
    };
    (problems, summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_leaf_has_an_inclusion_proof_that_checks() {
        for n in 1..20usize {
            let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&format!("c{i}"), 1, "00")).collect();
            let r = root(&leaves);
            for m in 0..n {
                let p = path(m, &leaves);
                assert!(verify_inclusion(m as u64, n as u64, &leaves[m], &p, &r), "n={n} m={m}");
                assert!(!verify_inclusion(m as u64, n as u64, &sha256(b"x"), &p, &r));
            }
        }
    }
}
