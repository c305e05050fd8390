//! The domain of Recourse: pure scoring, derivation and policies.
//!
//! Everything here is a pure function of its inputs — schemes, rule versions, recorded events,
//! disputes, blacklist entries and an instant — so any score shown anywhere can be re-derived,
//! line by line, and any past instant replayed. This module knows nothing of HTTP, SQL, sessions
//! or the clock: callers pass `now` and `at`, and store what the functions return. Inputs that
//! break a rule of the domain are refused with a [`DomainError`] naming the field and the problem.

pub mod appeal;
pub mod blacklist;
pub mod category;
pub mod derivation;
pub mod error;
pub mod event;
pub mod ids;
mod lookup;
pub mod mandate;
pub mod proof;
pub mod rule;
pub mod scheme;
pub(crate) mod text;
pub mod what_if;
pub mod wording;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod proptests;

pub use blacklist::{Currency, Entry, EntryDraft, EntryStatus, RemovalCondition, Restriction};
pub use category::Category;
pub use derivation::{
    derive, derive_without_disputed, grade_at, score_at, ComponentLine, Derivation, Line, NotCounting, Reason,
};
pub use error::DomainError;
pub use event::{
    record_fact, record_supersede, record_void, validate_new_event, validate_target, Dispute, Event,
    EventKind, Fact, Source,
};
pub use ids::{
    AuthorityId, EntryId, EventId, ListId, MandateId, ProofId, RuleId, RuleVersionId, SchemeId, SubjectId,
};
pub use mandate::{Mandate, MandateScope, Mandates, RulePattern};
pub use rule::{
    changes, Catalogue, Effect, LegalBasis, Publication, RuleChange, RuleCode, RuleContent, RuleField,
    RuleStatus, RuleVersion, Validity,
};
pub use scheme::{
    contribution, Band, Component, ComponentCode, DisputePolicy, Grade, GradeBands, OnDeadline, Scheme,
    SchemeKind,
};
pub use what_if::{if_overturned, recovery_path, smallest_lift, IfOverturned, Lift, RecoveryStep};
