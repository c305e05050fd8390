//! The demo data set behind `recourse demo`: a Rongcheng-shaped points scheme, a weighted
//! component score, a court blacklist, ~200 persons and ~20 organisations with varied histories,
//! and one account per role. Deterministic (fixed seed) apart from being anchored at `now`, and
//! written through the same store functions as real records, in one transaction.

use chrono::{DateTime, Duration, SubsecRound, TimeZone, Utc};
use rand::{rngs::StdRng, Rng, SeedableRng};
use sqlx::AnyConnection;
use uuid::Uuid;

mod decided;
mod haibin;
mod parties;

use crate::{
    auth::password::{self, NewPassword},
    db::Db,
    domain::{
        appeal::{Grounds, Statement},
        AuthorityId, Band, Category, Component, ComponentCode, Currency, DisputePolicy, Effect, EntryDraft,
        EntryId, EventId, Fact, Grade, GradeBands, LegalBasis, ListId, MandateScope, OnDeadline,
        RemovalCondition, Restriction, RuleCode, RuleContent, RulePattern, RuleStatus, RuleVersion,
        RuleVersionId, Scheme, SchemeId, SchemeKind, Source, SubjectId, Validity,
    },
    store::{
        accounts::{self, AccountId, ReviewBody, Role},
        appeals::{self, NewAppeal, Target},
        audit::Actor,
        blacklist::{self, BlacklistList, EntryAction},
        catalogue::{self, SchemeContext, SchemeRecord},
        mandates::{self, Grant},
        records::{self, Correction, Provenance, Recorded},
        register::{self, Authority, Subject, SubjectKind},
    },
};

/// A demo account as printed at start.
#[derive(Clone, Debug)]
pub struct DemoAccount {
    pub username: &'static str,
    pub password: &'static str,
    pub role: Role,
    pub who: &'static str,
}

/// The accounts `recourse demo` prints. Their passwords are public: a demo database only.
pub const ACCOUNTS: [DemoAccount; 9] = [
    DemoAccount {
        username: "demo-subject",
        password: "wang-fang-demo-2026",
        role: Role::Subject,
        who: "Wang Fang",
    },
    DemoAccount {
        username: "demo-org",
        password: "harbour-demo-2026",
        role: Role::Subject,
        who: "Rongcheng Harbour Logistics Co., Ltd.",
    },
    DemoAccount {
        username: "demo-recorder",
        password: "traffic-demo-2026",
        role: Role::Recorder,
        who: "Zhou Jun",
    },
    DemoAccount { username: "demo-court", password: "court-demo-2026", role: Role::Recorder, who: "Sun Li" },
    DemoAccount {
        username: "demo-credit",
        password: "credit-demo-2026",
        role: Role::Recorder,
        who: "Huang Mei",
    },
    DemoAccount {
        username: "demo-reviewer",
        password: "review-demo-2026",
        role: Role::Reviewer,
        who: "reviewer",
    },
    DemoAccount {
        username: "demo-reviewer-2",
        password: "review2-demo-2026",
        role: Role::Reviewer,
        who: "second reviewer",
    },
    DemoAccount {
        username: "demo-liu",
        password: "liu-yang-demo-2026",
        role: Role::Subject,
        who: "Liu Yang",
    },
    DemoAccount {
        username: "demo-admin",
        password: "admin-demo-2026",
        role: Role::Administrator,
        who: "administrator",
    },
];

/// Counts of what was seeded, for the start-up message and tests.
#[derive(Debug, Default)]
pub struct Seeded {
    pub subjects: usize,
    pub events: usize,
    pub entries: usize,
}

struct Authorities {
    traffic: AuthorityId,
    civil: AuthorityId,
    court: AuthorityId,
    tax: AuthorityId,
    market: AuthorityId,
    bureau: AuthorityId,
}

/// Seeds what `recourse demo` serves: the demo data set and a year of decided appeals behind
/// the transparency report.
pub async fn seed_with_history(db: &Db, now: DateTime<Utc>) -> anyhow::Result<Seeded> {
    let seeded = seed(db, now).await?;
    let mut tx = db.begin_write().await?;
    let mut conn = db.pool.acquire().await?;
    let bodies = accounts::review_bodies(&mut conn).await?;
    drop(conn);
    let body = |code: &str| bodies.iter().find(|b| b.code == code).map(|b| b.id).expect("seeded");
    let traffic = register::authorities(&mut tx)
        .await?
        .into_iter()
        .find(|a| a.code == "rc-traffic")
        .expect("seeded")
        .id;
    let deciders = decided::Deciders {
        board: demo_reviewer(&mut tx, "demo-reviewer", body("rc-review-board"), None).await?,
        office: demo_reviewer(&mut tx, "demo-reviewer-2", body("rc-traffic-legal"), Some(traffic)).await?,
    };
    decided::seed(&mut tx, &deciders, now).await?;
    tx.commit().await?;
    Ok(seeded)
}

/// Seeds the demo data set into an empty, migrated database (the tests' starting point: the
/// featured stories, both cities and the credit scheme, without the year of decided appeals).
pub async fn seed(db: &Db, now: DateTime<Utc>) -> anyhow::Result<Seeded> {
    // Stored times have microsecond precision; seed with the same so replays compare equal.
    let now = now.trunc_subsecs(6);
    let mut hashes = Vec::new();
    for account in &ACCOUNTS {
        hashes.push(password::hash(NewPassword::parse(account.password.to_string())?).await?);
    }
    let mut tx = db.begin_write().await?;
    let (wang, harbour, liu, traffic, court, bureau, seeded) = {
        let mut seeder = Seeder::new(&mut tx, now).await?;
        seeder.histories().await?;
        let a = &seeder.authorities;
        (seeder.wang, seeder.harbour, seeder.liu, a.traffic, a.court, a.bureau, seeder.seeded)
    };
    let bodies = review_bodies(&mut tx, traffic).await?;
    let mut liu_account = None;
    for (account, hash) in ACCOUNTS.iter().zip(hashes) {
        let id = accounts::create(&mut tx, account.username, account.who, &hash, account.role).await?;
        let subject = match account.username {
            "demo-subject" => Some(wang),
            "demo-org" => Some(harbour),
            "demo-liu" => Some(liu),
            _ => None,
        };
        let authority = match account.username {
            "demo-recorder" => Some(traffic),
            "demo-court" => Some(court),
            "demo-credit" => Some(bureau),
            _ => None,
        };
        accounts::link(&mut tx, id, subject, authority).await?;
        match account.username {
            "demo-reviewer" => accounts::link_review_body(&mut tx, AccountId(id), bodies.0).await?,
            "demo-reviewer-2" => accounts::link_review_body(&mut tx, AccountId(id), bodies.1).await?,
            "demo-liu" => liu_account = Some(id),
            _ => {}
        }
    }
    if let Some(account) = liu_account {
        appeals_of_liu(&mut tx, liu, account, now).await?;
    }
    let mut seeded = seeded;
    seeded.events += haibin::seed(&mut tx, now).await?;
    parties::seed(&mut tx, now).await?;
    // The seed writes records directly, as they were in the past: one audit row in each
    // subject's chain covers them all, so the demo database verifies (`recourse audit verify`).
    let subjects: Vec<String> = sqlx::query_scalar("SELECT id FROM subjects").fetch_all(&mut *tx).await?;
    let subjects = subjects.iter().map(|s| SubjectId::parse(s)).collect::<Result<Vec<_>, _>>()?;
    crate::store::chain::write_subjects(
        &mut tx,
        &Actor::cli("demo"),
        "demo.seed",
        "instance",
        "demo",
        &serde_json::json!({ "subjects": subjects.len() }),
        now,
        &subjects,
        true,
    )
    .await?;
    // And one in the catalogue's chain, covering every rule version and repeal as seeded.
    let rules: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rule_versions").fetch_one(&mut *tx).await?;
    crate::store::audit::write(
        &mut tx,
        &Actor::cli("demo"),
        "demo.seed",
        "instance",
        "demo",
        serde_json::json!({ "rule_versions": rules }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(seeded)
}

/// A demo reviewer as independence needs them.
async fn demo_reviewer(
    conn: &mut AnyConnection,
    username: &str,
    body: Uuid,
    body_authority: Option<AuthorityId>,
) -> anyhow::Result<crate::domain::appeal::Reviewer> {
    let account = accounts::by_username(conn, username).await?.expect("created above");
    Ok(crate::domain::appeal::Reviewer {
        account: account.id.0,
        username: username.into(),
        display_name: account.display_name,
        authority: None,
        review_body: Some(body),
        body_authority,
    })
}

/// Two review bodies: an independent board, and the traffic police's own legal office (whose
/// reviewer may not decide appeals on traffic police records).
async fn review_bodies(conn: &mut AnyConnection, traffic: AuthorityId) -> anyhow::Result<(Uuid, Uuid)> {
    let board = ReviewBody {
        id: Uuid::now_v7(),
        code: "rc-review-board".into(),
        name_en: "Rongcheng Credit Review Board".into(),
        name_zh: "荣成市信用复核委员会".into(),
    };
    let office = ReviewBody {
        id: Uuid::now_v7(),
        code: "rc-traffic-legal".into(),
        name_en: "Traffic Police Legal Affairs Office".into(),
        name_zh: "交警大队法制室".into(),
    };
    accounts::insert_review_body(conn, &board).await?;
    accounts::insert_review_body(conn, &office).await?;
    appeals::set_body_authority(conn, office.id, traffic).await?;
    Ok((board.id, office.id))
}

/// Liu Yang contests three records, so the reviewers' queue is not empty: one appeal filed three
/// days ago, one whose deadline passed ten days ago without a decision (overdue), both under a
/// scheme that suspends a contested record, and one under a scheme that keeps it counting.
async fn appeals_of_liu(
    conn: &mut AnyConnection,
    liu: SubjectId,
    account: Uuid,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let ctx = catalogue::scheme_by_code(conn, "rongcheng").await?.expect("seeded above");
    let ctx = catalogue::context(conn, ctx.scheme.id()).await?.expect("seeded above");
    let events = records::events_of(conn, liu, ctx.scheme().id()).await?;
    let latest = |code: &str| {
        events
            .iter()
            .filter(|e| e.event.rule_code.as_str() == code)
            .map(|e| e.event.id)
            .max()
            .expect("seeded above")
    };
    let actor = crate::store::audit::Actor::cli("demo");
    for (code, grounds, statement, days_ago) in [
        (
            "FRAUD-01",
            Grounds::NotMe,
            "The contract was signed by someone using a copy of my identity card that I reported stolen.",
            3,
        ),
        (
            "TRAFFIC-02",
            Grounds::DidNotHappen,
            "I was not driving that evening; the car was at the repair shop, as its invoice shows.",
            40,
        ),
    ] {
        let new = NewAppeal {
            subject: liu,
            target: Target::Event(latest(code)),
            grounds,
            statement: Statement::parse(statement)?,
            files: Vec::new(),
        };
        appeals::file(conn, &actor, account, new, now - Duration::days(days_ago)).await?;
    }

    // And one on her credit-bureau record, under a scheme that keeps it counting meanwhile.
    let credit = catalogue::scheme_by_code(conn, "coastal-credit").await?.expect("seeded above");
    let credit = catalogue::context(conn, credit.scheme.id()).await?.expect("seeded above");
    let late = records::events_of(conn, liu, credit.scheme().id())
        .await?
        .into_iter()
        .find(|e| e.event.rule_code.as_str() == "PAY-LATE")
        .expect("seeded above");
    let new = NewAppeal {
        subject: liu,
        target: Target::Event(late.event.id),
        grounds: Grounds::AlreadyFulfilled,
        statement: Statement::parse(
            "The instalment was paid on time; the bank's own statement shows the transfer.",
        )?,
        files: Vec::new(),
    };
    appeals::file(conn, &actor, account, new, now - Duration::days(5)).await?;
    Ok(())
}

pub(crate) fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).single().expect("valid demo date")
}

/// A legal basis in English and in Chinese.
pub(crate) type Basis = (&'static str, &'static str);

const RONGCHENG_BASIS: Basis = (
    "Rongcheng Social Credit Management Measures (2021), art. 12",
    "《荣成市社会信用管理办法》（2021年）第十二条",
);
const COMPONENT_BASIS: Basis = (
    "Personal Information Protection Law, art. 24; Credit Reporting Regulation, art. 15",
    "《个人信息保护法》第二十四条；《征信业管理条例》第十五条",
);

/// (code, title en, title zh, description en, description zh, points default/min/max, months counted)
type RuleSpec = (&'static str, &'static str, &'static str, &'static str, &'static str, (i64, i64, i64), u32);

const RONGCHENG_RULES: [RuleSpec; 10] = [
    (
        "TRAFFIC-01",
        "Traffic violation",
        "交通违法",
        "A traffic ticket confirmed by the traffic police, such as running a red light or illegal parking.",
        "经交警确认的交通违法行为，如闯红灯、违章停车。",
        (-5, -5, -5),
        24,
    ),
    (
        "TRAFFIC-02",
        "Drunk driving",
        "酒后驾驶",
        "Driving with a blood alcohol level above the legal limit, as established by the traffic police.",
        "经交警认定的血液酒精含量超过法定标准的驾驶行为。",
        (-50, -50, -50),
        36,
    ),
    (
        "COURT-01",
        "Failure to perform a court judgment",
        "拒不履行生效判决",
        "Not performing an effective court judgment within the time set by the court although able to.",
        "有履行能力而未在法院规定期限内履行生效判决。",
        (-100, -100, -100),
        60,
    ),
    (
        "TAX-01",
        "Late tax filing",
        "逾期纳税申报",
        "Filing a tax return after the legal deadline; the deduction depends on the delay.",
        "超过法定期限进行纳税申报；扣分视逾期时间而定。",
        (-20, -30, -10),
        24,
    ),
    (
        "FRAUD-01",
        "Contract fraud",
        "合同欺诈",
        "Obtaining property through a contract by deception, as found by a court.",
        "经法院认定以欺骗手段签订合同骗取财物。",
        (-100, -150, -50),
        60,
    ),
    (
        "CHARITY-01",
        "Charitable donation",
        "慈善捐赠",
        "A donation to a registered charity, confirmed by the charity registry.",
        "向登记慈善组织捐赠，经慈善登记机关确认。",
        (5, 5, 20),
        12,
    ),
    (
        "VOLUNTEER-01",
        "Registered volunteer service",
        "注册志愿服务",
        "At least 20 hours of volunteer service recorded by the civil affairs bureau.",
        "经民政局记录的不少于20小时的志愿服务。",
        (10, 10, 10),
        12,
    ),
    (
        "BLOOD-01",
        "Blood donation",
        "无偿献血",
        "A voluntary blood donation recorded by the blood centre.",
        "经血站记录的无偿献血。",
        (5, 5, 5),
        12,
    ),
    (
        "HEROIC-01",
        "Heroic act",
        "见义勇为",
        "An act of courage to protect others, confirmed by the civil affairs bureau.",
        "经民政局确认的见义勇为行为。",
        (30, 30, 30),
        36,
    ),
    (
        "BUSINESS-01",
        "Exemplary business award",
        "诚信经营示范",
        "An award for exemplary business conduct by the market regulator.",
        "市场监管部门授予的诚信经营示范称号。",
        (30, 30, 30),
        36,
    ),
];

/// (code, component, title en, title zh, description en, description zh, points default/min/max, months)
type ComponentRuleSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    (i64, i64, i64),
    u32,
);

const COMPONENT_RULES: [ComponentRuleSpec; 7] = [
    (
        "PAY-LATE",
        "payment_history",
        "Late repayment",
        "逾期还款",
        "A loan or bill repaid more than 30 days late.",
        "贷款或账单逾期超过30天还款。",
        (-10, -20, -5),
        24,
    ),
    (
        "PAY-ONTIME",
        "payment_history",
        "A year of on-time repayments",
        "按时还款满一年",
        "Twelve consecutive months of on-time repayments.",
        "连续12个月按时还款。",
        (4, 4, 4),
        24,
    ),
    (
        "CONTRACT-BREACH",
        "contract_fulfilment",
        "Breach of contract",
        "违约",
        "A breach of contract established by a court or arbitration.",
        "经法院或仲裁认定的违约。",
        (-15, -25, -10),
        36,
    ),
    (
        "CONTRACT-DONE",
        "contract_fulfilment",
        "Contract fulfilled",
        "履约完成",
        "A contract fulfilled in full and on time, confirmed by the counterparty.",
        "经对方确认按时足额履行合同。",
        (3, 3, 3),
        24,
    ),
    (
        "INCOME-VERIFIED",
        "ability_to_pay",
        "Income verified",
        "收入核实",
        "Income verified from tax records.",
        "依据纳税记录核实收入。",
        (10, 5, 15),
        12,
    ),
    (
        "ID-VERIFIED",
        "identity",
        "Identity verified",
        "身份核实",
        "Identity documents verified in person.",
        "当面核验身份证件。",
        (10, 10, 10),
        36,
    ),
    (
        "ID-MISMATCH",
        "identity",
        "Identity mismatch",
        "身份信息不符",
        "Declared identity details did not match official records.",
        "申报的身份信息与官方记录不符。",
        (-20, -20, -20),
        12,
    ),
];

const SURNAMES: [&str; 20] = [
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu",
    "Hu", "Guo", "He", "Lin", "Gao", "Luo",
];
const GIVEN: [&str; 24] = [
    "Wei", "Fang", "Min", "Jing", "Lei", "Yan", "Jun", "Tao", "Ming", "Chao", "Xiu", "Hua", "Ping", "Gang",
    "Hong", "Ying", "Jie", "Lin", "Qiang", "Yun", "Bo", "Na", "Hui", "Xin",
];
const ORGANISATIONS: [&str; 20] = [
    "Rongcheng Harbour Logistics Co., Ltd.",
    "Shidao Fisheries Cooperative",
    "Weihai Bright Textiles Co., Ltd.",
    "Rongcheng Seaview Hotel Co., Ltd.",
    "Jiaodong Construction Group",
    "Chengshan Kelp Processing Co., Ltd.",
    "Rongcheng Green Energy Co., Ltd.",
    "Ligezhuang Machinery Works",
    "Yatou Tea House",
    "Haiyang Bus Company",
    "Rongcheng Pharmacy Chain",
    "Xixiakou Boatyard",
    "Rongcheng Digital Print Co., Ltd.",
    "Lidao Cold Storage",
    "Shandong Coastal Realty Co., Ltd.",
    "Rongcheng Hope Kindergarten",
    "Tianehu Garden Nursery",
    "Rongcheng Steel Trading Co., Ltd.",
    "Binhai Auto Repair",
    "Weihai Sunrise Software Co., Ltd.",
];

struct Seeder<'c> {
    conn: &'c mut AnyConnection,
    now: DateTime<Utc>,
    rng: StdRng,
    rongcheng: SchemeContext,
    component: SchemeContext,
    authorities: Authorities,
    list: ListId,
    seeded: Seeded,
    next_ref: u64,
    wang: SubjectId,
    harbour: SubjectId,
    liu: SubjectId,
}

impl<'c> Seeder<'c> {
    async fn new(conn: &'c mut AnyConnection, now: DateTime<Utc>) -> anyhow::Result<Self> {
        let authorities = Authorities {
            traffic: authority(conn, "rc-traffic", "Rongcheng Traffic Police", "荣成市公安局交通警察大队")
                .await?,
            civil: authority(conn, "rc-civil", "Rongcheng Civil Affairs Bureau", "荣成市民政局").await?,
            court: authority(conn, "rc-court", "Rongcheng People's Court", "荣成市人民法院").await?,
            tax: authority(conn, "rc-tax", "Rongcheng Tax Bureau", "荣成市税务局").await?,
            market: authority(
                conn,
                "rc-market",
                "Rongcheng Market Regulation Bureau",
                "荣成市市场监督管理局",
            )
            .await?,
            bureau: authority(conn, "credit-bureau", "Coastal Credit Bureau", "滨海征信中心").await?,
        };
        let rongcheng = rongcheng_scheme(conn).await?;
        let component = component_scheme(conn).await?;
        let list = ListId::new();
        blacklist::insert_list(
            conn,
            &BlacklistList {
                id: list,
                code: "dishonest-judgment-debtors".into(),
                name_en: "List of Dishonest Persons Subject to Enforcement".into(),
                name_zh: "失信被执行人名单".into(),
                authority: authorities.court,
                // The court serves its notice itself; the in-app one is a copy.
                in_app_delivery: false,
            },
        )
        .await?;
        grant_mandates(conn, &authorities, &rongcheng, &component, list).await?;
        Ok(Self {
            conn,
            now,
            rng: StdRng::seed_from_u64(20_261_122),
            rongcheng,
            component,
            authorities,
            list,
            seeded: Seeded::default(),
            next_ref: 0,
            wang: SubjectId::new(),
            harbour: SubjectId::new(),
            liu: SubjectId::new(),
        })
    }

    async fn subject(
        &mut self,
        id: SubjectId,
        kind: SubjectKind,
        name: &str,
        uscc: Option<String>,
    ) -> anyhow::Result<()> {
        let joined = day(2021, 1, 1);
        register::insert_subject(self.conn, &Subject { id, kind, display_name: name.into(), uscc }, joined)
            .await?;
        records::enrol(self.conn, &self.rongcheng, id, joined).await?;
        self.seeded.subjects += 1;
        Ok(())
    }

    /// Records a fact in the points scheme, recorded a few days after it occurred.
    async fn points(
        &mut self,
        subject: SubjectId,
        code: &str,
        occurred: DateTime<Utc>,
        points: Option<i64>,
    ) -> anyhow::Result<EventId> {
        let authority = match code {
            c if c.starts_with("TRAFFIC") => self.authorities.traffic,
            c if c.starts_with("COURT") || c.starts_with("FRAUD") => self.authorities.court,
            c if c.starts_with("TAX") => self.authorities.tax,
            c if c.starts_with("BUSINESS") => self.authorities.market,
            _ => self.authorities.civil,
        };
        let ctx = self.rongcheng.clone();
        self.fact(&ctx, authority, subject, code, occurred, points).await
    }

    async fn fact(
        &mut self,
        ctx: &SchemeContext,
        authority: AuthorityId,
        subject: SubjectId,
        code: &str,
        occurred: DateTime<Utc>,
        points: Option<i64>,
    ) -> anyhow::Result<EventId> {
        self.next_ref += 1;
        let recorded = (occurred + Duration::days(self.rng.gen_range(1..=10))).min(self.now);
        let source = Source {
            subject,
            scheme: ctx.scheme().id(),
            authority,
            external_ref: format!("DEMO-{:06}", self.next_ref),
        };
        let fact = Fact { rule_code: RuleCode::parse(code)?, points, occurred_at: occurred };
        let provenance = self.provenance(code);
        match records::record_fact_in(self.conn, ctx, source, fact, provenance, recorded).await? {
            Recorded::New(event) => {
                self.seeded.events += 1;
                Ok(event.id)
            }
            Recorded::Duplicate(id) => Ok(id),
        }
    }

    fn provenance(&mut self, code: &str) -> Provenance {
        let officer = ["Officer Sun Li", "Officer Ma Qiang", "Clerk He Yun", "Clerk Gao Ping"]
            [self.rng.gen_range(0..4)];
        Provenance {
            recorded_by: officer.into(),
            source: format!("{} case file", code.split('-').next().unwrap_or(code).to_lowercase()),
            evidence_ref: format!("EV-{}-{:05}", code, self.rng.gen_range(10_000..99_999)),
        }
    }

    fn past(&mut self, max_days: i64) -> DateTime<Utc> {
        self.now
            - Duration::days(self.rng.gen_range(5..max_days))
            - Duration::hours(self.rng.gen_range(0..24))
    }

    async fn histories(&mut self) -> anyhow::Result<()> {
        self.featured().await?;
        for i in 0..195 {
            let name =
                format!("{} {}", SURNAMES[(i * 7) % SURNAMES.len()], GIVEN[(i * 11 + i / 20) % GIVEN.len()]);
            let id = SubjectId::new();
            self.subject(id, SubjectKind::Person, &name, None).await?;
            let n = self.rng.gen_range(0..=12);
            for _ in 0..n {
                let roll = self.rng.gen_range(0..100);
                let code = match roll {
                    0..=34 => "TRAFFIC-01",
                    35..=39 => "TRAFFIC-02",
                    40..=44 => "TAX-01",
                    45..=47 => "COURT-01",
                    48..=64 => "VOLUNTEER-01",
                    65..=79 => "BLOOD-01",
                    80..=94 => "CHARITY-01",
                    _ => "HEROIC-01",
                };
                let at = self.past(1_800);
                self.points(id, code, at, None).await?;
            }
            if i % 3 == 0 {
                self.enrol_component(id).await?;
            }
        }
        for (i, name) in ORGANISATIONS.iter().enumerate().skip(1) {
            let id = SubjectId::new();
            self.subject(id, SubjectKind::Organisation, name, Some(uscc(i))).await?;
            for _ in 0..self.rng.gen_range(0..6) {
                let code =
                    ["BUSINESS-01", "TAX-01", "TAX-01", "CHARITY-01", "FRAUD-01"][self.rng.gen_range(0..5)];
                let at = self.past(1_500);
                self.points(id, code, at, None).await?;
            }
            self.enrol_component(id).await?;
        }
        // Liu Yang also has a credit-bureau score, whose scheme keeps a contested record counting
        // (her appeal on it is filed below). Seeded last so the random histories stay the same.
        self.enrol_component_with(self.liu, &[("PAY-ONTIME", 400), ("PAY-LATE", 75)]).await?;
        Ok(())
    }

    async fn enrol_component(&mut self, id: SubjectId) -> anyhow::Result<()> {
        records::enrol(self.conn, &self.component, id, day(2021, 1, 1)).await?;
        let ctx = self.component.clone();
        for _ in 0..self.rng.gen_range(0..8) {
            let rule = COMPONENT_RULES[self.rng.gen_range(0..COMPONENT_RULES.len())].0;
            let at = self.past(1_200);
            self.fact(&ctx, self.authorities.bureau, id, rule, at, None).await?;
        }
        Ok(())
    }

    /// Enrols `id` in the component scheme with these records (rule, days ago), in that order.
    async fn enrol_component_with(&mut self, id: SubjectId, records: &[(&str, i64)]) -> anyhow::Result<()> {
        records::enrol(self.conn, &self.component, id, day(2021, 1, 1)).await?;
        let ctx = self.component.clone();
        for (rule, days) in records {
            let at = self.now - Duration::days(*days);
            self.fact(&ctx, self.authorities.bureau, id, rule, at, None).await?;
        }
        Ok(())
    }

    /// The subjects the demo accounts and the walkthrough use, with stories worth reading.
    async fn featured(&mut self) -> anyhow::Result<()> {
        let now = self.now;
        // Wang Fang: a mixed record, an expired ticket, a corrected mistake, and an active listing
        // she can get off by paying the judgment debt.
        let wang = self.wang;
        self.subject(wang, SubjectKind::Person, "Wang Fang", None).await?;
        self.points(wang, "TRAFFIC-01", now - Duration::days(900), None).await?;
        self.points(wang, "VOLUNTEER-01", now - Duration::days(200), None).await?;
        self.points(wang, "TRAFFIC-01", now - Duration::days(120), None).await?;
        self.points(wang, "COURT-01", now - Duration::days(300), None).await?;
        let wrong = self.points(wang, "TRAFFIC-02", now - Duration::days(60), None).await?;
        let ctx = self.rongcheng.clone();
        let source = Source {
            subject: wang,
            scheme: ctx.scheme().id(),
            authority: self.authorities.traffic,
            external_ref: "DEMO-CORRECTION-1".into(),
        };
        let fact = Fact {
            rule_code: RuleCode::parse("TRAFFIC-01")?,
            points: None,
            occurred_at: now - Duration::days(60),
        };
        let reason = "Breath test device found faulty; the stop was for a lane violation only.";
        let provenance = self.provenance("TRAFFIC-01");
        records::correct_in(
            self.conn,
            &ctx,
            source,
            wrong,
            Correction::Supersede { fact, reason: reason.into() },
            provenance,
            now - Duration::days(45),
        )
        .await?;
        self.seeded.events += 1;
        self.enrol_component(wang).await?;
        self.entry(
            wang,
            "(2025) Lu 1082 Zhi 1423",
            now - Duration::days(280),
            Some(now - Duration::days(290)),
            true,
        )
        .await?;

        // Zhao Lei: listed without notice on file, notified later, and lifted after paying.
        let zhao = SubjectId::new();
        self.subject(zhao, SubjectKind::Person, "Zhao Lei", None).await?;
        self.points(zhao, "COURT-01", now - Duration::days(520), None).await?;
        let listed =
            self.entry(zhao, "(2024) Lu 1082 Zhi 977", now - Duration::days(480), None, true).await?;
        let (notified, lifted) = (now - Duration::days(490), now - Duration::days(100));
        blacklist::act(
            self.conn,
            listed,
            EntryAction::NoticeDelivered,
            notified,
            "Notice served in person.",
            notified,
        )
        .await?;
        blacklist::act(
            self.conn,
            listed,
            EntryAction::Lifted,
            lifted,
            "The judgment debt was paid in full.",
            lifted,
        )
        .await?;

        // Sun Hao: listed with notice; the railway asked about him, then he paid and the listing
        // was lifted (`demo::parties`: the correction the railway has not acknowledged).
        let sun = SubjectId::new();
        self.subject(sun, SubjectKind::Person, "Sun Hao", None).await?;
        self.points(sun, "COURT-01", now - Duration::days(200), None).await?;
        self.entry(
            sun,
            "(2026) Lu 1082 Zhi 121",
            now - Duration::days(60),
            Some(now - Duration::days(70)),
            true,
        )
        .await?;

        // Rongcheng Harbour Logistics: an organisation with tax trouble and an award.
        let harbour = self.harbour;
        self.subject(harbour, SubjectKind::Organisation, ORGANISATIONS[0], Some(uscc(0))).await?;
        self.points(harbour, "BUSINESS-01", now - Duration::days(400), None).await?;
        self.points(harbour, "TAX-01", now - Duration::days(150), Some(-30)).await?;
        self.points(harbour, "TAX-01", now - Duration::days(40), Some(-10)).await?;
        self.enrol_component(harbour).await?;

        // Li Wei: a clean record.
        self.subject(SubjectId::new(), SubjectKind::Person, "Li Wei", None).await?;
        // Zhang Min: only expired records.
        let zhang = SubjectId::new();
        self.subject(zhang, SubjectKind::Person, "Zhang Min", None).await?;
        self.points(zhang, "TRAFFIC-01", day(2021, 5, 3), None).await?;
        self.points(zhang, "TAX-01", day(2021, 11, 20), None).await?;
        // Chen Jie: a listing whose notice has not been delivered, so it restricts nothing yet.
        let chen = SubjectId::new();
        self.subject(chen, SubjectKind::Person, "Chen Jie", None).await?;
        self.points(chen, "COURT-01", now - Duration::days(30), None).await?;
        self.entry(chen, "(2026) Lu 1082 Zhi 388", now + Duration::days(14), None, false).await?;
        // Liu Yang: a downward spiral from A to D over two years.
        let liu = self.liu;
        self.subject(liu, SubjectKind::Person, "Liu Yang", None).await?;
        for (days, code) in [
            (700, "TRAFFIC-01"),
            (600, "TAX-01"),
            (520, "TRAFFIC-02"),
            (400, "COURT-01"),
            (330, "FRAUD-01"),
            (200, "COURT-01"),
            (90, "TRAFFIC-02"),
            (20, "FRAUD-01"),
        ] {
            self.points(liu, code, now - Duration::days(days), None).await?;
        }
        Ok(())
    }

    async fn entry(
        &mut self,
        subject: SubjectId,
        case: &str,
        effective_from: DateTime<Utc>,
        notice: Option<DateTime<Utc>>,
        pay: bool,
    ) -> anyhow::Result<EntryId> {
        let draft = EntryDraft {
            id: EntryId::new(),
            subject,
            list: self.list,
            authority: self.authorities.court,
            case_number: case.into(),
            legal_basis: LegalBasis::parse(
                "Provisions of the Supreme People's Court on Publishing the List of Dishonest Judgment Debtors (2017), art. 1",
            )?,
            reason: "Able to perform the effective judgment but refused to pay the amount owed.".into(),
            restrictions: vec![Restriction::Flights, Restriction::HighSpeedRail, Restriction::LuxuryHotels, Restriction::PropertyPurchase],
            notice_delivered_at: notice,
            effective_from,
            expires_at: Some(effective_from + Duration::days(730)),
            removal: if pay {
                RemovalCondition::PayAmount { cents: 4_850_000, currency: Currency::parse("CNY")? }
            } else {
                RemovalCondition::Appeal
            },
        };
        let recorded = notice.unwrap_or(effective_from - Duration::days(12)).min(self.now);
        let entry = blacklist::insert_entry(self.conn, draft, recorded).await?;
        self.seeded.entries += 1;
        Ok(entry.id())
    }
}

fn uscc(i: usize) -> String {
    format!(
        "91371082{:09}{}",
        310_000_000 + i * 7_919,
        "XYZABCDEFGHJKLMNPQ".chars().nth(i % 18).unwrap_or('X')
    )
}

/// Each authority records under its own rules and the court lists on its own list: the traffic
/// police cannot touch a court's rule or list, nor the credit bureau's scheme.
async fn grant_mandates(
    conn: &mut AnyConnection,
    authorities: &Authorities,
    rongcheng: &SchemeContext,
    component: &SchemeContext,
    list: ListId,
) -> anyhow::Result<()> {
    let a = authorities;
    let rules = |ctx: &SchemeContext, pattern: &str| -> anyhow::Result<MandateScope> {
        Ok(MandateScope::Rules { scheme: ctx.scheme().id(), rules: RulePattern::parse(pattern)? })
    };
    let grants = [
        (
            a.traffic,
            rules(rongcheng, "TRAFFIC-*")?,
            "Road Traffic Safety Law, art. 87; Rongcheng points scheme, ch. 3",
        ),
        (
            a.court,
            rules(rongcheng, "COURT-*")?,
            "Civil Procedure Law, art. 262; Rongcheng points scheme, ch. 4",
        ),
        (a.court, rules(rongcheng, "FRAUD-*")?, "Criminal Law, art. 266; Rongcheng points scheme, ch. 4"),
        (
            a.court,
            MandateScope::List { list },
            "SPC Provisions on Publishing the List of Dishonest Judgment Debtors, art. 1",
        ),
        (
            a.tax,
            rules(rongcheng, "TAX-*")?,
            "Tax Collection Administration Law, art. 45; Rongcheng points scheme, ch. 5",
        ),
        (a.market, rules(rongcheng, "BUSINESS-*")?, "Rongcheng points scheme, ch. 6 (business conduct)"),
        (a.civil, rules(rongcheng, "CHARITY-*")?, "Charity Law, art. 91; Rongcheng points scheme, ch. 7"),
        (
            a.civil,
            rules(rongcheng, "VOLUNTEER-*")?,
            "Regulations on Volunteer Service, art. 33; Rongcheng points scheme, ch. 7",
        ),
        (a.civil, rules(rongcheng, "BLOOD-*")?, "Blood Donation Law, art. 6; Rongcheng points scheme, ch. 7"),
        (a.civil, rules(rongcheng, "HEROIC-*")?, "Rongcheng points scheme, ch. 7 (acts of courage)"),
        (a.bureau, rules(component, "*")?, "Regulation on the Administration of Credit Reporting, art. 13"),
    ];
    let actor = Actor::cli("demo");
    for (authority, scope, basis) in grants {
        let grant =
            Grant { authority, scope, legal_basis: LegalBasis::parse(basis)?, valid_from: day(2020, 1, 1) };
        mandates::grant(conn, grant, &actor, day(2020, 1, 1)).await?;
    }
    Ok(())
}

async fn authority(conn: &mut AnyConnection, code: &str, en: &str, zh: &str) -> anyhow::Result<AuthorityId> {
    let id = AuthorityId::new();
    register::insert_authority(
        conn,
        &Authority { id, code: code.into(), name_en: en.into(), name_zh: zh.into() },
    )
    .await?;
    Ok(id)
}

fn bands(spec: &[(&str, Option<i64>)]) -> anyhow::Result<GradeBands> {
    let bands = spec
        .iter()
        .map(|(g, min)| Ok(Band { grade: Grade::parse(g)?, min: *min }))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(GradeBands::new(bands)?)
}

async fn rongcheng_scheme(conn: &mut AnyConnection) -> anyhow::Result<SchemeContext> {
    let scheme = Scheme::new(
        SchemeId::new(),
        "rongcheng",
        SchemeKind::Points { base: 1_000 },
        bands(&[
            ("A+++", Some(1_050)),
            ("AA", Some(1_030)),
            ("A", Some(960)),
            ("B", Some(850)),
            ("C", Some(600)),
            ("D", None),
        ])?,
        DisputePolicy::SuspendedWhileDisputed,
        30,
    )?;
    let record = SchemeRecord {
        scheme,
        name_en: "Rongcheng social credit points".into(),
        name_zh: "荣成社会信用积分".into(),
        operator_en: "Rongcheng Credit Office".into(),
        operator_zh: "荣成市信用办".into(),
        component_names: vec![],
        // Letter grades read the same in Chinese.
        grade_names_zh: vec![],
    };
    catalogue::insert_scheme(conn, &record).await?;
    let id = record.scheme.id();
    for (code, title_en, title_zh, desc_en, desc_zh, (default, a, b), months) in RONGCHENG_RULES {
        let effect = Effect::Points { default, min: a.min(b), max: a.max(b) };
        if code == "TRAFFIC-01" {
            // Two versions: the deduction fell from 5 to 3 points on 1 January 2024.
            let old = RuleContent {
                effective_to: Some(day(2024, 1, 1) - Duration::hours(9)),
                ..content(title_en, title_zh, desc_en, desc_zh, RONGCHENG_BASIS, effect.clone(), months)
            };
            publish(conn, id, code, 1, old).await?;
            let new = RuleContent {
                effect: Effect::Points { default: -3, min: -3, max: -3 },
                effective_from: day(2024, 1, 1) - Duration::hours(9),
                legal_basis: Some(LegalBasis::parse(
                    "Rongcheng Social Credit Management Measures (2023 revision), art. 12",
                )?),
                legal_basis_zh: Some(LegalBasis::parse_zh(
                    "《荣成市社会信用管理办法》（2023年修订）第十二条",
                )?),
                ..content(title_en, title_zh, desc_en, desc_zh, RONGCHENG_BASIS, effect, months)
            };
            publish(conn, id, code, 2, new).await?;
        } else {
            publish(
                conn,
                id,
                code,
                1,
                content(title_en, title_zh, desc_en, desc_zh, RONGCHENG_BASIS, effect, months),
            )
            .await?;
        }
    }
    Ok(catalogue::context(conn, id).await?.expect("just inserted"))
}

async fn component_scheme(conn: &mut AnyConnection) -> anyhow::Result<SchemeContext> {
    let components = [
        ("payment_history", 35, 60),
        ("contract_fulfilment", 30, 60),
        ("ability_to_pay", 20, 50),
        ("identity", 15, 80),
    ]
    .into_iter()
    .map(|(code, weight, start)| {
        Ok(Component { code: ComponentCode::parse(code)?, weight_percent: weight, start })
    })
    .collect::<anyhow::Result<Vec<_>>>()?;
    let scheme = Scheme::new(
        SchemeId::new(),
        "coastal-credit",
        SchemeKind::Weighted { range_min: 350, range_max: 950, components },
        bands(&[
            ("Excellent", Some(700)),
            ("Good", Some(650)),
            ("Fair", Some(600)),
            ("Moderate", Some(550)),
            ("Poor", None),
        ])?,
        DisputePolicy::KeepsCounting,
        30,
    )?
    // Like FCRA §611: a record the bureau does not verify in time is deleted.
    .with_on_deadline(OnDeadline::Void);
    let record = SchemeRecord {
        scheme,
        name_en: "Coastal component credit score".into(),
        name_zh: "滨海分项信用分".into(),
        operator_en: "Coastal Credit Bureau".into(),
        operator_zh: "滨海征信中心".into(),
        component_names: vec![
            ("Payment history".into(), "还款记录".into()),
            ("Fulfilment of contracts".into(), "履约情况".into()),
            ("Ability to pay".into(), "偿付能力".into()),
            ("Identity information".into(), "身份信息".into()),
        ],
        grade_names_zh: [
            ("Excellent", "优秀"),
            ("Good", "良好"),
            ("Fair", "中等"),
            ("Moderate", "一般"),
            ("Poor", "较差"),
        ]
        .into_iter()
        .map(|(g, zh)| Ok((Grade::parse(g)?, zh.to_string())))
        .collect::<anyhow::Result<_>>()?,
    };
    catalogue::insert_scheme(conn, &record).await?;
    let id = record.scheme.id();
    for (code, component, title_en, title_zh, desc_en, desc_zh, (default, a, b), months) in COMPONENT_RULES {
        let effect = Effect::Component {
            component: ComponentCode::parse(component)?,
            default,
            min: a.min(b),
            max: a.max(b),
        };
        publish(
            conn,
            id,
            code,
            1,
            content(title_en, title_zh, desc_en, desc_zh, COMPONENT_BASIS, effect, months),
        )
        .await?;
    }
    Ok(catalogue::context(conn, id).await?.expect("just inserted"))
}

fn content(
    title_en: &str,
    title_zh: &str,
    desc_en: &str,
    desc_zh: &str,
    basis: Basis,
    effect: Effect,
    months: u32,
) -> RuleContent {
    RuleContent {
        title_en: title_en.into(),
        title_zh: title_zh.into(),
        description_en: desc_en.into(),
        description_zh: desc_zh.into(),
        legal_basis: LegalBasis::parse(basis.0).ok(),
        legal_basis_zh: LegalBasis::parse_zh(basis.1).ok(),
        category: Category::Other,
        effect,
        counts_for: Validity::Months(months),
        effective_from: day(2021, 1, 1) - Duration::hours(9),
        effective_to: None,
    }
}

/// The behaviour each demo rule is about, by its code (the same in every demo scheme).
fn category_of(code: &str) -> Category {
    let code = code.strip_prefix("HB-").unwrap_or(code);
    match code.split('-').next().unwrap_or(code) {
        "TRAFFIC" if code.ends_with("02") => Category::DrunkDriving,
        "TRAFFIC" => Category::TrafficOffence,
        "JAYWALK" => Category::Jaywalking,
        "COURT" => Category::UnpaidCourtJudgment,
        "TAX" => Category::TaxArrears,
        "FRAUD" => Category::Fraud,
        "CHARITY" => Category::Charity,
        "VOLUNTEER" => Category::Volunteering,
        "BLOOD" => Category::BloodDonation,
        "HEROIC" => Category::HeroicAct,
        "BUSINESS" => Category::BusinessAward,
        "PAY" if code.ends_with("LATE") => Category::LateRepayment,
        "PAY" => Category::OnTimeRepayment,
        "CONTRACT" if code.ends_with("BREACH") => Category::BreachOfContract,
        "CONTRACT" => Category::ContractFulfilled,
        "INCOME" | "ID" => Category::VerifiedInformation,
        _ => Category::Other,
    }
}

async fn publish(
    conn: &mut AnyConnection,
    scheme: SchemeId,
    code: &str,
    version: u32,
    content: RuleContent,
) -> anyhow::Result<()> {
    let content = RuleContent { category: category_of(code), ..content };
    let v = RuleVersion::new(
        RuleVersionId::new(),
        RuleCode::parse(code)?,
        version,
        content,
        RuleStatus::Published,
    )?;
    catalogue::insert_rule_version(conn, scheme, &v).await?;
    Ok(())
}
