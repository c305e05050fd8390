//! Pages anyone can read without signing in: the home page and the published rule catalogue.

pub mod cache;
pub mod catalogue;
pub mod home;
