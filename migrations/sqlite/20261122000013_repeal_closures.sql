-- A repeal that voids a record under appeal closes the appeal as decided by the repeal. No
-- reviewer decides it, so it is no row of `appeal_decisions` (whose reviewer and review body are
-- required and which the reviewers' statistics count); what the repeal did to the subject's grade
-- is kept here instead, one row per appeal, written in the repeal's transaction.
-- `score_before`/`grade_before`: the grade with the record counting, as a decision's "before";
-- `score_after`/`grade_after`: once the record is void and the dispute ended.
CREATE TABLE appeal_repeal_closures (
    subject_id   TEXT NOT NULL REFERENCES subjects (id),
    appeal_id    TEXT NOT NULL REFERENCES appeals (id),
    rule_code    TEXT NOT NULL,
    reasons      TEXT NOT NULL,
    score_before BIGINT NOT NULL,
    grade_before TEXT NOT NULL,
    score_after  BIGINT NOT NULL,
    grade_after  TEXT NOT NULL,
    closed_at    BIGINT NOT NULL,
    PRIMARY KEY (subject_id, appeal_id)
);
