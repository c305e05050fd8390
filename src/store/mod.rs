//! Storage: every SQL statement of Recourse lives here, one file per area, written once for
//! both SQLite and PostgreSQL (`$1` placeholders, portable types). Times are stored as
//! microseconds since the Unix epoch (UTC), ids as UUIDv7 text.

pub mod accounts;
pub mod administration;
pub mod appeals;
pub mod audit;
pub mod blacklist;
pub mod catalogue;
pub mod chain;
pub mod checks;
pub mod deadlines;
pub mod distribution;
pub mod import;
pub mod instance;
pub mod mandates;
pub mod notices;
pub mod proofs;
pub mod read_cache;
pub mod recording;
pub mod records;
pub mod register;
pub mod relying_parties;
pub mod repeal;
pub mod review_notices;
pub mod rule_challenges;
pub mod sessions;
pub mod sql;
pub mod standing;
pub mod status;
pub mod throttle;
pub mod tokens;
pub mod transparency;

use chrono::{DateTime, TimeZone, Utc};

use crate::domain::DomainError;

/// What a storage call can fail with: the database, a domain rule (bad input, shown to the
/// person), or stored data that no longer passes the domain's checks (logged, never shown).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// A write that would duplicate something unique; the message names it.
    #[error("{0}")]
    Conflict(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub fn corrupt(detail: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(detail.to_string())
    }
}

/// A time as stored: microseconds since the Unix epoch.
pub fn to_micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// The inverse of [`to_micros`]; out-of-range values (never written by Recourse) become the epoch.
pub fn from_micros(micros: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(micros).single().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_through_micros() {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 30, 5).unwrap() + chrono::Duration::microseconds(7);
        assert_eq!(from_micros(to_micros(at)), at);
    }
}
