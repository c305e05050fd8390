//! Accounts, sign-in and access control. `password` holds the password policy and hashing,
//! `session` the cookie and the signed-in session, `access` every authorisation decision,
//! `csrf` the cross-site check on state-changing requests, `throttle` the sign-in limits and
//! `invitation` the tokens of invitation links. The pages themselves live in `pages::account`
//! (signing in, invitations, one's own account) and `pages::admin::accounts`.

pub mod access;
pub mod csrf;
pub mod invitation;
pub mod password;
pub mod session;
pub mod throttle;

/// A request path fit for the log: the secret part of an invitation link is left out.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    match path.strip_prefix("/invitation/") {
        Some(rest) if !rest.is_empty() => "/invitation/***".into(),
        _ => path.into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn invitation_tokens_never_reach_the_log() {
        assert_eq!(super::loggable_path("/invitation/abcdef0123"), "/invitation/***");
        assert_eq!(super::loggable_path("/sign-in"), "/sign-in");
    }
}
