-- A subject's proofs of status (`store::proofs`): a statement about their standing, true when
-- made, signed with the instance's key, valid until a chosen instant, revocable by them. The
-- statement and the exact message signed are kept as signed, with the signature and the public
-- key that made it, so the proof can be shown and checked again whatever changes later.
CREATE TABLE status_proofs (
    subject_id  TEXT NOT NULL REFERENCES subjects (id),
    id          TEXT NOT NULL,
    code        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('restricted', 'on_any_blacklist', 'grade_at_least')),
    parameter   TEXT NOT NULL,
    statement   TEXT NOT NULL,
    message     TEXT NOT NULL,
    as_of       BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT,
    signature   TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    PRIMARY KEY (subject_id, id)
);

-- The lookup of a proof by its code, which holds across shards: keyed by the code it protects,
-- written in the same transaction as the proof.
CREATE TABLE proof_codes (
    code       TEXT PRIMARY KEY NOT NULL,
    subject_id TEXT NOT NULL,
    proof_id   TEXT NOT NULL
);

-- Each time a proof was opened at /verify/{code}: when, and whether it held then. Nothing about
-- who opened it.
CREATE TABLE proof_verifications (
    subject_id  TEXT NOT NULL,
    id          TEXT NOT NULL,
    proof_id    TEXT NOT NULL,
    verified_at BIGINT NOT NULL,
    held        BIGINT NOT NULL CHECK (held IN (0, 1)),
    PRIMARY KEY (subject_id, id),
    FOREIGN KEY (subject_id, proof_id) REFERENCES status_proofs (subject_id, id)
);
CREATE INDEX proof_verifications_by_proof ON proof_verifications (subject_id, proof_id, verified_at);
