-- Foundation: instance metadata and the accounts people sign in with.
-- Times are BIGINT microseconds since the Unix epoch (UTC) on both databases; ids are UUIDv7 text.
CREATE TABLE instance_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE accounts (
    id            TEXT PRIMARY KEY NOT NULL,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('subject', 'recorder', 'reviewer', 'administrator')),
    created_at    BIGINT NOT NULL,
    disabled_at   BIGINT
);
