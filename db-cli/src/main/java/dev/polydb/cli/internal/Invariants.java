package dev.polydb.cli.internal;

import dev.polydb.cli.internal.Endpoint.Engine;
import dev.polydb.cli.internal.Verifier.Difference;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The domain rules a sound database keeps, checked with one query each on either engine. Each query
 * returns the table and the keys that break its rule.
 */
final class Invariants {

  /** A rule: its words, the table it names, and the query for the keys that break it. */
  private record Rule(String what, String table, String sqlite, String postgres) {
    Rule(String what, String table, String sql) {
      this(what, table, sql, sql);
    }
  }

  private static final List<Rule> RULES =
      List.of(
          new Rule(
              "more than one active subscription for the user",
              "subscriptions",
              "SELECT user_id FROM subscriptions"
                  + " WHERE status IN ('trialing', 'active', 'past_due')"
                  + " GROUP BY user_id HAVING count(*) > 1 ORDER BY 1"),
          orphan("refresh_tokens", "id", "user_id"),
          orphan("subscriptions", "id", "user_id"),
          orphan("subscription_events", "id", "user_id"),
          orphan("journal_entries", "id", "user_id"),
          orphan("revoked_jtis", "jti", "user_id"),
          orphan("chunks", "id", "user_id"),
          new Rule(
              "orphan parent_id (no such token)",
              "refresh_tokens",
              "SELECT c.id FROM refresh_tokens c LEFT JOIN refresh_tokens p ON p.id = c.parent_id"
                  + " WHERE c.parent_id IS NOT NULL AND p.id IS NULL ORDER BY 1"),
          new Rule(
              "content_bytes differs from the entry's UTF-8 length",
              "journal_entries",
              "SELECT id FROM journal_entries"
                  + " WHERE content_bytes <> length(CAST(content AS BLOB)) ORDER BY 1",
              "SELECT id FROM journal_entries"
                  + " WHERE content_bytes <> octet_length(content) ORDER BY 1"),
          new Rule(
              "token family with more than one live token",
              "refresh_tokens",
              "SELECT family_id FROM refresh_tokens WHERE rotated_at IS NULL AND revoked_at IS NULL"
                  + " GROUP BY family_id HAVING count(*) > 1 ORDER BY 1"),
          new Rule(
              "chunk's dimension or model differs from the store's",
              "chunks",
              "SELECT c.id FROM chunks c, vector_settings v WHERE v.id = 1"
                  + " AND (length(c.embedding) <> 4 * v.dimension"
                  + " OR (v.model IS NOT NULL AND c.model <> v.model)) ORDER BY 1",
              "SELECT c.id FROM chunks c, vector_settings v WHERE v.id = 1"
                  + " AND (vector_dims(c.embedding) <> v.dimension"
                  + " OR (v.model IS NOT NULL AND c.model <> v.model)) ORDER BY 1"));

  private Invariants() {}

  private static Rule orphan(String table, String key, String column) {
    return new Rule(
        "orphan " + column + " (no such user)",
        table,
        "SELECT c."
            + key
            + " FROM "
            + table
            + " c LEFT JOIN users u ON u.id = c."
            + column
            + " WHERE c."
            + column
            + " IS NOT NULL AND u.id IS NULL ORDER BY 1");
  }

  /**
   * Checks every rule on one database.
   *
   * @param c a connection in the snapshot being verified
   * @param engine its engine
   * @param side {@code --from} or {@code --to}, named in each difference
   * @param differences where the broken rules go
   */
  static void check(Connection c, Engine engine, String side, List<Difference> differences)
      throws SQLException {
    for (Rule rule : RULES) {
      String sql = engine == Engine.SQLITE ? rule.sqlite() : rule.postgres();
      int found = 0;
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery(sql)) {
        while (rs.next()) {
          if (++found <= Verifier.MAX_REPORTED) {
            differences.add(
                new Difference(rule.table(), rs.getString(1), side + ": " + rule.what()));
          }
        }
      }
      if (found > Verifier.MAX_REPORTED) {
        differences.add(
            new Difference(
                rule.table(),
                "",
                side
                    + ": "
                    + (found - Verifier.MAX_REPORTED)
                    + " more not listed: "
                    + rule.what()));
      }
    }
  }
}
