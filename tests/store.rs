//! Storage of the domain on SQLite and PostgreSQL: idempotent, append-only recording; bad input
//! refused with nothing changed; current scores equal fresh derivations; past instants replay.

mod common;

use chrono::{DateTime, SubsecRound, TimeZone, Utc};
use common::for_each_database;
use recourse::{
    db::Db,
    domain::{
        AuthorityId, Band, DisputePolicy, DomainError, Effect, EntryDraft, EntryId, EntryStatus, EventId,
        Fact, Grade, GradeBands, LegalBasis, ListId, MandateScope, Reason, RemovalCondition, Restriction,
        RuleCode, RuleContent, RulePattern, RuleStatus, RuleVersion, RuleVersionId, Scheme, SchemeId,
        SchemeKind, Source, SubjectId, Validity,
    },
    store::{
        blacklist::{self, BlacklistList, EntryAction},
        catalogue::{self, SchemeContext, SchemeRecord},
        records::{self, Correction, Provenance, RecordError, Recorded},
        register::{self, Authority, Subject, SubjectKind},
        StoreError,
    },
};
use sqlx::Row;

fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}

/// A Rongcheng-shaped points scheme with three rules, one authority and `subjects` enrolled.
struct World {
    db: Db,
    ctx: SchemeContext,
    authority: AuthorityId,
    subjects: Vec<SubjectId>,
}

async fn world(db: &Db, subjects: usize) -> World {
    let mut conn = db.pool.acquire().await.unwrap();
    let bands = [
        ("A+++", Some(1_050)),
        ("AA", Some(1_030)),
        ("A", Some(960)),
        ("B", Some(850)),
        ("C", Some(600)),
        ("D", None),
    ]
    .iter()
    .map(|(g, min)| Band { grade: Grade::parse(g).unwrap(), min: *min })
    .collect();
    let scheme = Scheme::new(
        SchemeId::new(),
        "test-points",
        SchemeKind::Points { base: 1_000 },
        GradeBands::new(bands).unwrap(),
        DisputePolicy::SuspendedWhileDisputed,
        30,
    )
    .unwrap();
    let record = SchemeRecord {
        scheme,
        name_en: "Test".into(),
        name_zh: "测试".into(),
        operator_en: "Op".into(),
        operator_zh: "运营方".into(),
        component_names: vec![],
        grade_names_zh: vec![],
    };
    catalogue::insert_scheme(&mut conn, &record).await.unwrap();
    for (code, default, min, max) in [("TICKET", -5, -5, -5), ("FINE", -20, -50, -10), ("HERO", 30, 30, 30)] {
        let content = RuleContent {
            title_en: code.into(),
            title_zh: code.into(),
            description_en: "d".into(),
            description_zh: "d".into(),
            legal_basis: Some(LegalBasis::parse("Measures art. 1").unwrap()),
            legal_basis_zh: Some(LegalBasis::parse_zh("办法第一条").unwrap()),
            category: recourse::domain::Category::Other,
            effect: Effect::Points { default, min, max },
            counts_for: Validity::Months(24),
            effective_from: day(2022, 1, 1),
            effective_to: None,
        };
        let v = RuleVersion::new(
            RuleVersionId::new(),
            RuleCode::parse(code).unwrap(),
            1,
            content,
            RuleStatus::Published,
        )
        .unwrap();
        catalogue::insert_rule_version(&mut conn, record.scheme.id(), &v).await.unwrap();
    }
    let authority = AuthorityId::new();
    register::insert_authority(
        &mut conn,
        &Authority {
            id: authority, code: "police".into(), name_en: "Police".into(), name_zh: "警察".into()
        },
    )
    .await
    .unwrap();
    let rules = RulePattern::parse("*").unwrap();
    common::grant_mandate(db, authority, MandateScope::Rules { scheme: record.scheme.id(), rules }).await;
    let ctx = catalogue::context(&mut conn, record.scheme.id()).await.unwrap().unwrap();
    let mut ids = Vec::new();
    for i in 0..subjects {
        let id = SubjectId::new();
        let subject = Subject { id, kind: SubjectKind::Person, display_name: format!("P{i}"), uscc: None };
        register::insert_subject(&mut conn, &subject, day(2022, 1, 1)).await.unwrap();
        records::enrol(&mut conn, &ctx, id, day(2022, 1, 1)).await.unwrap();
        ids.push(id);
    }
    World { db: db.clone(), ctx, authority, subjects: ids }
}

fn provenance() -> Provenance {
    Provenance { recorded_by: "Officer".into(), source: "ticket".into(), evidence_ref: "EV-1".into() }
}

impl World {
    fn source(&self, subject: SubjectId, external_ref: &str) -> Source {
        Source {
            subject,
            scheme: self.ctx.scheme().id(),
            authority: self.authority,
            external_ref: external_ref.into(),
        }
    }

    async fn record(
        &self,
        subject: SubjectId,
        external_ref: &str,
        code: &str,
        points: Option<i64>,
        occurred: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Recorded, RecordError> {
        let fact = Fact { rule_code: RuleCode::parse(code).unwrap(), points, occurred_at: occurred };
        records::record_fact(&self.db, &self.ctx, self.source(subject, external_ref), fact, provenance(), now)
            .await
    }
}

async fn event_count(db: &Db) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM events").fetch_one(&db.pool).await.unwrap().try_get(0).unwrap()
}

/// The subject's score and grade on 1 June 2026, the instant these tests write at.
async fn current(db: &Db, w: &World, subject: SubjectId) -> (i64, String) {
    let mut conn = db.pool.acquire().await.unwrap();
    let d = recourse::store::standing::derivation(&mut conn, &w.ctx, subject, day(2026, 6, 1)).await.unwrap();
    (d.score, d.grade.to_string())
}

#[tokio::test]
async fn the_same_external_reference_twice_records_one_event() {
    for_each_database(|app| async move {
        let w = world(&app.db, 1).await;
        let s = w.subjects[0];
        let now = day(2026, 6, 1);
        let first = w.record(s, "T-1", "TICKET", None, day(2026, 5, 1), now).await.unwrap();
        let again = w.record(s, "T-1", "TICKET", None, day(2026, 5, 1), now).await.unwrap();
        let (Recorded::New(event), Recorded::Duplicate(dup)) = (first, again) else {
            panic!("expected new then duplicate")
        };
        assert_eq!(event.id, dup);
        assert_eq!(event_count(&app.db).await, 1, "{}", app.label);
        assert_eq!(current(&app.db, &w, s).await, (995, "A".to_string()));

        let reused = w.record(s, "T-1", "FINE", None, day(2026, 5, 1), now).await.unwrap_err();
        assert!(matches!(reused, RecordError::ReferenceReused { .. }), "{reused:?}");
        assert_eq!(event_count(&app.db).await, 1);
    })
    .await;
}

#[tokio::test]
async fn bad_records_are_refused_with_a_specific_error_and_change_nothing() {
    for_each_database(|app| async move {
        let w = world(&app.db, 1).await;
        let s = w.subjects[0];
        let now = day(2026, 6, 1);
        w.record(s, "OK-1", "TICKET", None, day(2026, 5, 1), now).await.unwrap();
        let before = current(&app.db, &w, s).await;

        let unknown = w.record(s, "B-1", "NOPE", None, day(2026, 5, 1), now).await.unwrap_err();
        assert!(matches!(unknown, RecordError::Domain(DomainError::UnknownRule { .. })), "{unknown:?}");
        let early = w.record(s, "B-2", "TICKET", None, day(2021, 5, 1), now).await.unwrap_err();
        assert!(matches!(early, RecordError::Domain(DomainError::BeforeRuleEffective { .. })), "{early:?}");
        let future = w.record(s, "B-3", "TICKET", None, day(2026, 7, 1), now).await.unwrap_err();
        assert!(matches!(future, RecordError::Domain(DomainError::FutureDate { .. })), "{future:?}");
        let outside = w.record(s, "B-4", "FINE", Some(-60), day(2026, 5, 1), now).await.unwrap_err();
        assert!(matches!(outside, RecordError::Domain(DomainError::PointsOutOfRange { .. })), "{outside:?}");
        let stranger =
            w.record(SubjectId::new(), "B-5", "TICKET", None, day(2026, 5, 1), now).await.unwrap_err();
        assert!(matches!(stranger, RecordError::NotAMember), "{stranger:?}");

        assert_eq!(event_count(&app.db).await, 1, "{}", app.label);
        assert_eq!(current(&app.db, &w, s).await, before);
    })
    .await;
}

#[tokio::test]
async fn voiding_and_superseding_keep_the_original_on_file_with_the_reason_it_no_longer_counts() {
    for_each_database(|app| async move {
        let w = world(&app.db, 1).await;
        let s = w.subjects[0];
        let now = day(2026, 6, 1);
        let Recorded::New(fine) = w.record(s, "F-1", "FINE", Some(-40), day(2026, 3, 1), now).await.unwrap()
        else {
            panic!()
        };
        let Recorded::New(ticket) = w.record(s, "T-1", "TICKET", None, day(2026, 4, 1), now).await.unwrap()
        else {
            panic!()
        };
        assert_eq!(current(&app.db, &w, s).await.0, 955);

        let mut tx = app.db.pool.begin().await.unwrap();
        let fact = Fact {
            rule_code: RuleCode::parse("FINE").unwrap(),
            points: Some(-10),
            occurred_at: day(2026, 3, 1),
        };
        let correction = Correction::Supersede { fact, reason: "Amount was mistyped".into() };
        records::correct_in(&mut tx, &w.ctx, w.source(s, "C-1"), fine.id, correction, provenance(), now)
            .await
            .unwrap();
        let void = Correction::Void { reason: "Camera fault".into(), decision_ref: Some("APPEAL-9".into()) };
        records::correct_in(&mut tx, &w.ctx, w.source(s, "C-2"), ticket.id, void, provenance(), now)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        assert_eq!(event_count(&app.db).await, 4, "corrections are new records; nothing is deleted");
        let mut conn = app.db.pool.acquire().await.unwrap();
        let d = recourse::store::standing::derivation(&mut conn, &w.ctx, s, now).await.unwrap();
        assert_eq!(d.score, 990);
        assert_eq!(current(&app.db, &w, s).await.0, 990);
        let reason_of = |id: EventId| d.not_counting.iter().find(|n| n.event == id).map(|n| n.reason.clone());
        assert!(matches!(reason_of(fine.id), Some(Reason::Superseded { .. })), "{:?}", d.not_counting);
        assert!(matches!(reason_of(ticket.id), Some(Reason::Voided { .. })), "{:?}", d.not_counting);

        let twice = Correction::Void { reason: "again".into(), decision_ref: None };
        let err =
            records::correct_in(&mut conn, &w.ctx, w.source(s, "C-3"), ticket.id, twice, provenance(), now)
                .await
                .unwrap_err();
        assert!(matches!(err, RecordError::Domain(DomainError::AlreadyVoided { .. })), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn a_past_instant_replays_exactly_as_it_was_shown_then() {
    for_each_database(|app| async move {
        let w = world(&app.db, 1).await;
        let s = w.subjects[0];
        w.record(s, "R-1", "TICKET", None, day(2025, 1, 10), day(2025, 1, 12)).await.unwrap();
        w.record(s, "R-2", "HERO", None, day(2025, 2, 10), day(2025, 2, 11)).await.unwrap();
        let shown_then = {
            let mut conn = app.db.pool.acquire().await.unwrap();
            recourse::store::standing::derivation(&mut conn, &w.ctx, s, day(2025, 3, 1)).await.unwrap()
        };
        // Later writes, including a late-recorded fact that occurred before 1 March.
        w.record(s, "R-3", "FINE", None, day(2025, 2, 20), day(2025, 4, 1)).await.unwrap();
        w.record(s, "R-4", "TICKET", None, day(2025, 5, 1), day(2025, 5, 2)).await.unwrap();
        let mut conn = app.db.pool.acquire().await.unwrap();
        let replayed =
            recourse::store::standing::derivation(&mut conn, &w.ctx, s, day(2025, 3, 1)).await.unwrap();
        assert_eq!(replayed, shown_then, "{}", app.label);
        assert_eq!(replayed.score, 1_025);
        let later =
            recourse::store::standing::derivation(&mut conn, &w.ctx, s, day(2025, 6, 1)).await.unwrap();
        assert_eq!(later.score, 1_000);
    })
    .await;
}

#[tokio::test]
async fn a_blacklist_entry_restricts_nothing_until_its_notice_is_delivered() {
    for_each_database(|app| async move {
        let w = world(&app.db, 2).await;
        let s = w.subjects[0];
        let mut conn = app.db.pool.acquire().await.unwrap();
        let list = ListId::new();
        let l = BlacklistList {
            id: list,
            code: "dishonest".into(),
            name_en: "L".into(),
            name_zh: "名单".into(),
            authority: w.authority,
            in_app_delivery: false,
        };
        blacklist::insert_list(&mut conn, &l).await.unwrap();
        common::grant_mandate(&app.db, w.authority, MandateScope::List { list }).await;
        let draft = |id, effective_from, notice| EntryDraft {
            id,
            subject: s,
            list,
            authority: w.authority,
            case_number: format!("CASE-{id}"),
            legal_basis: LegalBasis::parse("Provisions art. 1").unwrap(),
            reason: "Did not pay".into(),
            restrictions: vec![Restriction::Flights, Restriction::HighSpeedRail],
            notice_delivered_at: notice,
            effective_from,
            expires_at: Some(day(2028, 1, 1)),
            removal: RemovalCondition::Appeal,
        };
        let early = blacklist::insert_entry(
            &mut conn,
            draft(EntryId::new(), day(2026, 1, 1), Some(day(2026, 2, 1))),
            day(2026, 3, 1),
        )
        .await
        .unwrap_err();
        assert!(matches!(early, StoreError::Domain(DomainError::EffectiveBeforeNotice { .. })), "{early:?}");

        let id = EntryId::new();
        blacklist::insert_entry(&mut conn, draft(id, day(2026, 3, 1), None), day(2026, 2, 1)).await.unwrap();
        let pending = blacklist::entry(&mut conn, id).await.unwrap().unwrap();
        assert_eq!(pending.entry.status_at(day(2026, 4, 1)), EntryStatus::PendingNotice);

        blacklist::act(
            &mut conn,
            id,
            EntryAction::NoticeDelivered,
            day(2026, 2, 20),
            "served",
            day(2026, 2, 21),
        )
        .await
        .unwrap();
        let active = blacklist::entry(&mut conn, id).await.unwrap().unwrap();
        assert_eq!(active.entry.status_at(day(2026, 4, 1)), EntryStatus::Active);
        let as_known_before = blacklist::entries_of(&mut conn, s, Some(day(2026, 2, 15))).await.unwrap();
        assert_eq!(
            as_known_before[0].entry.status_at(day(2026, 2, 15)),
            EntryStatus::PendingNotice,
            "replay ignores later actions"
        );

        blacklist::act(&mut conn, id, EntryAction::Lifted, day(2026, 5, 1), "paid", day(2026, 5, 1))
            .await
            .unwrap();
        let rows: i64 = sqlx::query("SELECT COUNT(*) FROM blacklist_entry_actions")
            .fetch_one(&mut *conn)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(rows, 2, "actions are appended, the entry row is never rewritten");
        let lifted = blacklist::entry(&mut conn, id).await.unwrap().unwrap();
        assert_eq!(lifted.entry.status_at(day(2026, 6, 1)), EntryStatus::Lifted);
        assert_eq!(lifted.entry.status_at(day(2026, 4, 1)), EntryStatus::Active);

        // A subject's entries are read with all their actions at once: each gets its own.
        let second = EntryId::new();
        blacklist::insert_entry(&mut conn, draft(second, day(2026, 7, 1), None), day(2026, 6, 2))
            .await
            .unwrap();
        let all = blacklist::entries_of(&mut conn, s, None).await.unwrap();
        let status = |e: EntryId| {
            let found = all.iter().find(|x| x.entry.id() == e).expect("the entry is listed");
            found.entry.status_at(day(2026, 8, 1))
        };
        assert_eq!(all.len(), 2);
        assert_eq!(status(id), EntryStatus::Lifted, "the first entry keeps its actions");
        assert_eq!(status(second), EntryStatus::PendingNotice, "the second has none of them");

        // The subject with their entries, as the record page reads them in one statement, at
        // each instant: before any entry, before any action, between them, after all of them.
        let named = register::subject(&mut conn, s).await.unwrap().unwrap();
        let expected = [
            (Some(day(2026, 1, 15)), vec![]),
            // An entry comes with the actions known then, and its status folds those alone.
            (Some(day(2026, 2, 15)), vec![(id, 0, EntryStatus::PendingNotice)]),
            (Some(day(2026, 3, 15)), vec![(id, 1, EntryStatus::Active)]),
            (Some(day(2026, 5, 15)), vec![(id, 2, EntryStatus::Lifted)]),
            (None, vec![(id, 2, EntryStatus::Lifted), (second, 0, EntryStatus::PendingNotice)]),
        ];
        for (as_of, wanted) in expected {
            let (subject, entries) = blacklist::subject_with_entries(&mut conn, s, as_of)
                .await
                .unwrap()
                .expect("the subject exists");
            assert_eq!(format!("{subject:?}"), format!("{named:?}"));
            let seen: Vec<_> = entries
                .iter()
                .map(|e| (e.entry.id(), e.actions.len(), e.entry.status_at(as_of.unwrap_or(day(2026, 8, 1)))))
                .collect();
            assert_eq!(seen, wanted, "as of {as_of:?}");
        }
        let (_, none) =
            blacklist::subject_with_entries(&mut conn, w.subjects[1], None).await.unwrap().unwrap();
        assert!(none.is_empty(), "a subject without entries has none of another's");
        let unknown = SubjectId::new();
        assert!(blacklist::subject_with_entries(&mut conn, unknown, None).await.unwrap().is_none());

        // The authority's listing (the API's pages) reads a page's actions in one statement:
        // each entry still gets its own, in the order they were recorded, and paging keeps them.
        let listed = |page: Vec<blacklist::StoredEntry>| -> Vec<_> {
            page.iter()
                .map(|e| (e.entry.id(), e.actions.iter().map(|a| a.action).collect::<Vec<_>>()))
                .collect()
        };
        let both = [(id, vec![EntryAction::NoticeDelivered, EntryAction::Lifted]), (second, vec![])];
        let page = blacklist::recorded_by(&mut conn, w.authority, None, 10).await.unwrap();
        assert_eq!(listed(page), both);
        let page = blacklist::recorded_by(&mut conn, w.authority, None, 1).await.unwrap();
        assert_eq!(listed(page), both[..1]);
        let page = blacklist::recorded_by(&mut conn, w.authority, Some(id), 10).await.unwrap();
        assert_eq!(listed(page), both[1..]);
    })
    .await;
}

#[tokio::test]
async fn the_demo_data_set_seeds_varied_standings_whose_lines_add_up() {
    for_each_database(|app| async move {
        let now = Utc::now().trunc_subsecs(6);
        let seeded = recourse::demo::seed(&app.db, now).await.unwrap();
        assert!(seeded.subjects >= 200 && seeded.events > 1_000 && seeded.entries >= 3, "{seeded:?}");
        let mut conn = app.db.pool.acquire().await.unwrap();
        let rows = sqlx::query("SELECT subject_id, scheme_id FROM scheme_memberships")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        let mut contexts = Vec::new();
        for scheme in catalogue::schemes(&mut conn).await.unwrap() {
            contexts.push(catalogue::context(&mut conn, scheme.scheme.id()).await.unwrap().unwrap());
        }
        let mut grades = std::collections::BTreeSet::new();
        for row in &rows {
            let subject = SubjectId::parse(&row.try_get::<String, _>(0).unwrap()).unwrap();
            let scheme = SchemeId::parse(&row.try_get::<String, _>(1).unwrap()).unwrap();
            let ctx = contexts.iter().find(|c| c.scheme().id() == scheme).unwrap();
            let fresh = recourse::store::standing::derivation(&mut conn, ctx, subject, now).await.unwrap();
            assert_eq!(fresh.shown_total(), fresh.score, "{}", app.label);
            grades.insert(fresh.grade.to_string());
        }
        assert!(rows.len() >= 200, "{}", rows.len());
        assert!(grades.len() >= 6, "varied histories give varied grades: {grades:?}");
    })
    .await;
}

/// `Read` on the database runs on SQLite's connections of the calling thread: it sees what is
/// committed and nothing a transaction under way wrote, which a read inside that transaction
/// does see; it writes nothing, refuses a wrong number of parameters, and stops with the pools.
#[tokio::test]
async fn reads_of_their_own_see_what_is_committed_and_write_nothing() {
    use recourse::db::{Columns, Read};
    async fn data<'a>(from: impl Into<recourse::db::Conn<'a>>) -> Result<Option<String>, sqlx::Error> {
        Read::new("SELECT data FROM sessions WHERE id_hash = $1 AND expires_at > $2")
            .bind("read-test")
            .bind(0i64)
            .optional(from, |r| r.column::<String>(0))
            .await
    }
    for_each_database(|app| async move {
        let db = &app.db;
        let mut tx = db.begin_write().await.unwrap();
        sqlx::query("INSERT INTO sessions (id_hash, account_id, data, expires_at) VALUES ($1, NULL, $2, $3)")
            .bind("read-test")
            .bind("{\"seen\":1}")
            .bind(i64::MAX)
            .execute(&mut *tx)
            .await
            .unwrap();
        assert_eq!(data(&mut tx).await.unwrap().as_deref(), Some("{\"seen\":1}"), "{}", app.label);
        assert_eq!(data(db).await.unwrap(), None, "{}: an uncommitted row was read", app.label);
        tx.commit().await.unwrap();
        assert_eq!(data(db).await.unwrap().as_deref(), Some("{\"seen\":1}"), "{}", app.label);

        let counted = || Read::new("SELECT COUNT(*) FROM sessions").one(db, |r| r.column::<i64>(0));
        assert_eq!(counted().await.unwrap(), 1, "{}", app.label);
        let all = Read::new("SELECT id_hash FROM sessions WHERE expires_at > $1 ORDER BY id_hash")
            .bind(0i64)
            .all(db, |r| r.column::<String>("id_hash"))
            .await
            .unwrap();
        assert_eq!(all, ["read-test"], "{}", app.label);

        let short = Read::new("SELECT data FROM sessions WHERE id_hash = $1 AND expires_at > $2")
            .bind("read-test")
            .all(db, |r| r.column::<String>(0))
            .await;
        assert!(short.is_err(), "{}: one parameter of two was accepted", app.label);
        let written =
            Read::new("DELETE FROM sessions RETURNING id_hash").all(db, |r| r.column::<String>(0)).await;
        let err = written.expect_err("a read wrote");
        assert!(!recourse::db::is_unavailable(&err), "{}: {err}", app.label);
        assert_eq!(counted().await.unwrap(), 1, "{}", app.label);
        if app.label == "postgres" {
            // A read given up half-way (its client gone) must not hand its connection back with
            // the answer still to come: the next read would be given that answer.
            let slow = Read::new("SELECT 7::BIGINT FROM pg_sleep(0.5)").one(db, |r| r.column::<i64>(0));
            assert!(tokio::time::timeout(std::time::Duration::from_millis(50), slow).await.is_err());
            for _ in 0..3 {
                assert_eq!(counted().await.unwrap(), 1);
            }
        }
        db.close().await;
        let closed = counted().await.expect_err("a read after the database closed");
        assert!(matches!(closed, sqlx::Error::PoolClosed), "{}: {closed}", app.label);
    })
    .await;
}

/// A request that only reads sees one state of the database on SQLite (`Db::in_one_snapshot`):
/// a commit by someone else between two of its reads is not seen by the second; its own write,
/// through a write transaction or a single statement, is seen by every read after it; once it is
/// answered, the next reads see everything. On PostgreSQL every read sees what is committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_reads_one_state_of_the_database_until_it_writes() {
    use recourse::db::{Columns, Read};
    use std::sync::Arc;
    async fn count(db: &Db) -> i64 {
        Read::new("SELECT COUNT(*) FROM sessions").one(db, |r| r.column::<i64>(0)).await.unwrap()
    }
    async fn insert_elsewhere(db: &Db, id: &str) {
        let (db, id) = (db.clone(), id.to_string());
        // Another task: another request's write.
        tokio::spawn(async move {
            sqlx::query(
                "INSERT INTO sessions (id_hash, account_id, data, expires_at) VALUES ($1, NULL, '{}', $2)",
            )
            .bind(id)
            .bind(i64::MAX)
            .execute(&db.pool)
            .await
            .unwrap();
        })
        .await
        .unwrap();
    }
    for_each_database(|app| async move {
        let db = &app.db;
        let sqlite = app.label == "sqlite";
        db.in_one_snapshot(async {
            assert_eq!(count(db).await, 0, "{}", app.label);
            insert_elsewhere(db, "other-1").await;
            let seen = count(db).await;
            assert_eq!(seen, if sqlite { 0 } else { 1 }, "{}: a page's second read", app.label);

            let mut tx = db.begin_write().await.unwrap();
            sqlx::query("INSERT INTO sessions (id_hash, account_id, data, expires_at) VALUES ('own-1', NULL, '{}', $1)")
                .bind(i64::MAX)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            assert_eq!(count(db).await, 2, "{}: a read after the page's own write", app.label);

            insert_elsewhere(db, "other-2").await;
            assert_eq!(count(db).await, if sqlite { 2 } else { 3 }, "{}", app.label);
            sqlx::query("DELETE FROM sessions WHERE id_hash = 'own-1'").execute(&db.pool).await.unwrap();
            assert_eq!(count(db).await, 2, "{}: a read after a single-statement write", app.label);
        })
        .await;
        assert_eq!(count(db).await, 2, "{}: after the page", app.label);

        // More pages at once than snapshots are held: each still reads, and sees what was
        // committed before it began.
        let barrier = Arc::new(tokio::sync::Barrier::new(100));
        let pages: Vec<_> = (0..100)
            .map(|_| {
                let (db, barrier) = (db.clone(), barrier.clone());
                tokio::spawn(async move {
                    db.in_one_snapshot(async {
                        let first = count(&db).await;
                        barrier.wait().await;
                        (first, count(&db).await)
                    })
                    .await
                })
            })
            .collect();
        for page in pages {
            assert_eq!(page.await.unwrap(), (2, 2), "{}", app.label);
        }
        insert_elsewhere(db, "other-3").await;
        assert_eq!(count(db).await, 3, "{}: after the pages", app.label);
    })
    .await;
}

/// A signed-in request's session is read with its account and the subject's unread notices in
/// one statement (`sessions::keeping_holder`); they are handed only to the request that loaded the
/// session and only for the account the session speaks for.
#[tokio::test]
async fn a_session_is_read_with_the_account_it_speaks_for_and_its_unread_notices() {
    use recourse::store::{
        accounts, notices,
        sessions::{keeping_holder, take_holder, DbSessionStore},
    };
    use tower_sessions::{
        session::{Id, Record},
        session_store::SessionStore,
    };
    for_each_database(|app| async move {
        let db = &app.db;
        recourse::demo::seed(db, Utc::now()).await.unwrap();
        let mut conn = db.pool.acquire().await.unwrap();
        let subject = accounts::by_username(&mut conn, "demo-subject").await.unwrap().unwrap();
        let recorder = accounts::by_username(&mut conn, "demo-recorder").await.unwrap().unwrap();
        drop(conn);
        let unread = notices::unread_count(db, subject.subject_id.unwrap()).await.unwrap();
        assert!(unread > 0, "{}: the demo subject has unread notices", app.label);

        let store = DbSessionStore::new(db.clone());
        let session_of = |account: Option<&accounts::Account>| {
            let data = account
                .map(|a| serde_json::json!({"account": a.id, "epoch": a.session_epoch, "signed_in_at": 0, "touched_at": 0}));
            Record {
                id: Id::default(),
                data: data.map(|auth| [("auth".to_string(), auth)].into()).unwrap_or_default(),
                expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
            }
        };
        let (mut mine, mut theirs, mut nobody) = (session_of(Some(&subject)), session_of(Some(&recorder)), session_of(None));
        for record in [&mut mine, &mut theirs, &mut nobody] {
            store.create(record).await.unwrap();
        }

        let held = keeping_holder(async {
            assert!(store.load(&mine.id).await.unwrap().is_some());
            take_holder(subject.id)
        })
        .await
        .expect("the holder read with the session");
        assert_eq!((held.account.id, held.account.username.as_str()), (subject.id, "demo-subject"), "{}", app.label);
        assert_eq!(held.unread_notices, unread, "{}", app.label);

        let other = keeping_holder(async {
            store.load(&theirs.id).await.unwrap();
            take_holder(subject.id).is_some()
        })
        .await;
        assert!(!other, "{}: another session's account is not handed out", app.label);
        let held = keeping_holder(async {
            store.load(&theirs.id).await.unwrap();
            take_holder(recorder.id).map(|h| (h.account.id, h.unread_notices))
        })
        .await;
        assert_eq!(held, Some((recorder.id, 0)), "{}: a recorder has no subject, so no notices", app.label);

        let anonymous = keeping_holder(async {
            assert!(store.load(&nobody.id).await.unwrap().is_some());
            take_holder(subject.id).is_some() || take_holder(recorder.id).is_some()
        })
        .await;
        assert!(!anonymous, "{}: a session of no account has no holder", app.label);
        assert!(store.load(&mine.id).await.unwrap().is_some());
        assert!(take_holder(subject.id).is_none(), "{}: outside a request nothing is kept", app.label);
    })
    .await;
}

#[tokio::test]
async fn a_subject_is_read_with_their_entries_the_catalogue_revision_and_their_counted_memberships() {
    use recourse::store::read_cache::{catalogue_revision, ReadCache};
    for_each_database(|app| async move {
        let db = &app.db;
        recourse::demo::seed(db, Utc::now()).await.unwrap();
        let cache = ReadCache::new(db.clone());
        let subjects: Vec<String> =
            sqlx::query_scalar("SELECT id FROM subjects").fetch_all(&db.pool).await.unwrap();
        sqlx::query("UPDATE catalogue_revision SET revision = revision + 7").execute(&db.pool).await.unwrap();
        let revision = catalogue_revision(db).await.unwrap();
        let (mut records, mut entries, mut with_actions) = (0, 0, 0);
        let past = Some(Utc::now() - chrono::Duration::days(400));
        for subject in subjects {
            let subject = SubjectId::parse(&subject).unwrap();
            let counted = cache.memberships_counted(subject).await.unwrap();
            records += counted.iter().map(|m| m.records).sum::<i64>();
            for as_of in [None, past] {
                let now = cache.subject_now(subject, as_of).await.unwrap().expect("a subject");
                let (alone, listed) =
                    blacklist::subject_with_entries(db, subject, as_of).await.unwrap().unwrap();
                assert_eq!((now.revision, &now.memberships), (revision, &counted), "{}", app.label);
                assert_eq!(format!("{:?}", now.subject), format!("{alone:?}"), "{}", app.label);
                assert_eq!(format!("{:?}", now.entries), format!("{listed:?}"), "{}", app.label);
                if as_of.is_none() {
                    entries += listed.len();
                    with_actions += listed.iter().filter(|e| !e.actions.is_empty()).count();
                }
            }
        }
        assert_eq!(records, event_count(db).await, "{}: every record counted once", app.label);
        assert!(
            entries > 1 && with_actions > 0,
            "{}: {entries} entries, {with_actions} with actions",
            app.label
        );

        // A subject in no scheme and without entries still has the revision read; no subject,
        // nothing.
        let alone = Subject {
            id: SubjectId::new(),
            kind: SubjectKind::Person,
            display_name: "In no scheme".into(),
            uscc: None,
        };
        let mut conn = db.pool.acquire().await.unwrap();
        register::insert_subject(&mut conn, &alone, Utc::now()).await.unwrap();
        drop(conn);
        let now = cache.subject_now(alone.id, None).await.unwrap().expect("a subject");
        assert_eq!(
            (now.revision, now.memberships.len(), now.entries.len()),
            (revision, 0, 0),
            "{}",
            app.label
        );
        assert_eq!(now.subject.display_name, "In no scheme", "{}", app.label);
        assert!(cache.subject_now(SubjectId::new(), None).await.unwrap().is_none(), "{}", app.label);
    })
    .await;
}

/// The viewer a session speaks for is the same whether its account and unread notices came with
/// the session's own statement or were read on their own (a session loaded outside
/// `keeping_holder`), and a disabled account's session ends either way.
#[tokio::test]
async fn a_session_read_without_its_holder_speaks_for_the_same_viewer() {
    use recourse::{
        auth::session::current,
        http::{AppState, Config},
        store::{
            accounts, notices,
            sessions::{keeping_holder, DbSessionStore},
        },
    };
    use std::sync::Arc;
    use tower_sessions::{
        session::{Id, Record},
        session_store::SessionStore,
        Session,
    };
    for_each_database(|app| async move {
        let db = &app.db;
        recourse::demo::seed(db, Utc::now()).await.unwrap();
        let state = AppState::new(db.clone(), Config::default());
        let mut conn = db.pool.acquire().await.unwrap();
        let subject = accounts::by_username(&mut conn, "demo-subject").await.unwrap().unwrap();
        drop(conn);
        let unread = notices::unread_count(db, subject.subject_id.unwrap()).await.unwrap();
        assert!(unread > 0, "{}", app.label);
        let store = Arc::new(DbSessionStore::new(db.clone()));
        let now = Utc::now().timestamp_micros();
        let mut record = Record {
            id: Id::default(),
            data: [(
                "auth".to_string(),
                serde_json::json!({"account": subject.id, "epoch": subject.session_epoch,
                    "signed_in_at": now, "touched_at": now}),
            )]
            .into(),
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        };
        store.create(&mut record).await.unwrap();
        let session = || Session::new(Some(record.id), store.clone(), None);

        let with_holder = keeping_holder(current(&state, &session())).await.unwrap().expect("signed in");
        let without = current(&state, &session()).await.unwrap().expect("signed in");
        assert_eq!(without, with_holder, "{}", app.label);
        assert_eq!((without.account_id, without.unread_notices), (subject.id, unread), "{}", app.label);

        sqlx::query("UPDATE accounts SET disabled_at = $1 WHERE id = $2")
            .bind(now)
            .bind(subject.id.to_string())
            .execute(&db.pool)
            .await
            .unwrap();
        assert_eq!(current(&state, &session()).await.unwrap(), None, "{}: disabled", app.label);
        assert!(store.load(&record.id).await.unwrap().is_none(), "{}: the session was ended", app.label);
    })
    .await;
}
