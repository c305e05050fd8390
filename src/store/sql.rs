//! Numbered placeholders for statements built at run time (`IN (…)` lists and multi-row
//! `VALUES`), which both databases accept as `$n`, and the anonymous form SQLite binds fastest.

use std::{fmt::Write, future::Future, task::Poll};

use sqlx::{any::AnyArguments, query::Query, Any, AnyConnection};

/// Parameters per statement. sqlx's SQLite driver looks up each parameter's name by walking
/// the statement's list of names, so binding costs grow with the square of this number: at
/// 7,000 parameters binding took most of an import's time. A few hundred keep it negligible
/// and cost PostgreSQL little (it is a round trip per statement on loopback).
pub const PARAMS: usize = 256;

/// Parameters per statement on SQLite once [`positional`] has made them anonymous: binding is
/// then linear, and larger statements mean fewer trips to the driver's worker thread (SQLite
/// allows 32,766).
pub const SQLITE_PARAMS: usize = 4096;

/// Whether this connection is to SQLite (for the few statements whose functions differ).
pub fn is_sqlite(conn: &AnyConnection) -> bool {
    conn.backend_name().eq_ignore_ascii_case("sqlite")
}

/// Parameters per multi-row `INSERT … VALUES` on either database (passed through
/// [`positional`] for SQLite): there is no plan to make for a list of rows, and each statement
/// is a round trip to PostgreSQL's server or SQLite's worker thread.
pub const INSERT_PARAMS: usize = SQLITE_PARAMS;

/// Parameters per statement on this connection: [`SQLITE_PARAMS`] on SQLite for statements
/// passed through [`positional`], [`PARAMS`] elsewhere (PostgreSQL plans each `IN (…)` list, and
/// a few hundred values keep that cheap).
pub fn params(conn: &AnyConnection) -> usize {
    if is_sqlite(conn) {
        SQLITE_PARAMS
    } else {
        PARAMS
    }
}

/// `statement` for this connection: on SQLite, `$1 … $n` become anonymous `?` (bound in order,
/// without sqlx's walk of the statement's parameter names) when they appear exactly in that
/// order, each once, outside quotes; otherwise, and on PostgreSQL, unchanged.
pub fn positional(conn: &AnyConnection, statement: String) -> String {
    if !is_sqlite(conn) {
        return statement;
    }
    anonymous(&statement).unwrap_or(statement)
}

/// The statement with `$1 … $n` (in order, each once, outside quotes) as `?`, or `None`.
fn anonymous(statement: &str) -> Option<String> {
    let mut out = String::with_capacity(statement.len());
    let mut next = 1usize;
    let mut quoted = false;
    let mut chars = statement.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c != '$' || quoted {
            out.push(c);
            continue;
        }
        let mut number = 0usize;
        let mut digits = 0;
        while let Some((_, d)) = chars.peek().copied().filter(|(_, d)| d.is_ascii_digit()) {
            number = number * 10 + d.to_digit(10)? as usize;
            digits += 1;
            chars.next();
        }
        if digits == 0 || number != next {
            return None;
        }
        next += 1;
        out.push('?');
    }
    Some(out)
}

/// Runs `work` while `query` is under way: the query is polled once, which hands it to the
/// database (sqlx's SQLite worker thread, or PostgreSQL's server), then `work` runs on this
/// thread, then the query is awaited. A bulk write's two sides (checking and binding here,
/// writing there) then work at once instead of taking turns.
pub async fn overlapped<F: Future, T>(query: F, work: impl FnOnce() -> T) -> (F::Output, T) {
    let mut query = std::pin::pin!(query);
    let early = std::future::poll_fn(|cx| Poll::Ready(query.as_mut().poll(cx))).await;
    let done = work();
    let output = match early {
        Poll::Ready(output) => output,
        Poll::Pending => query.await,
    };
    (output, done)
}

/// The statements that send `total` items `per` at a time, each built once: one for a full
/// batch and one for the remainder (a statement for a thousand batches is prepared once).
pub struct Batched {
    per: usize,
    full: Option<String>,
    rest: Option<String>,
}

impl Batched {
    pub fn new(total: usize, per: usize, build: impl Fn(usize) -> String) -> Self {
        let rest = total % per;
        Self { per, full: (total >= per).then(|| build(per)), rest: (rest > 0).then(|| build(rest)) }
    }

    /// The statement for a batch of `len` items (`per`, or the remainder).
    pub fn sql(&self, len: usize) -> &str {
        let sql = if len == self.per { &self.full } else { &self.rest };
        sql.as_deref().expect("a batch of the size announced")
    }
}

/// How many rows of `columns` values one statement carries.
pub const fn rows_per_statement(columns: usize) -> usize {
    let rows = PARAMS / columns;
    if rows == 0 {
        1
    } else {
        rows
    }
}

/// `columns` ("a, b") with each name qualified by `table` ("t.a, t.b"), for a join.
pub fn qualified(columns: &str, table: &str) -> String {
    columns.split(", ").map(|c| format!("{table}.{c}")).collect::<Vec<_>>().join(", ")
}

/// How many names a list of columns ("a, b") holds, at compile time where it is a constant.
pub const fn column_count(columns: &str) -> usize {
    let bytes = columns.as_bytes();
    let (mut i, mut count) = (0, 1);
    while i < bytes.len() {
        if bytes[i] == b',' {
            count += 1;
        }
        i += 1;
    }
    count
}

/// `($first, $first+1, …)`: a parenthesised list of `n` placeholders.
pub fn list(first: usize, n: usize) -> String {
    let mut out = String::with_capacity(n * 6 + 2);
    out.push('(');
    for i in first..first + n {
        if i > first {
            out.push_str(", ");
        }
        let _ = write!(out, "${i}");
    }
    out.push(')');
    out
}

/// `($first, …), (…)`: `rows` groups of `columns` placeholders, numbered on from `first`.
pub fn rows(first: usize, columns: usize, rows: usize) -> String {
    let mut out = String::with_capacity(rows * (columns * 6 + 4));
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push_str(&list(first + r * columns, columns));
    }
    out
}

/// The statement for the rows of `select` whose `column` is one of a batch of `n` distinct
/// values bound from parameter `first` (with [`bind_among`]), ordered by `order`. `select` is
/// given the condition to put in its `WHERE` and returns every column `order` names.
///
/// On SQLite, and for a batch of one (every single write's audit row), the condition is
/// `column IN ($first, …)`, one parameter a value. Otherwise, on PostgreSQL, the
/// array `$first` is unnested and `select` runs once for each value (`LATERAL`, kept from being
/// merged into the outer query by `OFFSET 0`), so each value is looked up by its index whatever
/// the planner guesses of the array: an `= ANY($n)` filter, planned generically, compared every
/// row with every value (minutes a statement), and a plain join with the unnested array, whose
/// length the planner takes as ten, had every row of the rule meet every value of the batch
/// (11 to 18 s a statement for a repeal's batches of 10,000 subjects).
pub fn among(
    conn: &AnyConnection,
    column: &str,
    first: usize,
    n: usize,
    order: &str,
    select: impl FnOnce(&str) -> String,
) -> String {
    // A batch of one on PostgreSQL (a single write's own subject) is a plain lookup too.
    if is_sqlite(conn) || n == 1 {
        format!("{} ORDER BY {order}", select(&format!("{column} IN {}", list(first, n))))
    } else {
        format!(
            "SELECT chosen.* FROM unnest(${first}::text[]) AS among (among_value), LATERAL ({} OFFSET 0) \
             AS chosen ORDER BY {order}",
            select(&format!("{column} = among.among_value"))
        )
    }
}

/// Binds the values of an [`among`] statement to `query`.
pub fn bind_among<'q, S: AsRef<str>>(
    conn: &AnyConnection,
    mut query: Query<'q, Any, AnyArguments<'q>>,
    values: &[S],
) -> Query<'q, Any, AnyArguments<'q>> {
    if is_sqlite(conn) || values.len() == 1 {
        for value in values {
            query = query.bind(value.as_ref().to_string());
        }
        query
    } else {
        query.bind(text_array(values.iter()))
    }
}

/// `items` as a PostgreSQL array literal of text, every element quoted (so none is read as
/// `NULL`), with `"` and `\` escaped.
pub fn text_array<S: AsRef<str>>(items: impl Iterator<Item = S>) -> String {
    nullable_text_array(items.map(Some))
}

/// `items` as a PostgreSQL array literal of text, `None` as `NULL` and every other element
/// quoted, with `"` and `\` escaped.
pub fn nullable_text_array<S: AsRef<str>>(items: impl Iterator<Item = Option<S>>) -> String {
    let mut out = String::from("{");
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let Some(item) = item else {
            out.push_str("NULL");
            continue;
        };
        out.push('"');
        for c in item.as_ref().chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    out.push('}');
    out
}

/// `items` as a PostgreSQL array literal of `bigint`.
pub fn int_array(items: impl Iterator<Item = i64>) -> String {
    let mut out = String::from("{");
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{item}");
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_counted_by_their_commas() {
        assert_eq!(column_count("id"), 1);
        assert_eq!(column_count("a, b,\n c"), 3);
        assert_eq!(column_count("id, username, display_name"), 3);
    }

    #[test]
    fn arrays_quote_text_keep_nulls_and_write_numbers() {
        assert_eq!(text_array(["a\"b", "c\\d", "NULL"].iter()), r#"{"a\"b","c\\d","NULL"}"#);
        assert_eq!(nullable_text_array([Some("x"), None].into_iter()), r#"{"x",NULL}"#);
        assert_eq!(int_array([1, -20].into_iter()), "{1,-20}");
        assert_eq!(int_array(std::iter::empty()), "{}");
    }

    #[test]
    fn placeholders_number_every_value_once() {
        assert_eq!(list(3, 3), "($3, $4, $5)");
        assert_eq!(rows(5, 2, 2), "($5, $6), ($7, $8)");
        assert_eq!(rows(1, 1, 2), "($1), ($2)");
    }

    #[test]
    fn batched_statements_cover_full_batches_and_the_rest() {
        let five = Batched::new(5, 2, |n| format!("rows {n}"));
        assert_eq!(five.sql(2), "rows 2");
        assert_eq!(five.sql(1), "rows 1");
        let small = Batched::new(1, 64, |n| format!("rows {n}"));
        assert_eq!(small.sql(1), "rows 1");
        assert!(small.full.is_none(), "no statement built for a batch that never comes");
    }

    #[tokio::test]
    async fn overlapped_work_runs_while_the_query_waits() {
        let (answer, answered) = tokio::sync::oneshot::channel::<u32>();
        // The "query" can only finish after the work has run: it waits for the work's answer.
        let (got, sent) = overlapped(async { answered.await.unwrap() }, || answer.send(7).is_ok()).await;
        assert!(sent);
        assert_eq!(got, 7);
        let (got, ()) = overlapped(async { 3 }, || ()).await;
        assert_eq!(got, 3, "a query ready at once is returned as is");
    }

    #[test]
    fn array_literals_quote_and_escape_every_element() {
        let items = ["a", "NULL", "say \"hi\"", "back\\slash", "{,}"];
        assert_eq!(text_array(items.iter()), r#"{"a","NULL","say \"hi\"","back\\slash","{,}"}"#);
        assert_eq!(text_array(std::iter::empty::<&str>()), "{}");
    }

    #[test]
    fn only_placeholders_in_order_become_anonymous() {
        let statement = format!("SELECT x FROM t WHERE a = $1 AND b IN {}", list(2, 11));
        assert_eq!(
            anonymous(&statement).unwrap(),
            format!("SELECT x FROM t WHERE a = ? AND b IN ({})", ["?"; 11].join(", "))
        );
        assert_eq!(anonymous("VALUES ($2, $1)"), None, "out of order");
        assert_eq!(anonymous("VALUES ($1, $1)"), None, "used twice");
        assert_eq!(anonymous("SELECT '$5', $1"), Some("SELECT '$5', ?".into()), "quoted text stays");
        assert_eq!(anonymous("SELECT $ 1"), None);
    }
}
