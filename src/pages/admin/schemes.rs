//! A scheme's settings (`/admin/schemes/{scheme}/settings`): its grade bands, what happens to a
//! disputed record and the days a subject has to appeal. The bands are checked by the domain's
//! `GradeBands`, the whole by `Scheme::new`; saving rescores every member in the same
//! transaction, so every grade shown anywhere changes at once.

use std::collections::HashMap;

use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::Utc;
use leptos::prelude::*;
use serde::Deserialize;

use super::{commit_audited, rules::scheme_by_code, unprocessable, Admin, Audited, BackLink};
use crate::pages::kit::{
    document, format,
    forms::{error_for, titled, Problems},
    forms::{error_summary, notice},
    problems::describe,
    PageContext, SelectField, TextField,
};
use crate::{
    auth::{access::RequireRole, throttle::ClientAddress},
    domain::{Band, DisputePolicy, DomainError, Grade, GradeBands, OnDeadline, Scheme},
    error::AppResult,
    http::{form::Form, AppState},
    i18n::Locale,
    store::{administration, catalogue::SchemeContext},
};

/// Band rows the form can carry: its fields need fixed names (`Problems` keys are static).
const ROWS: usize = 16;
/// Empty rows offered below the scheme's bands, for adding grades without JavaScript.
const SPARE_ROWS: usize = 2;
const GRADE_IDS: [&str; ROWS] = [
    "band_grade_0",
    "band_grade_1",
    "band_grade_2",
    "band_grade_3",
    "band_grade_4",
    "band_grade_5",
    "band_grade_6",
    "band_grade_7",
    "band_grade_8",
    "band_grade_9",
    "band_grade_10",
    "band_grade_11",
    "band_grade_12",
    "band_grade_13",
    "band_grade_14",
    "band_grade_15",
];
const MIN_IDS: [&str; ROWS] = [
    "band_min_0",
    "band_min_1",
    "band_min_2",
    "band_min_3",
    "band_min_4",
    "band_min_5",
    "band_min_6",
    "band_min_7",
    "band_min_8",
    "band_min_9",
    "band_min_10",
    "band_min_11",
    "band_min_12",
    "band_min_13",
    "band_min_14",
    "band_min_15",
];
const ZH_IDS: [&str; ROWS] = [
    "band_grade_zh_0",
    "band_grade_zh_1",
    "band_grade_zh_2",
    "band_grade_zh_3",
    "band_grade_zh_4",
    "band_grade_zh_5",
    "band_grade_zh_6",
    "band_grade_zh_7",
    "band_grade_zh_8",
    "band_grade_zh_9",
    "band_grade_zh_10",
    "band_grade_zh_11",
    "band_grade_zh_12",
    "band_grade_zh_13",
    "band_grade_zh_14",
    "band_grade_zh_15",
];
/// The longest Chinese grade name, in characters.
const MAX_GRADE_ZH: usize = 32;
/// The longest appeal deadline an administrator may set, in days.
const MAX_DEADLINE_DAYS: u32 = 365;
const POLICIES: [DisputePolicy; 2] = [DisputePolicy::KeepsCounting, DisputePolicy::SuspendedWhileDisputed];

/// The settings form as typed: (grade, lowest score) per row, highest band first.
#[derive(Clone, Debug, Default)]
struct SettingsForm {
    bands: Vec<(String, String)>,
    /// Each row's grade name in Chinese (empty: the grade reads the same in Chinese).
    names_zh: Vec<String>,
    dispute_policy: String,
    appeal_deadline_days: String,
    /// What happens when an appeal's deadline passes; not posted: unchanged.
    on_deadline: Option<String>,
}

impl SettingsForm {
    fn of(scheme: &Scheme, names_zh: &[(Grade, String)]) -> Self {
        let name_zh = |grade: &Grade| names_zh.iter().find(|(g, _)| g == grade).map(|(_, n)| n.clone());
        Self {
            names_zh: scheme.bands().bands().iter().map(|b| name_zh(&b.grade).unwrap_or_default()).collect(),
            bands: scheme
                .bands()
                .bands()
                .iter()
                .map(|b| (b.grade.to_string(), b.min.map(|m| m.to_string()).unwrap_or_default()))
                .collect(),
            dispute_policy: scheme.dispute_policy().code().to_string(),
            appeal_deadline_days: scheme.appeal_deadline_days().to_string(),
            on_deadline: Some(scheme.on_deadline().code().to_string()),
        }
    }

    /// Reads the posted fields; rows beyond the last one posted are not kept.
    fn read(fields: &HashMap<String, String>) -> Self {
        let value = |name: &str| fields.get(name).cloned().unwrap_or_default();
        let posted = (0..ROWS)
            .rev()
            .find(|&i| {
                fields.contains_key(GRADE_IDS[i])
                    || fields.contains_key(MIN_IDS[i])
                    || fields.contains_key(ZH_IDS[i])
            })
            .map_or(0, |i| i + 1);
        Self {
            bands: (0..posted).map(|i| (value(GRADE_IDS[i]), value(MIN_IDS[i]))).collect(),
            names_zh: (0..posted).map(|i| value(ZH_IDS[i])).collect(),
            dispute_policy: value("dispute_policy"),
            appeal_deadline_days: value("appeal_deadline_days"),
            on_deadline: fields.get("on_deadline").cloned(),
        }
    }

    /// A row's Chinese grade name as typed.
    fn name_zh(&self, row: usize) -> &str {
        self.names_zh.get(row).map_or("", |n| n.trim())
    }

    /// The rows to show (grade, lowest score, Chinese name): every row with something in it, the
    /// rows between, and spare empty ones.
    fn rows(&self) -> Vec<(String, String, String)> {
        let used = self
            .bands
            .iter()
            .enumerate()
            .rposition(|(i, (g, m))| {
                !g.trim().is_empty() || !m.trim().is_empty() || !self.name_zh(i).is_empty()
            })
            .map_or(0, |i| i + 1);
        let mut rows: Vec<_> = self
            .bands
            .iter()
            .take(used)
            .enumerate()
            .map(|(i, (g, m))| (g.clone(), m.clone(), self.name_zh(i).to_string()))
            .collect();
        rows.resize((used + SPARE_ROWS).min(ROWS), Default::default());
        rows
    }

    /// The Chinese names typed for the grades of `scheme`'s bands.
    fn grade_names_zh(&self, scheme: &Scheme) -> Vec<(Grade, String)> {
        let named = |grade: &Grade| {
            let row = self.bands.iter().position(|(g, _)| g.trim() == grade.as_str())?;
            Some(self.name_zh(row)).filter(|n| !n.is_empty()).map(|n| (*grade, n.to_string()))
        };
        scheme.bands().bands().iter().filter_map(|b| named(&b.grade)).collect()
    }

    /// The scheme with these settings, or the problems, each beside its field. Empty rows are
    /// ignored; the domain checks the bands' shape and the scheme as a whole.
    fn scheme(&self, locale: Locale, current: &Scheme) -> Result<Scheme, Problems> {
        let mut problems = Problems::new();
        // The form shows at most ROWS bands: saving a scheme with more would drop the rest.
        let stored = current.bands().bands().len();
        if stored > ROWS {
            let message = locale.t_with(
                "administration.bands_too_many",
                &[("n", &stored.to_string()), ("max", &ROWS.to_string())],
            );
            return Err(vec![(GRADE_IDS[0], message)]);
        }
        let mut bands: Vec<(usize, Band)> = Vec::new();
        for (i, (grade, min)) in self.bands.iter().enumerate().take(ROWS) {
            let (grade, min) = (grade.trim(), min.trim());
            if grade.is_empty() && min.is_empty() {
                if !self.name_zh(i).is_empty() {
                    let (_, message) = describe(locale, &DomainError::EmptyField { field: "grade" });
                    problems.push((GRADE_IDS[i], message));
                }
                continue;
            }
            if self.name_zh(i).chars().count() > MAX_GRADE_ZH {
                let message =
                    locale.t_with("administration.grade_zh_too_long", &[("max", &MAX_GRADE_ZH.to_string())]);
                problems.push((ZH_IDS[i], message));
            }
            let grade = if grade.is_empty() {
                let (_, message) = describe(locale, &DomainError::EmptyField { field: "grade" });
                problems.push((GRADE_IDS[i], message));
                None
            } else {
                Grade::parse(grade).map_err(|e| problems.push((GRADE_IDS[i], describe(locale, &e).1))).ok()
            };
            let min = match min {
                "" => Some(None),
                text => match text.replace('\u{2212}', "-").parse::<i64>() {
                    Ok(n) => Some(Some(n)),
                    Err(_) => {
                        let label = locale.t("administration.band_min_label");
                        problems.push((
                            MIN_IDS[i],
                            locale.t_with("administration.number_invalid", &[("field", &label)]),
                        ));
                        None
                    }
                },
            };
            if let (Some(grade), Some(min)) = (grade, min) {
                bands.push((i, Band { grade, min }));
            }
        }
        if bands.is_empty() && problems.is_empty() {
            let (_, message) = describe(locale, &DomainError::EmptyField { field: "bands" });
            problems.push((GRADE_IDS[0], message));
        }
        let policy = DisputePolicy::parse(self.dispute_policy.trim());
        if policy.is_none() {
            problems.push(("dispute_policy", locale.t("administration.policy_invalid")));
        }
        let days = self
            .appeal_deadline_days
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=MAX_DEADLINE_DAYS).contains(d));
        if days.is_none() {
            problems.push(("appeal_deadline_days", locale.t("administration.deadline_invalid")));
        }
        let on_deadline = match &self.on_deadline {
            None => Some(current.on_deadline()),
            Some(code) => OnDeadline::parse(code.trim()),
        };
        if on_deadline.is_none() {
            problems.push(("on_deadline", locale.t("administration.on_deadline_invalid")));
        }
        let (Some(policy), Some(days), Some(on_deadline), true) =
            (policy, days, on_deadline, problems.is_empty())
        else {
            return Err(problems);
        };
        let (rows, bands): (Vec<usize>, Vec<Band>) = bands.into_iter().unzip();
        let bands = GradeBands::new(bands).map_err(|e| vec![band_problem(locale, &e, &rows, &self.bands)])?;
        Scheme::new(current.id(), current.code(), current.kind().clone(), bands, policy, days)
            .map(|s| s.with_on_deadline(on_deadline))
            .map_err(|e| vec![describe(locale, &e)])
    }
}

/// Puts a refusal of the bands beside the row it is about. `rows` maps each band (in order) to
/// the form row it came from.
fn band_problem(
    locale: Locale,
    error: &DomainError,
    rows: &[usize],
    typed: &[(String, String)],
) -> (&'static str, String) {
    let (_, message) = describe(locale, error);
    let row_of = |grade: &str| -> Vec<usize> {
        rows.iter().copied().filter(|&i| typed[i].0.trim() == grade).collect()
    };
    let first = rows.first().copied().unwrap_or(0);
    let field = match error {
        DomainError::DuplicateGrade { grade } => GRADE_IDS[row_of(grade).last().copied().unwrap_or(first)],
        DomainError::BandsNotDescending { grade, .. } => {
            MIN_IDS[row_of(grade).first().copied().unwrap_or(first)]
        }
        DomainError::OpenBandNotLast => {
            let last = rows.last().copied().unwrap_or(0);
            // The lowest band has a minimum, or a band above it has none.
            let open_above = rows.iter().copied().find(|&i| i != last && typed[i].1.trim().is_empty());
            MIN_IDS[if typed[last].1.trim().is_empty() { open_above.unwrap_or(last) } else { last }]
        }
        _ => GRADE_IDS[first],
    };
    (field, message)
}

#[derive(Debug, Default, Deserialize)]
pub struct SettingsQuery {
    done: Option<String>,
    n: Option<usize>,
}

impl SettingsQuery {
    /// How many members the save that led here rescored, if one did.
    fn rescored(query: Result<Query<SettingsQuery>, QueryRejection>) -> Option<usize> {
        let Query(q) = query.ok()?;
        (q.done.as_deref() == Some("saved")).then(|| q.n.unwrap_or(0))
    }
}

/// What a scheme's settings page shows: the settings form (as stored, or as typed with its
/// problems) and, after a save, how many members were rescored.
pub struct SettingsPage {
    pub scheme: SchemeContext,
    form: SettingsForm,
    pub problems: Problems,
    pub rescored: Option<usize>,
}

impl SettingsPage {
    /// Every query of the page: the scheme, or 404.
    pub async fn load(state: &AppState, code: &str, rescored: Option<usize>) -> AppResult<Self> {
        let scheme = scheme_by_code(state, code).await?;
        let form = SettingsForm::of(scheme.scheme(), &scheme.record.grade_names_zh);
        Ok(Self { scheme, form, problems: Problems::new(), rescored })
    }

    /// The same page after a refused post: the form as typed, and why it was refused.
    fn refused(self, form: SettingsForm, problems: Problems) -> Self {
        Self { form, problems, ..self }
    }
}

/// `GET /admin/schemes/{scheme}/settings`: the scheme's settings, ready to change.
pub async fn settings(
    State(state): State<AppState>,
    _admin: Admin,
    shell: PageContext,
    Path(code): Path<String>,
    query: Result<Query<SettingsQuery>, QueryRejection>,
) -> AppResult<Html<String>> {
    let page = SettingsPage::load(&state, &code, SettingsQuery::rescored(query)).await?;
    Ok(settings_view(&page, &shell))
}

/// One band's three fields, side by side: its grade, its lowest score, the grade's Chinese name.
#[component]
fn BandRow(row: usize, locale: Locale, typed: (String, String, String), problems: Problems) -> impl IntoView {
    let n = (row + 1).to_string();
    let (grade, min, zh) = typed;
    view! {
        <div class="band-row">
            <TextField id=GRADE_IDS[row] label=locale.t_with("administration.band_grade", &[("n", &n)])
                value=grade error=error_for(&problems, GRADE_IDS[row])/>
            <TextField id=MIN_IDS[row] label=locale.t_with("administration.band_min", &[("n", &n)])
                value=min error=error_for(&problems, MIN_IDS[row])/>
            <TextField id=ZH_IDS[row] label=locale.t_with("administration.band_grade_zh", &[("n", &n)])
                value=zh error=error_for(&problems, ZH_IDS[row])/>
        </div>
    }
}

/// The settings page, drawn from what [`SettingsPage::load`] read.
fn settings_view(page: &SettingsPage, ctx: &PageContext) -> Html<String> {
    let locale = ctx.locale;
    let SettingsPage { scheme, form, problems, rescored } = page;
    let code = scheme.scheme().code().to_string();
    let name = format::pick(locale, &scheme.record.name_en, &scheme.record.name_zh).to_string();
    let title = locale.t_with("administration.scheme_title", &[("scheme", &name)]);
    let rows = form
        .rows()
        .into_iter()
        .enumerate()
        .map(|(i, typed)| view! { <BandRow row=i locale=locale typed=typed problems=problems.clone()/> })
        .collect_view();
    let policy_options = POLICIES
        .into_iter()
        .map(|p| {
            let selected = form.dispute_policy == p.code();
            view! { <option value=p.code() selected=selected>{locale.t(&format!("administration.policy_{}", p.code()))}</option> }
        })
        .collect_view();
    let on_deadline_options = OnDeadline::ALL
        .into_iter()
        .map(|o| {
            let selected = form.on_deadline.as_deref() == Some(o.code());
            view! { <option value=o.code() selected=selected>{locale.t(&format!("administration.on_deadline_{}", o.code()))}</option> }
        })
        .collect_view();
    let message = rescored.map(|n| locale.t_with("administration.done_scheme", &[("n", &n.to_string())]));
    let main = view! {
        <BackLink href="/admin" label=locale.t("administration.back")/>
        <h1>{title.clone()}</h1>
        <p>{locale.t("administration.scheme_intro")}</p>
        <p><a href=format!("/admin/schemes/{code}/rules")>{locale.t_with("administration.rules_of", &[("scheme", &name)])}</a></p>
        {notice(message)}
        {error_summary(locale.t("forms.error_summary"), problems.clone())}
        <form class="stack" method="post" action=format!("/admin/schemes/{code}/settings")>
            <fieldset class="bands">
                <legend>{locale.t("problems.field_bands")}</legend>
                <p class="hint">{locale.t("administration.bands_hint")}</p>
                {rows}
            </fieldset>
            <SelectField id="dispute_policy" label=locale.t("problems.field_dispute_policy")
                error=error_for(problems, "dispute_policy")>
                {policy_options}
            </SelectField>
            <TextField id="appeal_deadline_days" label=locale.t("problems.field_appeal_deadline_days")
                value=form.appeal_deadline_days.clone() hint=Some(locale.t("administration.deadline_hint"))
                error=error_for(problems, "appeal_deadline_days")/>
            <SelectField id="on_deadline" label=locale.t("problems.field_on_deadline")
                error=error_for(problems, "on_deadline")>
                {on_deadline_options}
            </SelectField>
            <button type="submit">{locale.t("administration.scheme_submit")}</button>
        </form>
    };
    document(ctx, &titled(locale, title, problems), main.into_any())
}

/// `POST /admin/schemes/{scheme}/settings`: stores the settings and rescores every member, in
/// one transaction with its audit row.
pub async fn save_settings(
    State(state): State<AppState>,
    RequireRole(viewer, _): Admin,
    shell: PageContext,
    ClientAddress(address): ClientAddress,
    Path(code): Path<String>,
    Form(fields): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    let page = SettingsPage::load(&state, &code, None).await?;
    let form = SettingsForm::read(&fields);
    let scheme = match form.scheme(shell.locale, page.scheme.scheme()) {
        Ok(scheme) => scheme,
        Err(problems) => return Ok(unprocessable(settings_view(&page.refused(form, problems), &shell))),
    };
    let now = Utc::now();
    let mut tx = state.db.begin_write().await?;
    administration::lock_scheme(&mut tx, scheme.id()).await?;
    let names_zh = form.grade_names_zh(&scheme);
    let rescored = administration::update_scheme(&mut tx, &scheme, &names_zh).await?;
    let audited = Audited {
        action: "scheme.settings",
        target_kind: "scheme",
        target_id: &scheme.id().to_string(),
        detail: serde_json::json!({
            "scheme": scheme.code(),
            "bands": scheme.bands().bands().iter().map(|b| {
                let mut band = serde_json::json!({ "grade": b.grade.as_str(), "min": b.min });
                if let Some((_, zh)) = names_zh.iter().find(|(g, _)| *g == b.grade) {
                    band["grade_zh"] = zh.as_str().into();
                }
                band
            }).collect::<Vec<_>>(),
            "dispute_policy": scheme.dispute_policy().code(),
            "appeal_deadline_days": scheme.appeal_deadline_days(),
            "on_deadline": scheme.on_deadline().code(),
            "rescored": rescored,
        }),
    };
    commit_audited(tx, &viewer, address, audited, now).await?;
    tracing::info!(scheme = scheme.code(), rescored, "scheme settings changed");
    Ok(Redirect::to(&format!("/admin/schemes/{}/settings?done=saved&n={rescored}", scheme.code()))
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(bands: &[(&str, &str)], policy: &str, days: &str) -> SettingsForm {
        SettingsForm {
            bands: bands.iter().map(|(g, m)| (g.to_string(), m.to_string())).collect(),
            names_zh: Vec::new(),
            dispute_policy: policy.into(),
            appeal_deadline_days: days.into(),
            on_deadline: None,
        }
    }

    fn current() -> Scheme {
        let bands = GradeBands::new(vec![Band { grade: Grade::parse("A").unwrap(), min: None }]).unwrap();
        Scheme::new(
            crate::domain::SchemeId::new(),
            "test",
            crate::domain::SchemeKind::Points { base: 1000 },
            bands,
            DisputePolicy::KeepsCounting,
            30,
        )
        .unwrap()
    }

    fn fields_of(result: Result<Scheme, Problems>) -> Vec<&'static str> {
        result.unwrap_err().into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn empty_rows_are_ignored_and_the_rest_make_the_bands() {
        let f = form(&[("A", "900"), ("", ""), ("B", ""), ("", "")], "suspended_while_disputed", "14");
        let s = f.scheme(Locale::En, &current()).unwrap();
        assert_eq!(s.bands().bands().len(), 2);
        assert_eq!(s.dispute_policy(), DisputePolicy::SuspendedWhileDisputed);
        assert_eq!(s.appeal_deadline_days(), 14);
    }

    #[test]
    fn each_refusal_sits_beside_its_row() {
        let en = Locale::En;
        let c = current();
        let ok = "keeps_counting";
        assert_eq!(
            fields_of(form(&[("A", "900"), ("B", "950"), ("C", "")], ok, "30").scheme(en, &c)),
            ["band_min_1"]
        );
        assert_eq!(
            fields_of(form(&[("A", "900"), ("", ""), ("A", "")], ok, "30").scheme(en, &c)),
            ["band_grade_2"]
        );
        assert_eq!(fields_of(form(&[("A", ""), ("B", "")], ok, "30").scheme(en, &c)), ["band_min_0"]);
        assert_eq!(fields_of(form(&[("A", "9"), ("B", "5")], ok, "30").scheme(en, &c)), ["band_min_1"]);
        assert_eq!(fields_of(form(&[("", "900"), ("B", "")], ok, "30").scheme(en, &c)), ["band_grade_0"]);
        assert_eq!(
            fields_of(form(&[("A B", "x"), ("B", "")], ok, "30").scheme(en, &c)),
            ["band_grade_0", "band_min_0"]
        );
        assert_eq!(fields_of(form(&[("", "")], ok, "30").scheme(en, &c)), ["band_grade_0"]);
        assert_eq!(fields_of(form(&[("A", "")], "nope", "30").scheme(en, &c)), ["dispute_policy"]);
        for days in ["-1", "ten", "", "366"] {
            assert_eq!(
                fields_of(form(&[("A", "")], ok, days).scheme(en, &c)),
                ["appeal_deadline_days"],
                "{days}"
            );
        }
        assert_eq!(fields_of(form(&[("A", "")], ok, "0").scheme(en, &c)), ["appeal_deadline_days"]);
    }

    #[test]
    fn a_scheme_with_more_bands_than_the_form_holds_is_not_saved_from_it() {
        let letters = "ABCDEFGHIJKLMNOPQ";
        let bands: Vec<Band> = letters
            .chars()
            .enumerate()
            .map(|(i, c)| Band {
                grade: Grade::parse(&c.to_string()).unwrap(),
                min: (i + 1 < letters.len()).then(|| 1000 - 10 * i as i64),
            })
            .collect();
        let current = Scheme::new(
            crate::domain::SchemeId::new(),
            "many",
            crate::domain::SchemeKind::Points { base: 1000 },
            GradeBands::new(bands).unwrap(),
            DisputePolicy::KeepsCounting,
            30,
        )
        .unwrap();
        assert!(current.bands().bands().len() > ROWS);
        let f = SettingsForm::of(&current, &[]);
        assert_eq!(fields_of(f.scheme(Locale::En, &current)), ["band_grade_0"]);
    }

    #[test]
    fn the_form_offers_spare_rows_up_to_the_limit() {
        assert_eq!(form(&[("A", "9"), ("B", "")], "", "").rows().len(), 2 + SPARE_ROWS);
        let full: Vec<(&str, &str)> = (0..ROWS).map(|_| ("A", "1")).collect();
        assert_eq!(form(&full, "", "").rows().len(), ROWS);
    }

    #[test]
    fn policy_labels_exist_in_both_languages() {
        for locale in Locale::ALL {
            for p in POLICIES {
                let key = format!("administration.policy_{}", p.code());
                assert!(!locale.t(&key).ends_with(key.as_str()), "{} is missing {key}", locale.code());
            }
        }
    }
}
