-- The tamper-evident record (DESIGN "Audit log"; src/store/chain.rs). Every audit row written
-- from now on belongs to a chain (`subject:<id>` for what concerns one subject, `catalogue`
-- for the catalogue and administration), carries the digests of the records it covers, the
-- SHA-256 digest of its own content and that of the row before it in its chain. Rows written
-- before this migration keep NULL here: `recourse audit verify` says from when rows are chained.
ALTER TABLE audit_log ADD COLUMN chain TEXT;
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ADD COLUMN records TEXT;
ALTER TABLE audit_log ADD COLUMN content_digest TEXT;
ALTER TABLE audit_log ADD COLUMN prev_digest TEXT;
ALTER TABLE audit_log ADD COLUMN digest TEXT;
CREATE INDEX audit_log_by_chain ON audit_log (chain, seq);

-- The head of each chain: written in the transaction that appends to it (this row is the lock
-- that orders one chain, and only that chain). `tree_seq`/`tree_digest`: the head as the
-- latest tree head saw it.
CREATE TABLE audit_chain_heads (
    chain       TEXT PRIMARY KEY NOT NULL,
    seq         BIGINT NOT NULL,
    digest      TEXT NOT NULL,
    at          BIGINT NOT NULL,
    tree_seq    BIGINT NOT NULL DEFAULT 0,
    tree_digest TEXT NOT NULL DEFAULT ''
);

-- One row: when chaining started (records older than this have no audit row to match), and the
-- counter that orders the servers producing tree heads.
CREATE TABLE audit_chain_state (
    id         BIGINT PRIMARY KEY NOT NULL,
    started_at BIGINT NOT NULL,
    tree_lock  BIGINT NOT NULL DEFAULT 0
);
INSERT INTO audit_chain_state (id, started_at) VALUES (1, (EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT);

-- Signed tree heads: an RFC 6962 Merkle root over every chain's head, signed with the
-- instance's Ed25519 key, kept for ever.
CREATE TABLE audit_tree_heads (
    number     BIGINT PRIMARY KEY NOT NULL,
    at         BIGINT NOT NULL,
    size       BIGINT NOT NULL,
    root       TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature  TEXT NOT NULL
);

-- The chains whose head moved since the tree head before: with them every tree head can be
-- rebuilt from the audit log.
CREATE TABLE audit_tree_leaves (
    tree_number BIGINT NOT NULL,
    chain       TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    PRIMARY KEY (tree_number, chain)
);
