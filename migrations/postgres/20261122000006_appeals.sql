-- Appeals: a subject contests an event, a blacklist entry or a rule; an independent reviewer
-- decides with written reasons. The `appeals` row holds the appeal's current state (status,
-- level, assignee, due date) for the queue; everything that happened to it is appended to
-- `appeal_actions` and never changed, and each decision is a row of `appeal_decisions`, at most
-- one per level: UNIQUE (appeal_id, level) is the last guard that two reviewers deciding at once
-- record exactly one decision.
-- A review body may belong to an authority (an authority's own legal office): its reviewers may
-- not decide appeals on that authority's records.
ALTER TABLE review_bodies ADD COLUMN authority_id TEXT REFERENCES authorities (id);

CREATE TABLE appeals (
    id              TEXT PRIMARY KEY NOT NULL,
    subject_id      TEXT NOT NULL REFERENCES subjects (id),
    target_kind     TEXT NOT NULL CHECK (target_kind IN ('event', 'entry', 'rule')),
    event_id        TEXT REFERENCES events (id),
    entry_id        TEXT REFERENCES blacklist_entries (id),
    rule_version_id TEXT REFERENCES rule_versions (id),
    -- The scheme of a contested event or rule (none for a blacklist entry).
    scheme_id       TEXT REFERENCES schemes (id),
    -- The authority that recorded the contested event or entry (none for a rule).
    authority_id    TEXT REFERENCES authorities (id),
    rule_code       TEXT,
    grounds         TEXT NOT NULL,
    statement       TEXT NOT NULL,
    filed_by        TEXT NOT NULL REFERENCES accounts (id),
    filed_at        BIGINT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('open', 'withdrawn', 'decided')),
    level           BIGINT NOT NULL CHECK (level IN (1, 2)),
    due_at          BIGINT NOT NULL,
    assigned_to     TEXT REFERENCES accounts (id),
    closed_at       BIGINT
);
CREATE INDEX appeals_by_subject ON appeals (subject_id, filed_at);
CREATE INDEX appeals_queue ON appeals (status, due_at, id);

-- The timeline: appended, never changed.
CREATE TABLE appeal_actions (
    id         TEXT PRIMARY KEY NOT NULL,
    appeal_id  TEXT NOT NULL REFERENCES appeals (id),
    subject_id TEXT NOT NULL REFERENCES subjects (id),
    action     TEXT NOT NULL CHECK (action IN ('filed', 'evidence_added', 'withdrawn', 'claimed', 'assigned',
                                               'decided', 'second_level_requested')),
    account_id TEXT REFERENCES accounts (id),
    note       TEXT NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX appeal_actions_by_appeal ON appeal_actions (appeal_id, at);
CREATE INDEX appeal_actions_by_subject ON appeal_actions (subject_id, at);

CREATE TABLE appeal_decisions (
    id                  TEXT PRIMARY KEY NOT NULL,
    appeal_id           TEXT NOT NULL REFERENCES appeals (id),
    subject_id          TEXT NOT NULL REFERENCES subjects (id),
    level               BIGINT NOT NULL CHECK (level IN (1, 2)),
    outcome             TEXT NOT NULL CHECK (outcome IN ('upheld', 'partly_upheld', 'rejected')),
    reasons             TEXT NOT NULL,
    reviewer_id         TEXT NOT NULL REFERENCES accounts (id),
    review_body_id      TEXT NOT NULL REFERENCES review_bodies (id),
    correction_event_id TEXT REFERENCES events (id),
    new_points          BIGINT,
    score_before        BIGINT,
    grade_before        TEXT,
    score_after         BIGINT,
    grade_after         TEXT,
    decided_at          BIGINT NOT NULL,
    UNIQUE (appeal_id, level)
);

-- Evidence files live in the database: written in the same transaction as the appeal, backed up
-- with it, and no folder to configure on each server. `id` is the server-made name; the
-- person's file name is kept only to show it.
CREATE TABLE appeal_evidence (
    id            TEXT PRIMARY KEY NOT NULL,
    appeal_id     TEXT NOT NULL REFERENCES appeals (id),
    subject_id    TEXT NOT NULL REFERENCES subjects (id),
    original_name TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    content       BYTEA NOT NULL,
    added_by      TEXT NOT NULL REFERENCES accounts (id),
    added_at      BIGINT NOT NULL
);
CREATE INDEX appeal_evidence_by_appeal ON appeal_evidence (appeal_id, added_at);
