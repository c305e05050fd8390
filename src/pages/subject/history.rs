//! A scheme's score history on the record page: the points, and the chart drawn from them.
//!
//! The chart is drawn from a [`Chart`] alone, which holds every value it shows, so a drawing kept
//! with an equal `Chart` is that drawing: reusing one can never show a score, a band or a date
//! other than the page's own. Drawing it (36 points, their table of dates, the bands) took 17 %
//! of a typical record page's time (README, "Speed"), and a subject's chart changes at most once
//! a day, with a record or with the catalogue, so nearly every page reuses it.

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, Mutex},
};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use leptos::{prelude::*, tachys::html::InertElement};

use super::record::SchemeView;
use crate::{
    i18n::Locale,
    pages::kit::{format, DataTable},
    store::standing::SchemeStanding,
};

/// Drawings kept at most; all are dropped when one more would not fit (as the records the read
/// cache keeps), a few megabytes at most.
const DRAWINGS_KEPT: usize = 2_000;

static DRAWINGS: LazyLock<Mutex<HashMap<Chart, Arc<str>>>> = LazyLock::new(Mutex::default);

/// The score at the end of every 30th day back over the last three years, and at `at`. The past
/// points depend only on the day of `at`, so they are derived once per day and kept with the
/// records (a heavy record's 35 past derivations cost more than the rest of the page).
pub fn points(standing: &SchemeStanding, revision: i64, at: DateTime<Utc>) -> Vec<(DateTime<Utc>, i64)> {
    let day = at.date_naive();
    let past = standing.records.memo(revision, day, || {
        (1..36)
            .rev()
            .filter_map(|steps_back| {
                (day - Duration::days(30 * steps_back)).and_hms_micro_opt(23, 59, 59, 999_999)
            })
            .map(|t| t.and_utc())
            .map(|t| (t, standing.score_on(t)))
            .collect()
    });
    let mut points = past.to_vec();
    points.push((at, standing.score_on(at)));
    points
}

/// Everything the chart shows, and all it is drawn from.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Chart {
    locale: Locale,
    /// The scheme's code, which names the chart's elements.
    scheme: String,
    /// Each point's day (all the chart shows of its instant) and score, oldest first.
    points: Vec<(NaiveDate, i64)>,
    /// Every band with a lower limit, highest first: its grade as shown in `locale`, and the limit.
    bands: Vec<(String, i64)>,
}

/// A server-drawn line chart of the score with the grade bands, plus the same figures as a table;
/// nothing for fewer than two points.
pub fn chart(locale: Locale, s: &SchemeView) -> AnyView {
    if s.history.len() < 2 {
        return ().into_any();
    }
    let ctx = &s.standing.ctx;
    let chart = Chart {
        locale,
        scheme: ctx.scheme().code().to_string(),
        points: s.history.iter().map(|(t, v)| (t.date_naive(), *v)).collect(),
        bands: ctx
            .scheme()
            .bands()
            .bands()
            .iter()
            .filter_map(|b| {
                b.min.map(|m| (format::grade(locale, &ctx.record, b.grade.as_str()).to_string(), m))
            })
            .collect(),
    };
    InertElement::new(drawing(chart)).into_any()
}

/// The drawing of `chart`: a kept one, or a new one, then kept.
fn drawing(chart: Chart) -> String {
    let mut kept = DRAWINGS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(html) = kept.get(&chart) {
        return html.to_string();
    }
    drop(kept);
    let html = draw(&chart);
    kept = DRAWINGS.lock().unwrap_or_else(|e| e.into_inner());
    if kept.len() >= DRAWINGS_KEPT {
        kept.clear();
    }
    kept.insert(chart, Arc::from(html.as_str()));
    html
}

fn draw(chart: &Chart) -> String {
    const W: f64 = 640.0;
    const H: f64 = 220.0;
    let Chart { locale, scheme, points, bands } = chart;
    let locale = *locale;
    let day = |d: NaiveDate| format::date(locale, d.and_time(NaiveTime::MIN).and_utc());
    let scores = points.iter().map(|(_, v)| *v);
    let band_mins = bands.iter().map(|(_, m)| *m);
    let lo = scores.clone().chain(band_mins.clone()).min().unwrap_or(0) - 20;
    let hi = scores.chain(band_mins).max().unwrap_or(1) + 20;
    let y = |v: i64| H - (v - lo) as f64 / (hi - lo).max(1) as f64 * H;
    let x = |i: usize| i as f64 / (points.len() - 1) as f64 * W;
    let path = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| format!("{:.1},{:.1}", x(i), y(*v)))
        .collect::<Vec<_>>()
        .join(" ");
    let id = format!("chart-{scheme}");
    let shown_bands: Vec<&(String, i64)> = bands.iter().filter(|(_, m)| *m > lo && *m < hi).collect();
    let band_lines = shown_bands
        .iter()
        .map(|(_, m)| {
            view! {
                <line x1="0" x2=W.to_string() y1=format!("{:.1}", y(*m)) y2=format!("{:.1}", y(*m)) stroke="#8a96a3"
                    stroke-dasharray="4 4" vector-effect="non-scaling-stroke"/>
            }
        })
        .collect_view();
    // The grade labels sit outside the stretched drawing, placed in percent of its height, so
    // they keep their size in CSS pixels however narrow the screen.
    let band_labels = shown_bands
        .into_iter()
        .map(|(g, m)| {
            view! {
                <text x="4" y=format!("{:.1}%", y(*m) / H * 100.0) dy="-3" font-size="12" fill="#4a5360">{g.clone()}</text>
            }
        })
        .collect_view();
    let table_rows = points
        .iter()
        .map(|(d, v)| view! { <tr><td>{day(*d)}</td><td class="num">{*v}</td></tr> })
        .collect_view();
    let (first, last) = (points[0], points[points.len() - 1]);
    let summary = locale.t_with(
        "record.chart_summary",
        &[("from", &day(first.0)), ("start", &first.1.to_string()), ("end", &last.1.to_string())],
    );
    view! {
        <h3>{locale.t("record.history")}</h3>
        <figure class="chart">
            <svg role="img" aria-labelledby=format!("{id}-title {id}-desc") width="100%" height=H.to_string()>
                <title id=format!("{id}-title")>{locale.t("record.history")}</title>
                <desc id=format!("{id}-desc")>{summary.clone()}</desc>
                <svg viewBox=format!("0 0 {W} {H}") width="100%" height="100%" preserveAspectRatio="none">
                    {band_lines}
                    <polyline points=path fill="none" stroke="#0b5cad" stroke-width="2" vector-effect="non-scaling-stroke"/>
                </svg>
                {band_labels}
            </svg>
            <figcaption>{summary}</figcaption>
        </figure>
        <details>
            <summary>{locale.t("record.history_table")}</summary>
            <DataTable caption=locale.t("record.history_table")
                caption_id=format!("{id}-table") within=format!("scheme-{scheme}")
                columns=vec![(locale.t("record.col_date"), false), (locale.t("record.score"), true)]>
                {table_rows}
            </DataTable>
        </details>
    }
    .to_html()
}
