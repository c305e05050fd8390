-- Mandates: an authority's right to record under some rules of a scheme (`rules`: a rule code,
-- a prefix followed by '*', or '*') or to list on one blacklist. Granted by an administrator with
-- a legal basis; revoking sets revoked_at and keeps the row as history.
CREATE TABLE mandates (
    id            TEXT PRIMARY KEY NOT NULL,
    authority_id  TEXT NOT NULL REFERENCES authorities (id),
    scheme_id     TEXT REFERENCES schemes (id),
    rules         TEXT,
    list_id       TEXT REFERENCES blacklist_lists (id),
    legal_basis   TEXT NOT NULL,
    valid_from    BIGINT NOT NULL,
    granted_at    BIGINT NOT NULL,
    granted_by    TEXT NOT NULL,
    revoked_at    BIGINT,
    revoked_by    TEXT,
    revoke_reason TEXT,
    CHECK ((scheme_id IS NOT NULL AND rules IS NOT NULL AND list_id IS NULL)
        OR (scheme_id IS NULL AND rules IS NULL AND list_id IS NOT NULL))
);
CREATE INDEX mandates_by_authority ON mandates (authority_id, granted_at);

-- Every existing authority keeps what it could do before (each scheme's rules, the lists it
-- owns), as before mandates existed; administrators narrow these grants.
INSERT INTO mandates (id, authority_id, scheme_id, rules, list_id, legal_basis, valid_from, granted_at, granted_by)
-- (ids: the authority's first 24 characters and the scheme's last 12, a well-formed UUID)
SELECT substr(a.id, 1, 24) || substr(s.id, 25, 12), a.id, s.id, '*', NULL,
       'Carried over when mandates were introduced', 0, 0, 'migration'
FROM authorities a JOIN schemes s ON 1 = 1
WHERE EXISTS (SELECT 1 FROM events e WHERE e.authority_id = a.id AND e.scheme_id = s.id);
INSERT INTO mandates (id, authority_id, scheme_id, rules, list_id, legal_basis, valid_from, granted_at, granted_by)
SELECT l.id, l.authority_id, NULL, NULL, l.id,
       'Carried over when mandates were introduced', 0, 0, 'migration'
FROM blacklist_lists l;
