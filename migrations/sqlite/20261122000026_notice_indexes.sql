-- A subject's notices are read only by subject: the inbox (all of them, newest first, sorted
-- as read), the unread count on every signed-in page, and marking them read.
-- `notices_unread` (subject_id, read_at) finds the rows of all three, so `notices_by_subject`
-- served no query, and each notice, one for every record an import writes, paid an entry in it
-- (README "Speed").
DROP INDEX notices_by_subject;
