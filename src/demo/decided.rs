//! A year of decided appeals, so the transparency report reads as real: residents (each with a
//! subject account of their own, whose password nobody knows) contest deductions; the review
//! board and the traffic police's legal office uphold, partly uphold or reject them with
//! reasons; a few go to a second level; a few are left past their deadline.

use chrono::{DateTime, Duration, Utc};
use rand::{rngs::StdRng, Rng, SeedableRng};
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::{
    auth::password::{self, NewPassword},
    domain::{
        appeal::{Decision, Grounds, Outcome, Reasons, Reviewer, Statement},
        AuthorityId, EventId, SubjectId,
    },
    store::{
        accounts::{self, Role},
        appeals::{self, NewAppeal, Target},
        audit::Actor,
    },
};

/// The two reviewers who decide: the independent board's, and the traffic police legal
/// office's (which may not decide on traffic police records).
pub(super) struct Deciders {
    pub board: Reviewer,
    pub office: Reviewer,
}

/// How many appeals the demo decides (and leaves open) for the report.
const APPEALS: usize = 48;

/// Files and decides [`APPEALS`] appeals over the past year; returns how many were decided.
pub(super) async fn seed(
    conn: &mut AnyConnection,
    deciders: &Deciders,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut rng = StdRng::seed_from_u64(20_261_205);
    // Deductions of residents (not the featured ones), recorded at least five weeks ago, under
    // rules other than those Liu Yang's walkthrough appeals contest.
    let rows = sqlx::query(
        "SELECT e.id, e.subject_id, e.recorded_at, e.authority_id, e.points, v.points_max FROM events e \
         JOIN subjects s ON s.id = e.subject_id JOIN rule_versions v ON v.id = e.rule_version_id \
         WHERE e.kind = 'fact' AND e.points < 0 AND e.recorded_at < $1 AND e.recorded_at > $2 \
           AND e.rule_code NOT IN ('TRAFFIC-02', 'FRAUD-01', 'PAY-LATE') \
           AND s.kind = 'person' AND s.display_name NOT IN \
           ('Wang Fang', 'Liu Yang', 'Zhao Lei', 'Li Wei', 'Zhang Min', 'Chen Jie') \
         ORDER BY s.display_name, e.recorded_at",
    )
    .bind(crate::store::to_micros(now - Duration::days(50)))
    .bind(crate::store::to_micros(now - Duration::days(400)))
    .fetch_all(&mut *conn)
    .await?;
    let mut seen = std::collections::HashSet::new();
    let mut picked = Vec::new();
    for r in &rows {
        let subject: String = r.try_get(1)?;
        // One appeal per resident keeps each story simple.
        if seen.insert(subject.clone()) {
            let authority: String = r.try_get(3)?;
            picked.push((
                EventId::parse(&r.try_get::<String, _>(0)?)?,
                SubjectId::parse(&subject)?,
                crate::store::from_micros(r.try_get(2)?),
                AuthorityId::parse(&authority)?,
                // The least deduction the rule allows, if less than the one recorded.
                Some(r.try_get::<i64, _>(5)?).filter(|max| *max > r.try_get::<i64, _>(4).unwrap_or(0)),
            ));
        }
        if picked.len() == APPEALS {
            break;
        }
    }
    let traffic = traffic_police(conn).await?;
    // One password hash for every appellant account: nobody knows the password.
    let secret: String = (0..32).map(|_| rng.gen_range(b'a'..=b'z') as char).collect();
    let hash = password::hash(NewPassword::parse(format!("{secret}-Demo-9!"))?).await?;
    let actor = Actor::cli("demo");
    let mut decided = 0;
    for (i, (event, subject, recorded, authority, lesser)) in picked.into_iter().enumerate() {
        let account =
            accounts::create(conn, &format!("demo-appellant-{i:02}"), "Demo appellant", &hash, Role::Subject)
                .await?;
        accounts::link(conn, account, Some(subject), None).await?;
        let latest_filing = now - Duration::days(35);
        let filed = (recorded + Duration::days(rng.gen_range(2..40))).min(latest_filing);
        let (grounds, statement) = GROUNDS[i % GROUNDS.len()];
        let new = NewAppeal {
            subject,
            target: Target::Event(event),
            grounds,
            statement: Statement::parse(statement)?,
            files: Vec::new(),
        };
        let id =
            appeals::file(conn, &actor, account, new, filed).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        // Every eighth is left open past its deadline: overdue on the report.
        if i % 8 == 7 {
            continue;
        }
        let by_office = authority != traffic && i % 3 == 0;
        let (first, second) =
            if by_office { (&deciders.office, &deciders.board) } else { (&deciders.board, &deciders.office) };
        let outcome = match (i % 8, lesser) {
            (0 | 3, _) => Outcome::Upheld,
            (5 | 6, Some(points)) => Outcome::PartlyUpheld { points },
            _ => Outcome::Rejected,
        };
        let decided_at = filed + Duration::days(rng.gen_range(2..29)) + Duration::hours(rng.gen_range(0..8));
        let decision = Decision { outcome, reasons: Reasons::parse(reasons(outcome, 1))? };
        decide(conn, &actor, first, id, decision, decided_at).await?;
        decided += 1;
        // A rejected appeal sometimes goes to the second level, decided by the other body when
        // it may (the traffic police's office never decides on its own records).
        if i % 8 == 2 && authority != traffic {
            let asked = decided_at + Duration::days(3);
            let why =
                Statement::parse("The first decision did not address the evidence I gave about the date.")?;
            appeals::request_second_level(conn, &actor, account, id, &why, asked)
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let outcome = if i % 16 == 2 { Outcome::Upheld } else { Outcome::Rejected };
            let decision = Decision { outcome, reasons: Reasons::parse(reasons(outcome, 2))? };
            decide(conn, &actor, second, id, decision, asked + Duration::days(rng.gen_range(4..20))).await?;
            decided += 1;
        }
    }
    Ok(decided)
}

async fn decide(
    conn: &mut AnyConnection,
    actor: &Actor,
    reviewer: &Reviewer,
    id: Uuid,
    decision: Decision,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    appeals::decide(conn, actor, reviewer, id, decision, at).await.map_err(|e| anyhow::anyhow!("{e:?}"))
}

async fn traffic_police(conn: &mut AnyConnection) -> anyhow::Result<AuthorityId> {
    let id: String = sqlx::query("SELECT id FROM authorities WHERE code = 'rc-traffic'")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    Ok(AuthorityId::parse(&id)?)
}

const GROUNDS: [(Grounds, &str); 4] = [
    (Grounds::DidNotHappen, "I was not there that day; my employer's attendance record shows I was at work."),
    (
        Grounds::NotMe,
        "The record names me, but the vehicle was sold two months before and the transfer is registered.",
    ),
    (
        Grounds::Disproportionate,
        "The deduction is out of proportion to a first, minor offence that I corrected at once.",
    ),
    (Grounds::AlreadyFulfilled, "I paid what was owed before the record was made, as the receipt shows."),
];

fn reasons(outcome: Outcome, level: u8) -> &'static str {
    match (outcome, level) {
        (Outcome::Upheld, _) => REASONS[0],
        (Outcome::PartlyUpheld { .. }, _) => REASONS[2],
        (Outcome::Rejected, 1) => REASONS[1],
        (Outcome::Rejected, _) => REASONS[3],
    }
}

const REASONS: [&str; 4] = [
    "The evidence supplied shows the subject was elsewhere at the time; the record is not supported and is voided.",
    "The authority's file contains a signed report and photographs that match the subject; the record stands as made.",
    "The record was made on the right rule, but the file does not support the full deduction; it is reduced.",
    "On review of the whole file, the first decision applied the rule correctly and gave adequate reasons.",
];
