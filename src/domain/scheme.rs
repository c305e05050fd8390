//! Schemes: how a score is made (points ledger or weighted components) and how it maps to a grade.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::DomainError;
use super::ids::SchemeId;
use super::text::inline_code;

fn check_grade(text: &str) -> Result<String, DomainError> {
    let t = text.trim();
    let ok = (1..=16).contains(&t.len())
        && t.starts_with(|c: char| c.is_ascii_alphabetic())
        && t.chars().all(|c| c.is_ascii_alphabetic() || c == '+' || c == '-');
    if ok {
        Ok(t.to_owned())
    } else {
        Err(DomainError::InvalidGrade { value: text.chars().take(32).collect() })
    }
}

fn check_component(text: &str) -> Result<String, DomainError> {
    let t = text.trim();
    let ok = (1..=32).contains(&t.len())
        && t.starts_with(|c: char| c.is_ascii_lowercase())
        && t.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(t.to_owned())
    } else {
        Err(DomainError::InvalidComponentCode { value: text.chars().take(64).collect() })
    }
}

inline_code!(
    /// A grade label such as `A+++`, `AA` or `D`: 1–16 letters, `+` or `-`, starting with a letter.
    Grade,
    16,
    check_grade
);

inline_code!(
    /// A component of a weighted score such as `payment_history`: 1–32 small letters, digits or `_`.
    ComponentCode,
    32,
    check_component
);

/// What happens to a record while the subject contests it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputePolicy {
    /// A disputed record keeps counting until a decision voids or corrects it.
    KeepsCounting,
    /// A disputed record stops counting from the moment the dispute opens until it closes.
    SuspendedWhileDisputed,
}

impl DisputePolicy {
    /// Stable snake_case code, for storage and localisation.
    pub fn code(self) -> &'static str {
        match self {
            Self::KeepsCounting => "keeps_counting",
            Self::SuspendedWhileDisputed => "suspended_while_disputed",
        }
    }

    /// Reads [`DisputePolicy::code`] back.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "keeps_counting" => Some(Self::KeepsCounting),
            "suspended_while_disputed" => Some(Self::SuspendedWhileDisputed),
            _ => None,
        }
    }
}

/// What happens when an appeal on a record of the scheme is not decided by its due date.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnDeadline {
    /// The contested record stops counting from the lapse until the appeal is decided, whatever
    /// the dispute policy.
    #[default]
    Suspend,
    /// The contested record is voided by default ("not verified in time") and the appeal closed.
    Void,
}

impl OnDeadline {
    pub const ALL: [OnDeadline; 2] = [OnDeadline::Suspend, OnDeadline::Void];

    /// Stable snake_case code, for storage and localisation.
    pub fn code(self) -> &'static str {
        match self {
            Self::Suspend => "suspend",
            Self::Void => "void",
        }
    }

    /// Reads [`OnDeadline::code`] back.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }
}

/// One component of a weighted score, with its published weight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    pub code: ComponentCode,
    /// Share of the score range this component controls; a scheme's weights add up to 100.
    pub weight_percent: u32,
    /// The sub-score (0..=100) a subject starts at before any record moves it.
    pub start: i64,
}

/// How a scheme turns counting records into a score.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SchemeKind {
    /// A ledger: score = base + the points of every counting record.
    Points { base: i64 },
    /// Components with published weights; see [`contribution`] for the exact formula.
    Weighted { range_min: i64, range_max: i64, components: Vec<Component> },
}

impl SchemeKind {
    /// The kind's stable code: `points` or `weighted`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Points { .. } => "points",
            Self::Weighted { .. } => "weighted",
        }
    }
}

/// The published contribution of one component to a weighted score:
///
/// `contribution = round_half_up((range_max − range_min) × weight_percent × sub_score / 10 000)`
///
/// where `sub_score` is the component's sub-score clamped to 0..=100. The score is
/// `range_min + Σ contributions`, so the contributions shown to a subject add up to their score
/// exactly, with no hidden remainder. Computed in integers (no floating point), so every server
/// and every reader with a pencil gets the same number.
pub fn contribution(span: i64, weight_percent: u32, sub_score: i64) -> i64 {
    let clamped = sub_score.clamp(0, 100);
    let numerator = i128::from(span) * i128::from(weight_percent) * i128::from(clamped);
    // Non-negative numerator, so adding half the divisor before dividing rounds half up.
    ((numerator + 5_000) / 10_000) as i64
}

/// A grade and the lowest score that earns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Band {
    pub grade: Grade,
    /// `None` for the lowest band, which is open below.
    pub min: Option<i64>,
}

/// A scheme's grade bands from the highest to the lowest: strictly descending minimums, and
/// exactly one open-below band, the last. Every score falls in exactly one band.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Band>", into = "Vec<Band>")]
pub struct GradeBands {
    bands: Vec<Band>,
}

impl GradeBands {
    /// Checks the bands: non-empty, distinct grades, strictly descending minimums, and the last
    /// (and only the last) band open below.
    pub fn new(bands: Vec<Band>) -> Result<Self, DomainError> {
        if bands.is_empty() {
            return Err(DomainError::EmptyField { field: "bands" });
        }
        let last = bands.len() - 1;
        let mut previous: Option<i64> = None;
        for (i, band) in bands.iter().enumerate() {
            if bands[..i].iter().any(|b| b.grade == band.grade) {
                return Err(DomainError::DuplicateGrade { grade: band.grade.to_string() });
            }
            match band.min {
                None if i != last => return Err(DomainError::OpenBandNotLast),
                Some(_) if i == last => return Err(DomainError::OpenBandNotLast),
                Some(min) => {
                    if previous.is_some_and(|p| min >= p) {
                        return Err(DomainError::BandsNotDescending { grade: band.grade.to_string(), min });
                    }
                    previous = Some(min);
                }
                None => {}
            }
        }
        Ok(Self { bands })
    }

    /// The bands from the highest to the lowest.
    pub fn bands(&self) -> &[Band] {
        &self.bands
    }

    /// Position of the band a score falls in: 0 is the highest grade. Lower is better.
    pub fn index_for(&self, score: i64) -> usize {
        self.bands.iter().position(|b| b.min.is_none_or(|min| score >= min)).unwrap_or(self.bands.len() - 1)
    }

    /// The band a score falls in.
    pub fn grade_for(&self, score: i64) -> &Band {
        &self.bands[self.index_for(score)]
    }

    /// Position of a grade: 0 is the highest.
    pub fn index_of(&self, grade: &Grade) -> Option<usize> {
        self.bands.iter().position(|b| &b.grade == grade)
    }

    /// The lowest and highest score of the band at `index` (`None` = open on that side).
    pub fn limits_at(&self, index: usize) -> (Option<i64>, Option<i64>) {
        let min = self.bands[index].min;
        let max = index.checked_sub(1).and_then(|above| self.bands[above].min).map(|above_min| above_min - 1);
        (min, max)
    }

    /// The lowest and highest score that earn `grade` (`None` = open on that side).
    pub fn band_limits(&self, grade: &Grade) -> Result<(Option<i64>, Option<i64>), DomainError> {
        self.index_of(grade)
            .map(|i| self.limits_at(i))
            .ok_or_else(|| DomainError::UnknownGrade { grade: grade.to_string() })
    }

    /// The band just above `grade`, or `None` when `grade` is the top (or unknown).
    pub fn next_higher(&self, grade: &Grade) -> Option<&Band> {
        self.index_of(grade).and_then(|i| i.checked_sub(1)).map(|i| &self.bands[i])
    }

    /// The highest band.
    pub fn top(&self) -> &Band {
        &self.bands[0]
    }
}

impl TryFrom<Vec<Band>> for GradeBands {
    type Error = DomainError;
    fn try_from(bands: Vec<Band>) -> Result<Self, DomainError> {
        Self::new(bands)
    }
}

impl From<GradeBands> for Vec<Band> {
    fn from(bands: GradeBands) -> Self {
        bands.bands
    }
}

/// A scoring scheme run by an operator for a jurisdiction. Made only by [`Scheme::new`], which
/// checks it, so a `Scheme` in hand is always coherent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Scheme {
    id: SchemeId,
    code: String,
    kind: SchemeKind,
    bands: GradeBands,
    dispute_policy: DisputePolicy,
    appeal_deadline_days: u32,
    on_deadline: OnDeadline,
}

impl Scheme {
    /// Checks and builds a scheme. A weighted scheme needs distinct components whose weights add
    /// up to 100, starting sub-scores in 0..=100, and `range_min < range_max`.
    pub fn new(
        id: SchemeId,
        code: &str,
        kind: SchemeKind,
        bands: GradeBands,
        dispute_policy: DisputePolicy,
        appeal_deadline_days: u32,
    ) -> Result<Self, DomainError> {
        let trimmed = code.trim();
        let code_ok = (1..=64).contains(&trimmed.len())
            && trimmed.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !code_ok {
            return Err(DomainError::InvalidSchemeCode { value: code.chars().take(80).collect() });
        }
        if appeal_deadline_days == 0 {
            return Err(DomainError::NotPositive { field: "appeal_deadline_days" });
        }
        match &kind {
            SchemeKind::Points { base } => {
                if !(-MAX_SCORE..=MAX_SCORE).contains(base) {
                    return Err(DomainError::InvalidRange { field: "base", min: -MAX_SCORE, max: MAX_SCORE });
                }
            }
            SchemeKind::Weighted { range_min, range_max, components } => {
                check_weighting(*range_min, *range_max, components)?
            }
        }
        Ok(Self {
            id,
            code: trimmed.to_owned(),
            kind,
            bands,
            dispute_policy,
            appeal_deadline_days,
            on_deadline: OnDeadline::default(),
        })
    }

    pub fn id(&self) -> SchemeId {
        self.id
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn kind(&self) -> &SchemeKind {
        &self.kind
    }

    pub fn bands(&self) -> &GradeBands {
        &self.bands
    }

    pub fn dispute_policy(&self) -> DisputePolicy {
        self.dispute_policy
    }

    /// The same scheme under another dispute policy (for a "what if it were suspended" view).
    pub fn with_dispute_policy(&self, dispute_policy: DisputePolicy) -> Scheme {
        Scheme { dispute_policy, ..self.clone() }
    }

    /// What happens when an appeal is not decided by its due date.
    pub fn on_deadline(&self) -> OnDeadline {
        self.on_deadline
    }

    /// The same scheme with another consequence of a missed deadline.
    pub fn with_on_deadline(self, on_deadline: OnDeadline) -> Scheme {
        Scheme { on_deadline, ..self }
    }

    /// Days a subject has to appeal after being notified.
    pub fn appeal_deadline_days(&self) -> u32 {
        self.appeal_deadline_days
    }

    /// Where every subject starts: `base` for a points scheme, `range_min` for a weighted one
    /// (to which the component contributions are added).
    pub fn base(&self) -> i64 {
        match &self.kind {
            SchemeKind::Points { base } => *base,
            SchemeKind::Weighted { range_min, .. } => *range_min,
        }
    }

    /// The weighted scheme's components, in published order; empty for a points scheme.
    pub fn components(&self) -> &[Component] {
        match &self.kind {
            SchemeKind::Points { .. } => &[],
            SchemeKind::Weighted { components, .. } => components,
        }
    }

    /// `range_max − range_min` of a weighted scheme; 0 for a points scheme.
    pub fn span(&self) -> i64 {
        match &self.kind {
            SchemeKind::Points { .. } => 0,
            SchemeKind::Weighted { range_min, range_max, .. } => range_max - range_min,
        }
    }

    /// Position of a component in [`Scheme::components`].
    pub fn component_index(&self, code: &ComponentCode) -> Option<usize> {
        self.components().iter().position(|c| &c.code == code)
    }

    /// Score of a weighted scheme given each component's raw sub-score (in published order):
    /// `range_min + Σ contribution`. For a points scheme, returns the base.
    pub fn weighted_score(&self, raw_sub_scores: &[i64]) -> i64 {
        let span = self.span();
        self.base()
            + self
                .components()
                .iter()
                .zip(raw_sub_scores)
                .map(|(c, raw)| contribution(span, c.weight_percent, *raw))
                .sum::<i64>()
    }
}

/// Largest magnitude of a base or range bound: keeps every sum far from `i64` overflow.
pub const MAX_SCORE: i64 = 1_000_000_000_000;

fn check_weighting(range_min: i64, range_max: i64, components: &[Component]) -> Result<(), DomainError> {
    let bounded = |v: i64| (-MAX_SCORE..=MAX_SCORE).contains(&v);
    let span = match range_max.checked_sub(range_min) {
        Some(span) if span > 0 && bounded(range_min) && bounded(range_max) => span,
        _ => return Err(DomainError::InvalidRange { field: "range", min: range_min, max: range_max }),
    };
    if components.is_empty() {
        return Err(DomainError::EmptyField { field: "components" });
    }
    let mut total: u32 = 0;
    for (i, c) in components.iter().enumerate() {
        if components[..i].iter().any(|d| d.code == c.code) {
            return Err(DomainError::DuplicateComponent { component: c.code.to_string() });
        }
        if c.weight_percent == 0 {
            return Err(DomainError::NotPositive { field: "weight_percent" });
        }
        if !(0..=100).contains(&c.start) {
            return Err(DomainError::ComponentStartOutOfRange {
                component: c.code.to_string(),
                start: c.start,
            });
        }
        total = total.saturating_add(c.weight_percent);
    }
    if total != 100 {
        return Err(DomainError::WeightsDoNotSumTo100 { total });
    }
    // Each contribution is monotone in its sub-score, so the largest possible sum is at 100 each.
    let reach: i64 = components.iter().map(|c| contribution(span, c.weight_percent, 100)).sum();
    if reach > span {
        return Err(DomainError::ContributionsExceedRange { reach, span });
    }
    Ok(())
}

impl fmt::Display for DisputePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{grade, rongcheng, weighted};

    #[test]
    fn rongcheng_bands_grade_the_published_scores() {
        let s = rongcheng();
        let g = |score| s.bands().grade_for(score).grade.to_string();
        assert_eq!(g(1_200), "A+++");
        assert_eq!(g(1_050), "A+++");
        assert_eq!(g(1_049), "AA");
        assert_eq!(g(1_030), "AA");
        assert_eq!(g(1_029), "A");
        assert_eq!(g(1_000), "A");
        assert_eq!(g(960), "A");
        assert_eq!(g(959), "B");
        assert_eq!(g(850), "B");
        assert_eq!(g(849), "C");
        assert_eq!(g(600), "C");
        assert_eq!(g(599), "D");
        assert_eq!(g(-10_000), "D");
    }

    #[test]
    fn band_limits_and_next_higher() {
        let b = rongcheng().bands().clone();
        assert_eq!(b.band_limits(&grade("A+++")), Ok((Some(1_050), None)));
        assert_eq!(b.band_limits(&grade("AA")), Ok((Some(1_030), Some(1_049))));
        assert_eq!(b.band_limits(&grade("A")), Ok((Some(960), Some(1_029))));
        assert_eq!(b.band_limits(&grade("D")), Ok((None, Some(599))));
        assert_eq!(b.band_limits(&grade("AAA")), Err(DomainError::UnknownGrade { grade: "AAA".into() }));
        assert_eq!(b.next_higher(&grade("A")).unwrap().grade, grade("AA"));
        assert_eq!(b.next_higher(&grade("D")).unwrap().grade, grade("C"));
        assert!(b.next_higher(&grade("A+++")).is_none());
    }

    #[test]
    fn bands_refuse_bad_shapes() {
        let band = |g: &str, min| Band { grade: grade(g), min };
        assert_eq!(GradeBands::new(vec![]), Err(DomainError::EmptyField { field: "bands" }));
        assert_eq!(
            GradeBands::new(vec![band("A", Some(10)), band("B", Some(10)), band("C", None)]),
            Err(DomainError::BandsNotDescending { grade: "B".into(), min: 10 })
        );
        assert_eq!(
            GradeBands::new(vec![band("A", Some(10)), band("B", Some(5))]),
            Err(DomainError::OpenBandNotLast)
        );
        assert_eq!(
            GradeBands::new(vec![band("A", None), band("B", None)]),
            Err(DomainError::OpenBandNotLast)
        );
        assert_eq!(
            GradeBands::new(vec![band("A", Some(10)), band("A", None)]),
            Err(DomainError::DuplicateGrade { grade: "A".into() })
        );
        assert!(GradeBands::new(vec![band("PASS", None)]).is_ok());
    }

    #[test]
    fn grades_parse_strictly() {
        assert!(Grade::parse("A+++").is_ok());
        assert!(Grade::parse("B-").is_ok());
        assert!(Grade::parse("+A").is_err());
        assert!(Grade::parse("").is_err());
        assert!(Grade::parse("A B").is_err());
        assert!(Grade::parse(&"A".repeat(17)).is_err());
    }

    #[test]
    fn weights_must_add_up_to_100() {
        let c = |code: &str, w| Component {
            code: ComponentCode::parse(code).unwrap(),
            weight_percent: w,
            start: 50,
        };
        let bands = rongcheng().bands().clone();
        let make = |components| {
            Scheme::new(
                SchemeId::new(),
                "w",
                SchemeKind::Weighted { range_min: 350, range_max: 950, components },
                bands.clone(),
                DisputePolicy::KeepsCounting,
                30,
            )
        };
        assert_eq!(
            make(vec![c("a", 60), c("b", 30)]).unwrap_err(),
            DomainError::WeightsDoNotSumTo100 { total: 90 }
        );
        assert_eq!(
            make(vec![c("a", 60), c("a", 40)]).unwrap_err(),
            DomainError::DuplicateComponent { component: "a".into() }
        );
        assert!(make(vec![c("a", 60), c("b", 40)]).is_ok());
    }

    #[test]
    fn rounding_may_not_overshoot_the_range() {
        let c = |code: &str| Component {
            code: ComponentCode::parse(code).unwrap(),
            weight_percent: 50,
            start: 0,
        };
        let err = Scheme::new(
            SchemeId::new(),
            "tiny",
            SchemeKind::Weighted { range_min: 0, range_max: 1, components: vec![c("a"), c("b")] },
            rongcheng().bands().clone(),
            DisputePolicy::KeepsCounting,
            30,
        )
        .unwrap_err();
        assert_eq!(err, DomainError::ContributionsExceedRange { reach: 2, span: 1 });
    }

    #[test]
    fn published_contribution_formula() {
        // 600 × 35 × 80 / 10 000 = 168 exactly; 600 × 15 × 1 / 10 000 = 0.9 rounds up to 1;
        // 1 × 50 × 1 / 10 000 = 0.005 rounds down; 10 × 5 × 100 / 10 000 = 0.5 rounds up.
        assert_eq!(contribution(600, 35, 80), 168);
        assert_eq!(contribution(600, 15, 1), 1);
        assert_eq!(contribution(1, 50, 1), 0);
        assert_eq!(contribution(10, 5, 100), 1);
        assert_eq!(contribution(600, 35, 150), 210, "clamped to 100");
        assert_eq!(contribution(600, 35, -20), 0, "clamped to 0");
        let w = weighted();
        assert_eq!(w.weighted_score(&[100, 100, 100, 100]), 950);
        assert_eq!(w.weighted_score(&[0, 0, 0, 0]), 350);
    }

    #[test]
    fn scheme_code_and_deadline_are_checked() {
        let s = rongcheng();
        let err = Scheme::new(
            SchemeId::new(),
            " ",
            s.kind().clone(),
            s.bands().clone(),
            DisputePolicy::KeepsCounting,
            30,
        )
        .unwrap_err();
        assert_eq!(err.code(), "invalid_scheme_code");
        let err = Scheme::new(
            SchemeId::new(),
            "ok",
            s.kind().clone(),
            s.bands().clone(),
            DisputePolicy::KeepsCounting,
            0,
        )
        .unwrap_err();
        assert_eq!(err, DomainError::NotPositive { field: "appeal_deadline_days" });
    }

    #[test]
    fn bands_deserialise_only_when_valid() {
        let ok: Result<GradeBands, _> =
            serde_json::from_str(r#"[{"grade":"A","min":10},{"grade":"B","min":null}]"#);
        assert!(ok.is_ok());
        let bad: Result<GradeBands, _> =
            serde_json::from_str(r#"[{"grade":"A","min":null},{"grade":"B","min":10}]"#);
        assert!(bad.is_err());
    }
}
