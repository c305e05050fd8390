//! One event as an authority sends it (a JSON object, a CSV row), checked field by field into a
//! [`NewEvent`]: every problem of a row is reported with its field, not only the first.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    domain::{Fact, RuleCode, SubjectId},
    store::{
        import::{NewEvent, Problem},
        records::Provenance,
    },
};

/// Longest provenance text (recorded_by, source, evidence_ref), in characters.
pub const MAX_TEXT: usize = 500;

/// The columns of an import file, in the order the README gives them.
pub const COLUMNS: [&str; 9] = [
    "subject_id",
    "scheme",
    "rule_code",
    "occurred_at",
    "points",
    "external_ref",
    "recorded_by",
    "source",
    "evidence_ref",
];
/// The columns a file must have.
pub const REQUIRED: [&str; 5] = ["subject_id", "scheme", "rule_code", "occurred_at", "external_ref"];

/// An event to record. The authority is the token's: it cannot be named here.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// The subject's public id (a UUID).
    #[schema(example = "0193a5b2-7c1e-7d3a-9f00-1234567890ab")]
    pub subject_id: String,
    /// The scheme's code, as in `/rules/{scheme}`.
    #[schema(example = "rongcheng")]
    pub scheme: String,
    /// The rule's code in that scheme's catalogue.
    #[schema(example = "TRAFFIC-01")]
    pub rule_code: String,
    /// When it happened: RFC 3339 (`2026-03-01T09:30:00Z`) or a date (`2026-03-01`, midnight UTC).
    /// Not in the future, not before the rule took effect.
    #[schema(example = "2026-03-01T09:30:00Z")]
    pub occurred_at: String,
    /// Points; the rule's default when left out. Must lie within the rule's range.
    #[serde(default)]
    pub points: Option<i64>,
    /// Your own reference, unique for your authority: sending it again records nothing twice.
    #[schema(example = "TP-2026-000123")]
    pub external_ref: String,
    /// The officer or system that entered it (default: the token's label).
    #[serde(default)]
    pub recorded_by: Option<String>,
    /// Where the fact comes from (default: `api`).
    #[serde(default)]
    pub source: Option<String>,
    /// Reference of the evidence you hold.
    #[serde(default)]
    pub evidence_ref: Option<String>,
}

/// Provenance used when a row leaves it out.
#[derive(Clone, Debug)]
pub struct Defaults {
    pub recorded_by: String,
    pub source: String,
}

/// Reads an instant: RFC 3339, or a bare date taken as midnight UTC.
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?.and_hms_opt(0, 0, 0).map(|at| at.and_utc())
}

impl EventInput {
    /// Checks every field; the domain checks the rest when the event is recorded.
    pub fn check(self, row: u64, defaults: &Defaults) -> Result<NewEvent, Vec<Problem>> {
        let mut problems = Vec::new();
        let subject = SubjectId::parse(&self.subject_id)
            .map_err(|e| problems.push(Problem::new(row, "subject_id", e.code(), e.to_string())))
            .ok();
        if self.scheme.trim().is_empty() {
            problems.push(Problem::new(row, "scheme", "empty_field", "scheme must not be empty"));
        }
        let rule_code = RuleCode::parse(self.rule_code.trim())
            .map_err(|e| problems.push(Problem::new(row, "rule_code", e.code(), e.to_string())))
            .ok();
        let occurred_at = parse_instant(&self.occurred_at);
        if occurred_at.is_none() {
            let message = format!(
                "{:?} is not a time: use RFC 3339 such as 2026-03-01T09:30:00Z, or a date such as 2026-03-01",
                self.occurred_at.chars().take(64).collect::<String>()
            );
            problems.push(Problem::new(row, "occurred_at", "invalid_time", message));
        }
        let mut text = |field: &'static str, value: Option<String>, default: &str| {
            let value = value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
            let value = value.unwrap_or_else(|| default.to_string());
            let len = value.chars().count();
            if len > MAX_TEXT {
                let message = format!("{field} is too long: {len} characters, at most {MAX_TEXT} allowed");
                problems.push(Problem::new(row, field, "too_long", message));
            }
            value
        };
        let recorded_by = text("recorded_by", self.recorded_by, &defaults.recorded_by);
        let source = text("source", self.source, &defaults.source);
        let evidence_ref = text("evidence_ref", self.evidence_ref, "");
        match (subject, rule_code, occurred_at) {
            (Some(subject), Some(rule_code), Some(occurred_at)) if problems.is_empty() => Ok(NewEvent {
                row,
                subject,
                scheme: self.scheme.trim().to_string(),
                fact: Fact { rule_code, points: self.points, occurred_at },
                external_ref: self.external_ref.trim().to_string(),
                provenance: Provenance { recorded_by, source, evidence_ref },
            }),
            _ => Err(problems),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Defaults {
        Defaults { recorded_by: "token:rct_12345678".into(), source: "api".into() }
    }

    #[test]
    fn instants_are_rfc3339_or_dates() {
        assert_eq!(parse_instant("2026-03-01").unwrap().to_rfc3339(), "2026-03-01T00:00:00+00:00");
        assert_eq!(
            parse_instant("2026-03-01T09:30:00+08:00").unwrap().to_rfc3339(),
            "2026-03-01T01:30:00+00:00"
        );
        assert!(parse_instant("01/03/2026").is_none());
        assert!(parse_instant("").is_none());
    }

    #[test]
    fn every_bad_field_of_a_row_is_reported() {
        let input = EventInput {
            subject_id: "nobody".into(),
            scheme: " ".into(),
            rule_code: "traffic 01".into(),
            occurred_at: "yesterday".into(),
            external_ref: "R-1".into(),
            ..EventInput::default()
        };
        let problems = input.check(7, &defaults()).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["subject_id", "scheme", "rule_code", "occurred_at"]);
        assert!(problems.iter().all(|p| p.row == 7));
    }

    #[test]
    fn a_good_row_takes_the_defaults() {
        let input = EventInput {
            subject_id: SubjectId::new().to_string(),
            scheme: "rongcheng".into(),
            rule_code: "TRAFFIC-01".into(),
            occurred_at: "2026-03-01".into(),
            external_ref: " R-1 ".into(),
            ..EventInput::default()
        };
        let event = input.check(1, &defaults()).unwrap();
        assert_eq!(event.external_ref, "R-1");
        assert_eq!(event.provenance.recorded_by, "token:rct_12345678");
        assert_eq!(event.provenance.source, "api");
    }
}
