//! What every page shares: the shell, form fields, tables, formatting, the wording of refusals
//! and error pages, and the pieces of an appeal that both its subject and its reviewer see.

pub mod appeal;
pub mod errors;
pub mod format;
pub mod forms;
pub mod problems;
pub mod proof;
pub mod queue;
pub mod refusal;
pub mod shell;
pub mod system_text;

pub use forms::{Choice, ChoiceGroup, FileField, SelectField, TextAreaField, TextField};
pub use shell::{document, urlencode, DataTable, PageContext};
