package dev.polydb.migrations;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The library's data tables as the tools that move rows between engines see them (the {@code
 * db-cli} copy, verify and export, and the {@code db-mirror} replay): parents before children, each
 * column with the way each engine stores it. A test in {@code db-cli} holds this list to both
 * dialects' catalogs, so a migration that adds a column fails until it is here. {@code
 * vector_settings} is not copied (the target is migrated with the source's values) and {@code
 * schema_migrations} is Flyway's own; {@code verify} compares both.
 */
public final class TableModel {

  /** How a column's value is stored on each engine. */
  public enum Kind {
    /** text on both. */
    TEXT,
    /** epoch milliseconds (SQLite INTEGER), timestamptz (Postgres). */
    TIMESTAMP,
    /** INTEGER on SQLite, integer (4 bytes) on Postgres. */
    INT4,
    /** INTEGER on SQLite, bigint on Postgres. */
    INT8,
    /** 0 or 1 (SQLite INTEGER), boolean (Postgres). */
    BOOLEAN,
    /** text kept byte for byte: TEXT (SQLite), json (Postgres). */
    JSON,
    /** a JSON object whose key order and spacing are not kept: TEXT (SQLite), jsonb (Postgres). */
    JSONB,
    /** float32 little-endian BLOB (SQLite), vector or halfvec (Postgres). */
    EMBEDDING
  }

  /**
   * A column.
   *
   * @param name its name
   * @param kind how it is stored
   * @param nullable whether it may be NULL
   */
  public record Column(String name, Kind kind, boolean nullable) {}

  /**
   * A table.
   *
   * @param name its name
   * @param key its primary key column, a text column that orders the copy and the comparison
   * @param columns its columns, the key first
   */
  public record Table(String name, String key, List<Column> columns) {
    /**
     * The column list for SQL.
     *
     * @return e.g. {@code id, user_id, content}
     */
    public String columnList() {
      return columns.stream().map(Column::name).collect(Collectors.joining(", "));
    }
  }

  /** The tables in foreign-key order: each refers to users only, refresh tokens to themselves. */
  public static final List<Table> TABLES =
      List.of(
          table(
              "users",
              text("id"),
              text("provider"),
              text("provider_subject"),
              nullable("email", Kind.TEXT),
              nullable("display_name", Kind.TEXT),
              nullable("avatar_url", Kind.TEXT),
              column("created_at", Kind.TIMESTAMP),
              column("updated_at", Kind.TIMESTAMP),
              nullable("last_login_at", Kind.TIMESTAMP)),
          table(
              "chunks",
              text("id"),
              text("user_id"),
              text("document_id"),
              column("chunk_index", Kind.INT4),
              text("text"),
              column("metadata", Kind.JSONB),
              column("embedding", Kind.EMBEDDING),
              text("model"),
              column("created_at", Kind.TIMESTAMP)),
          table(
              "refresh_tokens",
              text("id"),
              text("user_id"),
              text("family_id"),
              nullable("parent_id", Kind.TEXT),
              text("token_hash"),
              nullable("fingerprint", Kind.TEXT),
              column("issued_at", Kind.TIMESTAMP),
              column("expires_at", Kind.TIMESTAMP),
              column("family_expires_at", Kind.TIMESTAMP),
              nullable("rotated_at", Kind.TIMESTAMP),
              nullable("revoked_at", Kind.TIMESTAMP),
              nullable("grace_seal", Kind.TEXT)),
          table(
              "subscriptions",
              text("id"),
              text("user_id"),
              text("provider"),
              text("external_id"),
              text("plan"),
              text("status"),
              nullable("current_period_end", Kind.TIMESTAMP),
              column("cancel_at_period_end", Kind.BOOLEAN),
              column("last_event_at", Kind.TIMESTAMP),
              column("created_at", Kind.TIMESTAMP),
              column("updated_at", Kind.TIMESTAMP)),
          table(
              "subscription_events",
              text("id"),
              nullable("user_id", Kind.TEXT),
              text("provider"),
              text("external_id"),
              text("type"),
              text("provider_event_id"),
              column("occurred_at", Kind.TIMESTAMP),
              column("payload", Kind.JSON),
              column("recorded_at", Kind.TIMESTAMP)),
          table(
              "journal_entries",
              text("id"),
              text("user_id"),
              text("content"),
              column("content_bytes", Kind.INT8),
              column("created_at", Kind.TIMESTAMP),
              column("updated_at", Kind.TIMESTAMP)),
          table(
              "revoked_jtis",
              text("jti"),
              nullable("user_id", Kind.TEXT),
              column("expires_at", Kind.TIMESTAMP),
              column("revoked_at", Kind.TIMESTAMP)));

  private TableModel() {}

  /**
   * The table of that name.
   *
   * @param name a table name
   * @return the table
   * @throws IllegalArgumentException when the tool does not know it
   */
  public static Table table(String name) {
    return TABLES.stream()
        .filter(t -> t.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no such table: " + name));
  }

  private static Table table(String name, Column... columns) {
    return new Table(name, columns[0].name(), List.of(columns));
  }

  private static Column text(String name) {
    return new Column(name, Kind.TEXT, false);
  }

  private static Column column(String name, Kind kind) {
    return new Column(name, kind, false);
  }

  private static Column nullable(String name, Kind kind) {
    return new Column(name, kind, true);
  }
}
