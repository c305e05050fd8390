//! Accounts, sign-in and access control. `password` holds the password policy and hashing,
//! `session` the cookie and the signed-in session, `access` every authorisation decision,
//! `csrf` the cross-site check on state-changing requests, `throttle` the sign-in limits and
//! `invitation` the tokens of invitation links. The pages themselves live in `pages::sign_in`,
//! `pages::account`, `pages::admin` and `pages::invitation`.

pub mod access;
pub mod csrf;
pub mod invitation;
pub mod password;
pub mod session;
pub mod throttle;

use crate::{
    http::route_table::Routes,
    pages::{account, admin, invitation as invitation_page, sign_in},
};

/// Sign-in, sign-out, the person's own account, account management and invitations.
pub fn routes() -> Routes {
    Routes::new()
        .get("/sign-in", sign_in::page)
        .post("/sign-in", sign_in::submit)
        .post("/sign-out", sign_in::sign_out)
        .get("/me", account::page)
        .post("/me/password", account::change_password)
        .get("/admin/accounts", admin::list)
        .post("/admin/accounts", admin::create)
        .get("/admin/accounts/{id}", admin::detail)
        .post("/admin/accounts/{id}/disable", admin::disable)
        .post("/admin/accounts/{id}/invitation", admin::reinvite)
        .get("/invitation/{token}", invitation_page::page)
        .post("/invitation/{token}", invitation_page::submit)
}

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
