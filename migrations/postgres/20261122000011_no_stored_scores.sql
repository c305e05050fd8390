-- Scores are no longer stored: every view derives a subject's standing from the records through
-- one loader, so nothing can drift from a fresh derivation and writes and imports no longer
-- rescore anyone.
DROP TABLE current_scores;
