//! What may be said about a subject's standing without showing it: whether a listing restricts
//! them from something, whether they are on any blacklist, whether their grade in a scheme is at
//! least a given one. Relying parties' checks (`store::checks`) and subjects' proofs of status
//! (`store::proofs`) are both answered here, from the one standing loader and the subject's
//! entries, so a check and a proof about the same instant can never disagree.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::{blacklist, catalogue, register, standing, StoreError};
use crate::domain::{EntryStatus, Grade, Restriction, SchemeId, SubjectId};

/// One yes-or-no question about a subject's standing, with what it names already resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Question {
    /// Whether an entry in effect restricts the subject from `0`.
    Restricted(Restriction),
    /// Whether any entry is in effect or suspended (a suspended listing is still a listing).
    OnAnyBlacklist,
    /// Whether the subject's grade in the scheme is `grade` or better.
    GradeAtLeast { scheme: SchemeId, scheme_code: String, grade: Grade },
}

/// The kinds of question, by their stable code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QuestionKind {
    Restricted,
    OnAnyBlacklist,
    GradeAtLeast,
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 3] = [Self::Restricted, Self::OnAnyBlacklist, Self::GradeAtLeast];

    pub fn code(self) -> &'static str {
        match self {
            Self::Restricted => "restricted",
            Self::OnAnyBlacklist => "on_any_blacklist",
            Self::GradeAtLeast => "grade_at_least",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code.trim())
    }
}

/// Why a question cannot be asked about a subject; nothing is recorded for it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuestionError {
    #[error("unknown question {0:?}: ask restricted, on_any_blacklist or grade_at_least")]
    UnknownQuestion(String),
    #[error("{field} is required for this question")]
    Missing { field: &'static str },
    #[error("unknown restriction {0:?}")]
    UnknownRestriction(String),
    #[error("there is no scheme {0:?}")]
    UnknownScheme(String),
    #[error("scheme {scheme} has no grade {grade:?}")]
    UnknownGrade { scheme: String, grade: String },
    #[error("the subject is not in scheme {0}")]
    NotAMember(String),
}

impl QuestionError {
    /// The field the problem is about, for a specific error.
    pub fn field(&self) -> &'static str {
        match self {
            Self::UnknownQuestion(_) => "question",
            Self::Missing { field } => field,
            Self::UnknownRestriction(_) => "restriction",
            Self::UnknownScheme(_) | Self::NotAMember(_) => "scheme",
            Self::UnknownGrade { .. } => "grade",
        }
    }

    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownQuestion(_) => "unknown_question",
            Self::Missing { .. } => "missing_field",
            Self::UnknownRestriction(_) => "unknown_restriction",
            Self::UnknownScheme(_) => "unknown_scheme",
            Self::UnknownGrade { .. } => "unknown_grade",
            Self::NotAMember(_) => "not_a_member",
        }
    }
}

impl Question {
    pub fn kind(&self) -> QuestionKind {
        match self {
            Self::Restricted(_) => QuestionKind::Restricted,
            Self::OnAnyBlacklist => QuestionKind::OnAnyBlacklist,
            Self::GradeAtLeast { .. } => QuestionKind::GradeAtLeast,
        }
    }

    /// The question's parameter as stored beside its kind: the restriction's code, or
    /// `scheme_code:grade`; empty for a question without one.
    pub fn parameter(&self) -> String {
        match self {
            Self::Restricted(r) => r.code().to_string(),
            Self::OnAnyBlacklist => String::new(),
            Self::GradeAtLeast { scheme_code, grade, .. } => format!("{scheme_code}:{grade}"),
        }
    }

    /// Resolves a question from its kind's code and its fields as sent (`restriction`, or
    /// `scheme` by code and `grade`), checking that the scheme exists and has the grade.
    pub async fn resolve(
        conn: &mut AnyConnection,
        kind: &str,
        restriction: Option<&str>,
        scheme: Option<&str>,
        grade: Option<&str>,
    ) -> Result<Result<Self, QuestionError>, StoreError> {
        let present = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        let Some(kind) = QuestionKind::parse(kind) else {
            return Ok(Err(QuestionError::UnknownQuestion(kind.chars().take(64).collect())));
        };
        Ok(match kind {
            QuestionKind::OnAnyBlacklist => Ok(Self::OnAnyBlacklist),
            QuestionKind::Restricted => match present(restriction) {
                None => Err(QuestionError::Missing { field: "restriction" }),
                Some(code) => Restriction::parse(&code)
                    .map(Self::Restricted)
                    .map_err(|_| QuestionError::UnknownRestriction(code.chars().take(64).collect())),
            },
            QuestionKind::GradeAtLeast => {
                let (Some(scheme_code), Some(grade_text)) = (present(scheme), present(grade)) else {
                    let field = if present(scheme).is_none() { "scheme" } else { "grade" };
                    return Ok(Err(QuestionError::Missing { field }));
                };
                let Some(record) = catalogue::scheme_by_code(conn, &scheme_code).await? else {
                    return Ok(Err(QuestionError::UnknownScheme(scheme_code.chars().take(64).collect())));
                };
                let unknown = || QuestionError::UnknownGrade {
                    scheme: scheme_code.clone(),
                    grade: grade_text.chars().take(32).collect(),
                };
                match Grade::parse(&grade_text) {
                    Ok(grade) if record.scheme.bands().index_of(&grade).is_some() => Ok(Self::GradeAtLeast {
                        scheme: record.scheme.id(),
                        scheme_code: record.scheme.code().to_string(),
                        grade,
                    }),
                    _ => Err(unknown()),
                }
            }
        })
    }

    /// Reads a stored question back (kind code and [`Question::parameter`]).
    pub async fn restore(conn: &mut AnyConnection, kind: &str, parameter: &str) -> Result<Self, StoreError> {
        let (restriction, scheme, grade) = match QuestionKind::parse(kind) {
            Some(QuestionKind::Restricted) => (Some(parameter), None, None),
            Some(QuestionKind::GradeAtLeast) => {
                let (scheme, grade) = parameter.split_once(':').unwrap_or((parameter, ""));
                (None, Some(scheme), Some(grade))
            }
            _ => (None, None, None),
        };
        Self::resolve(conn, kind, restriction, scheme, grade)
            .await?
            .map_err(|e| StoreError::corrupt(format!("a stored question no longer resolves: {e}")))
    }
}

/// The answer to `question` about `subject` at `at`, from what is on file now. Refused with
/// [`QuestionError::NotAMember`] when the question is about a scheme the subject is not in.
pub async fn answer(
    conn: &mut AnyConnection,
    reads: standing::Reads<'_>,
    subject: SubjectId,
    question: &Question,
    at: DateTime<Utc>,
) -> Result<Result<bool, QuestionError>, StoreError> {
    Ok(Ok(match question {
        Question::Restricted(restriction) => blacklist::entries_of(conn, subject, None)
            .await?
            .iter()
            .any(|e| e.entry.status_at(at).restricts() && e.entry.restrictions().contains(restriction)),
        Question::OnAnyBlacklist => blacklist::entries_of(conn, subject, None)
            .await?
            .iter()
            .any(|e| matches!(e.entry.status_at(at), EntryStatus::Active | EntryStatus::Suspended)),
        Question::GradeAtLeast { scheme, scheme_code, grade } => {
            if !register::memberships(conn, subject).await?.contains(scheme) {
                return Ok(Err(QuestionError::NotAMember(scheme_code.clone())));
            }
            let standing = standing::in_scheme(conn, reads, subject, *scheme, at)
                .await?
                .ok_or_else(|| StoreError::corrupt("a membership of an unknown scheme"))?;
            let bands = standing.ctx.scheme().bands();
            let wanted = bands.index_of(grade).unwrap_or(0);
            bands.index_of(&standing.derivation.grade).is_some_and(|held| held <= wanted)
        }
    }))
}
