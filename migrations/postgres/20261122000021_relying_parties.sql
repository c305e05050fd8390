-- Relying parties: organisations that act on a subject's standing (an airline, a railway ticket
-- office, a bank), registered by administrators with a declared purpose and legal basis and the
-- questions they may ask (comma-separated codes of `store::status::QuestionKind`). Reference
-- tables: few rows, read on every check. `created_by` is an account (distributed by its own
-- key), so no foreign key.
CREATE TABLE relying_parties (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL UNIQUE,
    purpose     TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    questions   TEXT NOT NULL,
    created_by  TEXT,
    created_at  BIGINT NOT NULL
);

-- A relying party's API tokens, kept apart from authorities' (`api_tokens`): hashed, shown once,
-- revocable.
CREATE TABLE relying_party_tokens (
    id           TEXT PRIMARY KEY NOT NULL,
    party_id     TEXT NOT NULL REFERENCES relying_parties (id),
    label        TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   TEXT,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX relying_party_tokens_by_party ON relying_party_tokens (party_id, created_at);

-- Every question a relying party asked about a subject and the answer it was given: the
-- subject reads them all. `question` is the kind's code, `parameter` its restriction or
-- `scheme_code:grade`; `answer` 0/1.
CREATE TABLE standing_checks (
    subject_id TEXT NOT NULL REFERENCES subjects (id),
    id         TEXT NOT NULL,
    party_id   TEXT NOT NULL REFERENCES relying_parties (id),
    question   TEXT NOT NULL,
    parameter  TEXT NOT NULL,
    answer     BIGINT NOT NULL,
    asked_at   BIGINT NOT NULL,
    PRIMARY KEY (subject_id, id)
);
CREATE INDEX standing_checks_by_time ON standing_checks (subject_id, asked_at);
CREATE INDEX standing_checks_recent ON standing_checks (asked_at);

-- A correction: an answer a party was given (a check, or an earlier correction, named by
-- `supersedes`) is no longer what it would be. One correction per superseded answer, so servers
-- reconsidering the same subject at once write it once. `cause` is the audit action of the write
-- that changed it (`appeal.decide`, `entry.lift`, `rule.repeal`, …) or `time` (an expiry).
CREATE TABLE check_corrections (
    subject_id      TEXT NOT NULL REFERENCES subjects (id),
    id              TEXT NOT NULL,
    party_id        TEXT NOT NULL REFERENCES relying_parties (id),
    check_id        TEXT NOT NULL,
    supersedes      TEXT NOT NULL,
    question        TEXT NOT NULL,
    parameter       TEXT NOT NULL,
    previous_answer BIGINT NOT NULL,
    answer          BIGINT NOT NULL,
    cause           TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    acknowledged_at BIGINT,
    PRIMARY KEY (subject_id, id),
    UNIQUE (subject_id, supersedes),
    FOREIGN KEY (subject_id, check_id) REFERENCES standing_checks (subject_id, id)
);
CREATE INDEX check_corrections_by_party ON check_corrections (party_id, id);
CREATE INDEX check_corrections_unacknowledged ON check_corrections (acknowledged_at, created_at);
