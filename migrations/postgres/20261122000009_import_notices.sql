-- A bulk import tells each subject once that records were added to their file (about the first
-- one), instead of once per record. (SQLite rebuilds the table for the same change.)
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('event_recorded', 'event_corrected',
    'entry_recorded', 'entry_changed', 'appeal_filed', 'appeal_decided', 'appeal_overdue', 'rule_repealed',
    'events_imported'));
