//! Reading URL-encoded form posts strictly: the body must be valid UTF-8 once percent-decoded
//! (a password is checked exactly as typed, so it is never silently "repaired"), and at most
//! [`MAX_BYTES`] long. A form that cannot be read gets a clear 400 or 413 page in the person's
//! language, never a panic or a plain-text error.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    response::Response,
};
use serde::de::DeserializeOwned;

use crate::pages::kit::refusal::Refusal;

/// The largest form body read: room for 10,000 CJK characters percent-encoded, so that even an
/// absurdly long password gets the page that says what is wrong with it.
pub const MAX_BYTES: usize = 128 * 1024;

/// Like `axum::Form`, but strict about encoding and answering with a page when it refuses.
#[derive(Debug)]
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = Response;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let bytes = match axum::body::to_bytes(body, MAX_BYTES).await {
            Ok(bytes) => bytes,
            Err(_) => return Err(Refusal::FormTooLarge.respond(&parts)),
        };
        if !is_well_formed(&bytes) {
            return Err(Refusal::MalformedForm.respond(&parts));
        }
        serde_urlencoded::from_bytes(&bytes).map(Form).map_err(|_| Refusal::MalformedForm.respond(&parts))
    }
}

/// True when every name and value decodes to valid UTF-8.
fn is_well_formed(body: &Bytes) -> bool {
    body.split(|b| *b == b'&').all(|pair| {
        let plus_as_space: Vec<u8> = pair.iter().map(|b| if *b == b'+' { b' ' } else { *b }).collect();
        percent_encoding::percent_decode(&plus_as_space).decode_utf8().is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_utf8_is_detected_percent_encoded_or_raw() {
        assert!(is_well_formed(&Bytes::from_static(b"username=wang&password=%E5%AF%86+%E7%A0%81")));
        assert!(!is_well_formed(&Bytes::from_static(b"username=wang&password=%FF%FE")));
        assert!(!is_well_formed(&Bytes::from_static(b"username=\xff")));
        assert!(!is_well_formed(&Bytes::from_static(b"password=%E5%AF")), "a truncated sequence");
    }
}
