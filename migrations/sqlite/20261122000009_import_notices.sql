-- A bulk import tells each subject once that records were added to their file (about the first
-- one), instead of once per record: a file of a million rows is one change to each record it
-- touches, and a notice per row buried everything else in the inbox. SQLite cannot change a
-- CHECK, so the table is rebuilt (nothing references it).
CREATE TABLE notices_new (
    id         TEXT PRIMARY KEY NOT NULL,
    subject_id TEXT NOT NULL REFERENCES subjects (id),
    kind       TEXT NOT NULL CHECK (kind IN ('event_recorded', 'event_corrected', 'entry_recorded', 'entry_changed',
                                             'appeal_filed', 'appeal_decided', 'appeal_overdue', 'rule_repealed',
                                             'events_imported')),
    event_id   TEXT REFERENCES events (id),
    entry_id   TEXT REFERENCES blacklist_entries (id),
    created_at BIGINT NOT NULL,
    read_at    BIGINT,
    appeal_id  TEXT
);
INSERT INTO notices_new (id, subject_id, kind, event_id, entry_id, created_at, read_at, appeal_id)
    SELECT id, subject_id, kind, event_id, entry_id, created_at, read_at, appeal_id FROM notices;
DROP TABLE notices;
ALTER TABLE notices_new RENAME TO notices;
CREATE INDEX notices_by_subject ON notices (subject_id, created_at);
CREATE INDEX notices_unread ON notices (subject_id, read_at);
