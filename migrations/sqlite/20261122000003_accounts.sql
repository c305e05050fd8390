-- Accounts, sign-in and access control: review bodies (reviewers work for one), a per-account
-- session epoch (a password change or a disable ends every session made before it),
-- single-use invitations, database-backed sessions and sign-in failures for throttling.
-- Secrets are stored only as SHA-256 digests: session ids, invitation tokens, throttle keys.
CREATE TABLE review_bodies (
    id      TEXT PRIMARY KEY NOT NULL,
    code    TEXT NOT NULL UNIQUE,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL
);

ALTER TABLE accounts ADD COLUMN review_body_id TEXT REFERENCES review_bodies (id);
ALTER TABLE accounts ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN password_changed_at BIGINT;

CREATE TABLE invitations (
    token_hash TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    created_by TEXT REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT
);
CREATE INDEX invitations_by_account ON invitations (account_id);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY NOT NULL,
    account_id TEXT REFERENCES accounts (id),
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_account ON sessions (account_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE sign_in_failures (
    id        TEXT PRIMARY KEY NOT NULL,
    scope     TEXT NOT NULL CHECK (scope IN ('account', 'address')),
    key_hash  TEXT NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_by_key ON sign_in_failures (scope, key_hash, failed_at);
CREATE INDEX sign_in_failures_by_time ON sign_in_failures (failed_at);
