//! Sign-in throttling: at most 5 failed attempts per account name from one client address, and
//! 20 per client address whatever the names, in any 15 minutes (OWASP's authentication cheat
//! sheet). A name is never locked for everyone: an address with no failures against it is not
//! throttled for it, so an attacker guessing at someone's name cannot keep its owner out. Failures are counted in the database, not in memory, because app servers keep
//! no state of their own (DESIGN.md): behind a load balancer an in-memory limiter would let an
//! attacker multiply their attempts by the number of servers. Names and addresses are stored and
//! logged only as digests.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::request::Parts,
};
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use crate::{
    http::AppState,
    store::throttle::{self, Scope},
};

/// How many failures within a window are allowed before further attempts are refused.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub failures: usize,
    pub window: Duration,
}

/// Per account name from one client address.
pub const PER_ACCOUNT: Limit = Limit { failures: 5, window: Duration::minutes(15) };
pub const PER_ADDRESS: Limit = Limit { failures: 20, window: Duration::minutes(15) };

/// The digests an attempt is counted under: the name at the address, and the address. Also the
/// tags that stand for them in the log, so an operator can follow one attacker without learning
/// who anyone is.
#[derive(Clone)]
pub struct AttemptKeys {
    account: String,
    address: String,
}

impl std::fmt::Debug for AttemptKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AttemptKeys(account {}, address {})", self.account_tag(), self.address_tag())
    }
}

fn digest(purpose: &str, value: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(purpose.as_bytes());
    hasher.update([0]);
    hasher.update(value.as_bytes());
    hex::encode(hasher.finalize())
}

impl AttemptKeys {
    /// Keys for a sign-in name as typed (normalised like account names, so `Ada` and `ada ` are
    /// one account, whether it exists or not) from a client address.
    pub fn new(username: &str, address: &str) -> Self {
        Self {
            account: digest(
                "recourse sign-in account at address",
                &format!("{}\0{address}", username.trim().to_lowercase()),
            ),
            address: digest("recourse sign-in address", address),
        }
    }

    /// A short tag for the account name (at this address) in logs.
    pub fn account_tag(&self) -> &str {
        &self.account[..12]
    }

    /// A short tag for the client address in logs.
    pub fn address_tag(&self) -> &str {
        &self.address[..12]
    }
}

/// When a throttled person may try again: `None` when they may try now.
pub async fn retry_after(
    conn: &mut AnyConnection,
    keys: &AttemptKeys,
    now: DateTime<Utc>,
) -> Result<Option<Duration>, sqlx::Error> {
    let mut wait: Option<Duration> = None;
    for (scope, key, limit) in
        [(Scope::Account, &keys.account, PER_ACCOUNT), (Scope::Address, &keys.address, PER_ADDRESS)]
    {
        let failures = throttle::failures_since(conn, scope, key, now - limit.window).await?;
        if failures.len() >= limit.failures {
            // Allowed again once enough of the oldest failures have left the window.
            let frees_at = failures[failures.len() - limit.failures] + limit.window;
            let this = frees_at - now;
            wait = Some(wait.map_or(this, |w| w.max(this)));
        }
    }
    Ok(wait)
}

/// Counts a failed attempt against both keys, and forgets failures that no longer count.
pub async fn record_failure(
    conn: &mut AnyConnection,
    keys: &AttemptKeys,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    throttle::record_failure(conn, Scope::Account, &keys.account, now).await?;
    throttle::record_failure(conn, Scope::Address, &keys.address, now).await?;
    throttle::prune(conn, now - PER_ACCOUNT.window.max(PER_ADDRESS.window)).await
}

/// After a successful sign-in, the account's earlier failures from this address no longer count.
pub async fn clear_account(conn: &mut AnyConnection, keys: &AttemptKeys) -> Result<(), sqlx::Error> {
    throttle::clear(conn, Scope::Account, &keys.account).await
}

/// Whole minutes to wait, rounded up, at least one.
pub fn minutes(wait: Duration) -> i64 {
    ((wait.num_seconds() + 59) / 60).max(1)
}

/// The client's address for throttling: the peer's, or with `trust_forwarded_for` (behind a
/// reverse proxy that appends it) the last `X-Forwarded-For` entry. IPv6 clients are counted by
/// their /64 network, which one household or server usually holds whole.
pub fn client_address(parts: &Parts, trust_forwarded_for: bool) -> String {
    let forwarded = trust_forwarded_for
        .then(|| {
            parts
                .headers
                .get("x-forwarded-for")?
                .to_str()
                .ok()?
                .rsplit(',')
                .next()?
                .trim()
                .parse::<IpAddr>()
                .ok()
        })
        .flatten();
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    match forwarded.or(peer) {
        Some(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(IpAddr::V6(v6)) => v6.to_ipv4_mapped().map(|v4| v4.to_string()).unwrap_or_default(),
        Some(ip) => ip.to_string(),
        None => "unknown".into(),
    }
}

/// The client's address as [`client_address`] finds it, for handlers.
#[derive(Clone, Debug)]
pub struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self(client_address(parts, state.config.trust_forwarded_for)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_and_surrounding_spaces_and_tags_reveal_nothing() {
        let a = AttemptKeys::new(" Wang.Fang ", "203.0.113.9");
        let b = AttemptKeys::new("wang.fang", "203.0.113.9");
        assert_eq!(a.account_tag(), b.account_tag());
        assert_eq!(a.account_tag().len(), 12);
        let shown = format!("{a:?}");
        assert!(!shown.contains("wang") && !shown.contains("203.0"), "{shown}");
    }

    #[test]
    fn waiting_time_is_rounded_up_to_whole_minutes() {
        assert_eq!(minutes(Duration::seconds(1)), 1);
        assert_eq!(minutes(Duration::seconds(60)), 1);
        assert_eq!(minutes(Duration::seconds(61)), 2);
        assert_eq!(minutes(Duration::minutes(15)), 15);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_network() {
        let parts = |ip: &str| {
            let mut request = axum::http::Request::new(());
            request.extensions_mut().insert(ConnectInfo(SocketAddr::new(ip.parse().unwrap(), 4000)));
            request.into_parts().0
        };
        assert_eq!(client_address(&parts("2001:db8:1:2:aaaa::1"), false), "2001:db8:1:2::/64");
        assert_eq!(client_address(&parts("2001:db8:1:2:bbbb::9"), false), "2001:db8:1:2::/64");
        assert_eq!(client_address(&parts("192.0.2.7"), false), "192.0.2.7");
        let mut forwarded = parts("127.0.0.1");
        forwarded.headers.insert("x-forwarded-for", "198.51.100.1, 192.0.2.44".parse().unwrap());
        assert_eq!(client_address(&forwarded, true), "192.0.2.44");
        assert_eq!(client_address(&forwarded, false), "127.0.0.1");
    }
}
