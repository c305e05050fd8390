//! Recourse: the due-process layer for scoring and blacklist schemes.
//!
//! `domain` is pure (scoring, derivations, policies); `store` talks SQL; `http` and `pages` are
//! the web edge; `cli` is the command line. Read DESIGN.md for the words every module uses.

rust_i18n::i18n!("locales", fallback = "en");
// The macro embeds the files without telling Cargo, so a changed translation alone left a stale
// build; naming them here makes every change to them rebuild the crate.
const _: &str = include_str!("../locales/en.yml");
const _: &str = include_str!("../locales/zh-CN.yml");

/// mimalloc instead of glibc's allocator: under load, malloc and free of the many small
/// strings a page is built from took a sixth of the server's time in contended arenas.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod api;
pub mod auth;
pub mod cli;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod i18n;
pub mod pages;
pub mod signing;
pub mod store;
