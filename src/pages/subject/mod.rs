//! The subject's own pages: their record in every scheme with its derivation, each record and
//! blacklist entry, notices, who read their record, the export of their data, and their appeals.

pub mod appeals;
pub mod checks;
pub mod decision;
pub mod history;
pub mod notices;
pub mod proofs;
pub mod record;

use crate::{
    auth::access::{require_record_access, Viewer},
    domain::SubjectId,
    error::{AppError, AppResult},
};

/// The subject a signed-in person speaks for; staff have no "own" record.
pub fn own_subject(viewer: &Viewer) -> AppResult<SubjectId> {
    let subject = viewer.subject_id.ok_or(AppError::NotFound)?;
    require_record_access(viewer, subject)?;
    Ok(subject)
}
