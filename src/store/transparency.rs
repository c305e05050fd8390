//! The public transparency report's figures: what was recorded and listed, what was contested
//! and how it was decided, over a period and month by month, overall or for one scheme. Counts
//! only, by rule, authority, list and review body: never a person. Each figure is one grouped
//! query, so the report costs the same for ten subjects or a million.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use sqlx::{AnyConnection, Row};

use super::{from_micros, to_micros, StoreError};

/// A count below this is published as "fewer than 5", so nobody can be singled out.
pub const SUPPRESS_BELOW: i64 = 5;

/// The months a report covers: from the first instant of `from` to the first instant after `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    /// First day of the first month.
    pub from: DateTime<Utc>,
    /// Number of months, at least 1.
    pub months: u32,
}

impl Period {
    /// Longest period one report covers.
    pub const MAX_MONTHS: u32 = 36;

    /// The twelve months up to and including the month of `now`.
    pub fn last_year(now: DateTime<Utc>) -> Self {
        let this = month_start(now.year(), now.month());
        Self { from: add_months(this, -11), months: 12 }
    }

    /// The first instant of each month, then the end of the last.
    pub fn bounds(&self) -> Vec<DateTime<Utc>> {
        (0..=self.months as i32).map(|i| add_months(self.from, i)).collect()
    }

    pub fn end(&self) -> DateTime<Utc> {
        add_months(self.from, self.months as i32)
    }
}

/// The first instant of a month, UTC.
pub fn month_start(year: i32, month: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0).single().unwrap_or_default()
}

fn add_months(at: DateTime<Utc>, n: i32) -> DateTime<Utc> {
    let index = at.year() * 12 + at.month0() as i32 + n;
    month_start(index.div_euclid(12), index.rem_euclid(12) as u32 + 1)
}

/// Median and 90th percentile of durations, in days, and how many there were.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Spread {
    pub count: i64,
    pub median_days: Option<f64>,
    pub p90_days: Option<f64>,
}

impl Spread {
    /// From durations in microseconds (nearest-rank percentiles).
    pub fn of(mut micros: Vec<i64>) -> Self {
        micros.sort_unstable();
        let rank = |p: f64| -> Option<f64> {
            if micros.is_empty() {
                return None;
            }
            let i = ((p * micros.len() as f64).ceil() as usize).clamp(1, micros.len()) - 1;
            Some(micros[i] as f64 / 86_400_000_000.0)
        };
        Self { count: micros.len() as i64, median_days: rank(0.5), p90_days: rank(0.9) }
    }
}

/// Decided and overturned (upheld or partly upheld) decisions under one key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rate {
    pub decided: i64,
    pub overturned: i64,
}

impl Rate {
    /// The overturn rate in percent, published only when at least [`SUPPRESS_BELOW`] were decided.
    pub fn percent(&self) -> Option<f64> {
        (self.decided >= SUPPRESS_BELOW).then(|| 100.0 * self.overturned as f64 / self.decided as f64)
    }
}

/// One month of the report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Month {
    pub start: DateTime<Utc>,
    pub records_added: i64,
    pub appeals_filed: i64,
    pub decisions: i64,
    pub overturned: i64,
}

/// Listings on one list by one authority.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listings {
    pub listed: i64,
    pub lifted: i64,
}

/// Every figure of the report. Keys are codes (scheme/rule, authority, list, review body); the
/// page and the downloads name them.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub period: Option<Period>,
    pub scheme: Option<String>,
    pub generated_at: DateTime<Utc>,
    pub months: Vec<Month>,
    /// (scheme code, rule code) → records added.
    pub records_by_rule: BTreeMap<(String, String), i64>,
    /// authority code → records added.
    pub records_by_authority: BTreeMap<String, i64>,
    /// (list code, authority code) → listed and lifted.
    pub listings: BTreeMap<(String, String), Listings>,
    /// From an entry's recording to its delivered notice.
    pub notice_delay: Spread,
    /// grounds code → appeals filed.
    pub appeals_by_grounds: BTreeMap<String, i64>,
    pub appeals_filed: i64,
    /// (level, outcome code) → decisions.
    pub outcomes: BTreeMap<(i64, String), i64>,
    /// (scheme code, rule code) → first-level decisions.
    pub by_rule: BTreeMap<(String, String), Rate>,
    /// (scheme code, rule code, version) → first-level decisions.
    pub by_version: BTreeMap<(String, String, i64), Rate>,
    /// recording authority code → first-level decisions.
    pub by_authority: BTreeMap<String, Rate>,
    /// review body code → decisions at either level.
    pub by_body: BTreeMap<String, Rate>,
    /// From filing to the first decision.
    pub time_to_decide: Spread,
    /// Open past their due date now.
    pub overdue: i64,
    pub second_level_requested: i64,
    /// (scheme code, rule code, repealed at, reason).
    pub repeals: Vec<(String, String, DateTime<Utc>, String)>,
    /// status code → challenges to rules filed in the period.
    pub rule_challenges: BTreeMap<String, i64>,
}

/// The report for `period`, overall or for the scheme with code `scheme`.
pub async fn report(
    conn: &mut AnyConnection,
    period: Period,
    scheme: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Report, StoreError> {
    let bounds = period.bounds();
    let (from, to) = (to_micros(period.from), to_micros(period.end()));
    // "month" of an instant, as a CASE over the month boundaries (the same SQL on both databases).
    let month_of = |column: &str| {
        let arms: String = bounds[1..]
            .iter()
            .enumerate()
            .map(|(i, b)| format!(" WHEN {column} < {} THEN {i}", to_micros(*b)))
            .collect();
        format!("CAST(CASE{arms} ELSE -1 END AS BIGINT)")
    };
    let scheme_id: Option<String> = match scheme {
        Some(code) => sqlx::query("SELECT id FROM schemes WHERE code = $1")
            .bind(code)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?,
        None => None,
    };
    let scheme_filter = |column: &str| match &scheme_id {
        Some(id) => format!(" AND {column} = '{}'", id.replace('\'', "")),
        None => String::new(),
    };
    let mut report = Report {
        period: Some(period),
        scheme: scheme.map(str::to_string),
        generated_at: now,
        months: bounds[..bounds.len() - 1].iter().map(|b| Month { start: *b, ..Month::default() }).collect(),
        ..Report::default()
    };

    // Records added, by month, rule and authority.
    let rows = sqlx::query(&format!(
        "SELECT {} AS m, s.code, e.rule_code, a.code, COUNT(*) FROM events e \
         JOIN schemes s ON s.id = e.scheme_id JOIN authorities a ON a.id = e.authority_id \
         WHERE e.kind = 'fact' AND e.recorded_at >= $1 AND e.recorded_at < $2{} \
         GROUP BY m, s.code, e.rule_code, a.code",
        month_of("e.recorded_at"),
        scheme_filter("e.scheme_id")
    ))
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        let n: i64 = r.try_get(4)?;
        if let Some(m) = month(&mut report.months, r.try_get(0)?) {
            m.records_added += n;
        }
        *report.records_by_rule.entry((r.try_get(1)?, r.try_get(2)?)).or_default() += n;
        *report.records_by_authority.entry(r.try_get(3)?).or_default() += n;
    }

    // Listings and lifts (blacklists belong to no scheme: only in the overall report).
    if scheme_id.is_none() {
        for r in sqlx::query(
            "SELECT l.code, a.code, COUNT(*) FROM blacklist_entries x JOIN blacklist_lists l ON l.id = x.list_id \
             JOIN authorities a ON a.id = x.authority_id WHERE x.recorded_at >= $1 AND x.recorded_at < $2 \
             GROUP BY l.code, a.code",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await?
        {
            report.listings.entry((r.try_get(0)?, r.try_get(1)?)).or_default().listed += r.try_get::<i64, _>(2)?;
        }
        for r in sqlx::query(
            "SELECT l.code, a.code, COUNT(*) FROM blacklist_entry_actions t \
             JOIN blacklist_entries x ON x.id = t.entry_id JOIN blacklist_lists l ON l.id = x.list_id \
             JOIN authorities a ON a.id = x.authority_id \
             WHERE t.action = 'lifted' AND t.at >= $1 AND t.at < $2 GROUP BY l.code, a.code",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await?
        {
            report.listings.entry((r.try_get(0)?, r.try_get(1)?)).or_default().lifted +=
                r.try_get::<i64, _>(2)?;
        }
        let delays = sqlx::query(
            "SELECT notice_delivered_at - recorded_at FROM blacklist_entries \
             WHERE notice_delivered_at IS NOT NULL AND recorded_at >= $1 AND recorded_at < $2",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await?;
        let delays =
            delays.iter().map(|r| r.try_get::<i64, _>(0).map(|d| d.max(0))).collect::<Result<_, _>>()?;
        report.notice_delay = Spread::of(delays);
    }

    // Appeals filed (records and entries; challenges to rules are counted on their own).
    for r in sqlx::query(&format!(
        "SELECT {} AS m, grounds, COUNT(*) FROM appeals WHERE target_kind <> 'rule' \
         AND filed_at >= $1 AND filed_at < $2{} GROUP BY m, grounds",
        month_of("filed_at"),
        scheme_filter("scheme_id")
    ))
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?
    {
        let n: i64 = r.try_get(2)?;
        if let Some(m) = month(&mut report.months, r.try_get(0)?) {
            m.appeals_filed += n;
        }
        report.appeals_filed += n;
        *report.appeals_by_grounds.entry(r.try_get(1)?).or_default() += n;
    }

    // Decisions, with what each decided about.
    let decisions = sqlx::query(&format!(
        "SELECT {} AS m, d.level, d.outcome, d.decided_at - p.filed_at, COALESCE(s.code, ''), \
         COALESCE(p.rule_code, ''), COALESCE(v.version, 0), COALESCE(a.code, ''), b.code \
         FROM appeal_decisions d JOIN appeals p ON p.id = d.appeal_id \
         JOIN review_bodies b ON b.id = d.review_body_id \
         LEFT JOIN schemes s ON s.id = p.scheme_id LEFT JOIN authorities a ON a.id = p.authority_id \
         LEFT JOIN events e ON e.id = p.event_id \
         LEFT JOIN rule_versions v ON v.id = e.rule_version_id \
         WHERE p.target_kind <> 'rule' AND d.decided_at >= $1 AND d.decided_at < $2{}",
        month_of("d.decided_at"),
        scheme_filter("p.scheme_id")
    ))
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    let mut to_decide = Vec::new();
    for r in &decisions {
        let level: i64 = r.try_get(1)?;
        let outcome: String = r.try_get(2)?;
        let overturned = i64::from(outcome != "rejected");
        if let Some(m) = month(&mut report.months, r.try_get(0)?) {
            m.decisions += 1;
            m.overturned += overturned;
        }
        *report.outcomes.entry((level, outcome)).or_default() += 1;
        let body = report.by_body.entry(r.try_get(8)?).or_default();
        body.decided += 1;
        body.overturned += overturned;
        if level != 1 {
            continue;
        }
        to_decide.push(r.try_get::<i64, _>(3)?);
        let (scheme, rule, version, authority): (String, String, i64, String) =
            (r.try_get(4)?, r.try_get(5)?, r.try_get(6)?, r.try_get(7)?);
        let add = |rate: &mut Rate| {
            rate.decided += 1;
            rate.overturned += overturned;
        };
        if !rule.is_empty() {
            add(report.by_rule.entry((scheme.clone(), rule.clone())).or_default());
            add(report.by_version.entry((scheme, rule, version)).or_default());
        }
        if !authority.is_empty() {
            add(report.by_authority.entry(authority).or_default());
        }
    }
    report.time_to_decide = Spread::of(to_decide);

    let counts = sqlx::query(&format!(
        "SELECT COUNT(*) FROM appeals WHERE target_kind <> 'rule' AND status = 'open' AND due_at < $1{}",
        scheme_filter("scheme_id")
    ))
    .bind(to_micros(now))
    .fetch_one(&mut *conn)
    .await?;
    report.overdue = counts.try_get(0)?;
    let second = sqlx::query(&format!(
        "SELECT COUNT(*) FROM appeal_actions t JOIN appeals p ON p.id = t.appeal_id \
         WHERE t.action = 'second_level_requested' AND t.at >= $1 AND t.at < $2{}",
        scheme_filter("p.scheme_id")
    ))
    .bind(from)
    .bind(to)
    .fetch_one(&mut *conn)
    .await?;
    report.second_level_requested = second.try_get(0)?;

    for r in sqlx::query(&format!(
        "SELECT s.code, r.rule_code, r.repealed_at, r.reason FROM rule_repeals r JOIN schemes s ON s.id = r.scheme_id \
         WHERE r.repealed_at >= $1 AND r.repealed_at < $2{} ORDER BY r.repealed_at",
        scheme_filter("r.scheme_id")
    ))
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?
    {
        report.repeals.push((r.try_get(0)?, r.try_get(1)?, from_micros(r.try_get(2)?), r.try_get(3)?));
    }
    for r in sqlx::query(&format!(
        "SELECT status, COUNT(*) FROM appeals WHERE target_kind = 'rule' AND filed_at >= $1 AND filed_at < $2{} \
         GROUP BY status",
        scheme_filter("scheme_id")
    ))
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?
    {
        report.rule_challenges.insert(r.try_get(0)?, r.try_get(1)?);
    }
    Ok(report)
}

fn month(months: &mut [Month], index: i64) -> Option<&mut Month> {
    usize::try_from(index).ok().and_then(|i| months.get_mut(i))
}

/// Appeals filed on records under one rule, and their first-level decisions, ever: shown on
/// the rule's public page.
pub async fn rule_figures(
    conn: &mut AnyConnection,
    scheme: &str,
    rule: &str,
) -> Result<(i64, Rate), StoreError> {
    let filed = sqlx::query(
        "SELECT COUNT(*) FROM appeals p JOIN schemes s ON s.id = p.scheme_id \
         WHERE p.target_kind = 'event' AND s.code = $1 AND p.rule_code = $2",
    )
    .bind(scheme)
    .bind(rule)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    let rate = sqlx::query(
        "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN d.outcome <> 'rejected' THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM appeal_decisions d JOIN appeals p ON p.id = d.appeal_id JOIN schemes s ON s.id = p.scheme_id \
         WHERE d.level = 1 AND p.target_kind = 'event' AND s.code = $1 AND p.rule_code = $2",
    )
    .bind(scheme)
    .bind(rule)
    .fetch_one(&mut *conn)
    .await?;
    Ok((filed, Rate { decided: rate.try_get(0)?, overturned: rate.try_get::<i64, _>(1)? }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_of_twelve_months_ends_after_the_month_of_now() {
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 10, 0, 0).unwrap();
        let p = Period::last_year(now);
        assert_eq!(p.from, month_start(2026, 1));
        assert_eq!(p.end(), month_start(2027, 1));
        assert_eq!(p.bounds().len(), 13);
        assert_eq!(add_months(month_start(2026, 1), -1), month_start(2025, 12));
    }

    #[test]
    fn percentiles_are_nearest_rank_and_rates_hide_small_counts() {
        let day = 86_400_000_000;
        let s = Spread::of((1..=10).map(|d| d * day).collect());
        assert_eq!((s.count, s.median_days, s.p90_days), (10, Some(5.0), Some(9.0)));
        assert_eq!(Spread::of(vec![]).median_days, None);
        assert_eq!(Rate { decided: 4, overturned: 2 }.percent(), None);
        assert_eq!(Rate { decided: 5, overturned: 2 }.percent(), Some(40.0));
    }
}
