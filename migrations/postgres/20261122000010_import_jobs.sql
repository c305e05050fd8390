-- An import's job row tells the truth after a failure or a crash: `failed` with the reason, or
-- `interrupted` (the process running it is gone), each with what was committed. A running job
-- names its owner (the server process's instance id) and a heartbeat its process refreshes, so
-- a server marks as interrupted only jobs whose heartbeat is stale, never another live server's.
ALTER TABLE imports DROP CONSTRAINT imports_status_check;
ALTER TABLE imports ADD CONSTRAINT imports_status_check
    CHECK (status IN ('running', 'done', 'refused', 'failed', 'interrupted'));
ALTER TABLE imports ADD COLUMN owner TEXT;
ALTER TABLE imports ADD COLUMN heartbeat_at BIGINT;
ALTER TABLE imports ADD COLUMN reason TEXT;
CREATE INDEX imports_running ON imports (status, heartbeat_at);
CREATE INDEX imports_newest ON imports (authority_id, id);
