//! Test fixtures: a Rongcheng-shaped points scheme, a 350–950 weighted scheme, rules and records.

use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

use super::event::{Event, EventKind};
use super::ids::{AuthorityId, EventId, ListId, MandateId, RuleVersionId, SchemeId, SubjectId};
use super::mandate::{Mandate, MandateScope, Mandates, RulePattern};
use super::rule::{Catalogue, Effect, LegalBasis, RuleCode, RuleContent, RuleStatus, RuleVersion, Validity};
use super::scheme::{Band, Component, ComponentCode, DisputePolicy, Grade, GradeBands, Scheme, SchemeKind};

/// Midnight UTC, `n` days after 1 January 2024.
pub fn day(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + Duration::days(n)
}

pub fn code(text: &str) -> RuleCode {
    RuleCode::parse(text).unwrap()
}

pub fn grade(text: &str) -> Grade {
    Grade::parse(text).unwrap()
}

pub fn component(text: &str) -> ComponentCode {
    ComponentCode::parse(text).unwrap()
}

/// A deterministic id, so tests can order and name records.
pub fn event_id(n: u128) -> EventId {
    EventId::from_uuid(Uuid::from_u128(n))
}

/// Rongcheng's published shape: base 1,000; A+++ ≥ 1,050; AA 1,030–1,049; A 960–1,029;
/// B 850–959; C 600–849; D below 600.
pub fn rongcheng_bands() -> GradeBands {
    let b = |g: &str, min| Band { grade: grade(g), min };
    GradeBands::new(vec![
        b("A+++", Some(1_050)),
        b("AA", Some(1_030)),
        b("A", Some(960)),
        b("B", Some(850)),
        b("C", Some(600)),
        b("D", None),
    ])
    .unwrap()
}

pub fn rongcheng_with(policy: DisputePolicy) -> Scheme {
    Scheme::new(
        SchemeId::from_uuid(Uuid::from_u128(0xA)),
        "rongcheng",
        SchemeKind::Points { base: 1_000 },
        rongcheng_bands(),
        policy,
        30,
    )
    .unwrap()
}

pub fn rongcheng() -> Scheme {
    rongcheng_with(DisputePolicy::KeepsCounting)
}

/// A 350–950 weighted scheme with bands every 100 points.
pub fn weighted() -> Scheme {
    let c = |code: &str, weight_percent, start| Component { code: component(code), weight_percent, start };
    let b = |g: &str, min| Band { grade: grade(g), min };
    Scheme::new(
        SchemeId::from_uuid(Uuid::from_u128(0xB)),
        "weighted",
        SchemeKind::Weighted {
            range_min: 350,
            range_max: 950,
            components: vec![
                c("payment_history", 35, 60),
                c("contract_fulfilment", 30, 60),
                c("ability_to_pay", 20, 50),
                c("identity", 15, 80),
            ],
        },
        GradeBands::new(vec![
            b("EXCELLENT", Some(750)),
            b("GOOD", Some(650)),
            b("FAIR", Some(550)),
            b("POOR", None),
        ])
        .unwrap(),
        DisputePolicy::KeepsCounting,
        30,
    )
    .unwrap()
}

/// Complete content with a legal basis, counting for `days` days.
pub fn content(default: i64, min: i64, max: i64, days: u32, from: DateTime<Utc>) -> RuleContent {
    RuleContent {
        title_en: "Traffic violation".into(),
        title_zh: "交通违法".into(),
        description_en: "A traffic ticket issued by the traffic police.".into(),
        description_zh: "交警开具的交通罚单。".into(),
        legal_basis: Some(LegalBasis::parse("Rongcheng Social Credit Measures, art. 12").unwrap()),
        legal_basis_zh: Some(LegalBasis::parse_zh("《荣成市社会信用管理办法》第十二条").unwrap()),
        category: super::Category::Other,
        effect: Effect::Points { default, min, max },
        counts_for: Validity::Days(days),
        effective_from: from,
        effective_to: None,
    }
}

/// A published points rule.
pub fn points_rule(
    rule: &str,
    version: u32,
    default: i64,
    min: i64,
    max: i64,
    days: u32,
    from: DateTime<Utc>,
) -> RuleVersion {
    RuleVersion::new(
        RuleVersionId::new(),
        code(rule),
        version,
        content(default, min, max, days, from),
        RuleStatus::Published,
    )
    .unwrap()
}

/// A published weighted rule moving `comp` by `min..=max`.
pub fn component_rule(rule: &str, comp: &str, min: i64, max: i64, days: u32) -> RuleVersion {
    let mut c = content(min, min, max, days, day(0));
    c.effect = Effect::Component { component: component(comp), default: min, min, max };
    RuleVersion::new(RuleVersionId::new(), code(rule), 1, c, RuleStatus::Published).unwrap()
}

/// Rongcheng-style catalogue, all effective from day 0: a −5 traffic ticket (1 year), a +30
/// heroic act (2 years), a +5 donation (1 year), and a −100..−1 court judgment (5 years).
pub fn rongcheng_catalogue() -> Catalogue {
    Catalogue::new(
        &rongcheng(),
        vec![
            points_rule("TRAFFIC", 1, -5, -5, -5, 365, day(0)),
            points_rule("HEROIC", 1, 30, 30, 30, 730, day(0)),
            points_rule("DONATION", 1, 5, 1, 10, 365, day(0)),
            points_rule("JUDGMENT", 1, -50, -100, -1, 1_825, day(0)),
        ],
    )
    .unwrap()
}

/// Weighted catalogue: a late payment (−100..−1 payment_history, 2 years), an on-time
/// payment (+1..+10 payment_history, 1 year), a broken contract (−30 contract_fulfilment),
/// income proof (+0..+50 ability_to_pay), identity check (+20 identity).
pub fn weighted_catalogue() -> Catalogue {
    Catalogue::new(
        &weighted(),
        vec![
            component_rule("LATE", "payment_history", -100, -1, 730),
            component_rule("ONTIME", "payment_history", 1, 10, 365),
            component_rule("BROKEN", "contract_fulfilment", -30, -30, 730),
            component_rule("INCOME", "ability_to_pay", 0, 50, 365),
            component_rule("IDCHECK", "identity", 20, 20, 3_650),
        ],
    )
    .unwrap()
}

pub fn subject() -> SubjectId {
    SubjectId::from_uuid(Uuid::from_u128(0x5))
}

pub fn authority() -> AuthorityId {
    AuthorityId::from_uuid(Uuid::from_u128(0x7))
}

pub fn list() -> ListId {
    ListId::from_uuid(Uuid::from_u128(0x9))
}

/// [`authority`]'s mandates: every rule of both fixture schemes, and [`list`].
pub fn mandates() -> Mandates {
    let grant = |scope| Mandate {
        id: MandateId::from_uuid(Uuid::from_u128(0x3)),
        authority: authority(),
        scope,
        legal_basis: LegalBasis::parse("Fixture mandate").unwrap(),
        valid_from: day(-10_000),
        revoked_at: None,
    };
    let every_rule = |scheme: &Scheme| MandateScope::Rules {
        scheme: scheme.id(),
        rules: RulePattern::parse("*").unwrap(),
    };
    Mandates::of(
        authority(),
        [
            grant(every_rule(&rongcheng())),
            grant(every_rule(&weighted())),
            grant(MandateScope::List { list: list() }),
        ],
    )
}

/// A fact under the version of `rule` in force at `occurred`, recorded at `recorded`.
pub fn fact(
    catalogue: &Catalogue,
    id: u128,
    rule: &str,
    points: i64,
    occurred: DateTime<Utc>,
    recorded: DateTime<Utc>,
) -> Event {
    let version = catalogue.version_in_force(&code(rule), occurred).unwrap();
    Event {
        id: event_id(id),
        subject: subject(),
        scheme: catalogue.scheme(),
        rule_version: version.id(),
        rule_code: *version.rule_code(),
        points,
        occurred_at: occurred,
        recorded_at: recorded,
        authority: authority(),
        external_ref: format!("ref-{id}"),
        kind: EventKind::Fact,
    }
}

/// A record voiding `target`, recorded at `recorded`.
pub fn void(id: u128, target: &Event, recorded: DateTime<Utc>) -> Event {
    Event {
        id: event_id(id),
        points: 0,
        occurred_at: recorded,
        recorded_at: recorded,
        external_ref: format!("ref-{id}"),
        kind: EventKind::Void {
            target: target.id,
            reason: "appeal upheld".into(),
            decision_ref: Some("D-1".into()),
        },
        ..target.clone()
    }
}

/// A correction of `target` carrying `points`, recorded at `recorded`.
pub fn supersede(id: u128, target: &Event, points: i64, recorded: DateTime<Utc>) -> Event {
    Event {
        id: event_id(id),
        points,
        recorded_at: recorded,
        external_ref: format!("ref-{id}"),
        kind: EventKind::Supersede { target: target.id, reason: "partly upheld".into() },
        ..target.clone()
    }
}
