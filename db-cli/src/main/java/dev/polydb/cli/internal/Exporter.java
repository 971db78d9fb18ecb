package dev.polydb.cli.internal;

import dev.polydb.migrations.TableModel;
import dev.polydb.migrations.TableModel.Column;
import dev.polydb.migrations.TableModel.Table;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes part of a database as one SQL file that PostgreSQL imports idempotently: the two settings
 * that fix how psql and the server read it, one transaction, and {@code INSERT … ON CONFLICT DO
 * NOTHING} of constants only. Rows are streamed from the source, so the heap does not grow with the
 * export. {@link ExportValidator} accepts exactly this shape.
 */
public final class Exporter {
  /** The tables an export holds, parents first; never refresh tokens nor revoked JWT ids. */
  public static final List<String> TABLES =
      List.of("users", "subscriptions", "subscription_events", "journal_entries", "chunks");

  /** The settings an export opens with, each on its own line, before any other text. */
  public static final List<String> SETTINGS =
      List.of("SET client_encoding = 'UTF8';", "SET standard_conforming_strings = on;");

  private static final int ROWS_PER_INSERT = 100;
  private static final int CHARS_PER_INSERT = 1 << 20;
  private static final int FETCH_SIZE = 500;

  /**
   * What to export.
   *
   * @param userId a user whose data is exported, or {@code null}
   * @param documents document ids whose chunks (and their owners) are exported, when no user
   */
  public record Selection(String userId, List<String> documents) {
    /**
     * Copies the document list.
     *
     * @param userId a user whose data is exported, or {@code null}
     * @param documents document ids whose chunks are exported, when no user
     */
    public Selection {
      documents = documents == null ? List.of() : List.copyOf(documents);
    }

    private boolean byUser() {
      return userId != null;
    }

    private String placeholders() {
      return String.join(", ", Collections.nCopies(documents.size(), "?"));
    }

    /** The condition that picks a table's rows, or {@code null} for a table it leaves out. */
    private String where(String table) {
      if (byUser()) {
        return table.equals("users") ? "id = ?" : "user_id = ?";
      }
      return switch (table) {
        case "users" ->
            "id IN (SELECT user_id FROM chunks WHERE document_id IN (" + placeholders() + "))";
        case "chunks" -> "document_id IN (" + placeholders() + ")";
        default -> null;
      };
    }

    private void bind(PreparedStatement statement) throws SQLException {
      if (byUser()) {
        statement.setString(1, userId);
        return;
      }
      for (int i = 0; i < documents.size(); i++) {
        statement.setString(i + 1, documents.get(i));
      }
    }
  }

  private Exporter() {}

  /**
   * Exports into a file, written beside it first and moved into place once complete, so a failed
   * export leaves no partial file behind.
   *
   * @param source the database to read, SQLite or PostgreSQL
   * @param selection what to export
   * @param file the file to write (replaced)
   * @param progress where the rows written are reported
   * @return the rows written, by table
   * @throws ToolException when nothing matches, a value cannot be exported, or the work fails
   */
  public static Map<String, Long> export(
      Endpoint source, Selection selection, Path file, Progress progress) {
    Path absolute = file.toAbsolutePath();
    Path partial = absolute.resolveSibling(absolute.getFileName() + ".partial");
    Map<String, Long> counts;
    try (Connection connection = source.connect();
        Writer out = new BufferedWriter(Files.newBufferedWriter(partial, StandardCharsets.UTF_8))) {
      counts = write(connection, source.engine(), selection, out, progress);
    } catch (IOException e) {
      deleteQuietly(partial);
      throw ToolException.failed(
          "cannot write " + absolute + " (" + e.getClass().getSimpleName() + ")");
    } catch (SQLException e) {
      deleteQuietly(partial);
      throw ToolException.failed("export from " + source.redacted() + " failed", e);
    } catch (RuntimeException e) {
      deleteQuietly(partial);
      throw e;
    }
    try {
      Files.move(
          partial, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      try {
        Files.move(partial, absolute, StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException again) {
        throw ToolException.failed("cannot move the export into " + absolute);
      }
    } catch (IOException e) {
      throw ToolException.failed("cannot move the export into " + absolute);
    }
    return counts;
  }

  private static Map<String, Long> write(
      Connection connection,
      Endpoint.Engine engine,
      Selection selection,
      Writer out,
      Progress progress)
      throws SQLException, IOException {
    // one snapshot for every table
    connection.setAutoCommit(false);
    if (engine == Endpoint.Engine.POSTGRES) {
      connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      connection.setReadOnly(true);
    }
    try {
      out.write("-- polydb export: import it as the import role with\n");
      out.write("--   psql -X -v ON_ERROR_STOP=1 --single-transaction -f FILE\n");
      out.write("-- after polydb validate-export FILE. Importing it again changes nothing.\n");
      for (String setting : SETTINGS) {
        out.write(setting + "\n");
      }
      out.write("BEGIN;\n");
      Map<String, Long> counts = new LinkedHashMap<>();
      for (String name : TABLES) {
        String where = selection.where(name);
        if (where != null) {
          counts.put(
              name,
              table(connection, engine, TableModel.table(name), where, selection, out, progress));
        }
      }
      if (counts.getOrDefault("users", 0L) == 0) {
        throw ToolException.failed(
            selection.byUser()
                ? "--user: no such user; nothing exported"
                : "--documents: no chunk of these documents; nothing exported");
      }
      out.write("COMMIT;\n");
      return counts;
    } finally {
      connection.rollback();
    }
  }

  private static long table(
      Connection connection,
      Endpoint.Engine engine,
      Table table,
      String where,
      Selection selection,
      Writer out,
      Progress progress)
      throws SQLException, IOException {
    String sql =
        "SELECT "
            + Rows.selectList(table, engine)
            + " FROM "
            + table.name()
            + " WHERE "
            + where
            + " ORDER BY "
            + table.key();
    String head = "INSERT INTO " + table.name() + " (" + table.columnList() + ") VALUES\n";
    long rows = 0;
    progress.start(table.name(), -1);
    try (PreparedStatement select = connection.prepareStatement(sql)) {
      select.setFetchSize(FETCH_SIZE);
      selection.bind(select);
      try (ResultSet rs = select.executeQuery()) {
        StringBuilder statement = new StringBuilder();
        int inStatement = 0;
        while (rs.next()) {
          Object[] row = Rows.read(rs, table, engine);
          statement.append(inStatement == 0 ? head : ",\n");
          statement.append('(');
          for (int i = 0; i < row.length; i++) {
            if (i > 0) {
              statement.append(", ");
            }
            literal(statement, table, table.columns().get(i), row[i]);
          }
          statement.append(')');
          inStatement++;
          rows++;
          if (inStatement == ROWS_PER_INSERT || statement.length() >= CHARS_PER_INSERT) {
            flush(statement, out);
            progress.advance(inStatement);
            inStatement = 0;
          }
        }
        if (inStatement > 0) {
          flush(statement, out);
          progress.advance(inStatement);
        }
      }
    } finally {
      progress.finish();
    }
    return rows;
  }

  private static void flush(StringBuilder statement, Writer out) throws IOException {
    statement.append("\nON CONFLICT DO NOTHING;\n");
    out.append(statement);
    statement.setLength(0);
  }

  /** A value as a constant PostgreSQL reads back exactly into the column's type. */
  private static void literal(StringBuilder sql, Table table, Column column, Object value) {
    if (value == null) {
      sql.append("NULL");
      return;
    }
    switch (column.kind()) {
      case TEXT, JSON, JSONB -> quoted(sql, table, column, (String) value);
      case INT4, INT8 -> sql.append((long) (Long) value);
      case BOOLEAN -> sql.append((Long) value != 0 ? "true" : "false");
      case TIMESTAMP -> sql.append('\'').append(Instant.ofEpochMilli((Long) value)).append('\'');
      case EMBEDDING -> {
        float[] floats = (float[]) value;
        sql.append("'[");
        for (int i = 0; i < floats.length; i++) {
          if (i > 0) {
            sql.append(',');
          }
          sql.append(floats[i]);
        }
        sql.append("]'");
      }
    }
  }

  private static void quoted(StringBuilder sql, Table table, Column column, String text) {
    if (text.indexOf('\0') >= 0) {
      throw ToolException.failed(
          table.name()
              + "."
              + column.name()
              + " holds a NUL character, which PostgreSQL text cannot hold; nothing exported");
    }
    sql.append('\'');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\'') {
        sql.append('\'');
      }
      sql.append(c);
    }
    sql.append('\'');
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
