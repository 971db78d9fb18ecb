-- polydb schema, PostgreSQL dialect (15 or newer, pgvector 0.8 or newer). It reaches the same
-- logical schema as the SQLite folder: the same tables, columns, nullability, keys and indexes
-- (SchemaParityTest compares the two catalogs). Where the types differ, the reason is given.
-- A database that lacks the extension gets it in the first schema of search_path; where tables go
-- to a schema of their own, have it created beforehand (e.g. in public) and keep that on the path.
-- Keys are COLLATE "C": they compare byte by byte, as SQLite's BINARY does, whatever the database's
-- collation, so ties broken by id (search results, keyset paging) come out in the same order.

CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE users (
    id               text COLLATE "C" NOT NULL PRIMARY KEY,
    provider         text        NOT NULL,
    provider_subject text        NOT NULL,
    email            text,
    display_name     text,
    avatar_url       text,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    last_login_at    timestamptz,
    CONSTRAINT users_provider_subject_key UNIQUE (provider, provider_subject)
);

CREATE TABLE refresh_tokens (
    id                text COLLATE "C" NOT NULL PRIMARY KEY,
    user_id           text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id         text        NOT NULL,
    parent_id         text        REFERENCES refresh_tokens (id) ON DELETE SET NULL,
    token_hash        text        NOT NULL,
    fingerprint       text,
    issued_at         timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL,
    family_expires_at timestamptz NOT NULL,
    rotated_at        timestamptz,
    revoked_at        timestamptz,
    grace_seal        text,
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_parent_id_idx ON refresh_tokens (parent_id);
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);

CREATE TABLE subscriptions (
    id                   text COLLATE "C" NOT NULL PRIMARY KEY,
    user_id              text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider             text        NOT NULL,
    external_id          text        NOT NULL,
    plan                 text        NOT NULL,
    status               text        NOT NULL
        CHECK (status IN ('trialing', 'active', 'past_due', 'canceled', 'expired')),
    current_period_end   timestamptz,
    -- SQLite has no boolean: there it is an INTEGER checked to be 0 or 1
    cancel_at_period_end boolean     NOT NULL DEFAULT false,
    last_event_at        timestamptz NOT NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    CONSTRAINT subscriptions_provider_external_id_key UNIQUE (provider, external_id)
);
-- at most one subscription per user that counts as active
CREATE UNIQUE INDEX subscriptions_one_active_per_user_key ON subscriptions (user_id)
    WHERE status IN ('trialing', 'active', 'past_due');
CREATE INDEX subscriptions_user_id_updated_at_idx ON subscriptions (user_id, updated_at);
CREATE INDEX subscriptions_current_period_end_idx ON subscriptions (current_period_end)
    WHERE status <> 'expired';

-- append-only; kept when the user is deleted (user_id is cleared)
CREATE TABLE subscription_events (
    id                text COLLATE "C" NOT NULL PRIMARY KEY,
    user_id           text        REFERENCES users (id) ON DELETE SET NULL,
    provider          text        NOT NULL,
    external_id       text        NOT NULL,
    type              text        NOT NULL,
    provider_event_id text        NOT NULL,
    occurred_at       timestamptz NOT NULL,
    -- json, not jsonb: the payload comes back byte for byte, as the provider sent it
    payload           json        NOT NULL,
    recorded_at       timestamptz NOT NULL,
    CONSTRAINT subscription_events_provider_event_id_key UNIQUE (provider, provider_event_id)
);
CREATE INDEX subscription_events_user_id_idx ON subscription_events (user_id);
CREATE INDEX subscription_events_subscription_idx ON subscription_events (provider, external_id);

CREATE TABLE journal_entries (
    id            text COLLATE "C" NOT NULL PRIMARY KEY,
    user_id       text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    content       text        NOT NULL,
    content_bytes bigint      NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX journal_entries_user_id_created_at_idx ON journal_entries (user_id, created_at, id);

CREATE TABLE revoked_jtis (
    jti        text COLLATE "C" NOT NULL PRIMARY KEY,
    user_id    text        REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz NOT NULL
);
CREATE INDEX revoked_jtis_user_id_idx ON revoked_jtis (user_id);
CREATE INDEX revoked_jtis_expires_at_idx ON revoked_jtis (expires_at);

CREATE TABLE chunks (
    id          text COLLATE "C" NOT NULL PRIMARY KEY,
    user_id     text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    document_id text        NOT NULL,
    chunk_index integer     NOT NULL,
    text        text        NOT NULL,
    -- jsonb: metadata is a flat object of strings, filtered with @> (its key order is not kept)
    metadata    jsonb       NOT NULL,
    -- vector up to 2000 dimensions, halfvec above: HNSW indexes no more than that of vector
    embedding   ${embedding_type}(${vector_dimension}) NOT NULL,
    model       text        NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX chunks_user_id_document_id_idx ON chunks (user_id, document_id);

-- The approximate index (the only one SQLite lacks: it searches exactly, in Java): HNSW by
-- default, IVFFlat or none as configured. Neither takes more than 4000 dimensions of halfvec;
-- above that the search is exact, with no index.
DO $$
BEGIN
    IF ${vector_dimension} > 4000 THEN
        RETURN;
    ELSIF '${vector_index}' = 'hnsw' THEN
        CREATE INDEX chunks_embedding_idx ON chunks USING hnsw (embedding ${embedding_opclass});
    ELSIF '${vector_index}' = 'ivfflat' THEN
        CREATE INDEX chunks_embedding_idx ON chunks USING ivfflat (embedding ${embedding_opclass})
            WITH (lists = ${ivfflat_lists});
    END IF;
END
$$;

-- one row: the store's fixed settings. The epoch is moved by SQLite's triggers, which let a
-- process holding embeddings in memory notice another's writes; Postgres searches in the
-- database, keeps no copy and leaves it at 0.
CREATE TABLE vector_settings (
    id        integer NOT NULL PRIMARY KEY CHECK (id = 1),
    dimension integer NOT NULL,
    metric    text    NOT NULL CHECK (metric IN ('cosine', 'l2', 'inner_product')),
    model     text,
    epoch     bigint  NOT NULL DEFAULT 0
);
INSERT INTO vector_settings (id, dimension, metric, model, epoch)
VALUES (1, ${vector_dimension}, '${vector_metric}', ${embedding_model}, 0);
