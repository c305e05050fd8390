//! The demo's relying parties: a railway ticket office asking whether a listing restricts
//! high-speed rail tickets, a bank asking about a grade, a few checks about Wang Fang, Rongcheng
//! Harbour Logistics and Sun Hao, and one correction not yet acknowledged (Sun Hao's listing was
//! lifted after the railway asked).

use chrono::{DateTime, Duration, Utc};
use sqlx::AnyConnection;
use uuid::Uuid;

use crate::{
    domain::{Restriction, SubjectId},
    store::{
        blacklist::{self, EntryAction},
        checks::{self, Check},
        relying_parties::{self, NewParty, RelyingParty},
        standing::Reads,
        status::{self, Question},
    },
};

async fn party(
    conn: &mut AnyConnection,
    name: &str,
    purpose: &str,
    legal_basis: &str,
    questions: &[&str],
    now: DateTime<Utc>,
) -> anyhow::Result<RelyingParty> {
    let new = NewParty {
        name: name.into(),
        purpose: purpose.into(),
        legal_basis: legal_basis.into(),
        questions: questions.iter().map(|q| q.to_string()).collect(),
    };
    Ok(relying_parties::create(conn, &new, None, now).await?)
}

/// A check as it was answered at `at`.
async fn asked(
    conn: &mut AnyConnection,
    party: &RelyingParty,
    subject: SubjectId,
    question: Question,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let answer =
        status::answer(conn, Reads::Direct, subject, &question, at).await?.map_err(anyhow::Error::msg)?;
    let check = Check {
        id: Uuid::now_v7(),
        subject,
        party: party.id,
        question: question.kind(),
        parameter: question.parameter(),
        answer,
        asked_at: at,
    };
    checks::record(conn, &check).await?;
    Ok(())
}

async fn subject_named(conn: &mut AnyConnection, name: &str) -> anyhow::Result<SubjectId> {
    let id: String = sqlx::query_scalar("SELECT id FROM subjects WHERE display_name = $1")
        .bind(name)
        .fetch_one(&mut *conn)
        .await?;
    Ok(SubjectId::parse(&id)?)
}

pub async fn seed(conn: &mut AnyConnection, now: DateTime<Utc>) -> anyhow::Result<()> {
    let registered = now - Duration::days(30);
    let railway = party(
        conn,
        "Rongcheng Railway Ticket Office",
        "To refuse high-speed rail tickets to people a court has restricted from buying them.",
        "Provisions of the Supreme People's Court on Restricting High Consumption by Judgment Debtors (2015), art. 3",
        &["restricted"],
        registered,
    )
    .await?;
    let bank = party(
        conn,
        "Coastal Commercial Bank",
        "To decide loan applications, with the applicant's consent.",
        "Personal Information Protection Law, art. 13(1)(2): necessary to conclude a contract the subject asked for",
        &["grade_at_least"],
        registered,
    )
    .await?;
    let wang = subject_named(conn, "Wang Fang").await?;
    let harbour = subject_named(conn, super::ORGANISATIONS[0]).await?;
    let sun = subject_named(conn, "Sun Hao").await?;
    let rail = Question::Restricted(Restriction::HighSpeedRail);
    asked(conn, &railway, wang, rail.clone(), now - Duration::days(8)).await?;
    asked(conn, &railway, sun, rail.clone(), now - Duration::days(9)).await?;
    for (subject, g, days) in [(wang, "B", 3), (harbour, "A", 2)] {
        let question = Question::resolve(conn, "grade_at_least", None, Some("rongcheng"), Some(g))
            .await?
            .map_err(anyhow::Error::msg)?;
        asked(conn, &bank, subject, question, now - Duration::days(days)).await?;
    }
    // Sun Hao paid; the court lifted the listing, and the railway's answer became wrong.
    let lifted = now - Duration::days(6);
    let entry = blacklist::entries_of(conn, sun, None).await?.into_iter().next().expect("seeded").entry.id();
    blacklist::act(conn, entry, EntryAction::Lifted, lifted, "The judgment debt was paid in full.", lifted)
        .await?;
    checks::reconsider(conn, &[(sun.to_string(), "entry.lift".to_string())], lifted).await?;
    Ok(())
}
