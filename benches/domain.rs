//! Measures the domain's hot paths: one derivation over a long record, and grading a city.
//!
//! Run with `cargo bench --bench domain`. Prints figures against the targets (one subject with
//! 1,000 records: ≤ 100 µs; 740,000 subjects with 10 records each: ≤ 2 s); never asserts a time.

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use recourse::domain::{
    derive, grade_at, score_at, AuthorityId, Band, Catalogue, DisputePolicy, Effect, Event, EventId,
    EventKind, Grade, GradeBands, LegalBasis, RuleCode, RuleContent, RuleStatus, RuleVersion, RuleVersionId,
    Scheme, SchemeId, SchemeKind, SubjectId, Validity,
};
use uuid::Uuid;

/// A small deterministic generator, so every run measures the same data.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn scheme() -> Scheme {
    let band = |g: &str, min| Band { grade: Grade::parse(g).unwrap(), min };
    Scheme::new(
        SchemeId::new(),
        "rongcheng",
        SchemeKind::Points { base: 1_000 },
        GradeBands::new(vec![
            band("A+++", Some(1_050)),
            band("AA", Some(1_030)),
            band("A", Some(960)),
            band("B", Some(850)),
            band("C", Some(600)),
            band("D", None),
        ])
        .unwrap(),
        DisputePolicy::SuspendedWhileDisputed,
        30,
    )
    .unwrap()
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2018, 1, 1, 0, 0, 0).unwrap()
}

/// Twenty rules, a mix of fixed deductions, ranged judgments and rewards, some counted in days
/// and some in calendar months.
fn catalogue(scheme: &Scheme) -> Catalogue {
    let versions = (0..20)
        .map(|i| {
            let effect = match i % 4 {
                0 => Effect::Points { default: -5, min: -5, max: -5 },
                1 => Effect::Points { default: -50, min: -100, max: -1 },
                2 => Effect::Points { default: 5, min: 1, max: 10 },
                _ => Effect::Points { default: 30, min: 30, max: 30 },
            };
            let counts_for =
                if i % 3 == 0 { Validity::Months(24) } else { Validity::Days(365 * (1 + i % 5)) };
            RuleVersion::new(
                RuleVersionId::new(),
                RuleCode::parse(&format!("RULE-{i:02}")).unwrap(),
                1,
                RuleContent {
                    title_en: format!("Rule {i}"),
                    title_zh: format!("规则 {i}"),
                    description_en: "A benchmark rule.".into(),
                    description_zh: "基准规则。".into(),
                    legal_basis: Some(LegalBasis::parse("Benchmark Measures art. 1").unwrap()),
                    legal_basis_zh: Some(LegalBasis::parse_zh("基准办法第一条").unwrap()),
                    category: recourse::domain::Category::Other,
                    effect,
                    counts_for,
                    effective_from: start(),
                    effective_to: None,
                },
                RuleStatus::Published,
            )
            .unwrap()
        })
        .collect();
    Catalogue::new(scheme, versions).unwrap()
}

/// `n` records for one subject over the six years before `at`, in shuffled order, with about 2%
/// voided and 1% superseded.
fn records(
    catalogue: &Catalogue,
    rng: &mut XorShift,
    subject: SubjectId,
    first_id: u128,
    n: usize,
    at: DateTime<Utc>,
) -> Vec<Event> {
    let versions = catalogue.versions();
    let mut events: Vec<Event> = Vec::with_capacity(n);
    for k in 0..n {
        let id = EventId::from_uuid(Uuid::from_u128(first_id + k as u128));
        let corrections_allowed = events.iter().any(|e| e.kind == EventKind::Fact);
        let roll = rng.below(100);
        if corrections_allowed && roll < 3 {
            let target = loop {
                let t = &events[rng.below(events.len() as u64) as usize];
                if t.kind == EventKind::Fact {
                    break t.clone();
                }
            };
            let recorded = target.recorded_at + Span::days(1 + rng.below(60) as i64);
            let kind = if roll < 2 {
                EventKind::Void { target: target.id, reason: "appeal upheld".into(), decision_ref: None }
            } else {
                EventKind::Supersede { target: target.id, reason: "partly upheld".into() }
            };
            let points = if roll < 2 { 0 } else { target.points / 2 };
            events.push(Event { id, points, recorded_at: recorded, kind, ..target });
            continue;
        }
        let v = &versions[rng.below(versions.len() as u64) as usize];
        let (min, max) = v.effect().range();
        let occurred = at - Span::hours(rng.below(6 * 365 * 24) as i64);
        events.push(Event {
            id,
            subject,
            scheme: catalogue.scheme(),
            rule_version: v.id(),
            rule_code: *v.rule_code(),
            points: min + rng.below((max - min + 1) as u64) as i64,
            occurred_at: occurred,
            recorded_at: occurred + Span::hours(rng.below(72) as i64),
            authority: AuthorityId::from_uuid(Uuid::from_u128(1)),
            // Not read by a derivation; left empty so the city fits comfortably in memory.
            external_ref: String::new(),
            kind: EventKind::Fact,
        });
    }
    for i in (1..events.len()).rev() {
        events.swap(i, rng.below(i as u64 + 1) as usize);
    }
    events
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn time_runs(runs: usize, warm_up: usize, mut f: impl FnMut()) -> Vec<Duration> {
    for _ in 0..warm_up {
        f();
    }
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort_unstable();
    times
}

fn main() {
    let scheme = scheme();
    let catalogue = catalogue(&scheme);
    let at = start() + Span::days(6 * 365);
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);

    // One subject, 1,000 records.
    let events = records(&catalogue, &mut rng, SubjectId::new(), 1, 1_000, at);
    let disputes: Vec<_> = events
        .iter()
        .step_by(97)
        .map(|e| recourse::domain::Dispute {
            event: e.id,
            opened_at: at - Span::days(10),
            closed_at: None,
            lapsed_at: None,
        })
        .collect();
    let sample = derive(&scheme, &catalogue, &events, &disputes, at);
    println!(
        "one subject: {} records, {} counting, {} not counting, score {} grade {}",
        events.len(),
        sample.lines.len(),
        sample.not_counting.len(),
        sample.score,
        sample.grade
    );
    let times = time_runs(2_000, 100, || {
        black_box(derive(&scheme, &catalogue, black_box(&events), &disputes, at));
    });
    println!(
        "derive, 1,000 records, shuffled:         median {:>9.1?}  p99 {:>9.1?}  (target ≤ 100 µs)",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    // Storage can return a subject's records by (occurred_at, id), as the derivation lists them;
    // sorting then costs one pass and branches predict better.
    let mut ordered = events.clone();
    ordered.sort_by_key(|e| (e.occurred_at, e.id));
    let times = time_runs(2_000, 100, || {
        black_box(derive(&scheme, &catalogue, black_box(&ordered), &disputes, at));
    });
    println!(
        "derive, 1,000 records in storage order: median {:>9.1?}  p99 {:>9.1?}  (target ≤ 100 µs)",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    let times = time_runs(2_000, 100, || {
        black_box(score_at(&scheme, &catalogue, black_box(&events), &disputes, at));
    });
    println!(
        "score_at, 1,000 records, shuffled:       median {:>9.1?}  p99 {:>9.1?}",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );

    // A city: 740,000 subjects with 10 records each, stored contiguously.
    const SUBJECTS: usize = 740_000;
    const PER_SUBJECT: usize = 10;
    let threads = thread::available_parallelism().map_or(1, |n| n.get());
    let built = Instant::now();
    let chunk = SUBJECTS.div_ceil(threads);
    let city: Vec<Event> = thread::scope(|s| {
        let parts: Vec<_> = (0..threads)
            .map(|t| {
                let catalogue = &catalogue;
                s.spawn(move || {
                    let mut rng = XorShift(0x2545_F491_4F6C_DD1D ^ (t as u64 + 1));
                    let first = t * chunk;
                    let last = ((t + 1) * chunk).min(SUBJECTS);
                    let mut out = Vec::with_capacity((last - first) * PER_SUBJECT);
                    for subject in first..last {
                        let id = SubjectId::from_uuid(Uuid::from_u128(subject as u128 + 1));
                        let first_id = 1_000_000 + (subject * PER_SUBJECT) as u128;
                        out.extend(records(catalogue, &mut rng, id, first_id, PER_SUBJECT, at));
                    }
                    out
                })
            })
            .collect();
        parts.into_iter().flat_map(|p| p.join().unwrap()).collect()
    });
    println!(
        "city: {} subjects × {} records built in {:.1?} ({} bytes per record)",
        SUBJECTS,
        PER_SUBJECT,
        built.elapsed(),
        std::mem::size_of::<Event>()
    );

    let grade_city = |full: bool| -> (Duration, Vec<usize>) {
        let t = Instant::now();
        let counts = thread::scope(|s| {
            let handles: Vec<_> = city
                .chunks(chunk * PER_SUBJECT)
                .map(|part| {
                    let (scheme, catalogue) = (&scheme, &catalogue);
                    s.spawn(move || {
                        let mut counts = vec![0usize; scheme.bands().bands().len()];
                        for events in part.chunks(PER_SUBJECT) {
                            let index = if full {
                                let d = derive(scheme, catalogue, events, &[], at);
                                scheme.bands().index_of(&d.grade).unwrap()
                            } else {
                                let band = grade_at(scheme, catalogue, events, &[], at);
                                scheme.bands().index_of(&band.grade).unwrap()
                            };
                            counts[index] += 1;
                        }
                        counts
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).fold(
                vec![0usize; scheme.bands().bands().len()],
                |mut total, part| {
                    total.iter_mut().zip(part).for_each(|(t, p)| *t += p);
                    total
                },
            )
        });
        (t.elapsed(), counts)
    };
    for full in [false, false, true] {
        let (elapsed, counts) = grade_city(full);
        let what = if full { "derive  " } else { "grade_at" };
        let spread: Vec<String> =
            scheme.bands().bands().iter().zip(&counts).map(|(b, n)| format!("{} {}", b.grade, n)).collect();
        println!(
            "city, {what} on {threads} threads: {:>8.1?}  (target ≤ 2 s)  [{}]",
            elapsed,
            spread.join(", ")
        );
    }
}
