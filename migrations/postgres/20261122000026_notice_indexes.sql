-- A notice is written cheaply, as a record is (README "Speed"):
-- 1. A subject's notices are read only by subject: the inbox (all of them, newest first, sorted
--    as read), the unread count on every signed-in page, and marking them read. The key
--    (subject_id, id) finds the inbox's rows and `notices_unread` (subject_id, read_at) the
--    unread ones; `notices_by_id` and `notices_by_subject` served no query.
-- 2. Its subject and record are checked by its writer, not by a foreign-key trigger per row,
--    for the reasons of `20261122000025_event_checks_by_writers`: every notice about a record is
--    written in the transaction that wrote the record (a single write, an import's commit, a
--    repeal's voids), every other notice in the transaction that wrote or locked what it is
--    about, and subjects and records are never deleted. Each trigger locked the row it checked,
--    a WAL record for each subject and record an import notified.
--    A notice about a blacklist entry keeps its key: those are written one at a time.
DROP INDEX notices_by_id;
DROP INDEX notices_by_subject;
ALTER TABLE notices DROP CONSTRAINT notices_subject_id_fkey;
ALTER TABLE notices DROP CONSTRAINT notices_subject_id_event_id_fkey;
