//! `recourse audit verify`: every record's digest recomputed from its table, every audit row's
//! digest and link, every chain head, and every tree head's root and signature.
//!
//! All of it reads one snapshot (a read transaction), a range of subjects at a time: their
//! records, the rows of their chains, those chains' heads and the tree heads' leaves in them.
//! Memory is then bounded by the largest range and the tree heads' leaves, not by the whole
//! database (one digest per record of 7.4 million took 2.4 GB). The catalogue's chain and
//! records come first and are kept throughout (they are few, and a rule's later rows must be
//! compared with the last row covering it); chains that belong to no subject come last.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures_util::TryStreamExt;
use sqlx::{AnyConnection, Connection, Row};

use super::{
    describe, digest_of, head_from, leaf_hash, link, prefix_of, root, row_from, started_at, unhex, Hash,
    Table, CATALOGUE_TABLES, GENESIS, ROW_COLUMNS, SUBJECT_TABLES,
};
use crate::store::StoreError;

/// Subjects whose records and chains are held in memory at once (about 10 records each at
/// Rongcheng's scale: some 15 MB).
const SUBJECTS_PER_RANGE: usize = 5_000;

/// What `recourse audit verify` found.
#[derive(Debug, Default)]
pub struct Report {
    pub started_at: Option<i64>,
    pub rows: u64,
    pub unchained_rows: u64,
    pub chains: u64,
    pub records: u64,
    pub tree_heads: u64,
    pub problems: Vec<String>,
}

impl Report {
    pub fn holds(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A record's digest, whether it was written since chaining started, and whether a row covers it.
type Records = HashMap<String, (Hash, bool, bool)>;

/// The chains one pass walks and the subjects' records it reads, as SQL conditions on a table's
/// `chain` and on a subject table's `subject_id`, with their parameters.
struct Range {
    chains: String,
    chain_binds: Vec<String>,
    records: Option<(String, Vec<String>)>,
}

/// Checks the whole database in one snapshot; see the module's comment.
pub async fn verify(conn: &mut AnyConnection) -> Result<Report, StoreError> {
    verify_in_ranges(conn, SUBJECTS_PER_RANGE).await
}

/// [`verify`] with `subjects` subjects a range (tests use one, so that every path across
/// ranges is taken).
pub async fn verify_in_ranges(conn: &mut AnyConnection, subjects: usize) -> Result<Report, StoreError> {
    let postgres = conn.backend_name() == "PostgreSQL";
    let mut tx = conn.begin().await?;
    if postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
    }
    let mut verifier = Verifier { subjects_per_range: subjects.max(1), ..Verifier::default() };
    verifier.run(&mut tx).await?;
    tx.rollback().await?;
    Ok(verifier.finish())
}

#[derive(Default)]
struct Verifier {
    subjects_per_range: usize,
    report: Report,
    started: i64,
    /// The catalogue's records, kept throughout.
    catalogue: Records,
    /// A mutable record's digest as the last row covering it has it, and that row's name.
    last_claims: HashMap<String, (String, String)>,
    /// Per tree head, the leaves it moved: chain and leaf hash (none when its row is missing).
    tree_leaves: BTreeMap<i64, Vec<(String, Option<Hash>)>>,
    /// Subjects' records written since chaining started that no row of their range covers.
    uncovered: Vec<String>,
    /// Subjects' records covered by a row of another range's chain.
    covered_elsewhere: HashSet<String>,
}

impl Verifier {
    async fn run(&mut self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        self.report.started_at = started_at(conn).await?;
        self.started = self.report.started_at.unwrap_or(i64::MAX);
        self.report.unchained_rows =
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_log WHERE chain IS NULL")
                .fetch_one(&mut *conn)
                .await? as u64;
        for table in CATALOGUE_TABLES {
            self.catalogue.extend(records(conn, table, None, self.started).await?);
        }
        let catalogue =
            Range { chains: "chain = 'catalogue'".into(), chain_binds: Vec::new(), records: None };
        self.walk(conn, &catalogue).await?;
        // The first subject of every range, in the database's order of ids.
        let mut bounds = Vec::new();
        {
            let mut ids =
                sqlx::query_scalar::<_, String>("SELECT id FROM subjects ORDER BY id").fetch(&mut *conn);
            let mut n = 0;
            while let Some(id) = ids.try_next().await? {
                if n % self.subjects_per_range == 0 {
                    bounds.push(id);
                }
                n += 1;
            }
        }
        for (i, low) in bounds.iter().enumerate() {
            let (subjects, records, binds) = match bounds.get(i + 1) {
                Some(high) => (
                    "id >= $1 AND id < $2",
                    "subject_id >= $1 AND subject_id < $2",
                    vec![low.clone(), high.clone()],
                ),
                None => ("id >= $1", "subject_id >= $1", vec![low.clone()]),
            };
            let range = Range {
                chains: format!("chain IN (SELECT 'subject:' || id FROM subjects WHERE {subjects})"),
                chain_binds: binds.clone(),
                records: Some((records.into(), binds)),
            };
            self.walk(conn, &range).await?;
        }
        // Chains named for no subject, and records of subjects ordered before the first one.
        let orphans = Range {
            chains: "chain IS NOT NULL AND chain <> 'catalogue' AND (substr(chain, 1, 8) <> 'subject:' \
                     OR NOT EXISTS (SELECT 1 FROM subjects s WHERE s.id = substr(chain, 9)))"
                .into(),
            chain_binds: Vec::new(),
            records: Some(match bounds.first() {
                Some(first) => ("subject_id < $1".into(), vec![first.clone()]),
                None => ("1 = 1".into(), Vec::new()),
            }),
        };
        self.walk(conn, &orphans).await?;
        self.check_tree_heads(conn).await
    }

    /// One range: its records, its chains row by row, its chains' heads, its tree leaves.
    async fn walk(&mut self, conn: &mut AnyConnection, range: &Range) -> Result<(), StoreError> {
        let mut local = Records::new();
        if let Some(filter) = &range.records {
            for table in SUBJECT_TABLES {
                local.extend(records(conn, table, Some(filter), self.started).await?);
            }
        }
        self.report.records += local.len() as u64;
        // The tree heads' leaves in these chains: (chain, seq) → tree numbers.
        let mut wanted: HashMap<(String, i64), Vec<i64>> = HashMap::new();
        {
            let statement =
                format!("SELECT tree_number, chain, seq FROM audit_tree_leaves WHERE {}", range.chains);
            let mut rows = bind_all(sqlx::query(&statement), &range.chain_binds).fetch(&mut *conn);
            while let Some(r) = rows.try_next().await? {
                let (n, chain, seq): (i64, String, i64) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
                wanted.entry((chain, seq)).or_default().push(n);
            }
        }
        let mut ends: HashMap<String, (i64, String)> = HashMap::new();
        // References to records outside this range, checked once the walk is over.
        let mut elsewhere: Vec<(String, String, String)> = Vec::new();
        {
            let statement =
                format!("SELECT {ROW_COLUMNS} FROM audit_log WHERE {} ORDER BY chain, seq, id", range.chains);
            let mut rows = bind_all(sqlx::query(&statement), &range.chain_binds).fetch(&mut *conn);
            let mut current: Option<(String, i64, String)> = None; // chain, last seq, last digest
            while let Some(r) = rows.try_next().await? {
                let row = row_from(&r)?;
                self.report.rows += 1;
                let name = format!("audit row {} ({} #{})", row.id, row.chain, row.seq);
                let (expected_seq, expected_prev) = match &current {
                    Some((chain, seq, digest)) if *chain == row.chain => (seq + 1, digest.clone()),
                    _ => {
                        self.report.chains += 1;
                        (1, hex::encode(GENESIS))
                    }
                };
                let problems = &mut self.report.problems;
                if row.seq != expected_seq || row.prev_digest != expected_prev {
                    problems.push(format!(
                        "{name}: out of place, expected #{expected_seq} following digest {}…; rows before it were removed or reordered",
                        &expected_prev[..12]
                    ));
                }
                if hex::encode(row.content()) != row.content_digest {
                    problems.push(format!("{name}: altered, its content does not match its digest"));
                }
                let linked = match (unhex(&row.prev_digest), unhex(&row.content_digest)) {
                    (Some(p), Some(c)) => hex::encode(link(&p, &c)) == row.digest,
                    _ => false,
                };
                if !linked {
                    problems.push(format!("{name}: altered, its digest does not follow from the row before"));
                }
                match serde_json::from_str::<Vec<(String, String)>>(&row.records) {
                    Ok(list) => {
                        for (reference, digest) in list {
                            self.cover(&mut local, reference, digest, &name, &mut elsewhere);
                        }
                    }
                    Err(_) => self
                        .report
                        .problems
                        .push(format!("{name}: altered, its list of records is unreadable")),
                }
                if let Some(numbers) = wanted.remove(&(row.chain.clone(), row.seq)) {
                    let leaf = leaf_hash(&row.chain, row.seq, &row.digest);
                    for n in numbers {
                        self.tree_leaves.entry(n).or_default().push((row.chain.clone(), Some(leaf)));
                    }
                }
                if current.as_ref().is_some_and(|(chain, _, _)| *chain != row.chain) {
                    let (c, s, d) = current.take().expect("current");
                    ends.insert(c, (s, d));
                }
                current = Some((row.chain, row.seq, row.digest));
            }
            if let Some((c, s, d)) = current {
                ends.insert(c, (s, d));
            }
        }
        // Leaves whose row is gone: their tree heads cannot be rebuilt.
        for ((chain, _), numbers) in wanted {
            for n in numbers {
                self.tree_leaves.entry(n).or_default().push((chain.clone(), None));
            }
        }
        self.check_heads(conn, range, ends).await?;
        for (reference, digest, name) in elsewhere {
            self.check_elsewhere(conn, reference, digest, name).await?;
        }
        let mut uncovered: Vec<String> = local
            .into_iter()
            .filter(|(_, (_, after, covered))| *after && !*covered)
            .map(|(r, _)| r)
            .collect();
        self.uncovered.append(&mut uncovered);
        Ok(())
    }

    /// A row names `reference` with `digest`: checked against this range's records or the
    /// catalogue's, or kept to be read on its own.
    fn cover(
        &mut self,
        local: &mut Records,
        reference: String,
        digest: String,
        name: &str,
        elsewhere: &mut Vec<(String, String, String)>,
    ) {
        let mutable = CATALOGUE_TABLES.iter().any(|t| t.mutable && t.prefix == prefix_of(&reference));
        let Some((actual, _, covered)) =
            local.get_mut(&reference).or_else(|| self.catalogue.get_mut(&reference))
        else {
            elsewhere.push((reference, digest, name.to_string()));
            return;
        };
        *covered = true;
        if mutable {
            self.last_claims.insert(reference, (digest, name.to_string()));
        } else if hex::encode(*actual) != digest {
            self.report
                .problems
                .push(format!("{}: altered, it no longer matches {name}", describe(&reference)));
        }
    }

    /// A subject's record covered by a row of another range's chain (or removed).
    async fn check_elsewhere(
        &mut self,
        conn: &mut AnyConnection,
        reference: String,
        digest: String,
        name: String,
    ) -> Result<(), StoreError> {
        let table = SUBJECT_TABLES.into_iter().find(|t| t.prefix == prefix_of(&reference));
        let key = reference.split_once(':').map_or("", |(_, k)| k);
        let actual = match table {
            Some(table) => {
                let statement = format!("{} WHERE {} = $1", table.select(), table.key);
                let row = sqlx::query(&statement).bind(key).fetch_optional(&mut *conn).await?;
                row.map(|r| table.canonical(&r).map(|c| digest_of(&c))).transpose()?
            }
            None => None,
        };
        match actual {
            None => {
                self.report.problems.push(format!("{}: removed (covered by {name})", describe(&reference)))
            }
            Some(actual) => {
                if hex::encode(actual) != digest {
                    self.report
                        .problems
                        .push(format!("{}: altered, it no longer matches {name}", describe(&reference)));
                }
                self.covered_elsewhere.insert(reference);
            }
        }
        Ok(())
    }

    /// The range's chain heads agree with the ends of its chains.
    async fn check_heads(
        &mut self,
        conn: &mut AnyConnection,
        range: &Range,
        ends: HashMap<String, (i64, String)>,
    ) -> Result<(), StoreError> {
        let statement = format!("SELECT chain, seq, digest FROM audit_chain_heads WHERE {}", range.chains);
        let heads = bind_all(sqlx::query(&statement), &range.chain_binds).fetch_all(&mut *conn).await?;
        let mut headed = HashSet::new();
        for r in &heads {
            let (chain, seq, digest): (String, i64, String) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
            match ends.get(&chain) {
                Some((s, d)) if *s == seq && *d == digest => {}
                Some((s, _)) => self.report.problems.push(format!(
                    "chain {chain}: its head is #{seq} but the log ends at #{s}; rows were removed or altered"
                )),
                None => self
                    .report
                    .problems
                    .push(format!("chain {chain}: its head is #{seq} but the log holds none of its rows")),
            }
            headed.insert(chain);
        }
        let mut unheaded: Vec<&String> = ends.keys().filter(|c| !headed.contains(*c)).collect();
        unheaded.sort();
        for chain in unheaded {
            self.report.problems.push(format!("chain {chain}: rows without a chain head"));
        }
        Ok(())
    }

    /// Tree heads, rebuilt in order from their leaves.
    async fn check_tree_heads(&mut self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        let heads = sqlx::query(
            "SELECT number, at, size, root, public_key, signature FROM audit_tree_heads ORDER BY number",
        )
        .fetch_all(&mut *conn)
        .await?;
        // Every chain's leaf as of the tree head being rebuilt; ordered by bytes, as the producer.
        let mut state: BTreeMap<String, Option<Hash>> = BTreeMap::new();
        let mut expected_number = 1;
        for r in &heads {
            let head = head_from(r)?;
            self.report.tree_heads += 1;
            if head.number != expected_number {
                self.report
                    .problems
                    .push(format!("tree head #{}: tree heads before it were removed", head.number));
            }
            expected_number = head.number + 1;
            if !head.signature_holds() {
                self.report
                    .problems
                    .push(format!("tree head #{}: its signature does not verify", head.number));
            }
            state.extend(self.tree_leaves.remove(&head.number).unwrap_or_default());
            let hashes: Option<Vec<Hash>> = state.values().copied().collect();
            let holds =
                hashes.is_some_and(|h| h.len() as i64 == head.size && hex::encode(root(&h)) == head.root);
            if !holds {
                self.report.problems.push(format!(
                    "tree head #{}: its root does not match the audit log (rows it covered were altered or removed)",
                    head.number
                ));
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Report {
        // Mutable records as the last row covering each had them.
        let mut claims: Vec<(&String, &(String, String))> = self.last_claims.iter().collect();
        claims.sort();
        for (reference, (digest, name)) in claims {
            if self.catalogue.get(reference).is_some_and(|(actual, _, _)| hex::encode(actual) != *digest) {
                self.report
                    .problems
                    .push(format!("{}: altered, it no longer matches {name}", describe(reference)));
            }
        }
        // Records written since chaining started that no audit row covers.
        let mut uncovered: Vec<&String> = self
            .catalogue
            .iter()
            .filter(|(_, (_, after, covered))| *after && !*covered)
            .map(|(r, _)| r)
            .chain(self.uncovered.iter().filter(|r| !self.covered_elsewhere.contains(*r)))
            .collect();
        uncovered.sort();
        for reference in uncovered {
            self.report.problems.push(format!("{}: has no audit row", describe(reference)));
        }
        self.report.records += self.catalogue.len() as u64;
        self.report
    }
}

/// `table`'s records (those matching `filter` when given), by reference.
async fn records(
    conn: &mut AnyConnection,
    table: &Table,
    filter: Option<&(String, Vec<String>)>,
    started: i64,
) -> Result<Records, StoreError> {
    let time_index = 1 + table.columns.iter().position(|(c, _)| *c == table.time).expect("time column");
    let statement = match filter {
        Some((condition, _)) => format!("{} WHERE {condition}", table.select()),
        None => table.select(),
    };
    let binds = filter.map_or(&[][..], |(_, b)| b.as_slice());
    let mut rows = bind_all(sqlx::query(&statement), binds).fetch(&mut *conn);
    let mut records = Records::new();
    while let Some(row) = rows.try_next().await? {
        let id: String = row.try_get(0)?;
        let time: i64 = row.try_get(time_index)?;
        records.insert(table.reference(&id), (digest_of(&table.canonical(&row)?), time >= started, false));
    }
    Ok(records)
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    binds: &'q [String],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for value in binds {
        query = query.bind(value.as_str());
    }
    query
}
