//! The derivation: a score and grade at an instant, explained line by line from records and published rules.
//!
//! Replay semantics, for an instant `at`:
//! - only records with `recorded_at <= at` exist, so "my grade on 1 March" is what was known then;
//! - a fact or superseding correction counts when it occurred by `at`, has not expired
//!   (`at < occurred_at + validity of its rule version`), has not been voided or superseded by a
//!   record made by `at`, and is not suspended by a dispute open at `at` under a scheme whose
//!   policy suspends disputed records;
//! - voiding records are never lines: they appear as the `by` of the record they void.
//!
//! Invariant: a points score is `base + Σ line.points`; a weighted score is
//! `range_min + Σ component contributions`, each contribution from the published formula in
//! [`contribution`](super::scheme::contribution). The lines shown always add up to the score shown.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::event::{Dispute, Event, EventKind};
use super::ids::{EventId, RuleVersionId, SchemeId};
use super::lookup::IdFilter;
use super::rule::{Catalogue, RuleCode, Stamp};
use super::scheme::{contribution, Band, ComponentCode, DisputePolicy, Grade, Scheme};

/// One counting record in a derivation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    pub event: EventId,
    pub occurred_at: DateTime<Utc>,
    pub rule_code: RuleCode,
    pub rule_version: RuleVersionId,
    /// Points added to the score (points scheme) or to `component`'s sub-score (weighted).
    pub points: i64,
    /// Points scheme: the score after this line. Weighted: `component`'s raw sub-score after it.
    pub running_total: i64,
    /// The component the record moves (weighted schemes only).
    pub component: Option<ComponentCode>,
    /// The instant the record stops counting, if nothing else happens first.
    pub counts_until: DateTime<Utc>,
    /// When this line is a superseding correction: the record it counts in place of.
    pub replaces: Option<EventId>,
}

/// Why a record on file does not count at the derivation's instant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// It occurred after the instant (recorded early, e.g. a scheduled reward).
    NotYetEffective,
    /// Its rule's validity period ended `on`.
    Expired { on: DateTime<Utc> },
    /// The record `by` voided it, for `reason`.
    Voided { by: EventId, reason: String },
    /// The correction `by` counts in its place.
    Superseded { by: EventId },
    /// A dispute opened `since` is still open and the scheme suspends disputed records.
    SuspendedWhileDisputed { since: DateTime<Utc> },
    /// Its rule version is not in this scheme's catalogue (data from elsewhere; never scored).
    RuleNotInCatalogue,
}

impl Reason {
    /// Stable snake_case code, for localisation.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotYetEffective => "not_yet_effective",
            Self::Expired { .. } => "expired",
            Self::Voided { .. } => "voided",
            Self::Superseded { .. } => "superseded",
            Self::SuspendedWhileDisputed { .. } => "suspended_while_disputed",
            Self::RuleNotInCatalogue => "rule_not_in_catalogue",
        }
    }
}

/// A record on file that does not count, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotCounting {
    pub event: EventId,
    pub occurred_at: DateTime<Utc>,
    pub rule_code: RuleCode,
    pub rule_version: RuleVersionId,
    pub points: i64,
    pub reason: Reason,
}

/// One component of a weighted score: where it started, where its records moved it, and what
/// it contributes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ComponentLine {
    pub code: ComponentCode,
    pub weight_percent: u32,
    pub start: i64,
    /// `start` plus the points of this component's lines.
    pub raw: i64,
    /// `raw` clamped to 0..=100.
    pub clamped: i64,
    /// `round_half_up(span × weight_percent × clamped / 10 000)`.
    pub contribution: i64,
}

/// A score and grade at an instant, with every line that produced it and every record that
/// did not count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Derivation {
    pub at: DateTime<Utc>,
    pub score: i64,
    pub grade: Grade,
    /// Lowest score of the grade's band (`None` = open below).
    pub band_min: Option<i64>,
    /// Highest score of the grade's band (`None` = open above).
    pub band_max: Option<i64>,
    /// Points scheme: the base. Weighted: `range_min`.
    pub base: i64,
    /// Counting records, by `occurred_at` then id.
    pub lines: Vec<Line>,
    /// Records on file that do not count, by `occurred_at` then id.
    pub not_counting: Vec<NotCounting>,
    /// Weighted schemes: each component in published order. Empty for a points scheme.
    pub components: Vec<ComponentLine>,
}

impl Derivation {
    /// The score as the shown parts add it up: `base + Σ lines` (points) or
    /// `base + Σ contributions` (weighted). Always equals `score`.
    pub fn shown_total(&self) -> i64 {
        if self.components.is_empty() {
            self.base + self.lines.iter().map(|l| l.points).sum::<i64>()
        } else {
            self.base + self.components.iter().map(|c| c.contribution).sum::<i64>()
        }
    }
}

/// The derivation as it would stand if every record disputed at `at` stopped counting, whatever
/// the scheme's policy. Where records keep counting while disputed, this is the grade the subject
/// would have without the records under appeal, shown beside the grade that applies. The same
/// replay as [`derive`], under the suspending policy.
pub fn derive_without_disputed(
    scheme: &Scheme,
    catalogue: &Catalogue,
    events: &[Event],
    disputes: &[Dispute],
    at: DateTime<Utc>,
) -> Derivation {
    let suspending = scheme.with_dispute_policy(DisputePolicy::SuspendedWhileDisputed);
    derive(&suspending, catalogue, events, disputes, at)
}

/// The full explanation of `scheme`'s score at `at` for one subject, whose records in any order
/// are `events` and whose disputes are `disputes`.
///
/// Pure and deterministic: the same inputs in any order give the same derivation. Records of
/// other schemes are ignored.
///
/// # Panics
/// When `catalogue` is not `scheme`'s catalogue: a programming error, never a user's.
pub fn derive(
    scheme: &Scheme,
    catalogue: &Catalogue,
    events: &[Event],
    disputes: &[Dispute],
    at: DateTime<Utc>,
) -> Derivation {
    let replay = Replay::new(scheme, catalogue, events, disputes, at);
    let mut counting: Vec<Counting<'_>> = Vec::with_capacity(events.len());
    let mut counting_order = Vec::with_capacity(events.len());
    let mut not: Vec<(&Event, ReasonRef<'_>)> = Vec::new();
    let mut not_order = Vec::new();
    for event in events {
        match replay.status(event) {
            None => {}
            Some(Status::Counts(c)) => {
                counting_order.push(order_key(c.occurred, counting.len()));
                counting.push(c);
            }
            Some(Status::Not(reason)) => {
                not_order.push(order_key(Stamp::of(event.occurred_at), not.len()));
                not.push((event, reason));
            }
        }
    }
    sort_by_occurrence(&mut counting_order, |i| counting[i].id);
    sort_by_occurrence(&mut not_order, |i| not[i].0.id.uuid().as_u128());

    let not_counting = not_order
        .iter()
        .map(|key| {
            let (event, reason) = &not[position(*key)];
            NotCounting {
                event: event.id,
                occurred_at: event.occurred_at,
                rule_code: event.rule_code,
                rule_version: event.rule_version,
                points: event.points,
                reason: reason.to_owned(),
            }
        })
        .collect();

    let components = scheme.components();
    let mut raws: Vec<i64> = components.iter().map(|c| c.start).collect();
    let mut running = scheme.base();
    let lines = counting_order
        .iter()
        .map(|key| {
            let c = &counting[position(*key)];
            let component = match c.component {
                Some(i) => {
                    raws[i] += c.event.points;
                    running = raws[i];
                    Some(components[i].code)
                }
                None => {
                    running += c.event.points;
                    None
                }
            };
            Line {
                event: c.event.id,
                occurred_at: c.event.occurred_at,
                rule_code: c.event.rule_code,
                rule_version: c.event.rule_version,
                points: c.event.points,
                running_total: running,
                component,
                counts_until: c.until.to_datetime(),
                replaces: match &c.event.kind {
                    EventKind::Supersede { target, .. } => Some(*target),
                    _ => None,
                },
            }
        })
        .collect();

    let span = scheme.span();
    let component_lines: Vec<ComponentLine> = components
        .iter()
        .zip(&raws)
        .map(|(c, &raw)| ComponentLine {
            code: c.code,
            weight_percent: c.weight_percent,
            start: c.start,
            raw,
            clamped: raw.clamp(0, 100),
            contribution: contribution(span, c.weight_percent, raw),
        })
        .collect();
    let score = if components.is_empty() {
        running
    } else {
        scheme.base() + component_lines.iter().map(|c| c.contribution).sum::<i64>()
    };
    let index = scheme.bands().index_for(score);
    let (band_min, band_max) = scheme.bands().limits_at(index);
    Derivation {
        at,
        score,
        grade: scheme.bands().bands()[index].grade,
        band_min,
        band_max,
        base: scheme.base(),
        lines,
        not_counting,
        components: component_lines,
    }
}

/// Just the score of [`derive`], without building the explanation: no allocation for a points
/// scheme without corrections or disputes. Always equals `derive(..).score`.
pub fn score_at(
    scheme: &Scheme,
    catalogue: &Catalogue,
    events: &[Event],
    disputes: &[Dispute],
    at: DateTime<Utc>,
) -> i64 {
    let replay = Replay::new(scheme, catalogue, events, disputes, at);
    let components = scheme.components();
    if components.is_empty() {
        let mut score = scheme.base();
        for event in events {
            if let Some(Status::Counts(_)) = replay.status(event) {
                score += event.points;
            }
        }
        return score;
    }
    let mut raws: Vec<i64> = components.iter().map(|c| c.start).collect();
    for event in events {
        if let Some(Status::Counts(Counting { component: Some(i), .. })) = replay.status(event) {
            raws[i] += event.points;
        }
    }
    scheme.weighted_score(&raws)
}

/// Just the band of [`derive`]: the grade, from [`score_at`].
pub fn grade_at<'s>(
    scheme: &'s Scheme,
    catalogue: &Catalogue,
    events: &[Event],
    disputes: &[Dispute],
    at: DateTime<Utc>,
) -> &'s Band {
    scheme.bands().grade_for(score_at(scheme, catalogue, events, disputes, at))
}

/// A sort key ordering records by occurrence: seconds (sign-flipped so negative times sort
/// first), nanoseconds, then the record's position in its list. Sorting plain `u128`s moves 16
/// bytes per swap instead of whole rows.
fn order_key(occurred: Stamp, position: usize) -> u128 {
    let (secs, nanos) = occurred.parts();
    (u128::from((secs as u64) ^ (1 << 63)) << 64) | (u128::from(nanos) << 32) | position as u128
}

fn position(key: u128) -> usize {
    (key & 0xFFFF_FFFF) as usize
}

/// Sorts keys by occurrence, then equal occurrences by record id (given by `id` of a position),
/// so the order never depends on the order storage returned the records in. Already-sorted
/// input (storage returning records by occurrence) costs one pass.
fn sort_by_occurrence(keys: &mut [u128], id: impl Fn(usize) -> u128) {
    keys.sort_unstable();
    for run in keys.chunk_by_mut(|a, b| a >> 32 == b >> 32) {
        if run.len() > 1 {
            run.sort_unstable_by_key(|key| id(position(*key)));
        }
    }
}

/// A counting record, with what its line needs.
struct Counting<'a> {
    occurred: Stamp,
    id: u128,
    event: &'a Event,
    component: Option<usize>,
    until: Stamp,
}

enum Status<'a> {
    Counts(Counting<'a>),
    Not(ReasonRef<'a>),
}

/// [`Reason`] borrowing the voiding reason, so the score-only path never copies text.
enum ReasonRef<'a> {
    NotYetEffective,
    Expired(Stamp),
    Voided(EventId, &'a str),
    Superseded(EventId),
    Suspended(DateTime<Utc>),
    RuleNotInCatalogue,
}

impl ReasonRef<'_> {
    fn to_owned(&self) -> Reason {
        match *self {
            Self::NotYetEffective => Reason::NotYetEffective,
            Self::Expired(on) => Reason::Expired { on: on.to_datetime() },
            Self::Voided(by, reason) => Reason::Voided { by, reason: reason.to_owned() },
            Self::Superseded(by) => Reason::Superseded { by },
            Self::Suspended(since) => Reason::SuspendedWhileDisputed { since },
            Self::RuleNotInCatalogue => Reason::RuleNotInCatalogue,
        }
    }
}

/// Everything about the instant that does not depend on the record being judged, computed once
/// per derivation. Corrections and open disputes are few: they sit in sorted vectors searched by
/// binary search, behind a 256-bit filter that answers "not corrected" for most records without
/// searching. Ids are compared as `u128` (the same order as [`EventId`]'s).
struct Replay<'a> {
    catalogue: &'a Catalogue,
    scheme_id: SchemeId,
    at: DateTime<Utc>,
    at_stamp: Stamp,
    weighted: bool,
    /// (target, recorded_at, correcting record's id, correcting record), sorted: the first per
    /// target is the earliest.
    corrections: Vec<(u128, Stamp, u128, &'a Event)>,
    corrected: IdFilter,
    /// (disputed record, opened_at) for disputes open at `at`, sorted.
    suspensions: Vec<(u128, Stamp, DateTime<Utc>)>,
    suspended: IdFilter,
}

impl<'a> Replay<'a> {
    fn new(
        scheme: &'a Scheme,
        catalogue: &'a Catalogue,
        events: &'a [Event],
        disputes: &[Dispute],
        at: DateTime<Utc>,
    ) -> Self {
        assert_eq!(catalogue.scheme(), scheme.id(), "a derivation needs the scheme's own catalogue");
        let mut corrected = IdFilter::default();
        let mut corrections: Vec<_> = events
            .iter()
            .filter(|e| e.recorded_at <= at && e.scheme == scheme.id())
            .filter_map(|e| {
                let target = e.kind.target()?.uuid().as_u128();
                corrected.insert(target);
                Some((target, Stamp::of(e.recorded_at), e.id.uuid().as_u128(), e))
            })
            .collect();
        corrections.sort_unstable_by_key(|(target, recorded, id, _)| (*target, *recorded, *id));
        let mut suspended = IdFilter::default();
        let mut suspensions = Vec::new();
        // Under a suspending policy every open dispute suspends its record from its opening;
        // under any policy, one whose deadline lapsed suspends it from the lapse.
        let suspending = scheme.dispute_policy() == DisputePolicy::SuspendedWhileDisputed;
        suspensions.extend(disputes.iter().filter_map(|d| {
            let since = if suspending && d.is_open_at(at) {
                d.opened_at
            } else if d.is_lapsed_at(at) {
                d.lapsed_at?
            } else {
                return None;
            };
            let event = d.event.uuid().as_u128();
            suspended.insert(event);
            Some((event, Stamp::of(since), since))
        }));
        suspensions.sort_unstable_by_key(|(event, opened, _)| (*event, *opened));
        Self {
            catalogue,
            scheme_id: scheme.id(),
            at,
            at_stamp: Stamp::of(at),
            weighted: !scheme.components().is_empty(),
            corrections,
            corrected,
            suspensions,
            suspended,
        }
    }

    /// `None` when the record is not part of the explanation at all: made after the instant,
    /// of another scheme, or a voiding record.
    fn status(&self, event: &'a Event) -> Option<Status<'a>> {
        if event.recorded_at > self.at
            || event.scheme != self.scheme_id
            || matches!(event.kind, EventKind::Void { .. })
        {
            return None;
        }
        let id = event.id.uuid().as_u128();
        if let Some(by) = self.first_correction(id) {
            return Some(Status::Not(match &by.kind {
                EventKind::Void { reason, .. } => ReasonRef::Voided(by.id, reason),
                _ => ReasonRef::Superseded(by.id),
            }));
        }
        let Some((version, component)) = self.catalogue.get_with_component(event.rule_version) else {
            return Some(Status::Not(ReasonRef::RuleNotInCatalogue));
        };
        if component.is_some() != self.weighted {
            return Some(Status::Not(ReasonRef::RuleNotInCatalogue));
        }
        if event.occurred_at > self.at {
            return Some(Status::Not(ReasonRef::NotYetEffective));
        }
        let occurred = Stamp::of(event.occurred_at);
        let until = version.counts_for().ends_stamp(occurred);
        if until <= self.at_stamp {
            return Some(Status::Not(ReasonRef::Expired(until)));
        }
        if let Some(since) = self.suspended_since(id) {
            return Some(Status::Not(ReasonRef::Suspended(since)));
        }
        Some(Status::Counts(Counting { occurred, id, event, component, until }))
    }

    fn first_correction(&self, id: u128) -> Option<&'a Event> {
        if !self.corrected.might_contain(id) {
            return None;
        }
        let k = self.corrections.partition_point(|(target, ..)| *target < id);
        self.corrections.get(k).filter(|(target, ..)| *target == id).map(|(.., e)| *e)
    }

    fn suspended_since(&self, id: u128) -> Option<DateTime<Utc>> {
        if !self.suspended.might_contain(id) {
            return None;
        }
        let k = self.suspensions.partition_point(|(event, ..)| *event < id);
        self.suspensions.get(k).filter(|(event, ..)| *event == id).map(|(.., since)| *since)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::*;

    #[test]
    fn a_clean_record_derives_the_base_and_grade_a() {
        let d = derive(&rongcheng(), &rongcheng_catalogue(), &[], &[], day(10));
        assert_eq!(d.score, 1_000);
        assert_eq!(d.grade, grade("A"));
        assert_eq!((d.band_min, d.band_max), (Some(960), Some(1_029)));
        assert!(d.lines.is_empty() && d.not_counting.is_empty() && d.components.is_empty());
    }

    #[test]
    fn lines_run_in_order_of_occurrence_and_add_up() {
        let cat = rongcheng_catalogue();
        let events = vec![
            fact(&cat, 3, "HEROIC", 30, day(20), day(21)),
            fact(&cat, 1, "TRAFFIC", -5, day(10), day(11)),
            fact(&cat, 2, "TRAFFIC", -5, day(10), day(12)),
            fact(&cat, 4, "DONATION", 10, day(30), day(31)),
        ];
        let d = derive(&rongcheng(), &cat, &events, &[], day(40));
        let ids: Vec<_> = d.lines.iter().map(|l| l.event).collect();
        assert_eq!(ids, vec![event_id(1), event_id(2), event_id(3), event_id(4)]);
        let totals: Vec<_> = d.lines.iter().map(|l| l.running_total).collect();
        assert_eq!(totals, vec![995, 990, 1_020, 1_030]);
        assert_eq!(d.score, 1_030);
        assert_eq!(d.grade, grade("AA"));
        assert_eq!(d.shown_total(), d.score);
        assert_eq!(d.lines[0].counts_until, day(375));
    }

    #[test]
    fn records_expire_after_their_rule_validity() {
        let cat = rongcheng_catalogue();
        let events = vec![fact(&cat, 1, "TRAFFIC", -5, day(10), day(10))];
        let before = derive(&rongcheng(), &cat, &events, &[], day(374));
        assert_eq!(before.score, 995);
        let after = derive(&rongcheng(), &cat, &events, &[], day(375));
        assert_eq!(after.score, 1_000);
        assert_eq!(after.not_counting[0].reason, Reason::Expired { on: day(375) });
    }

    #[test]
    fn replay_sees_only_what_was_recorded_by_then() {
        let cat = rongcheng_catalogue();
        let ticket = fact(&cat, 1, "JUDGMENT", -80, day(10), day(10));
        let voided = void(2, &ticket, day(50));
        let events = vec![ticket, voided];
        let on_day_20 = derive(&rongcheng(), &cat, &events, &[], day(20));
        assert_eq!(on_day_20.score, 920);
        assert_eq!(on_day_20.grade, grade("B"));
        let on_day_60 = derive(&rongcheng(), &cat, &events, &[], day(60));
        assert_eq!(on_day_60.score, 1_000);
        assert_eq!(
            on_day_60.not_counting[0].reason,
            Reason::Voided { by: event_id(2), reason: "appeal upheld".into() }
        );
        let late = fact(&cat, 3, "TRAFFIC", -5, day(5), day(30));
        let d = derive(&rongcheng(), &cat, &[late], &[], day(20));
        assert_eq!(d.score, 1_000, "recorded after the instant: not yet known");
        assert!(d.not_counting.is_empty());
    }

    #[test]
    fn a_superseding_correction_counts_in_place_of_its_target() {
        let cat = rongcheng_catalogue();
        let judgment = fact(&cat, 1, "JUDGMENT", -80, day(10), day(10));
        let lighter = supersede(2, &judgment, -20, day(40));
        let d = derive(&rongcheng(), &cat, &[judgment, lighter], &[], day(50));
        assert_eq!(d.score, 980);
        assert_eq!(d.lines.len(), 1);
        assert_eq!(d.lines[0].event, event_id(2));
        assert_eq!(d.lines[0].replaces, Some(event_id(1)));
        assert_eq!(d.not_counting[0].reason, Reason::Superseded { by: event_id(2) });
    }

    #[test]
    fn a_record_occurring_after_the_instant_is_not_yet_effective() {
        let cat = rongcheng_catalogue();
        let reward = fact(&cat, 1, "HEROIC", 30, day(30), day(10));
        let d = derive(&rongcheng(), &cat, &[reward], &[], day(20));
        assert_eq!(d.score, 1_000);
        assert_eq!(d.not_counting[0].reason, Reason::NotYetEffective);
    }

    #[test]
    fn disputes_suspend_only_under_a_suspending_policy() {
        let cat = rongcheng_catalogue();
        let judgment = fact(&cat, 1, "JUDGMENT", -80, day(10), day(10));
        let dispute =
            Dispute { event: judgment.id, opened_at: day(15), closed_at: Some(day(40)), lapsed_at: None };
        let events = [judgment];
        let keeps = derive(&rongcheng(), &cat, &events, &[dispute], day(20));
        assert_eq!(keeps.score, 920);
        let suspending = rongcheng_with(DisputePolicy::SuspendedWhileDisputed);
        let during = derive(&suspending, &cat, &events, &[dispute], day(20));
        assert_eq!(during.score, 1_000);
        assert_eq!(during.not_counting[0].reason, Reason::SuspendedWhileDisputed { since: day(15) });
        let after = derive(&suspending, &cat, &events, &[dispute], day(40));
        assert_eq!(after.score, 920, "counts again once the dispute closes");
    }

    #[test]
    fn a_lapsed_deadline_suspends_from_the_lapse_whatever_the_policy() {
        let cat = rongcheng_catalogue();
        let judgment = fact(&cat, 1, "JUDGMENT", -80, day(10), day(10));
        let dispute = Dispute {
            event: judgment.id,
            opened_at: day(15),
            closed_at: Some(day(40)),
            lapsed_at: Some(day(25)),
        };
        let events = [judgment];
        let before_lapse = derive(&rongcheng(), &cat, &events, &[dispute], day(20));
        assert_eq!(before_lapse.score, 920, "keeps counting until the deadline lapses");
        let lapsed = derive(&rongcheng(), &cat, &events, &[dispute], day(30));
        assert_eq!(lapsed.score, 1_000);
        assert_eq!(lapsed.not_counting[0].reason, Reason::SuspendedWhileDisputed { since: day(25) });
        let decided = derive(&rongcheng(), &cat, &events, &[dispute], day(40));
        assert_eq!(decided.score, before_lapse.score, "counts again once decided");
    }

    #[test]
    fn without_disputed_takes_out_what_is_under_appeal_even_where_records_keep_counting() {
        let cat = rongcheng_catalogue();
        let judgment = fact(&cat, 1, "JUDGMENT", -80, day(10), day(10));
        let ticket = fact(&cat, 2, "TRAFFIC", -5, day(11), day(11));
        let dispute =
            Dispute { event: judgment.id, opened_at: day(15), closed_at: Some(day(40)), lapsed_at: None };
        let events = [judgment, ticket];
        let keeps = derive(&rongcheng(), &cat, &events, &[dispute], day(20));
        assert_eq!(keeps.score, 915, "the judgment keeps counting");
        let without = derive_without_disputed(&rongcheng(), &cat, &events, &[dispute], day(20));
        assert_eq!(without.score, 995);
        assert_eq!(without.lines.len(), 1);
        let after = derive_without_disputed(&rongcheng(), &cat, &events, &[dispute], day(40));
        assert_eq!(
            after,
            derive(&rongcheng(), &cat, &events, &[dispute], day(40)),
            "nothing disputed: the same"
        );
    }

    #[test]
    fn a_record_under_an_unknown_rule_version_never_counts() {
        let cat = rongcheng_catalogue();
        let mut stray = fact(&cat, 1, "TRAFFIC", -5, day(10), day(10));
        stray.rule_version = RuleVersionId::new();
        let d = derive(&rongcheng(), &cat, &[stray], &[], day(20));
        assert_eq!(d.score, 1_000);
        assert_eq!(d.not_counting[0].reason, Reason::RuleNotInCatalogue);
    }

    #[test]
    fn weighted_contributions_add_up_to_the_score() {
        let s = weighted();
        let cat = weighted_catalogue();
        let events = vec![
            fact(&cat, 1, "LATE", -30, day(10), day(10)),
            fact(&cat, 2, "ONTIME", 10, day(20), day(20)),
            fact(&cat, 3, "INCOME", 50, day(30), day(30)),
            fact(&cat, 4, "IDCHECK", 20, day(40), day(40)),
        ];
        let d = derive(&s, &cat, &events, &[], day(50));
        let raw: Vec<_> = d.components.iter().map(|c| c.raw).collect();
        assert_eq!(raw, vec![40, 60, 100, 100]);
        let clamped: Vec<_> = d.components.iter().map(|c| c.clamped).collect();
        assert_eq!(clamped, vec![40, 60, 100, 100]);
        // 600×35×40/10⁴ = 84; 600×30×60/10⁴ = 108; 600×20×100/10⁴ = 120; 600×15×100/10⁴ = 90.
        let contributions: Vec<_> = d.components.iter().map(|c| c.contribution).collect();
        assert_eq!(contributions, vec![84, 108, 120, 90]);
        assert_eq!(d.score, 350 + 84 + 108 + 120 + 90);
        assert_eq!(d.shown_total(), d.score);
        assert_eq!(d.grade, grade("EXCELLENT"));
        assert_eq!(d.lines[0].component, Some(component("payment_history")));
        assert_eq!(d.lines[0].running_total, 30);
        assert_eq!(d.lines[1].running_total, 40);
    }

    #[test]
    fn weighted_sub_scores_are_clamped() {
        let s = weighted();
        let cat = weighted_catalogue();
        let events = vec![
            fact(&cat, 1, "LATE", -100, day(10), day(10)),
            fact(&cat, 2, "INCOME", 50, day(30), day(30)),
            fact(&cat, 3, "INCOME", 50, day(31), day(31)),
        ];
        let d = derive(&s, &cat, &events, &[], day(50));
        assert_eq!(d.components[0].raw, -40);
        assert_eq!(d.components[0].clamped, 0);
        assert_eq!(d.components[0].contribution, 0);
        assert_eq!(d.components[2].raw, 150);
        assert_eq!(d.components[2].clamped, 100);
        assert_eq!(d.shown_total(), d.score);
    }

    #[test]
    fn score_at_agrees_with_derive() {
        let cat = rongcheng_catalogue();
        let t = fact(&cat, 1, "JUDGMENT", -80, day(10), day(10));
        let events =
            vec![t.clone(), supersede(2, &t, -30, day(20)), fact(&cat, 3, "TRAFFIC", -5, day(12), day(12))];
        for at in [day(5), day(15), day(25), day(400)] {
            let d = derive(&rongcheng(), &cat, &events, &[], at);
            assert_eq!(score_at(&rongcheng(), &cat, &events, &[], at), d.score);
            assert_eq!(grade_at(&rongcheng(), &cat, &events, &[], at).grade, d.grade);
        }
    }

    #[test]
    #[should_panic(expected = "own catalogue")]
    fn deriving_with_another_schemes_catalogue_is_a_programming_error() {
        derive(&rongcheng(), &weighted_catalogue(), &[], &[], day(1));
    }
}
