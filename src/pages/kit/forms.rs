//! Accessible form pieces shared by the staff pages: a labelled field or select whose hint and
//! error are tied to the control with `aria-describedby`, and an error summary that links to each
//! field.
//! Validation is the server's (no `required` attributes), so every message is specific and in
//! the person's language, with or without JavaScript.

use leptos::prelude::*;

use crate::i18n::Locale;

/// One input with its label, optional hint and optional error.
pub struct Field {
    pub id: &'static str,
    pub label: String,
    /// `text`, `password`, …
    pub kind: &'static str,
    pub autocomplete: &'static str,
    /// Shown back after a failed post (never for passwords).
    pub value: String,
    pub hint: Option<String>,
    pub error: Option<String>,
    pub readonly: bool,
}

impl Field {
    pub fn new(id: &'static str, label: String, kind: &'static str, autocomplete: &'static str) -> Self {
        Self { id, label, kind, autocomplete, value: String::new(), hint: None, error: None, readonly: false }
    }

    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = value.into();
        self
    }

    pub fn hint(mut self, hint: String) -> Self {
        self.hint = Some(hint);
        self
    }

    pub fn error(mut self, error: Option<String>) -> Self {
        self.error = error;
        self
    }

    /// Shown but not editable (it is still sent with the form).
    pub fn readonly(mut self) -> Self {
        self.readonly = true;
        self
    }

    pub fn view(self) -> impl IntoView {
        let frame = Frame::new(self.id, self.hint, self.error);
        let value = (!self.value.is_empty()).then_some(self.value);
        view! {
            <div class=frame.class>
                <label for=self.id>{self.label}</label>
                {frame.hint}
                {frame.error}
                <input id=self.id name=self.id type=self.kind autocomplete=self.autocomplete
                    value=value readonly=self.readonly aria-describedby=frame.described aria-invalid=frame.invalid/>
            </div>
        }
    }
}

/// One `<select>` with its label, optional hint and optional error, tied to it like [`Field`]'s
/// input. The options (with their `selected` flags) are the caller's.
pub struct Select {
    pub id: &'static str,
    pub label: String,
    pub hint: Option<String>,
    pub error: Option<String>,
    pub options: AnyView,
}

impl Select {
    pub fn new(id: &'static str, label: String, options: AnyView) -> Self {
        Self { id, label, hint: None, error: None, options }
    }

    pub fn hint(mut self, hint: String) -> Self {
        self.hint = Some(hint);
        self
    }

    pub fn error(mut self, error: Option<String>) -> Self {
        self.error = error;
        self
    }

    pub fn view(self) -> impl IntoView {
        let frame = Frame::new(self.id, self.hint, self.error);
        view! {
            <div class=frame.class>
                <label for=self.id>{self.label}</label>
                {frame.hint}
                {frame.error}
                <select id=self.id name=self.id aria-describedby=frame.described aria-invalid=frame.invalid>
                    {self.options}
                </select>
            </div>
        }
    }
}

/// One labelled input, its hint and error tied to it with `aria-describedby`:
/// `<TextField id="code" label=… error=error_for(&problems, "code") value=… />`.
#[component]
pub fn TextField(
    id: &'static str,
    label: String,
    /// `text`, `password`, `date`, …
    #[prop(default = "text")]
    kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    /// Shown back after a failed post (never for passwords).
    #[prop(optional, into)]
    value: String,
    #[prop(optional_no_strip)] hint: Option<String>,
    #[prop(optional_no_strip)] error: Option<String>,
    /// Shown but not editable (it is still sent with the form).
    #[prop(optional)]
    readonly: bool,
) -> impl IntoView {
    Field { id, label, kind, autocomplete, value, hint, error, readonly }.view()
}

/// One labelled `<select>`, its hint and error tied to it like [`TextField`]'s input; the
/// options (with their `selected` flags) are its children.
#[component]
pub fn SelectField(
    id: &'static str,
    label: String,
    #[prop(optional_no_strip)] hint: Option<String>,
    #[prop(optional_no_strip)] error: Option<String>,
    children: Children,
) -> impl IntoView {
    Select { id, label, hint, error, options: children().into_any() }.view()
}

/// What an input and a select share: the hint and error paragraphs and the attributes that tie
/// them to the control.
struct Frame {
    class: &'static str,
    described: Option<String>,
    invalid: Option<&'static str>,
    hint: Option<AnyView>,
    error: Option<AnyView>,
}

impl Frame {
    fn new(id: &str, hint: Option<String>, error: Option<String>) -> Self {
        let hint_id = format!("{id}-hint");
        let error_id = format!("{id}-error");
        let described: Vec<&str> =
            [hint.as_ref().map(|_| hint_id.as_str()), error.as_ref().map(|_| error_id.as_str())]
                .into_iter()
                .flatten()
                .collect();
        let described = (!described.is_empty()).then(|| described.join(" "));
        Self {
            class: if error.is_some() { "field has-error" } else { "field" },
            described,
            invalid: error.is_some().then_some("true"),
            hint: hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> }.into_any()),
            error: error.map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> }.into_any()),
        }
    }
}

/// The list of problems at the top of a form that failed, each linking to its field.
pub fn error_summary(title: String, errors: Vec<(&'static str, String)>) -> impl IntoView {
    (!errors.is_empty()).then(|| {
        let items = errors
            .into_iter()
            .map(|(field, message)| {
                if field.is_empty() {
                    view! { <li>{message}</li> }.into_any()
                } else {
                    view! { <li><a href=format!("#{field}")>{message}</a></li> }.into_any()
                }
            })
            .collect_view();
        view! {
            <div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
                <h2 id="error-summary-title">{title}</h2>
                <ul>{items}</ul>
            </div>
        }
    })
}

/// A status message after something succeeded (the page a redirect led to).
pub fn notice(message: Option<String>) -> impl IntoView {
    message.map(|m| view! { <p class="notice" role="status">{m}</p> })
}

/// A form's problems: (field, message); an empty field is about the form as a whole.
pub type Problems = Vec<(&'static str, String)>;

pub fn error_for(problems: &Problems, field: &str) -> Option<String> {
    problems.iter().find(|(f, _)| *f == field).map(|(_, m)| m.clone())
}

pub fn titled(locale: Locale, title: String, problems: &Problems) -> String {
    if problems.is_empty() {
        title
    } else {
        locale.t_with("forms.error_title", &[("title", &title)])
    }
}

/// The content of a `<textarea>` re-shown to its author, escaped. Leptos writes a textarea's
/// children as they are (it treats it as raw text), so a statement holding `</textarea>` would
/// end the field and the rest would be read as markup; escaped, it stays text. Give it as the
/// element's `inner_html`, never as a child.
pub fn text_area(value: &str) -> String {
    html_escape::encode_text(value).into_owned()
}
