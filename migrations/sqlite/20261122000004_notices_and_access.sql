-- Notices: one message to the subject for every change to their record (DESIGN.md: notice).
-- Access records: every staff read of a subject's record, visible to that subject.
CREATE TABLE notices (
    id         TEXT PRIMARY KEY NOT NULL,
    subject_id TEXT NOT NULL REFERENCES subjects (id),
    kind       TEXT NOT NULL CHECK (kind IN ('event_recorded', 'event_corrected', 'entry_recorded', 'entry_changed')),
    event_id   TEXT REFERENCES events (id),
    entry_id   TEXT REFERENCES blacklist_entries (id),
    created_at BIGINT NOT NULL,
    read_at    BIGINT
);
CREATE INDEX notices_by_subject ON notices (subject_id, created_at);

CREATE TABLE access_records (
    id         TEXT PRIMARY KEY NOT NULL,
    subject_id TEXT NOT NULL REFERENCES subjects (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    body       TEXT NOT NULL,
    role       TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX access_records_by_subject ON access_records (subject_id, at);
