//! Text Recourse itself writes into the record, in English (why a member of staff opened a record,
//! the reason on a record a repeal voided): built here and parsed back here, so that pages can
//! show it in the reader's language (`pages::kit::system_text`) and the two never drift apart.

const RECORDING: &str = "recording";
const REVIEWING: &str = "Reviewing appeal ";
const READING_DECISION: &str = "Reading the decision of appeal ";
const DOWNLOADING_EVIDENCE: &str = "Downloading evidence of appeal ";
/// The body of an administrator's read: administrators belong to no body.
pub const ADMINISTRATION: &str = "Administration";
const REPEALED: (&str, &str) = ("Rule ", " was repealed: ");
/// The reason on a record voided by default because its appeal was not decided in time.
pub const NOT_VERIFIED_IN_TIME: &str = "not verified in time";

/// Why a member of staff opened a subject's record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose<'a> {
    /// A recorder, to record.
    Recording,
    /// A reviewer, to review appeal (reference).
    Reviewing(&'a str),
    ReadingDecision(&'a str),
    DownloadingEvidence(&'a str),
    /// Anything else, as written.
    Other(&'a str),
}

impl<'a> Purpose<'a> {
    /// As stored.
    pub fn text(self) -> String {
        match self {
            Purpose::Recording => RECORDING.to_string(),
            Purpose::Reviewing(r) => format!("{REVIEWING}{r}"),
            Purpose::ReadingDecision(r) => format!("{READING_DECISION}{r}"),
            Purpose::DownloadingEvidence(r) => format!("{DOWNLOADING_EVIDENCE}{r}"),
            Purpose::Other(t) => t.to_string(),
        }
    }

    /// Read back from what was stored.
    pub fn parse(stored: &'a str) -> Self {
        if stored == RECORDING {
            return Purpose::Recording;
        }
        if let Some(r) = stored.strip_prefix(REVIEWING) {
            return Purpose::Reviewing(r);
        }
        if let Some(r) = stored.strip_prefix(READING_DECISION) {
            return Purpose::ReadingDecision(r);
        }
        if let Some(r) = stored.strip_prefix(DOWNLOADING_EVIDENCE) {
            return Purpose::DownloadingEvidence(r);
        }
        Purpose::Other(stored)
    }
}

/// The reason on a record voided by the repeal of rule `code`, for the administrators' `reason`.
pub fn repealed(code: &str, reason: &str) -> String {
    format!("{}{code}{}{reason}", REPEALED.0, REPEALED.1)
}

/// The rule and the administrators' reason of a reason written by [`repealed`].
pub fn parse_repealed(stored: &str) -> Option<(&str, &str)> {
    stored.strip_prefix(REPEALED.0)?.split_once(REPEALED.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_parses_back() {
        for p in [
            Purpose::Recording,
            Purpose::Reviewing("A-1"),
            Purpose::ReadingDecision("A-2"),
            Purpose::DownloadingEvidence("A-3"),
            Purpose::Other("an audit"),
        ] {
            assert_eq!(Purpose::parse(&p.text()), p);
        }
        assert_eq!(
            parse_repealed(&repealed("TRAFFIC-01", "struck: down")),
            Some(("TRAFFIC-01", "struck: down"))
        );
        assert_eq!(parse_repealed("Paid in full"), None);
    }
}
