-- Notices to those who decide appeals: the reviewers, or the administrators for challenges to
-- rules. One row per appeal, level and kind, written in the transaction that made it so
-- ('deadline_lapsed': with the lapse, its consequence and the subject's notice), so it is sent
-- exactly once. It stays on the deciders' pages until one of them marks it seen (who, when).
-- `seen_by` names an account without a foreign key: accounts are distributed by their own key.
CREATE TABLE review_notices (
    subject_id TEXT NOT NULL REFERENCES subjects (id),
    appeal_id  TEXT NOT NULL,
    level      BIGINT NOT NULL CHECK (level IN (1, 2)),
    kind       TEXT NOT NULL CHECK (kind IN ('deadline_lapsed')),
    audience   TEXT NOT NULL CHECK (audience IN ('reviewers', 'administrators')),
    created_at BIGINT NOT NULL,
    seen_at    BIGINT,
    seen_by    TEXT,
    PRIMARY KEY (subject_id, appeal_id, level, kind),
    FOREIGN KEY (appeal_id) REFERENCES appeals (id),
    CHECK ((seen_at IS NULL) = (seen_by IS NULL))
);

CREATE INDEX review_notices_unseen ON review_notices (audience, created_at) WHERE seen_at IS NULL;
