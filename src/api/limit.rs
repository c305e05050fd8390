//! Rate limiting of the API: each token, and each client address for calls without a valid
//! token, may make [`ApiLimit::per_second`] calls a second sustained with bursts of
//! [`ApiLimit::burst`] (GCRA, the `governor` crate); a call over the limit answers 429 with a
//! `Retry-After` header and the problem `rate_limited`, before the handler reads its body.
//!
//! Unlike sign-in throttling (`crate::auth::throttle`), which guards passwords and so counts in
//! the database for every server to see, this guards each server's capacity: it counts in memory,
//! per server process, at no cost to the database. Behind a load balancer with N servers a token
//! may make up to N times the limit, which is the capacity those servers have.

use std::{
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::{
    bearer::{self, Resolved, ResolvedParty},
    ApiError,
};
use crate::{auth::throttle::client_address, http::AppState};

/// The limit of the API: calls a second, sustained, and the burst allowed on top of an idle
/// spell. `per_second` 0 turns limiting off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiLimit {
    pub per_second: u32,
    pub burst: u32,
}

impl ApiLimit {
    /// 20 calls a second sustained, bursts of 100: a file import or a batch of 1,000 events is
    /// one call, so this leaves bulk recording untouched and stops a runaway client loop.
    pub const DEFAULT: Self = Self { per_second: 20, burst: 100 };
}

impl Default for ApiLimit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Who a call is counted against.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Token(String),
    Address(String),
}

/// How often the limiter forgets keys that are back to a full burst, so that addresses seen once
/// do not accumulate in memory.
const PRUNE_EVERY: u64 = 4096;

/// The in-memory counters of one server.
pub struct ApiLimiter {
    limit: ApiLimit,
    limiter: DefaultKeyedRateLimiter<Key>,
    calls: AtomicU64,
}

impl std::fmt::Debug for ApiLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiLimiter").field("limit", &self.limit).field("keys", &self.limiter.len()).finish()
    }
}

impl ApiLimiter {
    /// A limiter for `limit`; `None` when `per_second` is 0 (limiting off).
    pub fn new(limit: ApiLimit) -> Option<Self> {
        let per_second = NonZeroU32::new(limit.per_second)?;
        let burst = NonZeroU32::new(limit.burst).unwrap_or(per_second);
        Some(Self {
            limit,
            limiter: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
            calls: AtomicU64::new(0),
        })
    }

    /// Counts a call against `key`: `Err(wait)` when it is over the limit.
    fn check(&self, key: &Key) -> Result<(), Duration> {
        if self.calls.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(key).map_err(|not_until| not_until.wait_time_from(self.limiter.clock().now()))
    }
}

/// Whole seconds to wait, rounded up, at least one (`Retry-After` takes whole seconds).
fn retry_after_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// Middleware on every API route (through `http::route_checks`): counts calls under `/api/v1/`
/// and refuses those over the limit. It resolves the bearer token once and hands the result to
/// [`bearer::ApiCaller`] through the request's extensions, so a call costs one token lookup.
pub async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(limiter) = state.api_limiter.as_deref() else {
        return next.run(request).await;
    };
    if !request.uri().path().starts_with("/api/v1/") {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let address = || Key::Address(client_address(&parts, state.config.trust_forwarded_for));
    let (key, resolved) = if bearer::presents_party_token(&parts) {
        let caller = bearer::resolve_party(&parts, &state).await;
        let key = caller.as_ref().map(|c| Key::Token(c.token.id.to_string())).unwrap_or_else(|_| address());
        (key, Err(ResolvedParty(caller)))
    } else {
        let caller = bearer::resolve(&parts, &state).await;
        let key = caller.as_ref().map(|c| Key::Token(c.token.id.to_string())).unwrap_or_else(|_| address());
        (key, Ok(Resolved(caller)))
    };
    if let Err(wait) = limiter.check(&key) {
        let seconds = retry_after_seconds(wait);
        if let Key::Token(_) = key {
            tracing::info!(seconds, "an API token is over its rate limit");
        }
        let message = format!(
            "too many calls: at most {} a second with bursts of {}; try again in {seconds} s (Retry-After)",
            limiter.limit.per_second, limiter.limit.burst
        );
        let mut response =
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message).into_response();
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        return response;
    }
    match resolved {
        Ok(authority) => parts.extensions.insert(authority).map(drop),
        Err(party) => parts.extensions.insert(party).map(drop),
    };
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_whole_seconds_rounded_up_and_at_least_one() {
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(50)), 1);
        assert_eq!(retry_after_seconds(Duration::from_secs(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1001)), 2);
    }

    #[test]
    fn a_burst_is_allowed_then_refused_per_key_and_zero_turns_limiting_off() {
        assert!(ApiLimiter::new(ApiLimit { per_second: 0, burst: 5 }).is_none());
        let limiter = ApiLimiter::new(ApiLimit { per_second: 1, burst: 3 }).unwrap();
        let a = Key::Token("a".into());
        for _ in 0..3 {
            assert!(limiter.check(&a).is_ok());
        }
        let wait = limiter.check(&a).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1), "{wait:?}");
        assert!(limiter.check(&Key::Token("b".into())).is_ok(), "another token has its own count");
        assert!(limiter.check(&Key::Address("a".into())).is_ok(), "an address is not a token");
    }
}
