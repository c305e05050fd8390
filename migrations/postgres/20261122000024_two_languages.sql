-- Legal bases and grade names in both languages. A rule version's one legal basis so far is
-- kept as its English text, `legal_basis_zh` is added beside it (NULL for versions published
-- before: a new version must give it to be published); a grade's code stays its English name,
-- `grade_zh` its Chinese name (NULL: the code reads the same in Chinese, as "A+++" does).
ALTER TABLE rule_versions ADD COLUMN legal_basis_zh TEXT;
ALTER TABLE scheme_bands ADD COLUMN grade_zh TEXT;
