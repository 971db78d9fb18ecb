-- A deleted user's revoked JWT ids stay until they expire, their user reference cleared, so that
-- the user's unexpired access tokens stay revoked (SPEC §4). SQLite cannot alter a foreign key:
-- the table is rebuilt. Nothing references it, so it may be dropped inside the transaction.
CREATE TABLE revoked_jtis_v2 (
    jti        TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    REFERENCES users (id) ON DELETE SET NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER NOT NULL
) STRICT;
INSERT INTO revoked_jtis_v2 (jti, user_id, expires_at, revoked_at)
SELECT jti, user_id, expires_at, revoked_at FROM revoked_jtis;
DROP TABLE revoked_jtis;
ALTER TABLE revoked_jtis_v2 RENAME TO revoked_jtis;
CREATE INDEX revoked_jtis_user_id_idx ON revoked_jtis (user_id);
CREATE INDEX revoked_jtis_expires_at_idx ON revoked_jtis (expires_at);

-- the sealed children whose reuse grace window may have passed, for pruneExpired to clear
CREATE INDEX refresh_tokens_grace_seal_idx ON refresh_tokens (issued_at)
    WHERE grace_seal IS NOT NULL;
