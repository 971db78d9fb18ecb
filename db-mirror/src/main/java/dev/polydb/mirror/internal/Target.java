package dev.polydb.mirror.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.polydb.migrations.TableModel;
import dev.polydb.migrations.TableModel.Column;
import dev.polydb.migrations.TableModel.Table;
import dev.polydb.mirror.internal.ChangeLog.Change;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The Postgres side of a mirror: applies logged changes, each an upsert of the row's image or a
 * delete by key, and keeps the position (the last log entry applied) in the same transaction, so
 * that a change is applied exactly once whatever fails in between.
 */
public final class Target {
  /** The table that holds each source file's position, in the mirror's own schema. */
  public static final String POSITION = "polydb_mirror_position";

  private static final JsonFactory JSON = new JsonFactory();

  private final Connection c;
  private final Map<String, PreparedStatement> upserts = new HashMap<>();
  private final Map<String, PreparedStatement> deletes = new HashMap<>();

  Target(Connection c) {
    this.c = c;
  }

  /** Creates the position table when missing. */
  void prepare() throws SQLException {
    c.setAutoCommit(true);
    try (Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE IF NOT EXISTS "
              + POSITION
              + " (source text PRIMARY KEY, seq bigint NOT NULL, updated_at timestamptz NOT NULL)");
    }
    c.setAutoCommit(false);
  }

  /**
   * The positions held, by source file.
   *
   * @return source id to last applied entry
   */
  Map<String, Long> positions() throws SQLException {
    Map<String, Long> positions = new HashMap<>();
    try (Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT source, seq FROM " + POSITION)) {
      while (r.next()) {
        positions.put(r.getString(1), r.getLong(2));
      }
    }
    c.commit();
    return positions;
  }

  /**
   * Whether every data table is empty.
   *
   * @return {@code true} when no table holds a row
   */
  boolean empty() throws SQLException {
    try (Statement s = c.createStatement()) {
      for (Table table : TableModel.TABLES) {
        try (ResultSet r = s.executeQuery("SELECT EXISTS (SELECT 1 FROM " + table.name() + ")")) {
          r.next();
          if (r.getBoolean(1)) {
            c.commit();
            return false;
          }
        }
      }
    }
    c.commit();
    return true;
  }

  /**
   * Locks this source's position row for the transaction now open and reads it.
   *
   * @param source the source id
   * @return the position, empty when the row is missing
   */
  Optional<Long> lockPosition(String source) throws SQLException {
    try (PreparedStatement p =
        c.prepareStatement("SELECT seq FROM " + POSITION + " WHERE source = ? FOR UPDATE")) {
      p.setString(1, source);
      try (ResultSet r = p.executeQuery()) {
        return r.next() ? Optional.of(r.getLong(1)) : Optional.empty();
      }
    }
  }

  /** Sets this source's position in the transaction now open. */
  void setPosition(String source, long seq) throws SQLException {
    try (PreparedStatement p =
        c.prepareStatement(
            "INSERT INTO "
                + POSITION
                + " (source, seq, updated_at) VALUES (?, ?, now())"
                + " ON CONFLICT (source) DO UPDATE SET seq = EXCLUDED.seq,"
                + " updated_at = EXCLUDED.updated_at")) {
      p.setString(1, source);
      p.setLong(2, seq);
      p.executeUpdate();
    }
  }

  /**
   * Applies changes in order, in the transaction now open.
   *
   * @param changes upserts and deletes, no break
   */
  void apply(List<Change> changes) throws SQLException {
    for (Change change : changes) {
      if (change.table().equals(ChangeLog.SETTINGS)) {
        applySettings(change);
        continue;
      }
      Table table = TableModel.table(change.table());
      if (change.op() == Change.DELETE) {
        PreparedStatement delete =
            deletes.computeIfAbsent(table.name(), n -> prepare(deleteSql(table)));
        delete.setString(1, change.key());
        delete.executeUpdate();
      } else {
        PreparedStatement upsert =
            upserts.computeIfAbsent(table.name(), n -> prepare(upsertSql(table)));
        bind(upsert, table, change.image());
        upsert.executeUpdate();
      }
    }
  }

  private void applySettings(Change change) throws SQLException {
    try (PreparedStatement p =
            c.prepareStatement("UPDATE " + ChangeLog.SETTINGS + " SET model = ? WHERE id = 1");
        JsonParser parser = JSON.createParser(change.image())) {
      parser.nextToken();
      JsonToken model = parser.nextToken();
      p.setString(1, model == JsonToken.VALUE_NULL ? null : parser.getText());
      p.executeUpdate();
    } catch (IOException e) {
      throw new SQLException("a mirror log image of " + ChangeLog.SETTINGS + " is not JSON", e);
    }
  }

  /**
   * Adds a row image to a batch of upserts, for a snapshot.
   *
   * @param table the table
   * @param image the row's image
   */
  void addToBatch(Table table, String image) throws SQLException {
    PreparedStatement upsert =
        upserts.computeIfAbsent(table.name(), n -> prepare(upsertSql(table)));
    bind(upsert, table, image);
    upsert.addBatch();
  }

  /** Sends a table's waiting batch. */
  void flush(Table table) throws SQLException {
    PreparedStatement upsert = upserts.get(table.name());
    if (upsert != null) {
      upsert.executeBatch();
    }
  }

  void commit() throws SQLException {
    c.commit();
  }

  void rollbackQuietly() {
    try {
      c.rollback();
    } catch (SQLException | RuntimeException e) {
      // the connection is dropped after a failure anyway
    }
  }

  void closeQuietly() {
    try {
      c.close();
    } catch (SQLException | RuntimeException e) {
      // closing a broken connection may fail; nothing is left to undo
    }
  }

  private PreparedStatement prepare(String sql) {
    try {
      return c.prepareStatement(sql);
    } catch (SQLException e) {
      throw new Wrapped(e);
    }
  }

  static String upsertSql(Table table) {
    String columns = table.columnList();
    String values = table.columns().stream().map(col -> "?").collect(Collectors.joining(", "));
    String updates =
        table.columns().stream()
            .skip(1)
            .map(col -> col.name() + " = EXCLUDED." + col.name())
            .collect(Collectors.joining(", "));
    return "INSERT INTO "
        + table.name()
        + " ("
        + columns
        + ") VALUES ("
        + values
        + ") ON CONFLICT ("
        + table.key()
        + ") DO UPDATE SET "
        + updates;
  }

  static String deleteSql(Table table) {
    return "DELETE FROM " + table.name() + " WHERE " + table.key() + " = ?";
  }

  /** Binds a row image's values, converted to what each Postgres column holds. */
  static void bind(PreparedStatement p, Table table, String image) throws SQLException {
    List<Column> columns = table.columns();
    try (JsonParser parser = JSON.createParser(image)) {
      if (parser.nextToken() != JsonToken.START_ARRAY) {
        throw new SQLException("a mirror log image of " + table.name() + " is not an array");
      }
      for (int i = 0; i < columns.size(); i++) {
        JsonToken token = parser.nextToken();
        int index = i + 1;
        if (token == JsonToken.VALUE_NULL) {
          p.setNull(index, Types.OTHER);
          continue;
        }
        switch (columns.get(i).kind()) {
          case TEXT -> p.setString(index, parser.getText());
          case TIMESTAMP ->
              p.setObject(
                  index,
                  OffsetDateTime.ofInstant(
                      Instant.ofEpochMilli(parser.getLongValue()), ZoneOffset.UTC));
          case INT4 -> p.setInt(index, parser.getIntValue());
          case INT8 -> p.setLong(index, parser.getLongValue());
          case BOOLEAN -> p.setBoolean(index, parser.getLongValue() != 0);
          case JSON, JSONB -> p.setObject(index, parser.getText(), Types.OTHER);
          case EMBEDDING -> p.setObject(index, vectorText(parser.getText()), Types.OTHER);
        }
      }
      if (parser.nextToken() != JsonToken.END_ARRAY) {
        throw new SQLException(
            "a mirror log image of " + table.name() + " does not match the table's columns");
      }
    } catch (IOException e) {
      throw new SQLException("a mirror log image of " + table.name() + " is not JSON", e);
    }
  }

  /** pgvector's text form of a little-endian float32 BLOB given in hex. */
  static String vectorText(String hex) {
    ByteBuffer bytes = ByteBuffer.wrap(HexFormat.of().parseHex(hex)).order(ByteOrder.LITTLE_ENDIAN);
    StringBuilder text = new StringBuilder(hex.length() * 2).append('[');
    for (int i = 0; bytes.remaining() >= 4; i++) {
      if (i > 0) {
        text.append(',');
      }
      text.append(bytes.getFloat());
    }
    return text.append(']').toString();
  }

  /** Carries a SQLException out of a lambda. */
  static final class Wrapped extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Wrapped(SQLException cause) {
      super(cause);
    }

    @Override
    public synchronized SQLException getCause() {
      return (SQLException) super.getCause();
    }
  }
}
