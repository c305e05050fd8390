-- A record's subject, scheme, rule version and authority are checked by every writer, not by a
-- foreign-key trigger per row: a bulk import spent half of each row's insert in those triggers
-- (measured in README "Speed"). Each writer already holds what the keys would check:
-- - the subject and scheme: every write of a record first locks the subject's
--   `scheme_memberships` row (`last_write_at`), which keeps its own keys to both, and subjects
--   and schemes are never deleted;
-- - the rule version: read with the scheme's published catalogue in the same transaction
--   (`FOR SHARE` on a single write, the import's share lock on the scheme's versions), and rule
--   versions are never deleted, only ended or repealed;
-- - the authority: taken from the signed-in account, the API token or the import job, whose
--   rows keep theirs; a repeal's voids copy the record they void.
-- The same holds for a reference claim's authority. Records still refer to each other by
-- (subject_id, id), and notices to their records, under keys.
ALTER TABLE events DROP CONSTRAINT events_subject_id_fkey;
ALTER TABLE events DROP CONSTRAINT events_scheme_id_fkey;
ALTER TABLE events DROP CONSTRAINT events_rule_version_id_fkey;
ALTER TABLE events DROP CONSTRAINT events_authority_id_fkey;
ALTER TABLE event_references DROP CONSTRAINT event_references_authority_id_fkey;
