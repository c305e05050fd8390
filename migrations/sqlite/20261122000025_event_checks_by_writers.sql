-- PostgreSQL only (see the PostgreSQL migration of the same name). SQLite's bulk import already
-- leaves these checks to itself, on its own connection (`Importer::tx`, `PRAGMA foreign_keys =
-- OFF`), for the same reasons; this file keeps both databases' migrations under the same names.
SELECT 1;
