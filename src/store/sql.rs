//! Numbered placeholders for statements built at run time (`IN (…)` lists and multi-row
//! `VALUES`), which both databases accept as `$n`.

use std::fmt::Write;

/// Parameters per statement. sqlx's SQLite driver looks up each parameter's name by walking
/// the statement's list of names, so binding costs grow with the square of this number: at
/// 7,000 parameters binding took most of an import's time. A few hundred keep it negligible
/// and cost PostgreSQL little (it is a round trip per statement on loopback).
pub const PARAMS: usize = 256;

/// How many rows of `columns` values one statement carries.
pub const fn rows_per_statement(columns: usize) -> usize {
    let rows = PARAMS / columns;
    if rows == 0 {
        1
    } else {
        rows
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_every_value_once() {
        assert_eq!(list(3, 3), "($3, $4, $5)");
        assert_eq!(rows(5, 2, 2), "($5, $6), ($7, $8)");
        assert_eq!(rows(1, 1, 2), "($1), ($2)");
    }
}
