//! Where each table lives when PostgreSQL outgrows one server and is distributed by subject
//! (Citus): the one place that says so. Everything a subject owns is sharded by the subject's
//! id and kept together on one node, so a subject's page, appeal or export is answered by one
//! shard; the catalogue and the bodies around it are small and copied to every node; the rest
//! (accounts, sessions, imports, the audit log, the guards of what must be unique across
//! shards) is spread by a key of its own. `tests/distribution.rs` reads PostgreSQL's constraints
//! and fails when one breaks this plan, so every table added later must be placed here first;
//! `recourse distribution-plan` prints the commands that distribute a database by it.

/// How one table is placed on a distributed cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// A subject's rows, sharded by the subject's id held in `column`, on the same node as the
    /// subject.
    Subject { column: &'static str },
    /// A small table every node holds whole.
    Reference,
    /// Sharded by a key of its own; `with` names a table whose rows share that key and node.
    Own { column: &'static str, with: Option<&'static str> },
}

use Placement::{Own, Reference, Subject};

const BY_SUBJECT: Placement = Subject { column: "subject_id" };

/// Every table, parents before the tables that refer to them (the order distribution needs).
pub const PLAN: &[(&str, Placement)] = &[
    // The catalogue and the bodies around it.
    ("instance_meta", Reference),
    ("catalogue_revision", Reference),
    ("schemes", Reference),
    ("scheme_bands", Reference),
    ("scheme_components", Reference),
    ("rule_versions", Reference),
    ("rule_repeals", Reference),
    ("authorities", Reference),
    ("blacklist_lists", Reference),
    ("review_bodies", Reference),
    ("mandates", Reference),
    // A few per authority, read on every API request.
    ("api_tokens", Reference),
    // Relying parties and their tokens, read on every check.
    ("relying_parties", Reference),
    ("relying_party_tokens", Reference),
    // What a subject owns.
    ("subjects", Subject { column: "id" }),
    ("scheme_memberships", BY_SUBJECT),
    ("events", BY_SUBJECT),
    ("blacklist_entries", BY_SUBJECT),
    ("blacklist_entry_actions", BY_SUBJECT),
    ("notices", BY_SUBJECT),
    ("access_records", BY_SUBJECT),
    ("appeals", BY_SUBJECT),
    ("appeal_actions", BY_SUBJECT),
    ("appeal_decisions", BY_SUBJECT),
    ("appeal_evidence", BY_SUBJECT),
    ("appeal_repeal_closures", BY_SUBJECT),
    ("rule_challenge_decisions", BY_SUBJECT),
    ("appeal_lapses", BY_SUBJECT),
    ("review_notices", BY_SUBJECT),
    ("standing_checks", BY_SUBJECT),
    ("check_corrections", BY_SUBJECT),
    ("status_proofs", BY_SUBJECT),
    ("proof_verifications", BY_SUBJECT),
    // What must be unique across shards, keyed by what it protects.
    ("event_references", Own { column: "external_ref", with: None }),
    ("entry_case_numbers", Own { column: "case_number", with: None }),
    ("subject_usccs", Own { column: "uscc", with: None }),
    ("account_usernames", Own { column: "username", with: None }),
    ("proof_codes", Own { column: "code", with: None }),
    // People who sign in and what they do outside a subject's file.
    ("accounts", Own { column: "id", with: None }),
    ("invitations", Own { column: "token_hash", with: None }),
    ("sessions", Own { column: "id_hash", with: None }),
    ("sign_in_failures", Own { column: "id", with: None }),
    ("audit_log", Own { column: "id", with: None }),
    // The audit chains (`store::chain`): one head row per chain, the tree heads and their leaves.
    ("audit_chain_heads", Own { column: "chain", with: None }),
    ("audit_chain_state", Reference),
    ("audit_tree_heads", Reference),
    ("audit_tree_leaves", Own { column: "tree_number", with: None }),
    ("imports", Own { column: "id", with: None }),
    ("import_problems", Own { column: "import_id", with: Some("imports") }),
];

/// The placement of `table`, if the plan names it.
pub fn placement(table: &str) -> Option<Placement> {
    PLAN.iter().find(|(name, _)| *name == table).map(|(_, p)| *p)
}

/// The column `table` is sharded by (none for a reference table).
pub fn column(table: &str) -> Option<&'static str> {
    match placement(table)? {
        Subject { column } | Own { column, .. } => Some(column),
        Reference => None,
    }
}

/// The statements that distribute a database migrated by Recourse on a Citus coordinator, in
/// order: reference tables, then `subjects` and every table colocated with it, then the rest.
pub fn citus_statements() -> Vec<String> {
    PLAN.iter()
        .map(|(table, placement)| match placement {
            Reference => format!("SELECT create_reference_table('{table}');"),
            Subject { column } if *table == "subjects" => {
                format!("SELECT create_distributed_table('{table}', '{column}');")
            }
            Subject { column } => format!(
                "SELECT create_distributed_table('{table}', '{column}', colocate_with => 'subjects');"
            ),
            Own { column, with: Some(other) } => {
                format!("SELECT create_distributed_table('{table}', '{column}', colocate_with => '{other}');")
            }
            Own { column, with: None } => {
                format!("SELECT create_distributed_table('{table}', '{column}', colocate_with => 'none');")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_placed_once_and_parents_come_first() {
        let mut seen = std::collections::HashSet::new();
        for (table, placement) in PLAN {
            assert!(seen.insert(*table), "{table} is placed twice");
            if let Own { with: Some(other), .. } = placement {
                assert!(seen.contains(other), "{table} is colocated with {other}, which must come first");
            }
        }
        assert_eq!(placement("events"), Some(Subject { column: "subject_id" }));
        assert_eq!(column("subjects"), Some("id"));
        assert_eq!(column("schemes"), None);
    }

    #[test]
    fn the_statements_distribute_subjects_before_what_is_colocated_with_it() {
        let statements = citus_statements();
        let at = |needle: &str| statements.iter().position(|s| s.contains(needle)).unwrap();
        assert!(at("('subjects', 'id')") < at("('events', 'subject_id', colocate_with => 'subjects')"));
        assert!(at("create_reference_table('schemes')") < at("('subjects', 'id')"));
        assert_eq!(statements.len(), PLAN.len());
    }
}
