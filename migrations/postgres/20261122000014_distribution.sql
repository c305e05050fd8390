-- Distribution by subject (see `src/store/distribution.rs`, the one place that says where each
-- table lives on a Citus cluster, and README "Scaling out"). On a distributed engine every
-- primary key and unique constraint of a table distributed by `subject_id` must include it, and
-- a foreign key may join two distributed tables only on their distribution column; so:
-- 1. What must be unique across shards (an authority's external reference, an authority's case
--    number, an organisation's unified social credit code, an account's sign-in name) is guarded
--    by a small table keyed by what it protects, written in the same transaction as the row it
--    guards.
CREATE TABLE event_references (
    authority_id TEXT NOT NULL REFERENCES authorities (id),
    external_ref TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    PRIMARY KEY (external_ref, authority_id)
);
INSERT INTO event_references (authority_id, external_ref, subject_id, event_id)
    SELECT authority_id, external_ref, subject_id, id FROM events;
ALTER TABLE events DROP CONSTRAINT events_authority_id_external_ref_key;

CREATE TABLE entry_case_numbers (
    authority_id TEXT NOT NULL REFERENCES authorities (id),
    case_number  TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    entry_id     TEXT NOT NULL,
    PRIMARY KEY (case_number, authority_id)
);
INSERT INTO entry_case_numbers (authority_id, case_number, subject_id, entry_id)
    SELECT authority_id, case_number, subject_id, id FROM blacklist_entries;
ALTER TABLE blacklist_entries DROP CONSTRAINT blacklist_entries_authority_id_case_number_key;

CREATE TABLE subject_usccs (
    uscc       TEXT PRIMARY KEY NOT NULL,
    subject_id TEXT NOT NULL
);
INSERT INTO subject_usccs (uscc, subject_id) SELECT uscc, id FROM subjects WHERE uscc IS NOT NULL;
ALTER TABLE subjects DROP CONSTRAINT subjects_uscc_key;
CREATE INDEX subjects_by_uscc ON subjects (uscc);

CREATE TABLE account_usernames (
    username   TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL
);
INSERT INTO account_usernames (username, account_id) SELECT username, id FROM accounts;
ALTER TABLE accounts DROP CONSTRAINT accounts_username_key;

-- 2. No foreign key between tables distributed by different keys: a subject's rows name staff
--    accounts (who filed, decided, read), accounts name their subject, and accounts' own rows
--    (sessions, invitations, tokens, imports, audit) name accounts, without a constraint; the
--    code writes those ids only from a signed-in account or a token it has just read.
ALTER TABLE accounts DROP CONSTRAINT accounts_subject_id_fkey;
ALTER TABLE invitations DROP CONSTRAINT invitations_account_id_fkey;
ALTER TABLE invitations DROP CONSTRAINT invitations_created_by_fkey;
ALTER TABLE sessions DROP CONSTRAINT sessions_account_id_fkey;
ALTER TABLE access_records DROP CONSTRAINT access_records_account_id_fkey;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_account_id_fkey;
ALTER TABLE appeals DROP CONSTRAINT appeals_assigned_to_fkey;
ALTER TABLE appeals DROP CONSTRAINT appeals_filed_by_fkey;
ALTER TABLE appeal_actions DROP CONSTRAINT appeal_actions_account_id_fkey;
ALTER TABLE appeal_decisions DROP CONSTRAINT appeal_decisions_reviewer_id_fkey;
ALTER TABLE appeal_evidence DROP CONSTRAINT appeal_evidence_added_by_fkey;
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_created_by_fkey;
ALTER TABLE imports DROP CONSTRAINT imports_account_id_fkey;

-- 3. Every key of a subject's rows begins with `subject_id`, and rows of one subject refer to
--    each other by (subject_id, id). Look-ups by id alone keep an index of their own.
ALTER TABLE events DROP CONSTRAINT events_target_event_id_fkey;
ALTER TABLE notices DROP CONSTRAINT notices_event_id_fkey;
ALTER TABLE notices DROP CONSTRAINT notices_entry_id_fkey;
ALTER TABLE appeals DROP CONSTRAINT appeals_event_id_fkey;
ALTER TABLE appeals DROP CONSTRAINT appeals_entry_id_fkey;
ALTER TABLE appeal_decisions DROP CONSTRAINT appeal_decisions_correction_event_id_fkey;
ALTER TABLE appeal_decisions DROP CONSTRAINT appeal_decisions_appeal_id_fkey;
ALTER TABLE appeal_decisions DROP CONSTRAINT appeal_decisions_appeal_id_level_key;
ALTER TABLE appeal_actions DROP CONSTRAINT appeal_actions_appeal_id_fkey;
ALTER TABLE appeal_evidence DROP CONSTRAINT appeal_evidence_appeal_id_fkey;
ALTER TABLE appeal_repeal_closures DROP CONSTRAINT appeal_repeal_closures_appeal_id_fkey;
ALTER TABLE blacklist_entry_actions DROP CONSTRAINT blacklist_entry_actions_entry_id_fkey;

ALTER TABLE events DROP CONSTRAINT events_pkey, ADD PRIMARY KEY (subject_id, id);
CREATE INDEX events_by_id ON events (id);
ALTER TABLE blacklist_entries DROP CONSTRAINT blacklist_entries_pkey, ADD PRIMARY KEY (subject_id, id);
CREATE INDEX blacklist_entries_by_id ON blacklist_entries (id);
ALTER TABLE blacklist_entry_actions DROP CONSTRAINT blacklist_entry_actions_pkey, ADD PRIMARY KEY (subject_id, id);
ALTER TABLE notices DROP CONSTRAINT notices_pkey, ADD PRIMARY KEY (subject_id, id);
CREATE INDEX notices_by_id ON notices (id);
ALTER TABLE access_records DROP CONSTRAINT access_records_pkey, ADD PRIMARY KEY (subject_id, id);
ALTER TABLE appeals DROP CONSTRAINT appeals_pkey, ADD PRIMARY KEY (subject_id, id);
CREATE INDEX appeals_by_id ON appeals (id);
ALTER TABLE appeal_actions DROP CONSTRAINT appeal_actions_pkey, ADD PRIMARY KEY (subject_id, id);
ALTER TABLE appeal_decisions DROP CONSTRAINT appeal_decisions_pkey, ADD PRIMARY KEY (subject_id, id);
ALTER TABLE appeal_decisions ADD CONSTRAINT appeal_decisions_one_per_level UNIQUE (subject_id, appeal_id, level);
ALTER TABLE appeal_evidence DROP CONSTRAINT appeal_evidence_pkey, ADD PRIMARY KEY (subject_id, id);
CREATE INDEX appeal_evidence_by_id ON appeal_evidence (id);

ALTER TABLE events ADD FOREIGN KEY (subject_id, target_event_id) REFERENCES events (subject_id, id);
ALTER TABLE notices ADD FOREIGN KEY (subject_id, event_id) REFERENCES events (subject_id, id);
ALTER TABLE notices ADD FOREIGN KEY (subject_id, entry_id) REFERENCES blacklist_entries (subject_id, id);
ALTER TABLE appeals ADD FOREIGN KEY (subject_id, event_id) REFERENCES events (subject_id, id);
ALTER TABLE appeals ADD FOREIGN KEY (subject_id, entry_id) REFERENCES blacklist_entries (subject_id, id);
ALTER TABLE appeal_decisions ADD FOREIGN KEY (subject_id, correction_event_id) REFERENCES events (subject_id, id);
ALTER TABLE appeal_decisions ADD FOREIGN KEY (subject_id, appeal_id) REFERENCES appeals (subject_id, id);
ALTER TABLE appeal_actions ADD FOREIGN KEY (subject_id, appeal_id) REFERENCES appeals (subject_id, id);
ALTER TABLE appeal_evidence ADD FOREIGN KEY (subject_id, appeal_id) REFERENCES appeals (subject_id, id);
ALTER TABLE appeal_repeal_closures ADD FOREIGN KEY (subject_id, appeal_id) REFERENCES appeals (subject_id, id);
ALTER TABLE blacklist_entry_actions ADD FOREIGN KEY (subject_id, entry_id) REFERENCES blacklist_entries (subject_id, id);

-- 4. The catalogue's revision is bumped by the code that changes the catalogue, in its
--    transaction (`catalogue::touch`), not by triggers, which a distributed engine runs per node.
DROP TRIGGER schemes_revision ON schemes;
DROP TRIGGER scheme_bands_revision ON scheme_bands;
DROP TRIGGER scheme_components_revision ON scheme_components;
DROP TRIGGER rule_versions_revision ON rule_versions;
DROP TRIGGER authorities_revision ON authorities;
DROP FUNCTION bump_catalogue_revision();
