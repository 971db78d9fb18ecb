package dev.polydb.jooq;

import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.name;
import static org.jooq.impl.DSL.table;

import java.time.Instant;
import java.util.List;
import org.jooq.DataType;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Table;
import org.jooq.impl.SQLDataType;

/**
 * The schema as jOOQ sees it, hand-written to match the migrations (the schema parity test keeps
 * the two dialects' catalogs equal). Column types that differ per database come from the backend.
 */
final class Tables {
  private static final DataType<String> TEXT = SQLDataType.VARCHAR;
  private static final DataType<Long> BIGINT = SQLDataType.BIGINT;
  private static final DataType<Integer> INT = SQLDataType.INTEGER;

  final Users users;
  final Tokens tokens;
  final Subscriptions subscriptions;
  final Events events;
  final Journal journal;
  final Jtis jtis;
  final Chunks chunks;
  final VectorSettingsTable vectorSettings;
  final Field<String> historyVersion = field(name("schema_migrations", "version"), TEXT);
  final Field<Integer> historyRank = field(name("schema_migrations", "installed_rank"), INT);
  final Field<Boolean> historySuccess =
      field(name("schema_migrations", "success"), SQLDataType.BOOLEAN);
  final Table<Record> history = table(name("schema_migrations"));

  Tables(SqlBackend backend, int dimension) {
    DataType<Instant> ts = backend.timestampType();
    DataType<String> json = backend.jsonType();
    users = new Users(ts);
    tokens = new Tokens(ts);
    subscriptions = new Subscriptions(ts);
    events = new Events(ts, json);
    journal = new Journal(ts);
    jtis = new Jtis(ts);
    chunks = new Chunks(ts, json, backend.vectorIndex().embeddingType(dimension));
    vectorSettings = new VectorSettingsTable();
  }

  private static <T> Field<T> col(String table, String column, DataType<T> type) {
    return field(name(table, column), type);
  }

  static final class Users {
    final List<Field<?>> all;
    final Table<Record> table = table(name("users"));
    final Field<String> id = col("users", "id", TEXT);
    final Field<String> provider = col("users", "provider", TEXT);
    final Field<String> subject = col("users", "provider_subject", TEXT);
    final Field<String> email = col("users", "email", TEXT);
    final Field<String> displayName = col("users", "display_name", TEXT);
    final Field<String> avatarUrl = col("users", "avatar_url", TEXT);
    final Field<Instant> createdAt;
    final Field<Instant> updatedAt;
    final Field<Instant> lastLoginAt;

    Users(DataType<Instant> ts) {
      createdAt = col("users", "created_at", ts);
      updatedAt = col("users", "updated_at", ts);
      lastLoginAt = col("users", "last_login_at", ts);
      all =
          List.of(
              id,
              provider,
              subject,
              email,
              displayName,
              avatarUrl,
              createdAt,
              updatedAt,
              lastLoginAt);
    }
  }

  static final class Tokens {
    final List<Field<?>> all;
    final Table<Record> table = table(name("refresh_tokens"));
    final Field<String> id = col("refresh_tokens", "id", TEXT);
    final Field<String> userId = col("refresh_tokens", "user_id", TEXT);
    final Field<String> familyId = col("refresh_tokens", "family_id", TEXT);
    final Field<String> parentId = col("refresh_tokens", "parent_id", TEXT);
    final Field<String> hash = col("refresh_tokens", "token_hash", TEXT);
    final Field<String> fingerprint = col("refresh_tokens", "fingerprint", TEXT);
    final Field<String> graceSeal = col("refresh_tokens", "grace_seal", TEXT);
    final Field<Instant> issuedAt;
    final Field<Instant> expiresAt;
    final Field<Instant> familyExpiresAt;
    final Field<Instant> rotatedAt;
    final Field<Instant> revokedAt;

    Tokens(DataType<Instant> ts) {
      issuedAt = col("refresh_tokens", "issued_at", ts);
      expiresAt = col("refresh_tokens", "expires_at", ts);
      familyExpiresAt = col("refresh_tokens", "family_expires_at", ts);
      rotatedAt = col("refresh_tokens", "rotated_at", ts);
      revokedAt = col("refresh_tokens", "revoked_at", ts);
      all =
          List.of(
              id,
              userId,
              familyId,
              parentId,
              hash,
              fingerprint,
              graceSeal,
              issuedAt,
              expiresAt,
              familyExpiresAt,
              rotatedAt,
              revokedAt);
    }
  }

  static final class Subscriptions {
    final List<Field<?>> all;
    final Table<Record> table = table(name("subscriptions"));
    final Field<String> id = col("subscriptions", "id", TEXT);
    final Field<String> userId = col("subscriptions", "user_id", TEXT);
    final Field<String> provider = col("subscriptions", "provider", TEXT);
    final Field<String> externalId = col("subscriptions", "external_id", TEXT);
    final Field<String> plan = col("subscriptions", "plan", TEXT);
    final Field<String> status = col("subscriptions", "status", TEXT);
    final Field<Boolean> cancelAtPeriodEnd =
        col("subscriptions", "cancel_at_period_end", SQLDataType.BOOLEAN);
    final Field<Instant> currentPeriodEnd;
    final Field<Instant> lastEventAt;
    final Field<Instant> createdAt;
    final Field<Instant> updatedAt;

    Subscriptions(DataType<Instant> ts) {
      currentPeriodEnd = col("subscriptions", "current_period_end", ts);
      lastEventAt = col("subscriptions", "last_event_at", ts);
      createdAt = col("subscriptions", "created_at", ts);
      updatedAt = col("subscriptions", "updated_at", ts);
      all =
          List.of(
              id,
              userId,
              provider,
              externalId,
              plan,
              status,
              cancelAtPeriodEnd,
              currentPeriodEnd,
              lastEventAt,
              createdAt,
              updatedAt);
    }
  }

  static final class Events {
    final List<Field<?>> all;
    final Table<Record> table = table(name("subscription_events"));
    final Field<String> id = col("subscription_events", "id", TEXT);
    final Field<String> userId = col("subscription_events", "user_id", TEXT);
    final Field<String> provider = col("subscription_events", "provider", TEXT);
    final Field<String> externalId = col("subscription_events", "external_id", TEXT);
    final Field<String> type = col("subscription_events", "type", TEXT);
    final Field<String> providerEventId = col("subscription_events", "provider_event_id", TEXT);
    final Field<Instant> occurredAt;
    final Field<String> payload;
    final Field<Instant> recordedAt;

    Events(DataType<Instant> ts, DataType<String> json) {
      occurredAt = col("subscription_events", "occurred_at", ts);
      payload = col("subscription_events", "payload", json);
      recordedAt = col("subscription_events", "recorded_at", ts);
      all =
          List.of(
              id,
              userId,
              provider,
              externalId,
              type,
              providerEventId,
              occurredAt,
              payload,
              recordedAt);
    }
  }

  static final class Journal {
    final List<Field<?>> all;
    final Table<Record> table = table(name("journal_entries"));
    final Field<String> id = col("journal_entries", "id", TEXT);
    final Field<String> userId = col("journal_entries", "user_id", TEXT);
    final Field<String> content = col("journal_entries", "content", TEXT);
    final Field<Long> contentBytes = col("journal_entries", "content_bytes", BIGINT);
    final Field<Instant> createdAt;
    final Field<Instant> updatedAt;

    Journal(DataType<Instant> ts) {
      createdAt = col("journal_entries", "created_at", ts);
      updatedAt = col("journal_entries", "updated_at", ts);
      all = List.of(id, userId, content, contentBytes, createdAt, updatedAt);
    }
  }

  static final class Jtis {
    final List<Field<?>> all;
    final Table<Record> table = table(name("revoked_jtis"));
    final Field<String> jti = col("revoked_jtis", "jti", TEXT);
    final Field<String> userId = col("revoked_jtis", "user_id", TEXT);
    final Field<Instant> expiresAt;
    final Field<Instant> revokedAt;

    Jtis(DataType<Instant> ts) {
      expiresAt = col("revoked_jtis", "expires_at", ts);
      revokedAt = col("revoked_jtis", "revoked_at", ts);
      all = List.of(jti, userId, expiresAt, revokedAt);
    }
  }

  static final class Chunks {
    final List<Field<?>> all;
    final Table<Record> table = table(name("chunks"));
    final Field<String> id = col("chunks", "id", TEXT);
    final Field<String> userId = col("chunks", "user_id", TEXT);
    final Field<String> documentId = col("chunks", "document_id", TEXT);
    final Field<Integer> chunkIndex = col("chunks", "chunk_index", INT);
    final Field<String> text = col("chunks", "text", TEXT);
    final Field<String> model = col("chunks", "model", TEXT);
    final Field<String> metadata;
    final Field<float[]> embedding;
    final Field<Instant> createdAt;

    Chunks(DataType<Instant> ts, DataType<String> json, DataType<float[]> vector) {
      metadata = col("chunks", "metadata", json);
      embedding = col("chunks", "embedding", vector);
      createdAt = col("chunks", "created_at", ts);
      all =
          List.of(id, userId, documentId, chunkIndex, text, model, metadata, embedding, createdAt);
    }
  }

  static final class VectorSettingsTable {
    final Table<Record> table = table(name("vector_settings"));
    final Field<Integer> id = col("vector_settings", "id", INT);
    final Field<Integer> dimension = col("vector_settings", "dimension", INT);
    final Field<String> metric = col("vector_settings", "metric", TEXT);
    final Field<String> model = col("vector_settings", "model", TEXT);
    final Field<Long> epoch = col("vector_settings", "epoch", BIGINT);
  }
}
