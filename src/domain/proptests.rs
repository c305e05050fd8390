//! Property tests pinning the domain's invariants over generated records, disputes and entries.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use super::blacklist::{Currency, Entry, EntryDraft, EntryStatus, RemovalCondition, Restriction};
use super::derivation::{derive, score_at, Derivation, Reason};
use super::event::{record_supersede, record_void, validate_target, Dispute, Event, EventKind, Fact, Source};
use super::fixtures::*;
use super::ids::{EntryId, ListId};
use super::rule::{Catalogue, LegalBasis};
use super::scheme::{DisputePolicy, Scheme};
use super::what_if::{recovery_path, smallest_lift};

/// One generated step of a subject's file.
#[derive(Clone, Debug)]
struct Op {
    /// 0..=6 a fact, 7..=8 a void, 9 a superseding correction.
    kind: u8,
    rule: usize,
    points_seed: i64,
    occurred_hours: i64,
    delay_hours: i64,
    target: usize,
}

fn op() -> impl Strategy<Value = Op> {
    (0u8..10, 0usize..16, any::<i64>(), 0i64..900 * 24, 0i64..120 * 24, any::<usize>()).prop_map(
        |(kind, rule, points_seed, occurred_hours, delay_hours, target)| Op {
            kind,
            rule,
            points_seed,
            occurred_hours,
            delay_hours,
            target,
        },
    )
}

#[derive(Clone, Debug)]
struct DisputeSpec {
    target: usize,
    opened_hours: i64,
    length_hours: Option<i64>,
}

fn dispute() -> impl Strategy<Value = DisputeSpec> {
    (any::<usize>(), 0i64..1_000 * 24, proptest::option::of(1i64..200 * 24))
        .prop_map(|(target, opened_hours, length_hours)| DisputeSpec { target, opened_hours, length_hours })
}

fn hours(h: i64) -> DateTime<Utc> {
    day(0) + Duration::hours(h)
}

fn in_range(seed: i64, (min, max): (i64, i64)) -> i64 {
    min + seed.rem_euclid(max - min + 1)
}

/// Turns generated steps into a file of records; corrections target earlier scoring records.
fn build(catalogue: &Catalogue, ops: &[Op]) -> Vec<Event> {
    let rules = catalogue.versions();
    let mut events: Vec<Event> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let id = i as u128 + 1;
        let scoring: Vec<&Event> = events.iter().filter(|e| e.is_scoring()).collect();
        let event = match (op.kind, scoring.is_empty()) {
            (7..=8, false) => {
                let target = scoring[op.target % scoring.len()];
                void(id, target, target.recorded_at + Duration::hours(op.delay_hours))
            }
            (9, false) => {
                let target = scoring[op.target % scoring.len()];
                let range = catalogue.get(target.rule_version).unwrap().effect().range();
                supersede(
                    id,
                    target,
                    in_range(op.points_seed, range),
                    target.recorded_at + Duration::hours(op.delay_hours),
                )
            }
            _ => {
                let rule = &rules[op.rule % rules.len()];
                let occurred = hours(op.occurred_hours);
                let points = in_range(op.points_seed, rule.effect().range());
                fact(
                    catalogue,
                    id,
                    rule.rule_code().as_str(),
                    points,
                    occurred,
                    occurred + Duration::hours(op.delay_hours),
                )
            }
        };
        events.push(event);
    }
    events
}

fn disputes_for(events: &[Event], specs: &[DisputeSpec]) -> Vec<Dispute> {
    if events.is_empty() {
        return Vec::new();
    }
    specs
        .iter()
        .map(|s| Dispute {
            event: events[s.target % events.len()].id,
            opened_at: hours(s.opened_hours),
            closed_at: s.length_hours.map(|l| hours(s.opened_hours + l)),
            lapsed_at: None,
        })
        .collect()
}

fn policy(suspends: bool) -> DisputePolicy {
    if suspends {
        DisputePolicy::SuspendedWhileDisputed
    } else {
        DisputePolicy::KeepsCounting
    }
}

fn weighted_with(policy: DisputePolicy) -> Scheme {
    let w = weighted();
    Scheme::new(w.id(), w.code(), w.kind().clone(), w.bands().clone(), policy, w.appeal_deadline_days())
        .unwrap()
}

/// The file with each of `ids` overturned the way an upheld appeal does it: a voiding record
/// made at `at` (so a superseded target stays superseded).
fn overturned(events: &[Event], ids: &[super::ids::EventId], at: DateTime<Utc>) -> Vec<Event> {
    let mut file = events.to_vec();
    for (k, id) in ids.iter().enumerate() {
        let target = events.iter().find(|e| e.id == *id).unwrap();
        file.push(void(50_000 + k as u128, target, at));
    }
    file
}

/// Checks the invariants every derivation must satisfy, whatever the scheme.
fn assert_coherent(
    scheme: &Scheme,
    catalogue: &Catalogue,
    events: &[Event],
    disputes: &[Dispute],
    d: &Derivation,
) -> Result<(), TestCaseError> {
    // Invariant 1: the shown lines add up to the score shown.
    prop_assert_eq!(d.shown_total(), d.score);
    if scheme.components().is_empty() {
        let last = d.lines.last().map_or(d.base, |l| l.running_total);
        prop_assert_eq!(last, d.score);
    } else {
        for c in &d.components {
            let moved: i64 =
                d.lines.iter().filter(|l| l.component.as_ref() == Some(&c.code)).map(|l| l.points).sum();
            prop_assert_eq!(c.start + moved, c.raw);
        }
    }
    prop_assert_eq!(&scheme.bands().grade_for(d.score).grade, &d.grade);
    prop_assert_eq!(score_at(scheme, catalogue, events, disputes, d.at), d.score);
    // Nothing vanishes: every scoring record known at the instant is a line or is listed
    // as not counting, exactly once.
    let mut shown: Vec<_> =
        d.lines.iter().map(|l| l.event).chain(d.not_counting.iter().map(|n| n.event)).collect();
    shown.sort();
    let mut known: Vec<_> =
        events.iter().filter(|e| e.is_scoring() && e.recorded_at <= d.at).map(|e| e.id).collect();
    known.sort();
    prop_assert_eq!(shown, known);
    Ok(())
}

fn replay_and_determinism(
    scheme: &Scheme,
    catalogue: &Catalogue,
    events: &[Event],
    disputes: &[Dispute],
    at: DateTime<Utc>,
) -> Result<Derivation, TestCaseError> {
    let d = derive(scheme, catalogue, events, disputes, at);
    assert_coherent(scheme, catalogue, events, disputes, &d)?;
    // Invariant 2: the past replays from what was recorded by then.
    let known: Vec<Event> = events.iter().filter(|e| e.recorded_at <= at).cloned().collect();
    prop_assert_eq!(&derive(scheme, catalogue, &known, disputes, at), &d);
    // Deterministic, whatever order storage returns the records in.
    let mut reversed = events.to_vec();
    reversed.reverse();
    prop_assert_eq!(&derive(scheme, catalogue, &reversed, disputes, at), &d);
    Ok(d)
}

proptest! {
    // Failing seeds are kept beside this file (src/domain/proptests.regressions).
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "regressions"
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn points_derivations_add_up_replay_and_are_deterministic(
        ops in prop::collection::vec(op(), 0..40),
        specs in prop::collection::vec(dispute(), 0..4),
        suspends in any::<bool>(),
        at_hours in 0i64..1_200 * 24,
    ) {
        let scheme = rongcheng_with(policy(suspends));
        let catalogue = rongcheng_catalogue();
        let events = build(&catalogue, &ops);
        let disputes = disputes_for(&events, &specs);
        replay_and_determinism(&scheme, &catalogue, &events, &disputes, hours(at_hours))?;
    }

    #[test]
    fn weighted_derivations_add_up_replay_and_are_deterministic(
        ops in prop::collection::vec(op(), 0..40),
        specs in prop::collection::vec(dispute(), 0..4),
        suspends in any::<bool>(),
        at_hours in 0i64..1_200 * 24,
    ) {
        let scheme = weighted_with(policy(suspends));
        let catalogue = weighted_catalogue();
        let events = build(&catalogue, &ops);
        let disputes = disputes_for(&events, &specs);
        replay_and_determinism(&scheme, &catalogue, &events, &disputes, hours(at_hours))?;
    }

    #[test]
    fn a_deduction_never_raises_the_grade(
        ops in prop::collection::vec(op(), 0..30),
        weighted_scheme in any::<bool>(),
        at_hours in 0i64..1_000 * 24,
        deduction_seed in any::<i64>(),
        occurred_back in 0i64..400 * 24,
        which in 0usize..2,
    ) {
        let (scheme, catalogue, rules) = if weighted_scheme {
            (weighted(), weighted_catalogue(), ["LATE", "BROKEN"])
        } else {
            (rongcheng(), rongcheng_catalogue(), ["TRAFFIC", "JUDGMENT"])
        };
        let at = hours(at_hours);
        let mut events = build(&catalogue, &ops);
        let before = derive(&scheme, &catalogue, &events, &[], at);
        let occurred = (at - Duration::hours(occurred_back)).max(day(0));
        let rule = catalogue.version_in_force(&code(rules[which]), occurred).unwrap();
        let (min, max) = rule.effect().range();
        let points = in_range(deduction_seed, (min, max.min(-1)));
        events.push(fact(&catalogue, 10_000, rules[which], points, occurred, occurred));
        let after = derive(&scheme, &catalogue, &events, &[], at);
        prop_assert!(after.score <= before.score);
        let bands = scheme.bands();
        prop_assert!(
            bands.index_of(&after.grade) >= bands.index_of(&before.grade),
            "grade rose from {} to {}", before.grade, after.grade
        );
    }

    #[test]
    fn corrections_never_delete_and_their_targets_show_why(
        ops in prop::collection::vec(op(), 1..30),
        pick in any::<usize>(),
        supersede_it in any::<bool>(),
        points_seed in any::<i64>(),
    ) {
        let scheme = rongcheng();
        let catalogue = rongcheng_catalogue();
        let mut file = build(&catalogue, &ops);
        let now = file.iter().map(|e| e.recorded_at).max().unwrap() + Duration::days(1);
        let candidates: Vec<_> = file
            .iter()
            .filter(|e| validate_target(&file, e.subject, e.scheme, e.id).is_ok())
            .map(|e| e.id)
            .collect();
        prop_assume!(!candidates.is_empty());
        let target = candidates[pick % candidates.len()];
        let original = file.iter().find(|e| e.id == target).unwrap().clone();
        let source = Source {
            subject: original.subject,
            scheme: original.scheme,
            authority: original.authority,
            external_ref: "CORR-1".into(),
        };
        let correction = if supersede_it {
            let range = catalogue.get(original.rule_version).unwrap().effect().range();
            let fact = Fact {
                rule_code: original.rule_code,
                points: Some(in_range(points_seed, range)),
                occurred_at: original.occurred_at,
            };
            record_supersede(&catalogue, &file, source, fact, target, "partly upheld", now)
        } else {
            record_void(&file, source, target, "appeal upheld", Some("D-7"), now)
        }
        .unwrap();
        let before = file.clone();
        file.push(correction.clone());
        // Invariant 7: the file only grows; every earlier record is still there, unchanged.
        prop_assert_eq!(&file[..before.len()], &before[..]);
        let d = derive(&scheme, &catalogue, &file, &[], now);
        let listed = d.not_counting.iter().find(|n| n.event == target);
        let expected = match &correction.kind {
            EventKind::Void { reason, .. } => Reason::Voided { by: correction.id, reason: reason.clone() },
            _ => Reason::Superseded { by: correction.id },
        };
        prop_assert_eq!(listed.map(|n| &n.reason), Some(&expected));
        prop_assert!(d.lines.iter().all(|l| l.event != target));
        // Before the correction was recorded, replay still shows the target as it was.
        let earlier = derive(&scheme, &catalogue, &file, &[], now - Duration::seconds(1));
        let untouched = earlier.not_counting.iter().all(|n| {
            !matches!(
                &n.reason,
                Reason::Voided { by, .. } | Reason::Superseded { by } if *by == correction.id
            )
        });
        prop_assert!(untouched, "a correction acted before it was recorded");
    }

    #[test]
    fn smallest_lift_lifts_and_nothing_smaller_does(
        specs in prop::collection::vec((0usize..4, any::<i64>(), 0i64..300), 0..=8),
    ) {
        let scheme = rongcheng();
        let catalogue = rongcheng_catalogue();
        let at = day(300);
        let events: Vec<Event> = specs
            .iter()
            .enumerate()
            .map(|(i, (rule, seed, occurred))| {
                let v = &catalogue.versions()[*rule];
                let points = in_range(*seed, v.effect().range());
                fact(&catalogue, i as u128 + 1, v.rule_code().as_str(), points, day(*occurred), day(*occurred))
            })
            .collect();
        let d = derive(&scheme, &catalogue, &events, &[], at);
        prop_assert_eq!(d.lines.len(), events.len(), "all records count at day 300");
        let bands = scheme.bands();
        let current = bands.index_of(&d.grade).unwrap();
        let lifts = |mask: u32| {
            let removed: i64 = (0..d.lines.len())
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| d.lines[i].points)
                .sum();
            bands.index_for(d.score - removed) < current
        };
        let brute = (0u32..(1 << d.lines.len()))
            .filter(|m| lifts(*m))
            .map(u32::count_ones)
            .min();
        match smallest_lift(&scheme, &d) {
            None => prop_assert_eq!(brute, None),
            Some(lift) => {
                prop_assert_eq!(Some(lift.events.len() as u32), brute);
                let after = derive(&scheme, &catalogue, &overturned(&events, &lift.events, at), &[], at);
                prop_assert_eq!(after.score, lift.score);
                prop_assert!(bands.index_of(&after.grade).unwrap() < current);
            }
        }
    }

    #[test]
    fn weighted_lift_when_found_really_lifts(
        ops in prop::collection::vec(op(), 0..20),
        at_hours in 0i64..1_000 * 24,
    ) {
        let scheme = weighted();
        let catalogue = weighted_catalogue();
        let events = build(&catalogue, &ops);
        let at = hours(at_hours);
        let d = derive(&scheme, &catalogue, &events, &[], at);
        if let Some(lift) = smallest_lift(&scheme, &d) {
            let after = derive(&scheme, &catalogue, &overturned(&events, &lift.events, at), &[], at);
            prop_assert_eq!(after.score, lift.score);
            let bands = scheme.bands();
            prop_assert!(bands.index_of(&after.grade) < bands.index_of(&d.grade));
        }
    }

    #[test]
    fn recovery_path_agrees_with_replay(
        ops in prop::collection::vec(op(), 0..25),
        weighted_scheme in any::<bool>(),
        at_hours in 0i64..900 * 24,
    ) {
        let (scheme, catalogue) = if weighted_scheme {
            (weighted(), weighted_catalogue())
        } else {
            (rongcheng(), rongcheng_catalogue())
        };
        // Only records already known and occurred, so nothing new appears later.
        let at = hours(at_hours);
        let events: Vec<Event> = build(&catalogue, &ops)
            .into_iter()
            .filter(|e| e.recorded_at <= at && e.occurred_at <= at)
            .collect();
        let d = derive(&scheme, &catalogue, &events, &[], at);
        let path = recovery_path(&scheme, &d);
        prop_assert!(path.windows(2).all(|w| w[0].on < w[1].on));
        for step in &path {
            prop_assert!(step.on > at);
            let later = derive(&scheme, &catalogue, &events, &[], step.on);
            prop_assert_eq!(later.score, step.score);
        }
    }

    #[test]
    fn a_blacklist_entry_is_never_active_before_notice(
        notice in proptest::option::of(0i64..500),
        from in 0i64..500,
        expires in proptest::option::of(1i64..400),
        lifted in proptest::option::of(0i64..900),
        suspended in proptest::option::of(0i64..900),
        deliver_later in proptest::option::of(0i64..900),
        at in -10i64..1_000,
    ) {
        let draft = EntryDraft {
            id: EntryId::new(),
            subject: subject(),
            list: ListId::new(),
            authority: authority(),
            case_number: "C-1".into(),
            legal_basis: LegalBasis::parse("Civil Procedure Law art. 262").unwrap(),
            reason: "unpaid judgment".into(),
            restrictions: vec![Restriction::Flights],
            notice_delivered_at: notice.map(day),
            effective_from: day(from),
            expires_at: expires.map(|e| day(from + e)),
            removal: RemovalCondition::PayAmount { cents: 100, currency: Currency::parse("CNY").unwrap() },
        };
        if let Ok(mut entry) = Entry::restore(draft, lifted.map(day), suspended.map(day)) {
            if let Some(later) = deliver_later {
                let _ = entry.deliver_notice(day(later));
            }
            let status = entry.status_at(day(at));
            if status == EntryStatus::Active {
                let delivered = entry.notice_delivered_at();
                prop_assert!(delivered.is_some_and(|n| n <= day(at)));
                prop_assert!(entry.effective_from() <= day(at));
            }
            if entry.notice_delivered_at().is_none() {
                prop_assert!(!status.restricts());
            }
        }
    }
}
