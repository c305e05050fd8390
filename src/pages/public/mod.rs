//! Pages anyone can read without signing in: the home page and the published rule catalogue.

pub mod cache;
pub mod catalogue;
pub mod compare;
pub mod home;
pub mod transparency;
pub mod tree_heads;
pub mod verify;
