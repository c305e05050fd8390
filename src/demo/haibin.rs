//! A second city's points scheme, so catalogues can be compared: Haibin charges more for a
//! traffic ticket, counts jaywalking, and gives nothing for volunteering. Forty of Rongcheng's
//! residents are enrolled in both, with a few records under Haibin's own authorities. Its rule
//! codes start with `HB-`, so no code names a rule in two demo schemes.

use chrono::{DateTime, Duration, Utc};
use rand::{rngs::StdRng, Rng, SeedableRng};
use sqlx::{AnyConnection, Row};

use super::{authority, bands, content, publish};
use crate::{
    domain::DisputePolicy,
    domain::{
        Effect, Fact, LegalBasis, MandateScope, RuleCode, RulePattern, Scheme, SchemeId, SchemeKind, Source,
        SubjectId,
    },
    store::{
        audit::Actor,
        catalogue::{self, SchemeRecord},
        mandates::{self, Grant},
        records::{self, Provenance, Recorded},
    },
};

const BASIS: super::Basis =
    ("Haibin Civic Credit Points Measures (2022), art. 9", "《海滨市文明信用积分办法》（2022年）第九条");

/// (code, English title, Chinese title, English description, Chinese description, points, months)
type Rule = (&'static str, &'static str, &'static str, &'static str, &'static str, i64, u32);

const RULES: [Rule; 6] = [
    (
        "HB-TRAFFIC-01",
        "Traffic violation",
        "交通违法",
        "A traffic ticket confirmed by the traffic police.",
        "经交警确认的交通违法罚单。",
        -10,
        24,
    ),
    (
        "HB-TRAFFIC-02",
        "Drunk driving",
        "酒后驾驶",
        "Driving above the legal blood alcohol limit.",
        "血液酒精含量超过法定标准驾驶。",
        -50,
        36,
    ),
    (
        "HB-JAYWALK-01",
        "Jaywalking",
        "行人闯红灯",
        "Crossing against a red light on foot, recorded by a camera or an officer.",
        "步行闯红灯，经摄像头或警员记录。",
        -2,
        12,
    ),
    (
        "HB-COURT-01",
        "Failure to perform a court judgment",
        "未履行法院判决",
        "Not performing an effective court judgment although able to.",
        "有能力履行而拒不履行生效判决。",
        -100,
        36,
    ),
    (
        "HB-TAX-01",
        "Tax arrears",
        "欠税",
        "Tax owed and not paid after the legal deadline.",
        "逾期未缴纳应纳税款。",
        -20,
        24,
    ),
    (
        "HB-BLOOD-01",
        "Blood donation",
        "献血",
        "A voluntary blood donation recorded by the blood centre.",
        "经血站记录的无偿献血。",
        5,
        12,
    ),
];

/// Seeds Haibin's scheme, its two authorities and their mandates, and enrols forty residents
/// of the demo (not the featured ones) with a few records each.
pub(super) async fn seed(conn: &mut AnyConnection, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let scheme = Scheme::new(
        SchemeId::new(),
        "haibin",
        SchemeKind::Points { base: 1_000 },
        bands(&[
            ("AAA", Some(1_050)),
            ("AA", Some(1_000)),
            ("A", Some(950)),
            ("B", Some(850)),
            ("C", Some(700)),
            ("D", None),
        ])?,
        DisputePolicy::SuspendedWhileDisputed,
        20,
    )?;
    let record = SchemeRecord {
        scheme,
        name_en: "Haibin civic credit points".into(),
        name_zh: "海滨市文明信用积分".into(),
        operator_en: "Haibin Civic Credit Office".into(),
        operator_zh: "海滨市信用办".into(),
        component_names: vec![],
        grade_names_zh: vec![],
    };
    catalogue::insert_scheme(conn, &record).await?;
    let id = record.scheme.id();
    for (code, title_en, title_zh, desc_en, desc_zh, points, months) in RULES {
        let effect = Effect::Points { default: points, min: points, max: points };
        publish(conn, id, code, 1, content(title_en, title_zh, desc_en, desc_zh, BASIS, effect, months))
            .await?;
    }
    let traffic =
        authority(conn, "hb-traffic", "Haibin Traffic Police Detachment", "海滨市公安局交通警察支队").await?;
    let civic = authority(conn, "hb-civic", "Haibin Civic Credit Office", "海滨市信用办").await?;
    let actor = Actor::cli("demo");
    for (authority, pattern, basis) in [
        (traffic, "HB-TRAFFIC-*", "Road Traffic Safety Law, art. 87; Haibin measures, ch. 2"),
        (traffic, "HB-JAYWALK-*", "Road Traffic Safety Law, art. 62; Haibin measures, ch. 2"),
        (civic, "HB-COURT-*", "Haibin measures, ch. 3 (court judgments)"),
        (civic, "HB-TAX-*", "Haibin measures, ch. 3 (taxes)"),
        (civic, "HB-BLOOD-*", "Blood Donation Law, art. 6; Haibin measures, ch. 4"),
    ] {
        let scope = MandateScope::Rules { scheme: id, rules: RulePattern::parse(pattern)? };
        let grant = Grant {
            authority,
            scope,
            legal_basis: LegalBasis::parse(basis)?,
            valid_from: super::day(2020, 1, 1),
        };
        mandates::grant(conn, grant, &actor, super::day(2020, 1, 1)).await?;
    }
    let ctx = catalogue::context(conn, id).await?.expect("just inserted");

    let residents = sqlx::query(
        "SELECT id FROM subjects WHERE kind = 'person' AND display_name NOT IN \
         ('Wang Fang', 'Liu Yang', 'Zhao Lei', 'Li Wei', 'Zhang Min', 'Chen Jie') ORDER BY display_name, id LIMIT 40",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut rng = StdRng::seed_from_u64(20_261_204);
    let mut events = 0;
    for (i, row) in residents.iter().enumerate() {
        let subject = SubjectId::parse(&row.try_get::<String, _>(0)?)?;
        records::enrol(conn, &ctx, subject, super::day(2022, 1, 1)).await?;
        for n in 0..rng.gen_range(1..=4) {
            let (code, authority) = match rng.gen_range(0..10) {
                0..=3 => ("HB-TRAFFIC-01", traffic),
                4..=6 => ("HB-JAYWALK-01", traffic),
                7 => ("HB-TAX-01", civic),
                _ => ("HB-BLOOD-01", civic),
            };
            let occurred = now - Duration::days(rng.gen_range(10..700));
            let source =
                Source { subject, scheme: id, authority, external_ref: format!("HB-DEMO-{i:03}-{n}") };
            let fact = Fact { rule_code: RuleCode::parse(code)?, points: None, occurred_at: occurred };
            let provenance = Provenance {
                recorded_by: "Haibin demo clerk".into(),
                source: format!("{} case file", code.to_lowercase()),
                evidence_ref: format!("HB-EV-{i:03}-{n}"),
            };
            let recorded = (occurred + Duration::days(3)).min(now);
            if let Recorded::New(_) =
                records::record_fact_in(conn, &ctx, source, fact, provenance, recorded).await?
            {
                events += 1;
            }
        }
    }
    Ok(events)
}
