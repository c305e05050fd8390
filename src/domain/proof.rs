//! A subject's proof of status, as far as it is pure: its code (short, unguessable, easy to type),
//! how long it may be valid, and the exact text the instance signs. The message format is
//! documented in README ("Proofs of status") and must never change for a `v1` proof.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};

/// Crockford's base 32: digits and capitals without I, L, O and U, so a code read aloud or
/// copied by hand is hard to get wrong.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a code: 60 random bits.
pub const CODE_LENGTH: usize = 12;

/// A proof lasts at least one day and at most this many.
pub const MAX_DAYS: i64 = 30;

/// The first line of every signed message of this format.
pub const MESSAGE_HEADER: &str = "Recourse proof of status v1";

/// A proof's code: twelve characters of Crockford's base 32, stored and signed without dashes,
/// shown grouped by four (`7KQ2-M9XD-4TZA`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProofCode(String);

/// Why a text is not a proof code; checked before anything is looked up.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("a proof code has {CODE_LENGTH} letters and digits; this one has {0}")]
    Length(usize),
    #[error("a proof code holds only digits and the letters A–Z except I, L, O and U")]
    Alphabet,
}

impl ProofCode {
    /// A fresh code from 60 random bits of `rng`.
    pub fn generate(rng: &mut impl rand::RngCore) -> Self {
        let bits = rng.next_u64();
        Self((0..CODE_LENGTH).map(|i| ALPHABET[((bits >> (5 * i)) & 31) as usize] as char).collect())
    }

    /// Reads a code as a person may type it: with or without dashes or spaces, in either case.
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        let cleaned: String =
            text.chars().filter(|c| !matches!(c, '-' | ' ')).map(|c| c.to_ascii_uppercase()).collect();
        if cleaned.chars().count() != CODE_LENGTH {
            return Err(CodeError::Length(cleaned.chars().count()));
        }
        if !cleaned.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(CodeError::Alphabet);
        }
        Ok(Self(cleaned))
    }

    /// As stored and signed: twelve characters, no dashes.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As shown to people: `XXXX-XXXX-XXXX`.
    pub fn grouped(&self) -> String {
        let s = &self.0;
        format!("{}-{}-{}", &s[0..4], &s[4..8], &s[8..12])
    }
}

impl fmt::Display for ProofCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.grouped())
    }
}

/// How many days a proof is valid: 1 to [`MAX_DAYS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProofDays(i64);

impl ProofDays {
    pub fn parse(text: &str) -> Option<Self> {
        text.trim().parse::<i64>().ok().and_then(Self::new)
    }

    pub fn new(days: i64) -> Option<Self> {
        (1..=MAX_DAYS).contains(&days).then_some(Self(days))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// The exact text a proof's signature is over: UTF-8 lines, each ending in a line feed, in
/// this order. The subject's name has its line breaks and other control characters replaced by
/// spaces so that no line can pretend to be another.
pub fn message(
    code: &ProofCode,
    subject_name: &str,
    statement: &str,
    as_of: DateTime<Utc>,
    valid_until: DateTime<Utc>,
    public_key_hex: &str,
) -> String {
    let clean = |s: &str| s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>();
    format!(
        "{MESSAGE_HEADER}\ncode: {}\nsubject: {}\nstatement: {}\nas_of: {}\nvalid_until: {}\npublic_key: {}\n",
        code.as_str(),
        clean(subject_name),
        clean(statement),
        instant(as_of),
        instant(valid_until),
        public_key_hex
    )
}

/// An instant as the message writes it: RFC 3339, UTC, whole seconds (`2026-03-01T09:30:00Z`).
pub fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn codes_are_twelve_crockford_characters_read_back_however_typed() {
        let code = ProofCode::generate(&mut rand::rngs::OsRng);
        assert_eq!(code.as_str().len(), CODE_LENGTH);
        let grouped = code.grouped();
        assert_eq!(grouped.len(), 14);
        assert_eq!(ProofCode::parse(&grouped).unwrap(), code);
        assert_eq!(ProofCode::parse(&grouped.to_lowercase()).unwrap(), code);
        assert_eq!(ProofCode::parse("7kq2 m9xd 4tza").unwrap().grouped(), "7KQ2-M9XD-4TZA");
    }

    #[test]
    fn malformed_codes_are_refused_specifically() {
        assert_eq!(ProofCode::parse("7KQ2-M9XD"), Err(CodeError::Length(8)));
        assert_eq!(ProofCode::parse("7KQ2-M9XD-4TZU"), Err(CodeError::Alphabet));
        assert_eq!(ProofCode::parse("<script>abcd"), Err(CodeError::Alphabet));
    }

    #[test]
    fn days_run_from_one_to_thirty() {
        assert_eq!(ProofDays::parse("0"), None);
        assert_eq!(ProofDays::parse("31"), None);
        assert_eq!(ProofDays::parse("seven"), None);
        assert_eq!(ProofDays::parse(" 7 ").map(ProofDays::get), Some(7));
        assert_eq!(ProofDays::new(30).map(ProofDays::get), Some(30));
    }

    #[test]
    fn the_message_is_one_field_a_line_and_a_name_cannot_add_lines() {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).unwrap();
        let code = ProofCode::parse("7KQ2M9XD4TZA").unwrap();
        let text =
            message(&code, "Wang\nFang", "not on any blacklist", at, at + chrono::Duration::days(7), "ab");
        assert_eq!(
            text,
            "Recourse proof of status v1\ncode: 7KQ2M9XD4TZA\nsubject: Wang Fang\n\
             statement: not on any blacklist\nas_of: 2026-03-01T09:30:00Z\n\
             valid_until: 2026-03-08T09:30:00Z\npublic_key: ab\n"
        );
    }
}
