-- Distribution by subject: the PostgreSQL twin of this migration re-keys every table a subject
-- owns by `subject_id` so a distributed engine can shard it (see `src/store/distribution.rs`).
-- SQLite is one file on one machine, so its keys stay as they are; it gets what the code
-- writes on both databases: the tables that guard what must be unique across subjects (an
-- authority's external reference, an authority's case number, a unified social credit code, an
-- account's sign-in name),
-- each written in the same transaction as the row it guards, and no catalogue triggers (the code
-- that changes the catalogue bumps its revision).
CREATE TABLE event_references (
    authority_id TEXT NOT NULL REFERENCES authorities (id),
    external_ref TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    PRIMARY KEY (external_ref, authority_id)
);
INSERT INTO event_references (authority_id, external_ref, subject_id, event_id)
    SELECT authority_id, external_ref, subject_id, id FROM events;

CREATE TABLE entry_case_numbers (
    authority_id TEXT NOT NULL REFERENCES authorities (id),
    case_number  TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    entry_id     TEXT NOT NULL,
    PRIMARY KEY (case_number, authority_id)
);
INSERT INTO entry_case_numbers (authority_id, case_number, subject_id, entry_id)
    SELECT authority_id, case_number, subject_id, id FROM blacklist_entries;

CREATE TABLE subject_usccs (
    uscc       TEXT PRIMARY KEY NOT NULL,
    subject_id TEXT NOT NULL
);
INSERT INTO subject_usccs (uscc, subject_id) SELECT uscc, id FROM subjects WHERE uscc IS NOT NULL;

CREATE TABLE account_usernames (
    username   TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL
);
INSERT INTO account_usernames (username, account_id) SELECT username, id FROM accounts;

DROP TRIGGER schemes_ins;
DROP TRIGGER schemes_upd;
DROP TRIGGER schemes_del;
DROP TRIGGER scheme_bands_ins;
DROP TRIGGER scheme_bands_upd;
DROP TRIGGER scheme_bands_del;
DROP TRIGGER scheme_components_ins;
DROP TRIGGER scheme_components_upd;
DROP TRIGGER scheme_components_del;
DROP TRIGGER rule_versions_ins;
DROP TRIGGER rule_versions_upd;
DROP TRIGGER rule_versions_del;
DROP TRIGGER authorities_ins;
DROP TRIGGER authorities_upd;
DROP TRIGGER authorities_del;
