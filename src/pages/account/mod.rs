//! Signing in and out, accepting an invitation, and one's own account page: for every role.

pub mod invitation;
pub mod me;
pub mod sign_in;
