//! The schema distributes by subject (`store::distribution::PLAN`): on PostgreSQL, every primary
//! key and unique constraint of a distributed table includes its distribution column, foreign
//! keys join distributed tables only on that column and only when they share a node, reference
//! tables refer only to reference tables, and no trigger is needed. On both databases, every
//! table is placed by the plan, so a table added later without a placement fails here.

mod common;

use common::{for_each_database, TestApp};
use recourse::store::distribution::{self, Placement};
use sqlx::Row;

/// One key or foreign key of a table, with its columns in order.
struct Constraint {
    table: String,
    name: String,
    kind: String,
    columns: Vec<String>,
    references: Option<(String, Vec<String>)>,
}

async fn tables(app: &TestApp) -> Vec<String> {
    let sql = if app.label == "postgres" {
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
    };
    let rows = sqlx::query(sql).fetch_all(&app.db.pool).await.unwrap();
    rows.iter().map(|r| r.get::<String, _>(0)).filter(|t| t != "_sqlx_migrations").collect()
}

async fn constraints(app: &TestApp) -> Vec<Constraint> {
    let rows = sqlx::query(
        "SELECT c.conrelid::regclass::text, c.conname::text, c.contype::text, \
         (SELECT string_agg(a.attname::text, ',' ORDER BY k.n) FROM unnest(c.conkey) WITH ORDINALITY k(att, n) \
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.att), \
         CASE WHEN c.contype = 'f' THEN c.confrelid::regclass::text END, \
         (SELECT string_agg(a.attname::text, ',' ORDER BY k.n) FROM unnest(c.confkey) WITH ORDINALITY k(att, n) \
          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.att) \
         FROM pg_constraint c WHERE c.connamespace = 'public'::regnamespace AND c.contype IN ('p', 'u', 'f') \
         AND c.conrelid::regclass::text <> '_sqlx_migrations' ORDER BY 1, 2",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let split = |s: String| s.split(',').map(str::to_string).collect::<Vec<_>>();
    rows.into_iter()
        .map(|r| Constraint {
            table: r.get(0),
            name: r.get(1),
            kind: r.get(2),
            columns: split(r.get(3)),
            references: r
                .get::<Option<String>, _>(4)
                .map(|t| (t, split(r.get::<Option<String>, _>(5).unwrap()))),
        })
        .collect()
}

/// Whether rows of `a` and `b` that share a distribution value live on the same node.
fn colocated(a: &str, b: &str) -> bool {
    use Placement::{Own, Subject};
    match (distribution::placement(a), distribution::placement(b)) {
        (Some(Subject { .. }), Some(Subject { .. })) => true,
        (Some(Own { with: Some(w), .. }), _) if w == b => true,
        (_, Some(Own { with: Some(w), .. })) if w == a => true,
        _ => a == b,
    }
}

/// Every way the constraints break the plan, named.
fn violations(constraints: &[Constraint]) -> Vec<String> {
    let mut found = Vec::new();
    for c in constraints {
        let Some(placement) = distribution::placement(&c.table) else {
            found.push(format!("{}: table not in the distribution plan", c.table));
            continue;
        };
        let column = distribution::column(&c.table);
        match (&c.references, column) {
            (None, Some(column)) if !c.columns.iter().any(|x| x == column) => found.push(format!(
                "{}.{}: a {} key without the distribution column {column}",
                c.table,
                c.name,
                if c.kind == "p" { "primary" } else { "unique" }
            )),
            (None, _) => {}
            (Some((target, _)), None) => {
                if distribution::placement(target) != Some(Placement::Reference) {
                    found.push(format!(
                        "{}.{}: a reference table refers to distributed {target}",
                        c.table, c.name
                    ));
                }
            }
            (Some((target, target_columns)), Some(column)) => {
                if distribution::placement(target) == Some(Placement::Reference) {
                    continue;
                }
                let joins_on_distribution =
                    c.columns.iter().zip(target_columns).any(|(from, to)| {
                        from == column && Some(to.as_str()) == distribution::column(target)
                    });
                if !colocated(&c.table, target) || !joins_on_distribution {
                    found.push(format!(
                        "{}.{} ({placement:?}): refers to {target} other than on one node by its distribution column",
                        c.table, c.name
                    ));
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn the_schema_keeps_to_the_distribution_plan() {
    for_each_database(|app| async move {
        let tables = tables(&app).await;
        for table in &tables {
            assert!(distribution::placement(table).is_some(), "{}: table {table} is not in the plan", app.label);
        }
        for (table, _) in distribution::PLAN {
            assert!(tables.iter().any(|t| t == table), "{}: the plan names {table}, which is not a table", app.label);
        }
        if app.label != "postgres" {
            return;
        }
        let found = violations(&constraints(&app).await);
        assert!(found.is_empty(), "constraints that break the distribution plan:\n{}", found.join("\n"));
        let triggers: i64 = sqlx::query("SELECT COUNT(*) FROM pg_trigger WHERE NOT tgisinternal")
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
            .get(0);
        assert_eq!(triggers, 0, "no trigger is needed for correctness across nodes");

        // The check itself: a key without the subject, and a foreign key across subjects, are found.
        for bad in [
            "ALTER TABLE notices ADD CONSTRAINT notices_bad_key UNIQUE (id)",
            "ALTER TABLE appeals ADD CONSTRAINT appeals_bad_fkey FOREIGN KEY (filed_by) REFERENCES accounts (id)",
        ] {
            sqlx::query(bad).execute(&app.db.pool).await.unwrap();
        }
        let found = violations(&constraints(&app).await);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("appeals.appeals_bad_fkey") && found[1].contains("notices.notices_bad_key"), "{found:?}");
    })
    .await;
}

#[test]
fn the_plan_prints_the_commands_that_distribute_a_database() {
    let out =
        std::process::Command::new(env!("CARGO_BIN_EXE_recourse")).arg("distribution-plan").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("SELECT create_reference_table('rule_versions');"), "{text}");
    assert!(text
        .contains("SELECT create_distributed_table('appeals', 'subject_id', colocate_with => 'subjects');"));
    assert_eq!(text.lines().count(), distribution::PLAN.len());
}
