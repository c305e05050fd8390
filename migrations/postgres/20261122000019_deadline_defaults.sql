-- What happens when an appeal is not decided by its due date, set per scheme: 'suspend' (the
-- contested record stops counting from the lapse until the appeal is decided, whatever the
-- dispute policy) or 'void' (the record is voided by default, "not verified in time", and the
-- appeal closed). Appeals on blacklist entries (no scheme) and on rules take 'suspend'.
ALTER TABLE schemes ADD COLUMN on_deadline TEXT NOT NULL DEFAULT 'suspend' CHECK (on_deadline IN ('suspend', 'void'));

-- One row per appeal and level whose deadline lapsed, written in the transaction that applies
-- the consequence with its notice and audit row. The primary key makes the consequence apply
-- exactly once when several servers run the deadline task: the second insert fails and its
-- transaction rolls back. `void_event_id`: the void record a 'void' lapse wrote.
CREATE TABLE appeal_lapses (
    subject_id    TEXT NOT NULL REFERENCES subjects (id),
    appeal_id     TEXT NOT NULL,
    level         BIGINT NOT NULL CHECK (level IN (1, 2)),
    outcome       TEXT NOT NULL CHECK (outcome IN ('suspend', 'void')),
    due_at        BIGINT NOT NULL,
    lapsed_at     BIGINT NOT NULL,
    void_event_id TEXT,
    PRIMARY KEY (subject_id, appeal_id, level),
    FOREIGN KEY (subject_id, appeal_id) REFERENCES appeals (subject_id, id),
    FOREIGN KEY (subject_id, void_event_id) REFERENCES events (subject_id, id)
);
