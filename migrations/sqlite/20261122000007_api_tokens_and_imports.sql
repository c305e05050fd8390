-- API tokens of authorities' systems and bulk import jobs.
-- A token is stored only as its SHA-256 digest; `prefix` (the first characters of the secret)
-- lets people tell tokens apart without being able to use one.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY NOT NULL,
    authority_id TEXT NOT NULL REFERENCES authorities (id),
    label        TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   TEXT REFERENCES accounts (id),
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_by_authority ON api_tokens (authority_id, created_at);

-- One row per bulk import (a file through the form or the API): who sent it, how far it got,
-- what it recorded. `rows_done` counts rows whose outcome is committed (good-rows mode commits
-- in chunks; all-or-nothing commits once, at the end).
CREATE TABLE imports (
    id           TEXT PRIMARY KEY NOT NULL,
    authority_id TEXT NOT NULL REFERENCES authorities (id),
    account_id   TEXT REFERENCES accounts (id),
    actor        TEXT NOT NULL,
    format       TEXT NOT NULL CHECK (format IN ('csv', 'json')),
    mode         TEXT NOT NULL CHECK (mode IN ('all_or_nothing', 'good_rows')),
    status       TEXT NOT NULL CHECK (status IN ('running', 'done', 'refused', 'failed')),
    rows_done    BIGINT NOT NULL DEFAULT 0,
    recorded     BIGINT NOT NULL DEFAULT 0,
    duplicates   BIGINT NOT NULL DEFAULT 0,
    refused      BIGINT NOT NULL DEFAULT 0,
    problems     BIGINT NOT NULL DEFAULT 0,
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX imports_by_authority ON imports (authority_id, started_at);

-- The per-row report of an import (the first problems of a file, up to a limit).
CREATE TABLE import_problems (
    import_id  TEXT NOT NULL REFERENCES imports (id),
    position   BIGINT NOT NULL,
    row_number BIGINT NOT NULL,
    field      TEXT NOT NULL,
    code       TEXT NOT NULL,
    message    TEXT NOT NULL,
    PRIMARY KEY (import_id, position)
);
