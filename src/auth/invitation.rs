//! Invitation tokens: 256 random bits, shown once in the link an administrator passes on, and
//! stored only as a SHA-256 digest. A link works once and for 72 hours.

use chrono::Duration;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// How long an invitation link works.
pub const LIFETIME: Duration = Duration::hours(72);

/// A fresh invitation token. `Debug` never prints it.
pub struct InvitationToken(String);

impl InvitationToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(hex::encode(bytes))
    }

    /// The token as it appears in the link.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The digest under which it is stored.
    pub fn digest(&self) -> String {
        digest(&self.0)
    }
}

impl std::fmt::Debug for InvitationToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InvitationToken(***)")
    }
}

/// The stored digest of a token as found in a link.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_never_printed() {
        let a = InvitationToken::generate();
        let b = InvitationToken::generate();
        assert_eq!(a.expose().len(), 64);
        assert_ne!(a.expose(), b.expose());
        assert_eq!(format!("{a:?}"), "InvitationToken(***)");
        assert_eq!(a.digest(), digest(a.expose()));
        assert_ne!(a.digest(), a.expose());
    }
}
