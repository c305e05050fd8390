//! What would change a grade: each record overturned, the fewest overturns that lift the grade, and the dates records expire.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::derivation::{Derivation, Line};
use super::ids::EventId;
use super::scheme::{Grade, Scheme};

/// The score and grade if one counting record were overturned (removed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IfOverturned {
    pub event: EventId,
    pub score: i64,
    pub grade: Grade,
    /// Whether the grade would be better than the derivation's: only such a record is worth
    /// contesting for the grade's sake (overturning a positive record lowers it).
    pub raises_grade: bool,
}

/// A set of records whose removal lifts the grade at least one band.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lift {
    /// The records, in the order chosen (largest gain first).
    pub events: Vec<EventId>,
    pub score: i64,
    pub grade: Grade,
}

/// An instant when records stop counting, and the score and grade from then on, if nothing new
/// is recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecoveryStep {
    pub on: DateTime<Utc>,
    pub events: Vec<EventId>,
    pub score: i64,
    pub grade: Grade,
}

/// Scores a derivation with some of its lines removed, for either kind of scheme.
struct Without<'a> {
    scheme: &'a Scheme,
    derivation: &'a Derivation,
    /// Weighted: each component's raw sub-score with the removed lines taken out.
    raws: Vec<i64>,
    /// Points: the score with the removed lines taken out.
    score: i64,
}

impl<'a> Without<'a> {
    fn new(scheme: &'a Scheme, derivation: &'a Derivation) -> Self {
        Self {
            scheme,
            derivation,
            raws: derivation.components.iter().map(|c| c.raw).collect(),
            score: derivation.score,
        }
    }

    fn component(&self, line: &Line) -> Option<usize> {
        line.component.as_ref().and_then(|c| self.derivation.components.iter().position(|d| &d.code == c))
    }

    /// The score with `line` also removed, without removing it.
    fn score_without(&mut self, line: &Line) -> i64 {
        match self.component(line) {
            Some(i) => {
                self.raws[i] -= line.points;
                let score = self.scheme.weighted_score(&self.raws);
                self.raws[i] += line.points;
                score
            }
            None => self.score - line.points,
        }
    }

    fn remove(&mut self, line: &Line) {
        match self.component(line) {
            Some(i) => {
                self.raws[i] -= line.points;
                self.score = self.scheme.weighted_score(&self.raws);
            }
            None => self.score -= line.points,
        }
    }

    fn grade(&self, score: i64) -> Grade {
        self.scheme.bands().grade_for(score).grade
    }
}

/// For each counting line of `derivation`, the score and grade if that record alone were
/// overturned.
pub fn if_overturned(scheme: &Scheme, derivation: &Derivation) -> Vec<IfOverturned> {
    let mut without = Without::new(scheme, derivation);
    let bands = scheme.bands();
    // Band 0 is the highest: a smaller index is a better grade.
    let current = bands.index_of(&derivation.grade);
    derivation
        .lines
        .iter()
        .map(|line| {
            let score = without.score_without(line);
            let grade = without.grade(score);
            let raises_grade = match (bands.index_of(&grade), current) {
                (Some(new), Some(now)) => new < now,
                _ => false,
            };
            IfOverturned { event: line.event, raises_grade, score, grade }
        })
        .collect()
}

/// The smallest set of counting records whose removal lifts the grade at least one band, or
/// `None` when the grade is already the top one or no set of removals lifts it.
///
/// Points scheme — exact. Removing a line with points `p` changes the score by `−p`, whatever
/// else is removed, so the gain of a set is the sum of its members' gains. For any `k`, the
/// largest gain `k` removals can achieve is the sum of the `k` largest gains. So if some set of
/// `k` records lifts the grade, the `k` most negative records lift it too; greedily taking the
/// most negative records until the score reaches the next band's minimum therefore stops at the
/// smallest possible `k`. Ties are broken by occurrence, then id, so the answer is stable.
///
/// Weighted scheme — greedy by marginal gain: repeatedly remove the record whose removal raises
/// the score most, until the grade lifts. Clamping at 0 and 100 makes gains interact, so this is
/// a good answer, not a proven smallest one; pages say "for example".
pub fn smallest_lift(scheme: &Scheme, derivation: &Derivation) -> Option<Lift> {
    let bands = scheme.bands();
    let current = bands.index_of(&derivation.grade)?;
    let target = current.checked_sub(1)?;
    let target_min = bands.bands()[target].min?;
    let order = |a: &&Line, b: &&Line| (a.occurred_at, a.event).cmp(&(b.occurred_at, b.event));

    if derivation.components.is_empty() {
        let mut helpful: Vec<&Line> = derivation.lines.iter().filter(|l| l.points < 0).collect();
        helpful.sort_by(|a, b| a.points.cmp(&b.points).then_with(|| order(a, b)));
        let mut score = derivation.score;
        let mut events = Vec::new();
        for line in helpful {
            if score >= target_min {
                break;
            }
            score -= line.points;
            events.push(line.event);
        }
        return (score >= target_min).then(|| Lift { events, grade: bands.grade_for(score).grade, score });
    }

    let mut without = Without::new(scheme, derivation);
    let mut remaining: Vec<&Line> = derivation.lines.iter().collect();
    remaining.sort_by(order);
    let mut events = Vec::new();
    while without.score < target_min {
        let mut best: Option<(usize, i64)> = None;
        for (k, line) in remaining.iter().enumerate() {
            let score = without.score_without(line);
            if best.is_none_or(|(_, s)| score > s) {
                best = Some((k, score));
            }
        }
        match best {
            Some((k, score)) if score > without.score => {
                let line = remaining.remove(k);
                without.remove(line);
                events.push(line.event);
            }
            _ => return None,
        }
    }
    Some(Lift { events, score: without.score, grade: without.grade(without.score) })
}

/// The future instants at which counting records of `derivation` stop counting, sorted, with
/// the score and grade after each, assuming nothing new is recorded and no dispute changes.
pub fn recovery_path(scheme: &Scheme, derivation: &Derivation) -> Vec<RecoveryStep> {
    let mut lines: Vec<&Line> = derivation.lines.iter().collect();
    lines.sort_by_key(|l| (l.counts_until, l.occurred_at, l.event));
    let mut without = Without::new(scheme, derivation);
    let mut steps: Vec<RecoveryStep> = Vec::new();
    for chunk in lines.chunk_by(|a, b| a.counts_until == b.counts_until) {
        for line in chunk {
            without.remove(line);
        }
        steps.push(RecoveryStep {
            on: chunk[0].counts_until,
            events: chunk.iter().map(|l| l.event).collect(),
            score: without.score,
            grade: without.grade(without.score),
        });
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::derivation::derive;
    use crate::domain::fixtures::*;

    #[test]
    fn each_overturn_shows_the_score_and_grade_without_it() {
        let cat = rongcheng_catalogue();
        let events = vec![
            fact(&cat, 1, "JUDGMENT", -80, day(10), day(10)),
            fact(&cat, 2, "TRAFFIC", -5, day(20), day(20)),
        ];
        let d = derive(&rongcheng(), &cat, &events, &[], day(30));
        assert_eq!(d.score, 915);
        let each = if_overturned(&rongcheng(), &d);
        assert_eq!(each[0].score, 995);
        assert_eq!(each[0].grade, grade("A"));
        assert!(each[0].raises_grade);
        assert_eq!(each[1].score, 920);
        assert!(!each[1].raises_grade);
    }

    #[test]
    fn overturning_a_positive_record_that_lowers_the_grade_is_not_offered() {
        let cat = rongcheng_catalogue();
        // 1000 + 30 = 1030, A+; without the heroic act: 1000, A — a change, but for the worse.
        let events = vec![fact(&cat, 1, "HEROIC", 30, day(10), day(10))];
        let d = derive(&rongcheng(), &cat, &events, &[], day(30));
        let each = if_overturned(&rongcheng(), &d);
        assert_ne!(each[0].grade, d.grade, "the grade would change");
        assert!(!each[0].raises_grade, "but it would fall, so it is not worth contesting");
    }

    #[test]
    fn smallest_lift_takes_the_largest_deductions_first() {
        let cat = rongcheng_catalogue();
        let events = vec![
            fact(&cat, 1, "TRAFFIC", -5, day(10), day(10)),
            fact(&cat, 2, "JUDGMENT", -60, day(11), day(11)),
            fact(&cat, 3, "JUDGMENT", -30, day(12), day(12)),
            fact(&cat, 4, "HEROIC", 30, day(13), day(13)),
        ];
        let d = derive(&rongcheng(), &cat, &events, &[], day(30));
        assert_eq!(d.score, 935);
        assert_eq!(d.grade, grade("B"));
        let lift = smallest_lift(&rongcheng(), &d).unwrap();
        assert_eq!(lift.events, vec![event_id(2)]);
        assert_eq!(lift.score, 995);
        assert_eq!(lift.grade, grade("A"));
    }

    #[test]
    fn no_lift_at_the_top_or_without_deductions() {
        let cat = rongcheng_catalogue();
        let heroic: Vec<_> =
            (0..3).map(|i| fact(&cat, i, "HEROIC", 30, day(10 + i as i64), day(10))).collect();
        let top = derive(&rongcheng(), &cat, &heroic, &[], day(30));
        assert_eq!(top.grade, grade("A+++"));
        assert_eq!(smallest_lift(&rongcheng(), &top), None);
        let clean = derive(&rongcheng(), &cat, &[], &[], day(30));
        assert_eq!(smallest_lift(&rongcheng(), &clean), None, "A needs +30");
    }

    #[test]
    fn weighted_lift_is_greedy_by_marginal_gain() {
        let s = weighted();
        let cat = weighted_catalogue();
        let events = vec![
            fact(&cat, 1, "LATE", -60, day(10), day(10)),
            fact(&cat, 2, "BROKEN", -30, day(11), day(11)),
            fact(&cat, 3, "LATE", -5, day(12), day(12)),
        ];
        let d = derive(&s, &cat, &events, &[], day(30));
        // payment_history 60−65 → 0, contract 30, ability 50, identity 80:
        // 350 + 0 + 54 + 60 + 72 = 536, POOR.
        assert_eq!(d.score, 536);
        assert_eq!(d.grade, grade("POOR"));
        let lift = smallest_lift(&s, &d).unwrap();
        // Removing −60 gives payment_history 0 still (60−5=55 → 116), the largest single gain.
        assert_eq!(lift.events, vec![event_id(1)]);
        assert_eq!(lift.score, 652);
        assert_eq!(lift.grade, grade("GOOD"));
    }

    #[test]
    fn recovery_path_lists_expiries_in_order() {
        let cat = rongcheng_catalogue();
        let events = vec![
            fact(&cat, 1, "JUDGMENT", -80, day(10), day(10)),
            fact(&cat, 2, "TRAFFIC", -5, day(20), day(20)),
            fact(&cat, 3, "TRAFFIC", -5, day(20), day(20)),
            fact(&cat, 4, "HEROIC", 30, day(30), day(30)),
        ];
        let d = derive(&rongcheng(), &cat, &events, &[], day(40));
        assert_eq!(d.score, 940);
        let path = recovery_path(&rongcheng(), &d);
        let summary: Vec<_> =
            path.iter().map(|s| (s.on, s.events.len(), s.score, s.grade.to_string())).collect();
        assert_eq!(
            summary,
            vec![
                (day(385), 2, 950, "B".into()),
                (day(760), 1, 920, "B".into()),
                (day(1_835), 1, 1_000, "A".into()),
            ]
        );
        let at_first = derive(&rongcheng(), &cat, &events, &[], day(385));
        assert_eq!(at_first.score, path[0].score, "the path agrees with a replay");
    }
}
