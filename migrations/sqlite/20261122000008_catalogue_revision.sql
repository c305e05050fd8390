-- A number that changes with every write to the published catalogue (schemes, their bands and
-- components, rule versions, authorities), kept by triggers so that no writer can forget it.
-- Pages cache what they read of the catalogue and check this one row instead of reading it all.
CREATE TABLE catalogue_revision (
    id       BIGINT PRIMARY KEY NOT NULL CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO catalogue_revision (id, revision) VALUES (1, 0);

CREATE TRIGGER schemes_ins AFTER INSERT ON schemes BEGIN UPDATE catalogue_revision SET revision = revision + 1; END;
CREATE TRIGGER schemes_upd AFTER UPDATE ON schemes BEGIN UPDATE catalogue_revision SET revision = revision + 1; END;
CREATE TRIGGER schemes_del AFTER DELETE ON schemes BEGIN UPDATE catalogue_revision SET revision = revision + 1; END;
CREATE TRIGGER scheme_bands_ins AFTER INSERT ON scheme_bands BEGIN UPDATE catalogue_revision SET revision = revision + 1; END;
CREATE TRIGGER scheme_bands_upd AFTER UPDATE ON scheme_bands BEGIN UPDATE catalogue_revision SET revision = revision + 1; END;
CREATE TRIGGER scheme_bands_del AFTER DELETE ON scheme_bands BEGIN UPDATE catalogue_revision SET revision = revision + 1; END;
CREATE TRIGGER scheme_components_ins AFTER INSERT ON scheme_components BEGIN UPDATE catalogue_revision SET revision = revision + 1; END;
CREATE TRIGGER scheme_components_upd AFTER UPDATE ON scheme_components BEGIN UPDATE catalogue_revision SET revision = revision + 1; END;
CREATE TRIGGER scheme_components_del AFTER DELETE ON scheme_components BEGIN UPDATE catalogue_revision SET revision = revision + 1; END;
CREATE TRIGGER rule_versions_ins AFTER INSERT ON rule_versions BEGIN UPDATE catalogue_revision SET revision = revision + 1; END;
CREATE TRIGGER rule_versions_upd AFTER UPDATE ON rule_versions BEGIN UPDATE catalogue_revision SET revision = revision + 1; END;
CREATE TRIGGER rule_versions_del AFTER DELETE ON rule_versions BEGIN UPDATE catalogue_revision SET revision = revision + 1; END;
CREATE TRIGGER authorities_ins AFTER INSERT ON authorities BEGIN UPDATE catalogue_revision SET revision = revision + 1; END;
CREATE TRIGGER authorities_upd AFTER UPDATE ON authorities BEGIN UPDATE catalogue_revision SET revision = revision + 1; END;
CREATE TRIGGER authorities_del AFTER DELETE ON authorities BEGIN UPDATE catalogue_revision SET revision = revision + 1; END;
