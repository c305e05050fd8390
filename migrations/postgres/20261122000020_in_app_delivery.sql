-- Whether the in-app notice of a new entry on a list counts as the delivery of its notice (a
-- list's own rule: most lists deliver a formal notice outside Recourse, so 0 by default and for
-- every existing list). Integer 0/1, as the Any driver reads it on both databases.
ALTER TABLE blacklist_lists ADD COLUMN in_app_delivery BIGINT NOT NULL DEFAULT 0;
