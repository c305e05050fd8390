-- A challenge to a rule is decided by administrators: the rule kept (with reasons) or repealed.
-- Not a row of `appeal_decisions`, whose reviewer and review body are required and which the
-- reviewers' statistics count. One row per challenge, written in the decision's transaction;
-- `decided_by` is the administrator's account (accounts are distributed by their own key, so
-- no foreign key); the challenger's score and grade in the rule's scheme before and after, when
-- they are enrolled in it.
CREATE TABLE rule_challenge_decisions (
    subject_id   TEXT NOT NULL REFERENCES subjects (id),
    appeal_id    TEXT NOT NULL REFERENCES appeals (id),
    verdict      TEXT NOT NULL CHECK (verdict IN ('kept', 'repealed')),
    reasons      TEXT NOT NULL,
    decided_by   TEXT NOT NULL,
    decided_at   BIGINT NOT NULL,
    score_before BIGINT,
    grade_before TEXT,
    score_after  BIGINT,
    grade_after  TEXT,
    PRIMARY KEY (subject_id, appeal_id)
);
