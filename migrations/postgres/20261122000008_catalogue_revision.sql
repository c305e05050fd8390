-- A number that changes with every write to the published catalogue (schemes, their bands and
-- components, rule versions, authorities), kept by triggers so that no writer can forget it.
-- Pages cache what they read of the catalogue and check this one row instead of reading it all.
CREATE TABLE catalogue_revision (
    id       BIGINT PRIMARY KEY NOT NULL CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO catalogue_revision (id, revision) VALUES (1, 0);

CREATE FUNCTION bump_catalogue_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalogue_revision SET revision = revision + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER schemes_revision AFTER INSERT OR UPDATE OR DELETE ON schemes
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_revision();
CREATE TRIGGER scheme_bands_revision AFTER INSERT OR UPDATE OR DELETE ON scheme_bands
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_revision();
CREATE TRIGGER scheme_components_revision AFTER INSERT OR UPDATE OR DELETE ON scheme_components
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_revision();
CREATE TRIGGER rule_versions_revision AFTER INSERT OR UPDATE OR DELETE ON rule_versions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_revision();
CREATE TRIGGER authorities_revision AFTER INSERT OR UPDATE OR DELETE ON authorities
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_revision();
