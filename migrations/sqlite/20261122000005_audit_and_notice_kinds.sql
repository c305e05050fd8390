-- The audit log: every write by a person or an authority's system (who, what, when, from where).
-- Rows are appended, never changed. `detail` is JSON without personal data (ids and codes only).
CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY NOT NULL,
    at          BIGINT NOT NULL,
    account_id  TEXT REFERENCES accounts (id),
    -- Who acted, as shown: a username, or "token:<prefix>" for an API token.
    actor       TEXT NOT NULL,
    -- The client address (IPv6 truncated to /64), or "cli" for the command line.
    origin      TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    detail      TEXT NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at);
CREATE INDEX audit_log_by_target ON audit_log (target_kind, target_id);

-- Notices also announce appeals (filed, decided, overdue) and rule repeals; they may point at an
-- appeal. SQLite cannot change a CHECK, so the table is rebuilt (nothing references it).
CREATE TABLE notices_new (
    id         TEXT PRIMARY KEY NOT NULL,
    subject_id TEXT NOT NULL REFERENCES subjects (id),
    kind       TEXT NOT NULL CHECK (kind IN ('event_recorded', 'event_corrected', 'entry_recorded', 'entry_changed',
                                             'appeal_filed', 'appeal_decided', 'appeal_overdue', 'rule_repealed')),
    event_id   TEXT REFERENCES events (id),
    entry_id   TEXT REFERENCES blacklist_entries (id),
    created_at BIGINT NOT NULL,
    read_at    BIGINT,
    appeal_id  TEXT
);
INSERT INTO notices_new (id, subject_id, kind, event_id, entry_id, created_at, read_at)
    SELECT id, subject_id, kind, event_id, entry_id, created_at, read_at FROM notices;
DROP TABLE notices;
ALTER TABLE notices_new RENAME TO notices;
CREATE INDEX notices_by_subject ON notices (subject_id, created_at);
CREATE INDEX notices_unread ON notices (subject_id, read_at);
