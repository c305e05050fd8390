-- An import's job row tells the truth after a failure or a crash: `failed` with the reason, or
-- `interrupted` (the process running it is gone), each with what was committed. A running job
-- names its owner (the server process's instance id) and a heartbeat its process refreshes, so
-- a server marks as interrupted only jobs whose heartbeat is stale, never another live server's.
-- SQLite cannot change a CHECK, so the table is rebuilt, with its problems table (which
-- references it: the new one references the new table, renamed into place afterwards).
CREATE TABLE imports_new (
    id           TEXT PRIMARY KEY NOT NULL,
    authority_id TEXT NOT NULL REFERENCES authorities (id),
    account_id   TEXT REFERENCES accounts (id),
    actor        TEXT NOT NULL,
    format       TEXT NOT NULL CHECK (format IN ('csv', 'json')),
    mode         TEXT NOT NULL CHECK (mode IN ('all_or_nothing', 'good_rows')),
    status       TEXT NOT NULL CHECK (status IN ('running', 'done', 'refused', 'failed', 'interrupted')),
    rows_done    BIGINT NOT NULL DEFAULT 0,
    recorded     BIGINT NOT NULL DEFAULT 0,
    duplicates   BIGINT NOT NULL DEFAULT 0,
    refused      BIGINT NOT NULL DEFAULT 0,
    problems     BIGINT NOT NULL DEFAULT 0,
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT,
    owner        TEXT,
    heartbeat_at BIGINT,
    reason       TEXT
);
INSERT INTO imports_new (id, authority_id, account_id, actor, format, mode, status, rows_done, recorded,
                         duplicates, refused, problems, started_at, finished_at)
    SELECT id, authority_id, account_id, actor, format, mode, status, rows_done, recorded, duplicates,
           refused, problems, started_at, finished_at FROM imports;
CREATE TABLE import_problems_new (
    import_id  TEXT NOT NULL REFERENCES imports_new (id),
    position   BIGINT NOT NULL,
    row_number BIGINT NOT NULL,
    field      TEXT NOT NULL,
    code       TEXT NOT NULL,
    message    TEXT NOT NULL,
    PRIMARY KEY (import_id, position)
);
INSERT INTO import_problems_new (import_id, position, row_number, field, code, message)
    SELECT import_id, position, row_number, field, code, message FROM import_problems;
DROP TABLE import_problems;
DROP TABLE imports;
ALTER TABLE imports_new RENAME TO imports;
ALTER TABLE import_problems_new RENAME TO import_problems;
CREATE INDEX imports_by_authority ON imports (authority_id, started_at);
CREATE INDEX imports_running ON imports (status, heartbeat_at);
CREATE INDEX imports_newest ON imports (authority_id, id);
