-- An epoch per owner: a process keeps each owner's embeddings in memory and reloads them when
-- that owner's epoch moves, so a chunk write by any connection or process makes only its owner's
-- copy stale. An owner's epoch is taken from the global one, which only grows, so it never returns
-- to a value a copy was loaded at, even if the user is deleted and its id used again. SQLite only:
-- Postgres searches in the database and keeps no copy.
CREATE TABLE chunk_epochs (
    user_id TEXT    NOT NULL PRIMARY KEY,
    epoch   INTEGER NOT NULL
) STRICT;
INSERT INTO chunk_epochs (user_id, epoch)
SELECT DISTINCT c.user_id, v.epoch FROM chunks c, vector_settings v WHERE v.id = 1;

DROP TRIGGER chunks_epoch_after_insert;
DROP TRIGGER chunks_epoch_after_update;
DROP TRIGGER chunks_epoch_after_delete;
-- UPDATE, then INSERT if missing: an OR REPLACE or ON CONFLICT in a trigger would give way to the
-- conflict policy of the statement that fired it (the store's upsert)
CREATE TRIGGER chunks_epoch_after_insert AFTER INSERT ON chunks
BEGIN
    UPDATE vector_settings SET epoch = epoch + 1 WHERE id = 1;
    UPDATE chunk_epochs SET epoch = (SELECT epoch FROM vector_settings WHERE id = 1)
    WHERE user_id = NEW.user_id;
    INSERT INTO chunk_epochs (user_id, epoch)
    SELECT NEW.user_id, epoch FROM vector_settings
    WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM chunk_epochs WHERE user_id = NEW.user_id);
END;
CREATE TRIGGER chunks_epoch_after_update AFTER UPDATE ON chunks
BEGIN
    UPDATE vector_settings SET epoch = epoch + 1 WHERE id = 1;
    UPDATE chunk_epochs SET epoch = (SELECT epoch FROM vector_settings WHERE id = 1)
    WHERE user_id = OLD.user_id;
    INSERT INTO chunk_epochs (user_id, epoch)
    SELECT OLD.user_id, epoch FROM vector_settings
    WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM chunk_epochs WHERE user_id = OLD.user_id);
    UPDATE chunk_epochs SET epoch = (SELECT epoch FROM vector_settings WHERE id = 1)
    WHERE user_id = NEW.user_id;
    INSERT INTO chunk_epochs (user_id, epoch)
    SELECT NEW.user_id, epoch FROM vector_settings
    WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM chunk_epochs WHERE user_id = NEW.user_id);
END;
CREATE TRIGGER chunks_epoch_after_delete AFTER DELETE ON chunks
BEGIN
    UPDATE vector_settings SET epoch = epoch + 1 WHERE id = 1;
    UPDATE chunk_epochs SET epoch = (SELECT epoch FROM vector_settings WHERE id = 1)
    WHERE user_id = OLD.user_id;
    INSERT INTO chunk_epochs (user_id, epoch)
    SELECT OLD.user_id, epoch FROM vector_settings
    WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM chunk_epochs WHERE user_id = OLD.user_id);
END;
