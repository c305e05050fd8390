//! Server-rendered pages, arranged by who uses them: `public/` (no sign-in), `account/` (signing
//! in and one's own account, any role), `subject/`, `recorder/`, `reviewer/`, `admin/`, and the
//! shared `kit/` (page shell, form fields, tables, formatting, refusals). Each page is a Leptos
//! view rendered to HTML on the server; no script is shipped, so every page and form works with
//! JavaScript off. Every route is declared once, in [`crate::http::routes`].

pub mod account;
pub mod admin;
pub mod kit;
pub mod public;
pub mod recorder;
pub mod reviewer;
pub mod subject;

pub use kit::{document, urlencode, PageContext};
