//! PostgreSQL's side of a bulk import: each of a chunk's look-ups and writes is one statement
//! over arrays (`= ANY($n::text[])`, `unnest(…)`) instead of a statement per few hundred values.
//! Each `IN ($2, …, $255)` statement was a round trip and a plan of its own (the import runs
//! with plans made for the values at hand, see `Importer::tx`): a 2,000-row chunk took about
//! thirty of them, which held PostgreSQL imports to 2,500–5,800 events/s. PostgreSQL plans an
//! array as one value, so a chunk now takes five statements.
//!
//! The statements run on the import's own transaction, on the same pooled connection as the
//! rest of it (the catalogue read, the notices, the audit row, the job row): an all-or-nothing
//! import must be one transaction, and sqlx's Any driver neither hands out the PostgreSQL
//! connection under it nor binds arrays, so each array is sent as one text parameter in
//! PostgreSQL's array syntax and cast by the server (`$1::text[]`). (`COPY` would need that
//! native connection; measured, it saves little here: see README "Speed".)

use std::collections::HashSet;

use sqlx::{AnyConnection, Row};

use super::super::{
    records::{self, Provenance, EVENT_COLUMNS},
    sql, to_micros, StoreError,
};
use crate::domain::{AuthorityId, Event, SchemeId, SubjectId};

/// Rows per insert statement: a few megabytes of text, written while the next is built.
const INSERT_ROWS: usize = 10_000;

/// Of `subjects` (sorted), those enrolled in `scheme`, their membership rows locked first when
/// `lock` (an import that will write), and those that exist at all.
pub(super) async fn memberships(
    conn: &mut AnyConnection,
    scheme: SchemeId,
    subjects: &[SubjectId],
    lock: bool,
) -> Result<(Vec<SubjectId>, Vec<SubjectId>), StoreError> {
    let ids = sql::text_array(subjects.iter().map(|s| s.to_string()));
    // The lock is the one a single write's `UPDATE` of the row takes, without writing a new
    // version of every member (as a repeal's). The rows are locked in the primary key's order
    // (the index scan walks the array sorted), so two imports lock in the same order.
    let lock = if lock { " FOR NO KEY UPDATE" } else { "" };
    let statement = format!(
        "SELECT subject_id FROM scheme_memberships WHERE scheme_id = $1 AND subject_id = ANY($2::text[]){lock}"
    );
    let rows = sqlx::query(&statement).bind(scheme.to_string()).bind(ids).fetch_all(&mut *conn).await?;
    let members = subject_ids(&rows)?;
    if members.len() == subjects.len() {
        return Ok((members.clone(), members));
    }
    let enrolled: HashSet<SubjectId> = members.iter().copied().collect();
    let missing = sql::text_array(subjects.iter().filter(|s| !enrolled.contains(s)).map(|s| s.to_string()));
    let rows = sqlx::query("SELECT id FROM subjects WHERE id = ANY($1::text[])")
        .bind(missing)
        .fetch_all(&mut *conn)
        .await?;
    let mut known = subject_ids(&rows)?;
    known.extend(members.iter().copied());
    Ok((members, known))
}

fn subject_ids(rows: &[sqlx::any::AnyRow]) -> Result<Vec<SubjectId>, StoreError> {
    rows.iter().map(|r| Ok(SubjectId::parse(&r.try_get::<String, _>(0)?)?)).collect()
}

/// `authority`'s records that carry one of `references`.
pub(super) async fn existing(
    conn: &mut AnyConnection,
    authority: AuthorityId,
    references: &[&str],
) -> Result<Vec<Event>, StoreError> {
    let columns = sql::qualified(EVENT_COLUMNS, "e");
    // Joined on the subject as well as the id: the events' key (and shard) is the subject's.
    let statement = format!(
        "SELECT {columns} FROM event_references r JOIN events e ON e.subject_id = r.subject_id AND e.id = r.event_id \
         WHERE r.authority_id = $1 AND r.external_ref = ANY($2::text[])"
    );
    let rows = sqlx::query(&statement)
        .bind(authority.to_string())
        .bind(sql::text_array(references.iter().copied()))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| Ok(records::event_from_row(r)?.event)).collect()
}

/// Inserts checked events: their reference claims (`event_references`, the guard that keeps
/// references unique across subjects) first, then the records, each table's rows as columns of
/// arrays, one statement per [`INSERT_ROWS`], each built while the one before it runs.
pub(super) async fn insert(
    conn: &mut AnyConnection,
    rows: &[(Event, Provenance)],
) -> Result<(), sqlx::Error> {
    const REFERENCES: &str =
        "INSERT INTO event_references (authority_id, external_ref, subject_id, event_id) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])";
    const EVENTS: &str = "INSERT INTO events (id, subject_id, scheme_id, rule_version_id, rule_code, points, \
         occurred_at, recorded_at, authority_id, recorded_by, source, evidence_ref, external_ref, kind) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], \
         $7::bigint[], $8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])";
    let mut batches = rows.chunks(INSERT_ROWS);
    let mut next = batches.next().map(columns);
    while let Some(batch) = next {
        let (refs, events) = batch;
        let mut query = sqlx::query(REFERENCES);
        for column in refs {
            query = query.bind(column);
        }
        query.execute(&mut *conn).await?;
        let mut query = sqlx::query(EVENTS);
        for column in events {
            query = query.bind(column);
        }
        let (written, following) =
            sql::overlapped(query.execute(&mut *conn), || batches.next().map(columns)).await;
        written?;
        next = following;
    }
    Ok(())
}

/// A batch of rows as the array literals of each table's columns: the reference claims' four,
/// the records' fourteen (in the order of [`records::bind_record`]).
fn columns(batch: &[(Event, Provenance)]) -> ([String; 4], [String; 14]) {
    let text = |f: &dyn Fn(&(Event, Provenance)) -> String| sql::text_array(batch.iter().map(f));
    let number = |f: &dyn Fn(&(Event, Provenance)) -> i64| sql::int_array(batch.iter().map(f));
    let refs = [
        text(&|(e, _)| e.authority.to_string()),
        text(&|(e, _)| e.external_ref.clone()),
        text(&|(e, _)| e.subject.to_string()),
        text(&|(e, _)| e.id.to_string()),
    ];
    let events = [
        text(&|(e, _)| e.id.to_string()),
        text(&|(e, _)| e.subject.to_string()),
        text(&|(e, _)| e.scheme.to_string()),
        text(&|(e, _)| e.rule_version.to_string()),
        text(&|(e, _)| e.rule_code.as_str().to_string()),
        number(&|(e, _)| e.points),
        number(&|(e, _)| to_micros(e.occurred_at)),
        number(&|(e, _)| to_micros(e.recorded_at)),
        text(&|(e, _)| e.authority.to_string()),
        text(&|(_, p)| p.recorded_by.clone()),
        text(&|(_, p)| p.source.clone()),
        text(&|(_, p)| p.evidence_ref.clone()),
        text(&|(e, _)| e.external_ref.clone()),
        text(&|(e, _)| e.kind.code().to_string()),
    ];
    (refs, events)
}
