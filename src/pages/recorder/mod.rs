//! The recorder's pages: finding a subject, recording events and blacklist entries for their
//! authority, delivering notices, and bulk imports.

pub mod import;
pub mod recording;
