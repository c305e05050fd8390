//! Accounts and credentials.

pub mod password;
