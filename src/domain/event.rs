//! Recorded events: append-only facts about a subject, and the voiding and superseding records that correct them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::DomainError;
use super::ids::{AuthorityId, EventId, RuleVersionId, SchemeId, SubjectId};
use super::mandate::Mandates;
use super::rule::{Catalogue, RuleCode, RuleVersion};
use super::text::required;

/// Longest accepted external reference, in characters.
pub const MAX_EXTERNAL_REF: usize = 200;
/// Longest accepted correction reason, in characters.
pub const MAX_REASON: usize = 2_000;

/// What a record is. Nothing is ever deleted or edited: a correction is a new record naming the
/// one it corrects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// Something happened that the rule scores.
    Fact,
    /// `target` no longer counts (an appeal was upheld, the rule was repealed, the data was
    /// wrong). The voiding record itself carries no points.
    Void { target: EventId, reason: String, decision_ref: Option<String> },
    /// `target` no longer counts; this record, with its own rule and points, counts in its place.
    Supersede { target: EventId, reason: String },
}

impl EventKind {
    /// Stable snake_case code, for storage and localisation.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Fact => "fact",
            Self::Void { .. } => "void",
            Self::Supersede { .. } => "supersede",
        }
    }

    /// The record a correction corrects.
    pub fn target(&self) -> Option<EventId> {
        match self {
            Self::Fact => None,
            Self::Void { target, .. } | Self::Supersede { target, .. } => Some(*target),
        }
    }
}

/// One record on a subject's file in one scheme.
///
/// For a [`EventKind::Void`] record, `rule_version` and `rule_code` repeat the target's, `points`
/// is 0 and `occurred_at` is the moment of the decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    pub subject: SubjectId,
    pub scheme: SchemeId,
    pub rule_version: RuleVersionId,
    pub rule_code: RuleCode,
    /// Points added to the ledger (points scheme) or to the rule's component (weighted scheme).
    pub points: i64,
    pub occurred_at: DateTime<Utc>,
    /// When the record entered the system: a replay at an instant sees only records made by then.
    pub recorded_at: DateTime<Utc>,
    pub authority: AuthorityId,
    /// The authority's own reference; unique per authority, which makes ingestion idempotent.
    pub external_ref: String,
    pub kind: EventKind,
}

impl Event {
    /// Whether the record can count towards a score (a fact or a superseding correction).
    pub fn is_scoring(&self) -> bool {
        !matches!(self.kind, EventKind::Void { .. })
    }
}

/// A subject contesting a record, from `opened_at` until `closed_at` (exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
    pub event: EventId,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// When the appeal's deadline lapsed under a scheme that suspends on a missed deadline: from
    /// then until the dispute closes the record is suspended, whatever the dispute policy.
    pub lapsed_at: Option<DateTime<Utc>>,
}

impl Dispute {
    /// Whether the dispute is open at `at`.
    pub fn is_open_at(&self, at: DateTime<Utc>) -> bool {
        self.opened_at <= at && self.closed_at.is_none_or(|closed| at < closed)
    }

    /// Whether the dispute is open at `at` past a lapsed deadline (suspended whatever the policy).
    pub fn is_lapsed_at(&self, at: DateTime<Utc>) -> bool {
        self.is_open_at(at) && self.lapsed_at.is_some_and(|lapsed| lapsed <= at)
    }
}

/// Who records, about whom, in which scheme, under which reference of theirs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub subject: SubjectId,
    pub scheme: SchemeId,
    pub authority: AuthorityId,
    pub external_ref: String,
}

/// What happened, as an authority reports it. `points: None` takes the rule's default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fact {
    pub rule_code: RuleCode,
    pub points: Option<i64>,
    pub occurred_at: DateTime<Utc>,
}

/// Checks a new record under rule `rule_code` and returns the version it falls under. Refuses:
/// an occurrence after `now` ([`DomainError::FutureDate`]); a code with no published version
/// ([`DomainError::UnknownRule`]); an occurrence before the rule's first version took effect
/// ([`DomainError::BeforeRuleEffective`]) or while no version was in force
/// ([`DomainError::RuleNotInForce`]); points outside the version's range
/// ([`DomainError::PointsOutOfRange`]).
pub fn validate_new_event<'c>(
    catalogue: &'c Catalogue,
    rule_code: &RuleCode,
    points: i64,
    occurred_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<&'c RuleVersion, DomainError> {
    if occurred_at > now {
        return Err(DomainError::FutureDate { field: "occurred_at" });
    }
    let version = catalogue.version_in_force(rule_code, occurred_at)?;
    version.effect().check_points(points)?;
    Ok(version)
}

/// Checks that `target` can be corrected: it is on this subject's record in this scheme, it is
/// not a voiding record, and nothing has voided or superseded it yet. `existing` is every record
/// of the subject in the scheme.
pub fn validate_target(
    existing: &[Event],
    subject: SubjectId,
    scheme: SchemeId,
    target: EventId,
) -> Result<&Event, DomainError> {
    let found = existing
        .iter()
        .find(|e| e.id == target && e.subject == subject && e.scheme == scheme)
        .ok_or(DomainError::UnknownTarget { event: target })?;
    if !found.is_scoring() {
        return Err(DomainError::TargetIsVoid { event: target });
    }
    let first_correction =
        existing.iter().filter(|e| e.kind.target() == Some(target)).min_by_key(|e| (e.recorded_at, e.id));
    match first_correction {
        None => Ok(found),
        Some(c) if matches!(c.kind, EventKind::Void { .. }) => {
            Err(DomainError::AlreadyVoided { event: target, by: c.id })
        }
        Some(c) => Err(DomainError::AlreadySuperseded { event: target, by: c.id }),
    }
}

/// Records a fact: checks it against the catalogue and returns the new record, stamped
/// `recorded_at = now`. The caller appends it; nothing else changes.
pub fn record_fact(
    catalogue: &Catalogue,
    mandates: &Mandates,
    source: Source,
    fact: Fact,
    now: DateTime<Utc>,
) -> Result<Event, DomainError> {
    let (version, points) = checked_fact(catalogue, &fact, now)?;
    mandates.check_rule(source.authority, source.scheme, &fact.rule_code, now)?;
    Ok(Event {
        id: EventId::new(),
        subject: source.subject,
        scheme: source.scheme,
        rule_version: version.id(),
        rule_code: *version.rule_code(),
        points,
        occurred_at: fact.occurred_at,
        recorded_at: now,
        authority: source.authority,
        external_ref: required("external_ref", &source.external_ref, MAX_EXTERNAL_REF)?,
        kind: EventKind::Fact,
    })
}

/// Records a correction of `target` that counts in its place with its own rule and points (a
/// partly upheld appeal, a mistyped amount). The target stays on file, no longer counting.
pub fn record_supersede(
    catalogue: &Catalogue,
    existing: &[Event],
    source: Source,
    fact: Fact,
    target: EventId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Event, DomainError> {
    validate_target(existing, source.subject, source.scheme, target)?;
    let (version, points) = checked_fact(catalogue, &fact, now)?;
    Ok(Event {
        id: EventId::new(),
        subject: source.subject,
        scheme: source.scheme,
        rule_version: version.id(),
        rule_code: *version.rule_code(),
        points,
        occurred_at: fact.occurred_at,
        recorded_at: now,
        authority: source.authority,
        external_ref: required("external_ref", &source.external_ref, MAX_EXTERNAL_REF)?,
        kind: EventKind::Supersede { target, reason: required("reason", reason, MAX_REASON)? },
    })
}

/// Records that `target` no longer counts, with written reasons and, when a decision caused it,
/// the decision's reference. The target stays on file.
pub fn record_void(
    existing: &[Event],
    source: Source,
    target: EventId,
    reason: &str,
    decision_ref: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Event, DomainError> {
    let found = validate_target(existing, source.subject, source.scheme, target)?;
    let decision_ref = decision_ref.map(|d| required("decision_ref", d, MAX_EXTERNAL_REF)).transpose()?;
    Ok(Event {
        id: EventId::new(),
        subject: source.subject,
        scheme: source.scheme,
        rule_version: found.rule_version,
        rule_code: found.rule_code,
        points: 0,
        occurred_at: now,
        recorded_at: now,
        authority: source.authority,
        external_ref: required("external_ref", &source.external_ref, MAX_EXTERNAL_REF)?,
        kind: EventKind::Void { target, reason: required("reason", reason, MAX_REASON)?, decision_ref },
    })
}

fn checked_fact<'c>(
    catalogue: &'c Catalogue,
    fact: &Fact,
    now: DateTime<Utc>,
) -> Result<(&'c RuleVersion, i64), DomainError> {
    let points = match fact.points {
        Some(points) => points,
        None => {
            if fact.occurred_at > now {
                return Err(DomainError::FutureDate { field: "occurred_at" });
            }
            catalogue.version_in_force(&fact.rule_code, fact.occurred_at)?.effect().default_points()
        }
    };
    let version = validate_new_event(catalogue, &fact.rule_code, points, fact.occurred_at, now)?;
    Ok((version, points))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{authority, code, day, mandates, rongcheng_catalogue, subject};

    fn source(external_ref: &str) -> Source {
        Source {
            subject: subject(),
            scheme: rongcheng_catalogue().scheme(),
            authority: authority(),
            external_ref: external_ref.into(),
        }
    }

    fn ticket(at: DateTime<Utc>) -> Fact {
        Fact { rule_code: code("TRAFFIC"), points: None, occurred_at: at }
    }

    #[test]
    fn a_fact_takes_the_rule_default_and_is_stamped_now() {
        let cat = rongcheng_catalogue();
        let e = record_fact(&cat, &mandates(), source("T-1"), ticket(day(5)), day(6)).unwrap();
        assert_eq!(e.points, -5);
        assert_eq!(e.recorded_at, day(6));
        assert_eq!(e.rule_code, code("TRAFFIC"));
        assert_eq!(e.kind, EventKind::Fact);
    }

    #[test]
    fn new_events_are_refused_with_specific_errors() {
        let cat = rongcheng_catalogue();
        let check = |rule: &str, points, occurred, now| {
            validate_new_event(&cat, &code(rule), points, occurred, now).map(|v| v.id()).unwrap_err()
        };
        assert_eq!(check("PARKING", -5, day(5), day(6)), DomainError::UnknownRule { code: "PARKING".into() });
        assert_eq!(
            check("TRAFFIC", -5, day(-1), day(6)),
            DomainError::BeforeRuleEffective { code: "TRAFFIC".into(), effective_from: day(0) }
        );
        assert_eq!(check("TRAFFIC", -5, day(7), day(6)), DomainError::FutureDate { field: "occurred_at" });
        assert_eq!(
            check("TRAFFIC", -50, day(5), day(6)),
            DomainError::PointsOutOfRange { points: -50, min: -5, max: -5 }
        );
        assert_eq!(
            record_fact(&cat, &mandates(), source("  "), ticket(day(5)), day(6)).unwrap_err(),
            DomainError::EmptyField { field: "external_ref" }
        );
        assert_eq!(
            record_fact(&cat, &mandates(), source("x"), ticket(day(7)), day(6)).unwrap_err(),
            DomainError::FutureDate { field: "occurred_at" }
        );
    }

    #[test]
    fn corrections_name_an_existing_uncorrected_fact() {
        let cat = rongcheng_catalogue();
        let a = record_fact(&cat, &mandates(), source("T-1"), ticket(day(5)), day(6)).unwrap();
        let mut file = vec![a.clone()];
        let unknown = EventId::new();
        assert_eq!(
            record_void(&file, source("V-0"), unknown, "wrong", None, day(7)).unwrap_err(),
            DomainError::UnknownTarget { event: unknown }
        );
        assert_eq!(
            record_void(&file, source("V-0"), a.id, " ", None, day(7)).unwrap_err(),
            DomainError::EmptyField { field: "reason" }
        );
        let v = record_void(&file, source("V-1"), a.id, "wrong plate", Some("D-9"), day(7)).unwrap();
        assert_eq!(v.kind.target(), Some(a.id));
        assert_eq!(v.points, 0);
        file.push(v.clone());
        assert_eq!(
            record_void(&file, source("V-2"), a.id, "again", None, day(8)).unwrap_err(),
            DomainError::AlreadyVoided { event: a.id, by: v.id }
        );
        assert_eq!(
            record_void(&file, source("V-3"), v.id, "undo", None, day(8)).unwrap_err(),
            DomainError::TargetIsVoid { event: v.id }
        );
        assert_eq!(file[0], a, "the voided record is unchanged");
    }

    #[test]
    fn a_superseded_fact_cannot_be_superseded_again_but_its_correction_can() {
        let cat = rongcheng_catalogue();
        let a = record_fact(
            &cat,
            &mandates(),
            source("J-1"),
            Fact { rule_code: code("JUDGMENT"), points: Some(-80), occurred_at: day(5) },
            day(6),
        )
        .unwrap();
        let mut file = vec![a.clone()];
        let lighter = Fact { rule_code: code("JUDGMENT"), points: Some(-20), occurred_at: day(5) };
        let s = record_supersede(&cat, &file, source("S-1"), lighter.clone(), a.id, "partly upheld", day(9))
            .unwrap();
        assert_eq!(s.points, -20);
        file.push(s.clone());
        assert_eq!(
            record_supersede(&cat, &file, source("S-2"), lighter.clone(), a.id, "again", day(10))
                .unwrap_err(),
            DomainError::AlreadySuperseded { event: a.id, by: s.id }
        );
        assert!(record_supersede(&cat, &file, source("S-3"), lighter, s.id, "second level", day(10)).is_ok());
        let out_of_range = Fact { rule_code: code("JUDGMENT"), points: Some(-500), occurred_at: day(5) };
        assert_eq!(
            record_supersede(&cat, &file, source("S-4"), out_of_range, s.id, "x", day(10))
                .unwrap_err()
                .code(),
            "points_out_of_range"
        );
    }

    #[test]
    fn another_subjects_event_is_an_unknown_target() {
        let cat = rongcheng_catalogue();
        let a = record_fact(&cat, &mandates(), source("T-1"), ticket(day(5)), day(6)).unwrap();
        let other = SubjectId::new();
        assert_eq!(
            validate_target(std::slice::from_ref(&a), other, a.scheme, a.id).unwrap_err(),
            DomainError::UnknownTarget { event: a.id }
        );
    }

    #[test]
    fn dispute_is_open_between_its_dates() {
        let d =
            Dispute { event: EventId::new(), opened_at: day(3), closed_at: Some(day(5)), lapsed_at: None };
        assert!(!d.is_open_at(day(2)));
        assert!(d.is_open_at(day(3)));
        assert!(d.is_open_at(day(4)));
        assert!(!d.is_open_at(day(5)));
    }
}
