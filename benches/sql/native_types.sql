-- Run on a database migrated by Recourse (PostgreSQL): psql -f benches/sql/native_types.sql
-- What native uuid/timestamptz columns would save: the same 1M events (ids UUIDv7-shaped,
-- as the importer makes them) in today's TEXT/BIGINT table and in a uuid/timestamptz copy,
-- each with the same keys and indexes, inserted in one statement from a staging table.
\timing on
DROP TABLE IF EXISTS ev_text, ev_native, st_v7;
CREATE UNLOGGED TABLE st_v7 AS
  SELECT (lpad(to_hex((1764800000000 + g)::bigint), 12, '0') || '7' || substr(md5(g::text), 1, 3) || '8' || substr(md5(g::text), 4, 15)) AS hexid,
         s.id AS subject_hex, g
  FROM generate_series(1, 1000000) g
  JOIN (SELECT n, lpad(to_hex((1764700000000 + n)::bigint), 12, '0') || '7' || substr(md5('s'||n), 1, 3) || '8' || substr(md5('s'||n), 4, 15) AS id
        FROM generate_series(0, 19999) n) s ON s.n = g % 20000;
CREATE TABLE ev_text (
    id TEXT NOT NULL, subject_id TEXT NOT NULL, scheme_id TEXT NOT NULL, rule_version_id TEXT NOT NULL,
    rule_code TEXT NOT NULL, points BIGINT NOT NULL, occurred_at BIGINT NOT NULL, recorded_at BIGINT NOT NULL,
    authority_id TEXT NOT NULL, recorded_by TEXT NOT NULL, source TEXT NOT NULL, evidence_ref TEXT NOT NULL,
    external_ref TEXT NOT NULL, kind TEXT NOT NULL, target_event_id TEXT, reason TEXT, decision_ref TEXT,
    PRIMARY KEY (subject_id, id));
CREATE INDEX ev_text_by_id ON ev_text (id);
CREATE INDEX ev_text_by_subject ON ev_text (subject_id, scheme_id, occurred_at);
CREATE INDEX ev_text_by_rule ON ev_text (rule_version_id);
CREATE TABLE ev_native (
    id UUID NOT NULL, subject_id UUID NOT NULL, scheme_id UUID NOT NULL, rule_version_id UUID NOT NULL,
    rule_code TEXT NOT NULL, points BIGINT NOT NULL, occurred_at TIMESTAMPTZ NOT NULL, recorded_at TIMESTAMPTZ NOT NULL,
    authority_id UUID NOT NULL, recorded_by TEXT NOT NULL, source TEXT NOT NULL, evidence_ref TEXT NOT NULL,
    external_ref TEXT NOT NULL, kind TEXT NOT NULL, target_event_id UUID, reason TEXT, decision_ref TEXT,
    PRIMARY KEY (subject_id, id));
CREATE INDEX ev_native_by_id ON ev_native (id);
CREATE INDEX ev_native_by_subject ON ev_native (subject_id, scheme_id, occurred_at);
CREATE INDEX ev_native_by_rule ON ev_native (rule_version_id);
CHECKPOINT;
INSERT INTO ev_text SELECT hexid::uuid::text, subject_hex::uuid::text, '019ae000-0000-7000-8000-00000000000a', '019ae000-0000-7000-8000-00000000000b',
  'TRAFFIC-01', -2, 1764000000000000 + g * 1000, 1764800000000000, '019ae000-0000-7000-8000-00000000000c', 'officer ' || (g % 97), 'camera', 'EV-1-' || g,
  'BENCH1-' || lpad(g::text, 8, '0'), 'fact', NULL, NULL, NULL FROM st_v7;
CHECKPOINT;
INSERT INTO ev_native SELECT hexid::uuid, subject_hex::uuid, '019ae000-0000-7000-8000-00000000000a', '019ae000-0000-7000-8000-00000000000b',
  'TRAFFIC-01', -2, to_timestamp((1764000000000000 + g * 1000) / 1e6), to_timestamp(1764800000), '019ae000-0000-7000-8000-00000000000c', 'officer ' || (g % 97), 'camera', 'EV-1-' || g,
  'BENCH1-' || lpad(g::text, 8, '0'), 'fact', NULL, NULL, NULL FROM st_v7;
CHECKPOINT;
SELECT t, pg_size_pretty(pg_table_size(t)) AS heap, pg_size_pretty(pg_indexes_size(t)) AS indexes,
       pg_size_pretty(pg_total_relation_size(t)) AS total
FROM unnest(ARRAY['ev_text', 'ev_native']::regclass[]) t;
SELECT i::regclass, pg_size_pretty(pg_relation_size(i)) FROM unnest(ARRAY['ev_text_pkey','ev_text_by_id','ev_text_by_subject','ev_text_by_rule','ev_native_pkey','ev_native_by_id','ev_native_by_subject','ev_native_by_rule']::regclass[]) i;

