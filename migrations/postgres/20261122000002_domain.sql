-- Domain: schemes, the versioned rule catalogue, subjects, authorities, append-only events,
-- blacklist lists and entries (with append-only actions), and current scores kept for speed.
-- Every subject-owned table carries subject_id so the data can be partitioned by subject.

CREATE TABLE schemes (
    id                   TEXT PRIMARY KEY NOT NULL,
    code                 TEXT NOT NULL UNIQUE,
    name_en              TEXT NOT NULL,
    name_zh              TEXT NOT NULL,
    operator_en          TEXT NOT NULL,
    operator_zh          TEXT NOT NULL,
    kind                 TEXT NOT NULL CHECK (kind IN ('points', 'weighted')),
    base_score           BIGINT NOT NULL,
    range_min            BIGINT,
    range_max            BIGINT,
    dispute_policy       TEXT NOT NULL,
    appeal_deadline_days BIGINT NOT NULL,
    created_at           BIGINT NOT NULL
);

CREATE TABLE scheme_bands (
    scheme_id TEXT NOT NULL REFERENCES schemes (id),
    position  BIGINT NOT NULL,
    grade     TEXT NOT NULL,
    min_score BIGINT,
    PRIMARY KEY (scheme_id, position)
);

CREATE TABLE scheme_components (
    scheme_id      TEXT NOT NULL REFERENCES schemes (id),
    position       BIGINT NOT NULL,
    code           TEXT NOT NULL,
    name_en        TEXT NOT NULL,
    name_zh        TEXT NOT NULL,
    weight_percent BIGINT NOT NULL,
    start_score    BIGINT NOT NULL,
    PRIMARY KEY (scheme_id, position),
    UNIQUE (scheme_id, code)
);

CREATE TABLE rule_versions (
    id             TEXT PRIMARY KEY NOT NULL,
    scheme_id      TEXT NOT NULL REFERENCES schemes (id),
    rule_code      TEXT NOT NULL,
    version        BIGINT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('draft', 'published', 'repealed')),
    title_en       TEXT NOT NULL,
    title_zh       TEXT NOT NULL,
    description_en TEXT NOT NULL,
    description_zh TEXT NOT NULL,
    legal_basis    TEXT,
    component      TEXT,
    points_default BIGINT NOT NULL,
    points_min     BIGINT NOT NULL,
    points_max     BIGINT NOT NULL,
    validity_unit  TEXT NOT NULL CHECK (validity_unit IN ('days', 'months')),
    validity_count BIGINT NOT NULL,
    effective_from BIGINT NOT NULL,
    effective_to   BIGINT,
    created_at     BIGINT NOT NULL,
    UNIQUE (scheme_id, rule_code, version)
);

CREATE TABLE authorities (
    id      TEXT PRIMARY KEY NOT NULL,
    code    TEXT NOT NULL UNIQUE,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL
);

CREATE TABLE subjects (
    id           TEXT PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('person', 'organisation')),
    display_name TEXT NOT NULL,
    uscc         TEXT UNIQUE,
    created_at   BIGINT NOT NULL
);

CREATE TABLE scheme_memberships (
    subject_id    TEXT NOT NULL REFERENCES subjects (id),
    scheme_id     TEXT NOT NULL REFERENCES schemes (id),
    joined_at     BIGINT NOT NULL,
    last_write_at BIGINT NOT NULL,
    PRIMARY KEY (subject_id, scheme_id)
);

CREATE TABLE events (
    id              TEXT PRIMARY KEY NOT NULL,
    subject_id      TEXT NOT NULL REFERENCES subjects (id),
    scheme_id       TEXT NOT NULL REFERENCES schemes (id),
    rule_version_id TEXT NOT NULL REFERENCES rule_versions (id),
    rule_code       TEXT NOT NULL,
    points          BIGINT NOT NULL,
    occurred_at     BIGINT NOT NULL,
    recorded_at     BIGINT NOT NULL,
    authority_id    TEXT NOT NULL REFERENCES authorities (id),
    recorded_by     TEXT NOT NULL,
    source          TEXT NOT NULL,
    evidence_ref    TEXT NOT NULL,
    external_ref    TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('fact', 'void', 'supersede')),
    target_event_id TEXT REFERENCES events (id),
    reason          TEXT,
    decision_ref    TEXT,
    UNIQUE (authority_id, external_ref)
);
CREATE INDEX events_by_subject ON events (subject_id, scheme_id, occurred_at);
CREATE INDEX events_by_rule ON events (rule_version_id);

CREATE TABLE blacklist_lists (
    id           TEXT PRIMARY KEY NOT NULL,
    code         TEXT NOT NULL UNIQUE,
    name_en      TEXT NOT NULL,
    name_zh      TEXT NOT NULL,
    authority_id TEXT NOT NULL REFERENCES authorities (id)
);

CREATE TABLE blacklist_entries (
    id                  TEXT PRIMARY KEY NOT NULL,
    subject_id          TEXT NOT NULL REFERENCES subjects (id),
    list_id             TEXT NOT NULL REFERENCES blacklist_lists (id),
    authority_id        TEXT NOT NULL REFERENCES authorities (id),
    case_number         TEXT NOT NULL,
    legal_basis         TEXT NOT NULL,
    reason              TEXT NOT NULL,
    restrictions        TEXT NOT NULL,
    notice_delivered_at BIGINT,
    effective_from      BIGINT NOT NULL,
    expires_at          BIGINT,
    removal_kind        TEXT NOT NULL,
    removal_cents       BIGINT,
    removal_currency    TEXT,
    removal_text        TEXT,
    recorded_at         BIGINT NOT NULL,
    UNIQUE (authority_id, case_number)
);
CREATE INDEX blacklist_entries_by_subject ON blacklist_entries (subject_id);

-- Later changes to an entry (notice delivered, lifted, suspended, resumed): appended, never updated.
CREATE TABLE blacklist_entry_actions (
    id          TEXT PRIMARY KEY NOT NULL,
    entry_id    TEXT NOT NULL REFERENCES blacklist_entries (id),
    subject_id  TEXT NOT NULL REFERENCES subjects (id),
    action      TEXT NOT NULL CHECK (action IN ('notice_delivered', 'lifted', 'suspended', 'resumed')),
    at          BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX blacklist_entry_actions_by_entry ON blacklist_entry_actions (entry_id, recorded_at);

-- Kept for lists and statistics; rewritten in the same transaction as every write to the record.
CREATE TABLE current_scores (
    subject_id  TEXT NOT NULL REFERENCES subjects (id),
    scheme_id   TEXT NOT NULL REFERENCES schemes (id),
    score       BIGINT NOT NULL,
    grade       TEXT NOT NULL,
    computed_at BIGINT NOT NULL,
    -- When a counting record next stops counting: the row must be recomputed by then.
    valid_until BIGINT,
    PRIMARY KEY (subject_id, scheme_id)
);
CREATE INDEX current_scores_by_grade ON current_scores (scheme_id, grade);
CREATE INDEX current_scores_by_validity ON current_scores (valid_until);

ALTER TABLE accounts ADD COLUMN subject_id TEXT REFERENCES subjects (id);
ALTER TABLE accounts ADD COLUMN authority_id TEXT REFERENCES authorities (id);
