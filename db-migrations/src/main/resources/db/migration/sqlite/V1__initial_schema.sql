-- polydb schema, SQLite dialect. Timestamps are epoch milliseconds (INTEGER); the Postgres folder
-- reaches the same logical schema with timestamptz. STRICT tables reject values of the wrong type,
-- as Postgres would.

CREATE TABLE users (
    id               TEXT    NOT NULL PRIMARY KEY,
    provider         TEXT    NOT NULL,
    provider_subject TEXT    NOT NULL,
    email            TEXT,
    display_name     TEXT,
    avatar_url       TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    last_login_at    INTEGER,
    CONSTRAINT users_provider_subject_key UNIQUE (provider, provider_subject)
) STRICT;

CREATE TABLE refresh_tokens (
    id                TEXT    NOT NULL PRIMARY KEY,
    user_id           TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id         TEXT    NOT NULL,
    parent_id         TEXT    REFERENCES refresh_tokens (id) ON DELETE SET NULL,
    token_hash        TEXT    NOT NULL,
    fingerprint       TEXT,
    issued_at         INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    family_expires_at INTEGER NOT NULL,
    rotated_at        INTEGER,
    revoked_at        INTEGER,
    -- the token sealed with its parent's secret, kept only while a reuse grace window is configured,
    -- so that the parent presented again within the window can be answered with the same child
    grace_seal        TEXT,
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash)
) STRICT;
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_parent_id_idx ON refresh_tokens (parent_id);
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);

CREATE TABLE subscriptions (
    id                   TEXT    NOT NULL PRIMARY KEY,
    user_id              TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider             TEXT    NOT NULL,
    external_id          TEXT    NOT NULL,
    plan                 TEXT    NOT NULL,
    status               TEXT    NOT NULL
        CHECK (status IN ('trialing', 'active', 'past_due', 'canceled', 'expired')),
    current_period_end   INTEGER,
    cancel_at_period_end INTEGER NOT NULL DEFAULT 0 CHECK (cancel_at_period_end IN (0, 1)),
    last_event_at        INTEGER NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    CONSTRAINT subscriptions_provider_external_id_key UNIQUE (provider, external_id)
) STRICT;
-- at most one subscription per user that counts as active
CREATE UNIQUE INDEX subscriptions_one_active_per_user_key ON subscriptions (user_id)
    WHERE status IN ('trialing', 'active', 'past_due');
CREATE INDEX subscriptions_user_id_updated_at_idx ON subscriptions (user_id, updated_at);
CREATE INDEX subscriptions_current_period_end_idx ON subscriptions (current_period_end)
    WHERE status <> 'expired';

-- append-only; kept when the user is deleted (user_id is cleared)
CREATE TABLE subscription_events (
    id                TEXT    NOT NULL PRIMARY KEY,
    user_id           TEXT    REFERENCES users (id) ON DELETE SET NULL,
    provider          TEXT    NOT NULL,
    external_id       TEXT    NOT NULL,
    type              TEXT    NOT NULL,
    provider_event_id TEXT    NOT NULL,
    occurred_at       INTEGER NOT NULL,
    payload           TEXT    NOT NULL,
    recorded_at       INTEGER NOT NULL,
    CONSTRAINT subscription_events_provider_event_id_key UNIQUE (provider, provider_event_id)
) STRICT;
CREATE INDEX subscription_events_user_id_idx ON subscription_events (user_id);
CREATE INDEX subscription_events_subscription_idx ON subscription_events (provider, external_id);

CREATE TABLE journal_entries (
    id            TEXT    NOT NULL PRIMARY KEY,
    user_id       TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    content       TEXT    NOT NULL,
    content_bytes INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX journal_entries_user_id_created_at_idx ON journal_entries (user_id, created_at, id);

CREATE TABLE revoked_jtis (
    jti        TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    REFERENCES users (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER NOT NULL
) STRICT;
CREATE INDEX revoked_jtis_user_id_idx ON revoked_jtis (user_id);
CREATE INDEX revoked_jtis_expires_at_idx ON revoked_jtis (expires_at);

CREATE TABLE chunks (
    id          TEXT    NOT NULL PRIMARY KEY,
    user_id     TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    document_id TEXT    NOT NULL,
    chunk_index INTEGER NOT NULL,
    text        TEXT    NOT NULL,
    metadata    TEXT    NOT NULL,
    -- float32 little-endian
    embedding   BLOB    NOT NULL,
    model       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX chunks_user_id_document_id_idx ON chunks (user_id, document_id);

-- one row: the store's fixed settings, and an epoch every chunk write moves so that a process
-- holding an in-memory copy of the embeddings can tell that another connection changed them
CREATE TABLE vector_settings (
    id        INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    dimension INTEGER NOT NULL,
    metric    TEXT    NOT NULL CHECK (metric IN ('cosine', 'l2', 'inner_product')),
    model     TEXT,
    epoch     INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO vector_settings (id, dimension, metric, model, epoch)
VALUES (1, ${vector_dimension}, '${vector_metric}', ${embedding_model}, 0);

CREATE TRIGGER chunks_epoch_after_insert AFTER INSERT ON chunks
BEGIN
    UPDATE vector_settings SET epoch = epoch + 1 WHERE id = 1;
END;
CREATE TRIGGER chunks_epoch_after_update AFTER UPDATE ON chunks
BEGIN
    UPDATE vector_settings SET epoch = epoch + 1 WHERE id = 1;
END;
CREATE TRIGGER chunks_epoch_after_delete AFTER DELETE ON chunks
BEGIN
    UPDATE vector_settings SET epoch = epoch + 1 WHERE id = 1;
END;
