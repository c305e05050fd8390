//! Appeals, pure: the grounds a subject may give, the statement and evidence limits, the due date
//! and the overdue flag, who may decide (independence), what a decision must carry (written
//! reasons of a minimum length), and when a second-level review may be asked for.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::ids::AuthorityId;

/// Longest statement a subject may write (stated on the form).
pub const STATEMENT_MAX: usize = 4_000;
/// Shortest written reasons a decision may carry: a sentence that explains, not "no".
pub const REASONS_MIN: usize = 40;
pub const REASONS_MAX: usize = 8_000;
/// Evidence files per appeal, and the size of each.
pub const MAX_FILES: usize = 5;
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// Deadline when a scheme does not set one (blacklist entries belong to no scheme).
pub const DEFAULT_DEADLINE_DAYS: u32 = 30;

/// Why a subject contests: a fixed list, so appeals can be counted by grounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Grounds {
    NotMe,
    DidNotHappen,
    WrongRule,
    AlreadyFulfilled,
    Disproportionate,
    NoNotice,
    /// A rule: no law allows it.
    NoLegalBasis,
    /// A rule: it treats people differently for who they are.
    Discriminatory,
    /// A rule: nobody can tell what it forbids or requires.
    Unclear,
    /// A rule: a higher law says otherwise.
    ConflictsWithHigherLaw,
    Other,
}

impl Grounds {
    pub const ALL: [Grounds; 11] = [
        Grounds::NotMe,
        Grounds::DidNotHappen,
        Grounds::WrongRule,
        Grounds::AlreadyFulfilled,
        Grounds::Disproportionate,
        Grounds::NoNotice,
        Grounds::NoLegalBasis,
        Grounds::Discriminatory,
        Grounds::Unclear,
        Grounds::ConflictsWithHigherLaw,
        Grounds::Other,
    ];

    /// The grounds on which a record or a listing is contested.
    pub const FOR_RECORDS: [Grounds; 7] = [
        Grounds::NotMe,
        Grounds::DidNotHappen,
        Grounds::WrongRule,
        Grounds::AlreadyFulfilled,
        Grounds::Disproportionate,
        Grounds::NoNotice,
        Grounds::Other,
    ];

    /// The grounds on which a rule itself is challenged.
    pub const FOR_RULES: [Grounds; 6] = [
        Grounds::NoLegalBasis,
        Grounds::Disproportionate,
        Grounds::Discriminatory,
        Grounds::Unclear,
        Grounds::ConflictsWithHigherLaw,
        Grounds::Other,
    ];

    /// The grounds offered for contesting `kind`.
    pub fn offered_for(kind: TargetKind) -> &'static [Grounds] {
        match kind {
            TargetKind::Rule => &Self::FOR_RULES,
            TargetKind::Event | TargetKind::Entry => &Self::FOR_RECORDS,
        }
    }

    /// Grounds chosen for contesting `kind`: one of those offered for it.
    pub fn parse_for(code: &str, kind: TargetKind) -> Result<Self, AppealError> {
        let grounds = Self::parse(code)?;
        if Self::offered_for(kind).contains(&grounds) {
            Ok(grounds)
        } else {
            Err(AppealError::GroundsDoNotFit)
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Grounds::NotMe => "not_me",
            Grounds::DidNotHappen => "did_not_happen",
            Grounds::WrongRule => "wrong_rule",
            Grounds::AlreadyFulfilled => "already_fulfilled",
            Grounds::Disproportionate => "disproportionate",
            Grounds::NoNotice => "no_notice",
            Grounds::NoLegalBasis => "no_legal_basis",
            Grounds::Discriminatory => "discriminatory",
            Grounds::Unclear => "unclear",
            Grounds::ConflictsWithHigherLaw => "conflicts_with_higher_law",
            Grounds::Other => "other",
        }
    }

    pub fn parse(code: &str) -> Result<Self, AppealError> {
        Self::ALL.into_iter().find(|g| g.code() == code.trim()).ok_or(AppealError::NoGrounds)
    }
}

/// What is contested.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    Event,
    Entry,
    Rule,
}

impl TargetKind {
    pub fn code(self) -> &'static str {
        match self {
            TargetKind::Event => "event",
            TargetKind::Entry => "entry",
            TargetKind::Rule => "rule",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [TargetKind::Event, TargetKind::Entry, TargetKind::Rule].into_iter().find(|k| k.code() == code)
    }
}

/// The subject's statement: trimmed, not empty, at most [`STATEMENT_MAX`] characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement(String);

impl Statement {
    pub fn parse(text: &str) -> Result<Self, AppealError> {
        let text = text.trim();
        let len = text.chars().count();
        if len == 0 {
            Err(AppealError::EmptyStatement)
        } else if len > STATEMENT_MAX {
            Err(AppealError::StatementTooLong { len, max: STATEMENT_MAX })
        } else {
            Ok(Self(text.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A decision's written reasons: at least [`REASONS_MIN`] characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reasons(String);

impl Reasons {
    pub fn parse(text: &str) -> Result<Self, AppealError> {
        let text = text.trim();
        let len = text.chars().count();
        if len < REASONS_MIN {
            Err(AppealError::ReasonsTooShort { len, min: REASONS_MIN })
        } else if len > REASONS_MAX {
            Err(AppealError::ReasonsTooLong { len, max: REASONS_MAX })
        } else {
            Ok(Self(text.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where an appeal stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Open,
    Withdrawn,
    Decided,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Open, Status::Withdrawn, Status::Decided];

    pub fn code(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Withdrawn => "withdrawn",
            Status::Decided => "decided",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// What a reviewer decided. Partly upheld carries the points the record counts for instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Upheld,
    PartlyUpheld { points: i64 },
    Rejected,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Upheld => "upheld",
            Outcome::PartlyUpheld { .. } => "partly_upheld",
            Outcome::Rejected => "rejected",
        }
    }

    pub const CODES: [&'static str; 3] = ["upheld", "partly_upheld", "rejected"];

    /// Reads a decision form's outcome and, for partly upheld, its points. A partial correction
    /// only exists for a scored record: entries are lifted or not, and rules go to administrators.
    pub fn parse(code: &str, points: Option<&str>, target: TargetKind) -> Result<Self, AppealError> {
        match code.trim() {
            "upheld" => Ok(Outcome::Upheld),
            "rejected" => Ok(Outcome::Rejected),
            "partly_upheld" if target != TargetKind::Event => Err(AppealError::PartlyOnlyForEvents),
            "partly_upheld" => {
                let text =
                    points.map(str::trim).filter(|p| !p.is_empty()).ok_or(AppealError::PointsRequired)?;
                let points = text.parse().map_err(|_| AppealError::PointsRequired)?;
                Ok(Outcome::PartlyUpheld { points })
            }
            _ => Err(AppealError::NoOutcome),
        }
    }

    /// Whether the contested record changed (for overturn statistics).
    pub fn overturns(self) -> bool {
        !matches!(self, Outcome::Rejected)
    }
}

/// A decision: it cannot exist without reasons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub outcome: Outcome,
    pub reasons: Reasons,
}

/// The due date: `deadline_days` after filing (or after asking for a second-level review).
pub fn due_at(from: DateTime<Utc>, deadline_days: u32) -> DateTime<Utc> {
    from + Duration::days(i64::from(deadline_days))
}

/// Overdue: still open after its due date. Nothing runs at the deadline; this is read whenever the
/// appeal is shown, and the scheme's dispute policy keeps applying meanwhile.
pub fn is_overdue(status: Status, due: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    status == Status::Open && now > due
}

/// The reviewer about to decide, as independence needs them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reviewer {
    pub account: Uuid,
    pub username: String,
    pub display_name: String,
    /// The authority the reviewer's own account belongs to, if any.
    pub authority: Option<AuthorityId>,
    pub review_body: Option<Uuid>,
    /// The authority the reviewer's review body is part of (an authority's own legal office).
    pub body_authority: Option<AuthorityId>,
}

/// Who made the contested record.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Recorded {
    pub authority: Option<AuthorityId>,
    /// The officer or account named on the record.
    pub recorded_by: Option<String>,
}

/// Why a reviewer may not decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// Decisions are recorded with the reviewer's body; a reviewer without one cannot decide.
    NoReviewBody,
    /// The reviewer recorded the contested record.
    RecordedIt,
    /// The reviewer (or their review body) belongs to the authority that made the record.
    OwnAuthority,
    /// A second-level review must be done by someone other than the first reviewer.
    DecidedFirstLevel,
}

impl Conflict {
    pub fn code(self) -> &'static str {
        match self {
            Conflict::NoReviewBody => "no_review_body",
            Conflict::RecordedIt => "recorded_it",
            Conflict::OwnAuthority => "own_authority",
            Conflict::DecidedFirstLevel => "decided_first_level",
        }
    }

    pub const ALL: [Conflict; 4] =
        [Conflict::NoReviewBody, Conflict::RecordedIt, Conflict::OwnAuthority, Conflict::DecidedFirstLevel];
}

/// Checks that `reviewer` is independent of the record and, at the second level, of the first
/// decision (DESIGN.md invariant 5).
pub fn check_independence(
    reviewer: &Reviewer,
    record: &Recorded,
    first_decider: Option<Uuid>,
) -> Result<(), Conflict> {
    if reviewer.review_body.is_none() {
        return Err(Conflict::NoReviewBody);
    }
    if let Some(by) = record.recorded_by.as_deref().map(str::trim) {
        let same = |name: &str| !name.trim().is_empty() && name.trim().eq_ignore_ascii_case(by);
        if same(&reviewer.username) || same(&reviewer.display_name) || by == reviewer.account.to_string() {
            return Err(Conflict::RecordedIt);
        }
    }
    if let Some(authority) = record.authority {
        if reviewer.authority == Some(authority) || reviewer.body_authority == Some(authority) {
            return Err(Conflict::OwnAuthority);
        }
    }
    if first_decider == Some(reviewer.account) {
        return Err(Conflict::DecidedFirstLevel);
    }
    Ok(())
}

/// May an appeal be decided now? Only while open.
pub fn check_decidable(status: Status) -> Result<(), AppealError> {
    match status {
        Status::Open => Ok(()),
        Status::Decided => Err(AppealError::AlreadyDecided),
        Status::Withdrawn => Err(AppealError::Closed),
    }
}

/// May the subject ask for a second-level review? Once, after a first-level decision that did not
/// fully uphold the appeal.
pub fn check_second_level(status: Status, level: u8, first: Option<Outcome>) -> Result<(), AppealError> {
    if level >= 2 {
        return Err(AppealError::SecondLevelAlreadyAsked);
    }
    match (status, first) {
        (Status::Decided, Some(Outcome::Upheld)) => Err(AppealError::NothingLeftToReview),
        (Status::Decided, Some(_)) => Ok(()),
        _ => Err(AppealError::NotDecidedYet),
    }
}

/// The file types accepted as evidence, checked from the content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidenceKind {
    Pdf,
    Png,
    Jpeg,
    Text,
}

impl EvidenceKind {
    pub fn content_type(self) -> &'static str {
        match self {
            EvidenceKind::Pdf => "application/pdf",
            EvidenceKind::Png => "image/png",
            EvidenceKind::Jpeg => "image/jpeg",
            EvidenceKind::Text => "text/plain; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            EvidenceKind::Pdf => "pdf",
            EvidenceKind::Png => "png",
            EvidenceKind::Jpeg => "jpg",
            EvidenceKind::Text => "txt",
        }
    }

    /// The extensions a person's file name may have for this kind.
    fn accepts_extension(self, ext: &str) -> bool {
        match self {
            EvidenceKind::Pdf => ext == "pdf",
            EvidenceKind::Png => ext == "png",
            EvidenceKind::Jpeg => matches!(ext, "jpg" | "jpeg"),
            EvidenceKind::Text => ext == "txt",
        }
    }
}

/// Reads what a file really is from its bytes, and refuses anything not accepted or whose name
/// claims another type (an HTML page named `.pdf`). Text must be UTF-8 without NUL bytes and
/// must not be markup.
pub fn sniff(name: &str, bytes: &[u8]) -> Result<EvidenceKind, AppealError> {
    let file = clean_file_name(name);
    if bytes.is_empty() {
        return Err(AppealError::EmptyFile { name: file });
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(AppealError::FileTooLarge { name: file, max_mb: MAX_FILE_BYTES / (1024 * 1024) });
    }
    let kind = match infer::get(bytes).map(|t| t.mime_type()) {
        Some("application/pdf") => EvidenceKind::Pdf,
        Some("image/png") => EvidenceKind::Png,
        Some("image/jpeg") => EvidenceKind::Jpeg,
        Some(_) => return Err(AppealError::FileTypeNotAccepted { name: file }),
        None => {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| AppealError::FileTypeNotAccepted { name: file.clone() })?;
            let start = text.trim_start().to_ascii_lowercase();
            if text.contains('\0') || start.starts_with('<') {
                return Err(AppealError::FileTypeNotAccepted { name: file });
            }
            EvidenceKind::Text
        }
    };
    let ext = file.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if !kind.accepts_extension(&ext) {
        return Err(AppealError::FileDisguised { name: file });
    }
    Ok(kind)
}

/// A file name as shown back: no folders, no control characters, at most 120 characters.
pub fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control() && *c != '"').take(120).collect();
    if clean.trim().is_empty() {
        "file".into()
    } else {
        clean.trim().to_string()
    }
}

/// Why an appeal action was refused. Every variant is meant for the person, localised by its
/// code (`appeal.error.<code>`); nothing was changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AppealError {
    #[error("choose the grounds of the appeal")]
    NoGrounds,
    #[error("these grounds do not apply to what is contested")]
    GroundsDoNotFit,
    #[error("write a statement")]
    EmptyStatement,
    #[error("the statement has {len} characters; at most {max}")]
    StatementTooLong { len: usize, max: usize },
    #[error("the reasons have {len} characters; at least {min}")]
    ReasonsTooShort { len: usize, min: usize },
    #[error("the reasons have {len} characters; at most {max}")]
    ReasonsTooLong { len: usize, max: usize },
    #[error("choose a decision")]
    NoOutcome,
    #[error("partly upheld needs the points the record should count for")]
    PointsRequired,
    #[error("only a scored record can be partly upheld")]
    PartlyOnlyForEvents,
    #[error("the appeal was already decided")]
    AlreadyDecided,
    #[error("the appeal is closed")]
    Closed,
    #[error("a second-level review was already asked for")]
    SecondLevelAlreadyAsked,
    #[error("the appeal was upheld: there is nothing left to review")]
    NothingLeftToReview,
    #[error("the appeal has not been decided yet")]
    NotDecidedYet,
    #[error("this item is already under appeal")]
    AlreadyUnderAppeal,
    #[error("this record can no longer be contested: it was already voided or corrected")]
    NotContestable,
    #[error("at most {max} evidence files")]
    TooManyFiles { max: usize },
    #[error("{name} is empty")]
    EmptyFile { name: String },
    #[error("{name} is larger than {max_mb} MB")]
    FileTooLarge { name: String, max_mb: usize },
    #[error("{name} is not a PDF, PNG, JPEG or plain text file")]
    FileTypeNotAccepted { name: String },
    #[error("{name} is not what its name says")]
    FileDisguised { name: String },
    #[error("you may not decide this appeal: {0:?}")]
    Conflict(Conflict),
    #[error("choose a reviewer")]
    NoAssignee,
}

impl AppealError {
    /// Stable code for localisation (`appeal.error.<code>`).
    pub fn code(&self) -> &'static str {
        match self {
            AppealError::NoGrounds => "no_grounds",
            AppealError::GroundsDoNotFit => "grounds_do_not_fit",
            AppealError::EmptyStatement => "empty_statement",
            AppealError::StatementTooLong { .. } => "statement_too_long",
            AppealError::ReasonsTooShort { .. } => "reasons_too_short",
            AppealError::ReasonsTooLong { .. } => "reasons_too_long",
            AppealError::NoOutcome => "no_outcome",
            AppealError::PointsRequired => "points_required",
            AppealError::PartlyOnlyForEvents => "partly_only_for_events",
            AppealError::AlreadyDecided => "already_decided",
            AppealError::Closed => "closed",
            AppealError::SecondLevelAlreadyAsked => "second_level_already_asked",
            AppealError::NothingLeftToReview => "nothing_left_to_review",
            AppealError::NotDecidedYet => "not_decided_yet",
            AppealError::AlreadyUnderAppeal => "already_under_appeal",
            AppealError::NotContestable => "not_contestable",
            AppealError::TooManyFiles { .. } => "too_many_files",
            AppealError::EmptyFile { .. } => "empty_file",
            AppealError::FileTooLarge { .. } => "file_too_large",
            AppealError::FileTypeNotAccepted { .. } => "file_type",
            AppealError::FileDisguised { .. } => "file_disguised",
            AppealError::Conflict(c) => c.code(),
            AppealError::NoAssignee => "no_assignee",
        }
    }

    /// The values the localised message names.
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            AppealError::StatementTooLong { len, max } | AppealError::ReasonsTooLong { len, max } => {
                vec![("len", len.to_string()), ("max", max.to_string())]
            }
            AppealError::ReasonsTooShort { len, min } => {
                vec![("len", len.to_string()), ("min", min.to_string())]
            }
            AppealError::TooManyFiles { max } => vec![("max", max.to_string())],
            AppealError::FileTooLarge { name, max_mb } => {
                vec![("name", name.clone()), ("max", max_mb.to_string())]
            }
            AppealError::EmptyFile { name }
            | AppealError::FileTypeNotAccepted { name }
            | AppealError::FileDisguised { name } => vec![("name", name.clone())],
            _ => Vec::new(),
        }
    }

    /// Every code, for the translation test.
    pub fn all_codes() -> Vec<&'static str> {
        let mut codes = vec![
            "no_grounds",
            "empty_statement",
            "statement_too_long",
            "reasons_too_short",
            "reasons_too_long",
            "no_outcome",
            "points_required",
            "partly_only_for_events",
            "already_decided",
            "closed",
            "second_level_already_asked",
            "nothing_left_to_review",
            "not_decided_yet",
            "already_under_appeal",
            "not_contestable",
            "too_many_files",
            "empty_file",
            "file_too_large",
            "file_type",
            "file_disguised",
            "no_assignee",
        ];
        codes.extend(Conflict::ALL.iter().map(|c| c.code()));
        codes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn reviewer() -> Reviewer {
        Reviewer {
            account: Uuid::now_v7(),
            username: "demo-reviewer".into(),
            display_name: "Ma Lin".into(),
            authority: None,
            review_body: Some(Uuid::now_v7()),
            body_authority: None,
        }
    }

    #[test]
    fn grounds_round_trip_and_unknown_grounds_are_refused() {
        for g in Grounds::ALL {
            assert_eq!(Grounds::parse(g.code()), Ok(g));
        }
        assert_eq!(Grounds::parse("because"), Err(AppealError::NoGrounds));
        assert_eq!(Grounds::parse_for("not_me", TargetKind::Rule), Err(AppealError::GroundsDoNotFit));
        assert_eq!(Grounds::parse_for("unclear", TargetKind::Event), Err(AppealError::GroundsDoNotFit));
        assert_eq!(Grounds::parse_for("unclear", TargetKind::Rule), Ok(Grounds::Unclear));
        assert_eq!(Grounds::parse_for("disproportionate", TargetKind::Entry), Ok(Grounds::Disproportionate));
        for kind in [TargetKind::Event, TargetKind::Entry, TargetKind::Rule] {
            assert!(Grounds::offered_for(kind).iter().all(|g| Grounds::ALL.contains(g)));
        }
        assert_eq!(Grounds::parse(""), Err(AppealError::NoGrounds));
    }

    #[test]
    fn a_statement_is_required_and_limited() {
        assert_eq!(Statement::parse("   "), Err(AppealError::EmptyStatement));
        assert_eq!(Statement::parse("  It was not me. ").unwrap().as_str(), "It was not me.");
        let long = "字".repeat(STATEMENT_MAX + 1);
        assert_eq!(
            Statement::parse(&long),
            Err(AppealError::StatementTooLong { len: STATEMENT_MAX + 1, max: STATEMENT_MAX })
        );
        assert!(Statement::parse(&"字".repeat(STATEMENT_MAX)).is_ok(), "characters are counted, not bytes");
    }

    #[test]
    fn a_decision_needs_reasons_of_a_minimum_length() {
        assert_eq!(Reasons::parse("No."), Err(AppealError::ReasonsTooShort { len: 3, min: REASONS_MIN }));
        assert!(Reasons::parse(&"x".repeat(REASONS_MIN)).is_ok());
    }

    #[test]
    fn outcomes_parse_with_points_only_for_events() {
        assert_eq!(Outcome::parse("upheld", None, TargetKind::Entry), Ok(Outcome::Upheld));
        assert_eq!(
            Outcome::parse("partly_upheld", Some("-2"), TargetKind::Event),
            Ok(Outcome::PartlyUpheld { points: -2 })
        );
        assert_eq!(
            Outcome::parse("partly_upheld", Some(""), TargetKind::Event),
            Err(AppealError::PointsRequired)
        );
        assert_eq!(
            Outcome::parse("partly_upheld", Some("-2"), TargetKind::Entry),
            Err(AppealError::PartlyOnlyForEvents)
        );
        assert_eq!(Outcome::parse("", None, TargetKind::Event), Err(AppealError::NoOutcome));
        assert!(!Outcome::Rejected.overturns() && Outcome::Upheld.overturns());
    }

    #[test]
    fn due_dates_and_overdue_are_read_at_the_instant_shown() {
        let filed = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap();
        let due = due_at(filed, 30);
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 1, 31, 9, 0, 0).unwrap());
        assert!(!is_overdue(Status::Open, due, due));
        assert!(is_overdue(Status::Open, due, due + Duration::seconds(1)));
        assert!(!is_overdue(Status::Decided, due, due + Duration::days(9)));
    }

    #[test]
    fn a_reviewer_never_decides_on_a_record_they_made_or_their_authority_made() {
        let me = reviewer();
        let traffic = AuthorityId::new();
        let clean = Recorded { authority: Some(traffic), recorded_by: Some("Officer Sun Li".into()) };
        assert_eq!(check_independence(&me, &clean, None), Ok(()));
        let mine = Recorded { recorded_by: Some("MA LIN".into()), ..clean.clone() };
        assert_eq!(check_independence(&me, &mine, None), Err(Conflict::RecordedIt));
        let insider = Reviewer { body_authority: Some(traffic), ..me.clone() };
        assert_eq!(check_independence(&insider, &clean, None), Err(Conflict::OwnAuthority));
        let officer = Reviewer { authority: Some(traffic), ..me.clone() };
        assert_eq!(check_independence(&officer, &clean, None), Err(Conflict::OwnAuthority));
        let bodiless = Reviewer { review_body: None, ..me.clone() };
        assert_eq!(check_independence(&bodiless, &clean, None), Err(Conflict::NoReviewBody));
        assert_eq!(check_independence(&me, &clean, Some(me.account)), Err(Conflict::DecidedFirstLevel));
    }

    #[test]
    fn a_second_level_review_is_asked_once_after_a_decision_that_left_something() {
        assert_eq!(check_second_level(Status::Decided, 1, Some(Outcome::Rejected)), Ok(()));
        assert_eq!(
            check_second_level(Status::Decided, 1, Some(Outcome::PartlyUpheld { points: -1 })),
            Ok(())
        );
        assert_eq!(
            check_second_level(Status::Decided, 1, Some(Outcome::Upheld)),
            Err(AppealError::NothingLeftToReview)
        );
        assert_eq!(check_second_level(Status::Open, 1, None), Err(AppealError::NotDecidedYet));
        assert_eq!(
            check_second_level(Status::Decided, 2, Some(Outcome::Rejected)),
            Err(AppealError::SecondLevelAlreadyAsked)
        );
        assert_eq!(check_decidable(Status::Decided), Err(AppealError::AlreadyDecided));
        assert_eq!(check_decidable(Status::Withdrawn), Err(AppealError::Closed));
    }

    #[test]
    fn evidence_is_recognised_by_content_and_disguises_are_refused() {
        let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n";
        assert_eq!(sniff("ticket.pdf", pdf), Ok(EvidenceKind::Pdf));
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
        assert_eq!(sniff("photo.PNG", &png), Ok(EvidenceKind::Png));
        assert_eq!(sniff("note.txt", "我当天在北京。".as_bytes()), Ok(EvidenceKind::Text));
        let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>";
        assert!(matches!(sniff("receipt.pdf", html), Err(AppealError::FileTypeNotAccepted { .. })));
        assert!(matches!(
            sniff("receipt.txt", b"  <svg onload=x>"),
            Err(AppealError::FileTypeNotAccepted { .. })
        ));
        assert!(matches!(sniff("receipt.pdf", b"just text"), Err(AppealError::FileDisguised { .. })));
        assert!(matches!(sniff("a.txt", b"a\0b"), Err(AppealError::FileTypeNotAccepted { .. })));
        assert!(matches!(sniff("a.txt", b""), Err(AppealError::EmptyFile { .. })));
        let big = vec![b'a'; MAX_FILE_BYTES + 1];
        assert!(matches!(sniff("big.txt", &big), Err(AppealError::FileTooLarge { .. })));
        assert_eq!(clean_file_name("C:\\Users\\x\\my \"receipt\".pdf"), "my receipt.pdf");
    }
}
