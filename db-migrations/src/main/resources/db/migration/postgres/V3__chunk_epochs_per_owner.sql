-- Nothing to do on Postgres. SQLite's V3 gives each owner's chunks an epoch, which only its
-- in-memory copies of the embeddings need; Postgres searches in the database. This version exists
-- so that both dialects stay at the same version number, which copy and verify compare.
SELECT 1;
