//! Accessible form pieces shared by every form: a labelled input, text area, file input or
//! select, and groups of radio buttons or check boxes, whose hint and error are tied to the
//! control with `aria-describedby`, and an error summary that links to each field.
//! Validation is the server's (no `required` attributes), so every message is specific and in
//! the person's language, with or without JavaScript.

use leptos::prelude::*;

use crate::i18n::Locale;

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
    /// The keyboard a phone shows (`numeric` for a whole number); the type stays `text` so the
    /// server, not the browser, says what is wrong with what was typed.
    #[prop(optional)]
    inputmode: Option<&'static str>,
    /// Shown back after a failed post (never for passwords).
    #[prop(optional, into)]
    value: String,
    #[prop(optional_no_strip)] hint: Option<String>,
    #[prop(optional_no_strip)] error: Option<String>,
    /// Shown but not editable (it is still sent with the form).
    #[prop(optional)]
    readonly: bool,
) -> impl IntoView {
    let frame = Frame::new(id, hint, error);
    let value = (!value.is_empty()).then_some(value);
    let input = view! {
        <input id=id name=id type=kind autocomplete=autocomplete inputmode=inputmode value=value
            readonly=readonly aria-describedby=frame.described.clone() aria-invalid=frame.invalid/>
    };
    frame.around(id, label, input)
}

/// One labelled `<textarea>`, its hint and error tied to it like [`TextField`]'s input. What was
/// typed is shown back after a failed post as escaped text (see [`text_area`]).
#[component]
pub fn TextAreaField(
    id: &'static str,
    label: String,
    #[prop(default = 5)] rows: u32,
    #[prop(optional, into)] value: String,
    #[prop(optional_no_strip)] hint: Option<String>,
    #[prop(optional_no_strip)] error: Option<String>,
) -> impl IntoView {
    let frame = Frame::new(id, hint, error);
    let area = view! {
        <textarea id=id name=id rows=rows.to_string() aria-describedby=frame.described.clone()
            aria-invalid=frame.invalid inner_html=text_area(&value)></textarea>
    };
    frame.around(id, label, area)
}

/// One labelled file input, its hint and error tied to it like [`TextField`]'s input. A browser
/// never shows chosen files again, so after a failed post the person chooses them anew.
#[component]
pub fn FileField(
    id: &'static str,
    label: String,
    /// The file types offered in the browser's chooser (the server checks the content).
    accept: &'static str,
    #[prop(optional)] multiple: bool,
    #[prop(optional_no_strip)] hint: Option<String>,
    #[prop(optional_no_strip)] error: Option<String>,
) -> impl IntoView {
    let frame = Frame::new(id, hint, error);
    let input = view! {
        <input type="file" id=id name=id multiple=multiple accept=accept
            aria-describedby=frame.described.clone() aria-invalid=frame.invalid/>
    };
    frame.around(id, label, input)
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
    let frame = Frame::new(id, hint, error);
    let select = view! {
        <select id=id name=id aria-describedby=frame.described.clone() aria-invalid=frame.invalid>
            {children()}
        </select>
    };
    frame.around(id, label, select)
}

/// A group of radio buttons or check boxes ([`Choice`]s, its children) with its legend, and its
/// error tied to the group (the error summary links to the group's id).
#[component]
pub fn ChoiceGroup(
    id: &'static str,
    legend: String,
    #[prop(optional_no_strip)] error: Option<String>,
    children: Children,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let described = error.as_ref().map(|_| error_id.clone());
    let class = error.is_some().then_some("has-error");
    view! {
        <fieldset id=id class=class aria-describedby=described>
            <legend>{legend}</legend>
            {error.map(|e| view! { <p class="field-error" id=error_id>{e}</p> })}
            {children()}
        </fieldset>
    }
}

/// One radio button or check box with its label, and an optional hint and error tied to it.
#[component]
pub fn Choice(
    /// `radio` or `checkbox`.
    #[prop(default = "radio")]
    kind: &'static str,
    #[prop(into)] id: String,
    name: &'static str,
    value: &'static str,
    checked: bool,
    label: String,
    #[prop(optional_no_strip)] hint: Option<String>,
    /// For a lone check box outside a [`ChoiceGroup`] (a confirmation).
    #[prop(optional_no_strip)]
    error: Option<String>,
) -> impl IntoView {
    let (hint_id, error_id) = (format!("{id}-hint"), format!("{id}-error"));
    let described: Vec<&str> =
        [error.as_ref().map(|_| error_id.as_str()), hint.as_ref().map(|_| hint_id.as_str())]
            .into_iter()
            .flatten()
            .collect();
    let described = (!described.is_empty()).then(|| described.join(" "));
    view! {
        {error.map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> })}
        <div class="choice">
            <input type=kind id=id.clone() name=name value=value checked=checked aria-describedby=described/>
            <label for=id>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
        </div>
    }
}

/// What every field shares around its control: the label, the hint and error paragraphs, and
/// the attributes that tie them to the control (`described` and `invalid`, for the control).
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

    /// The field: its label, hint and error, then `control` (labelled by `id`).
    fn around(self, id: &'static str, label: String, control: impl IntoView) -> impl IntoView {
        view! {
            <div class=self.class>
                <label for=id>{label}</label>
                {self.hint}
                {self.error}
                {control}
            </div>
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
