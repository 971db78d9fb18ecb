package dev.polydb.cli.internal;

import dev.polydb.cli.internal.Endpoint.Engine;
import dev.polydb.migrations.TableModel;
import dev.polydb.migrations.TableModel.Table;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Compares two databases of the library's schema, on any engines: for every table the row count and
 * an order-independent content hash over normalised values, a seeded sample of rows compared field
 * by field, and the domain invariants checked on each side. Each side is read in one snapshot.
 * Where the hashes differ, both sides are walked in key order to name the rows and fields. Reports
 * keys and column names, never values.
 */
public final class Verifier {
  /** The most differences reported per table or invariant; the count says how many there were. */
  static final int MAX_REPORTED = 20;

  /**
   * One difference.
   *
   * @param table the table
   * @param key the row's key, or empty when the difference is not one row's
   * @param what what differs, e.g. {@code missing in --to} or {@code fields differ: content}
   */
  public record Difference(String table, String key, String what) {}

  /**
   * What was found for one table.
   *
   * @param table the table
   * @param fromRows rows on the {@code --from} side
   * @param toRows rows on the {@code --to} side
   * @param fromHash the content hash of the {@code --from} side
   * @param toHash the content hash of the {@code --to} side
   * @param differingRows how many rows differ, found by walking both sides in key order
   */
  public record TableResult(
      String table,
      long fromRows,
      long toRows,
      String fromHash,
      String toHash,
      long differingRows) {
    /**
     * Whether the table is the same on both sides.
     *
     * @return {@code true} when counts and hashes are equal and no row differs
     */
    public boolean equal() {
      return fromRows == toRows && fromHash.equals(toHash) && differingRows == 0;
    }
  }

  /**
   * The verdict.
   *
   * @param tables one result per table
   * @param differences the differences named, at most {@value #MAX_REPORTED} per table or check
   * @param sampled how many rows were compared field by field
   */
  public record Result(List<TableResult> tables, List<Difference> differences, int sampled) {
    /**
     * Whether the databases are equal and sound.
     *
     * @return {@code true} when nothing differs and no invariant is broken
     */
    public boolean equal() {
      return differences.isEmpty() && tables.stream().allMatch(TableResult::equal);
    }
  }

  private final Endpoint from;
  private final Endpoint to;
  private final int sample;
  private final long seed;
  private final Progress progress;

  /**
   * Prepares a verification.
   *
   * @param from one database, e.g. the SQLite source
   * @param to the other, e.g. the Postgres copy
   * @param sample how many rows to compare field by field
   * @param seed the sample's seed: the same seed picks the same rows
   * @param progress where to report progress
   */
  public Verifier(Endpoint from, Endpoint to, int sample, long seed, Progress progress) {
    this.from = from;
    this.to = to;
    this.sample = sample;
    this.seed = seed;
    this.progress = progress;
  }

  /**
   * Runs every comparison and check.
   *
   * @return the verdict
   * @throws ToolException when a database cannot be read
   */
  public Result run() {
    try (Connection a = snapshot(from);
        Connection b = snapshot(to)) {
      List<Difference> differences = new ArrayList<>();
      compareSettings(a, b, differences);
      List<TableResult> tables = new ArrayList<>();
      int sampled = 0;
      Random random = new Random(seed);
      for (Table table : TableModel.TABLES) {
        progress.start(table.name(), -1);
        List<String> sampleKeys = new ArrayList<>();
        CompletableFuture<Scan> other =
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return scan(b, to.engine(), table, 0, null);
                  } catch (SQLException e) {
                    throw new CompletionException(e);
                  }
                });
        Scan left;
        try {
          left = scan(a, from.engine(), table, sample, random);
        } catch (SQLException | RuntimeException e) {
          other.handle((scan, failure) -> scan).join(); // b is free again before it is closed
          throw e;
        }
        Scan right = join(other);
        sampleKeys.addAll(left.sample);
        long differing = 0;
        if (left.rows != right.rows || !left.hash().equals(right.hash())) {
          differing = walk(a, b, table, differences);
        }
        sampled += compareSample(a, b, table, sampleKeys, differences);
        tables.add(
            new TableResult(
                table.name(), left.rows, right.rows, left.hash(), right.hash(), differing));
        progress.advance(left.rows);
        progress.finish();
      }
      Invariants.check(a, from.engine(), "--from", differences);
      Invariants.check(b, to.engine(), "--to", differences);
      a.rollback();
      b.rollback();
      return new Result(tables, differences, sampled);
    } catch (SQLException e) {
      throw ToolException.failed("verify failed", e);
    }
  }

  /** A connection reading one consistent snapshot until it is rolled back. */
  private static Connection snapshot(Endpoint endpoint) throws SQLException {
    Connection c = endpoint.connect();
    try {
      if (endpoint.engine() == Engine.POSTGRES) {
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        c.setReadOnly(true);
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
          s.execute("SET LOCAL statement_timeout = 0");
        }
      } else {
        c.setAutoCommit(false);
      }
      return c;
    } catch (SQLException e) {
      c.close();
      throw e;
    }
  }

  private static <T> T join(CompletableFuture<T> future) throws SQLException {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof SQLException s) {
        throw s;
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  private void compareSettings(Connection a, Connection b, List<Difference> differences)
      throws SQLException {
    // equal rows are not enough: a copy that has not finished lacks its keys and indexes
    if (from.engine() == Endpoint.Engine.POSTGRES) {
      Copier.unfinished(a)
          .ifPresent(why -> differences.add(new Difference("polydb_copy", "", "--from: " + why)));
    }
    if (to.engine() == Endpoint.Engine.POSTGRES) {
      Copier.unfinished(b)
          .ifPresent(why -> differences.add(new Difference("polydb_copy", "", "--to: " + why)));
    }
    String sql = "SELECT dimension, metric, model FROM vector_settings WHERE id = 1";
    List<Object> left = settings(a, sql);
    List<Object> right = settings(b, sql);
    String[] names = {"dimension", "metric", "model"};
    for (int i = 0; i < names.length; i++) {
      if (!Objects.equals(left.get(i), right.get(i))) {
        differences.add(new Difference("vector_settings", "1", "fields differ: " + names[i]));
      }
    }
    String version =
        "SELECT version FROM schema_migrations WHERE success AND version IS NOT NULL"
            + " ORDER BY installed_rank DESC LIMIT 1";
    if (!Objects.equals(settings(a, version), settings(b, version))) {
      differences.add(new Difference("schema_migrations", "", "schema versions differ"));
    }
  }

  private static List<Object> settings(Connection c, String sql) throws SQLException {
    List<Object> values = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      if (rs.next()) {
        for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
          values.add(rs.getString(i));
        }
      }
    }
    while (values.size() < 3) {
      values.add(null);
    }
    return values;
  }

  /** A table's count, summed digest and sampled keys. */
  private static final class Scan {
    long rows;
    long high;
    long low;
    final List<String> sample = new ArrayList<>();

    /** Adds a row digest; a sum, so that order does not matter and a doubled row does. */
    void add(byte[] digest) {
      long dHigh = 0;
      long dLow = 0;
      for (int i = 0; i < 8; i++) {
        dHigh = dHigh << 8 | (digest[i] & 0xFF);
        dLow = dLow << 8 | (digest[8 + i] & 0xFF);
      }
      long sum = low + dLow;
      high += dHigh + (Long.compareUnsigned(sum, low) < 0 ? 1 : 0);
      low = sum;
      rows++;
    }

    String hash() {
      return HexFormat.of().toHexDigits(high) + HexFormat.of().toHexDigits(low);
    }
  }

  private static Scan scan(Connection c, Engine engine, Table table, int sampleSize, Random random)
      throws SQLException {
    Scan scan = new Scan();
    MessageDigest sha = Rows.sha256();
    try (Statement s = c.createStatement()) {
      s.setFetchSize(1000);
      try (ResultSet rs =
          s.executeQuery("SELECT " + Rows.selectList(table, engine) + " FROM " + table.name())) {
        while (rs.next()) {
          Object[] row = Rows.read(rs, table, engine);
          scan.add(Rows.digest(sha, row));
          if (sampleSize > 0) {
            // reservoir sampling: every row equally likely, the seed decides which
            if (scan.sample.size() < sampleSize) {
              scan.sample.add((String) row[0]);
            } else {
              long j = (long) (random.nextDouble() * scan.rows);
              if (j < sampleSize) {
                scan.sample.set((int) j, (String) row[0]);
              }
            }
          }
        }
      }
    }
    return scan;
  }

  /** Walks both sides in key order and names each differing row; returns how many there are. */
  private long walk(Connection a, Connection b, Table table, List<Difference> differences)
      throws SQLException {
    long count = 0;
    try (Statement sa = a.createStatement();
        Statement sb = b.createStatement()) {
      sa.setFetchSize(1000);
      sb.setFetchSize(1000);
      try (ResultSet ra = sa.executeQuery(ordered(table, from.engine()));
          ResultSet rb = sb.executeQuery(ordered(table, to.engine()))) {
        Object[] left = next(ra, table, from.engine());
        Object[] right = next(rb, table, to.engine());
        while (left != null || right != null) {
          int order =
              left == null
                  ? 1
                  : right == null ? -1 : compareKeys((String) left[0], (String) right[0]);
          String what = null;
          String key;
          if (order < 0) {
            key = (String) left[0];
            what = "missing in --to";
            left = next(ra, table, from.engine());
          } else if (order > 0) {
            key = (String) right[0];
            what = "missing in --from";
            right = next(rb, table, to.engine());
          } else {
            key = (String) left[0];
            List<String> columns = Rows.differingColumns(table, left, right);
            if (!columns.isEmpty()) {
              what = "fields differ: " + String.join(", ", columns);
            }
            left = next(ra, table, from.engine());
            right = next(rb, table, to.engine());
          }
          if (what != null) {
            if (++count <= MAX_REPORTED) {
              differences.add(new Difference(table.name(), key, what));
            }
          }
        }
      }
    }
    if (count > MAX_REPORTED) {
      differences.add(
          new Difference(
              table.name(), "", (count - MAX_REPORTED) + " more differing rows not listed"));
    }
    return count;
  }

  private static String ordered(Table table, Engine engine) {
    return "SELECT "
        + Rows.selectList(table, engine)
        + " FROM "
        + table.name()
        + " ORDER BY "
        + table.key()
        + (engine == Engine.POSTGRES ? " COLLATE \"C\"" : "");
  }

  private static Object[] next(ResultSet rs, Table table, Engine engine) throws SQLException {
    return rs.next() ? Rows.read(rs, table, engine) : null;
  }

  /** Byte order of UTF-8, which is code point order: SQLite's BINARY and Postgres's "C". */
  static int compareKeys(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  private int compareSample(
      Connection a, Connection b, Table table, List<String> keys, List<Difference> differences)
      throws SQLException {
    if (keys.isEmpty()) {
      return 0;
    }
    String where = " WHERE " + table.key() + " = ?";
    try (PreparedStatement sa =
            a.prepareStatement(
                "SELECT "
                    + Rows.selectList(table, from.engine())
                    + " FROM "
                    + table.name()
                    + where);
        PreparedStatement sb =
            b.prepareStatement(
                "SELECT "
                    + Rows.selectList(table, to.engine())
                    + " FROM "
                    + table.name()
                    + where)) {
      for (String key : keys) {
        Object[] left = one(sa, key, table, from.engine());
        Object[] right = one(sb, key, table, to.engine());
        String what = null;
        if (right == null) {
          what = "sampled row missing in --to";
        } else {
          List<String> columns = Rows.differingColumns(table, left, right);
          if (!columns.isEmpty()) {
            what = "sampled row fields differ: " + String.join(", ", columns);
          }
        }
        if (what != null
            && differences.stream()
                .noneMatch(d -> d.table().equals(table.name()) && d.key().equals(key))) {
          differences.add(new Difference(table.name(), key, what));
        }
      }
    }
    return keys.size();
  }

  private static Object[] one(PreparedStatement s, String key, Table table, Engine engine)
      throws SQLException {
    s.setString(1, key);
    try (ResultSet rs = s.executeQuery()) {
      return rs.next() ? Rows.read(rs, table, engine) : null;
    }
  }
}
