//! Reading a page's query string strictly: a parameter given twice (`?as_of=a&as_of=b`) or one
//! that cannot be read gets the localised 400 page, never the framework's plain-text error.

use axum::{extract::FromRequestParts, http::request::Parts, response::Response};
use serde::de::DeserializeOwned;

use crate::pages::kit::refusal::Refusal;

/// Like `axum::extract::Query`, but answering with a page when it refuses.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        serde_urlencoded::from_str(parts.uri.query().unwrap_or_default())
            .map(Query)
            .map_err(|_| Refusal::MalformedQuery.respond(parts))
    }
}
