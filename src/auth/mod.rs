//! Accounts and credentials.

pub mod password;

use axum::{routing::get, Router};

use crate::{http::AppState, pages};

/// Sign-in, sign-out and account routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/sign-in", get(pages::home::sign_in_placeholder))
}
