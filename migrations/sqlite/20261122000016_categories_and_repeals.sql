-- Every rule names the behaviour it is about, from a fixed list (`domain::Category`), so that
-- catalogues of different schemes can be lined up side by side. Existing rules start as 'other'.
ALTER TABLE rule_versions ADD COLUMN category TEXT NOT NULL DEFAULT 'other';

-- A repealed rule stays listed with when and why it was repealed. Written in the repeal's
-- transaction; rules repealed before this migration get their date from the audit log and an
-- empty reason (shown as "not recorded").
CREATE TABLE rule_repeals (
    scheme_id   TEXT NOT NULL REFERENCES schemes (id),
    rule_code   TEXT NOT NULL,
    repealed_at BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    PRIMARY KEY (scheme_id, rule_code)
);

INSERT INTO rule_repeals (scheme_id, rule_code, repealed_at, reason)
SELECT s.id, v.rule_code, MAX(a.at), ''
FROM rule_versions v
JOIN schemes s ON s.id = v.scheme_id
JOIN audit_log a ON a.action = 'rule.repeal' AND a.target_id = s.code || '/' || v.rule_code
WHERE v.status = 'repealed'
GROUP BY s.id, v.rule_code;

-- Publishing a version now ends the one before it where it begins; versions published before
-- this migration are ended the same way, so no two versions of a rule overlap.
UPDATE rule_versions SET effective_to = (
    SELECT MIN(n.effective_from) FROM rule_versions n
    WHERE n.scheme_id = rule_versions.scheme_id AND n.rule_code = rule_versions.rule_code
      AND n.status <> 'draft' AND n.effective_from > rule_versions.effective_from
)
WHERE status <> 'draft' AND EXISTS (
    SELECT 1 FROM rule_versions n
    WHERE n.scheme_id = rule_versions.scheme_id AND n.rule_code = rule_versions.rule_code
      AND n.status <> 'draft' AND n.effective_from > rule_versions.effective_from
      AND (rule_versions.effective_to IS NULL OR rule_versions.effective_to > n.effective_from)
);
