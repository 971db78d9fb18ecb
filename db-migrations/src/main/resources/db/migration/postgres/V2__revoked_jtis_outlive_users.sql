-- A deleted user's revoked JWT ids stay until they expire, their user reference cleared, so that
-- the user's unexpired access tokens stay revoked (SPEC §4).
ALTER TABLE revoked_jtis
    DROP CONSTRAINT revoked_jtis_user_id_fkey,
    ADD CONSTRAINT revoked_jtis_user_id_fkey
        FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL;

-- the sealed children whose reuse grace window may have passed, for pruneExpired to clear
CREATE INDEX refresh_tokens_grace_seal_idx ON refresh_tokens (issued_at)
    WHERE grace_seal IS NOT NULL;
