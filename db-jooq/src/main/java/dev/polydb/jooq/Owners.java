package dev.polydb.jooq;

import dev.polydb.api.DbNotFoundException;
import java.sql.Connection;
import java.sql.SQLException;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * The existence check of a write on a user's behalf, where no foreign key makes it: before a
 * transaction's reads, or where a skipped insert checked nothing. Its locking form also makes the
 * transaction the user's only writer.
 */
final class Owners {
  private Owners() {}

  /** Inside a write: the user exists, or {@link DbNotFoundException}. */
  static void require(Session s, DSLContext ctx, String userId) {
    if (!Session.jdbc(ctx, c -> exists(s, c, userId))) {
      throw notFound(userId);
    }
  }

  /**
   * Inside a write: the user exists, or {@link DbNotFoundException}; and where the backend locks
   * rows, the user's row stays locked until the transaction ends ({@link
   * SqlBackend#userLockClause}). One statement for both.
   */
  static void lock(Session s, DSLContext ctx, String userId) {
    if (!Session.jdbc(ctx, c -> locks(s, c, userId))) {
      throw notFound(userId);
    }
  }

  /** Locks the user's row where the backend locks rows; whether the user exists. */
  static boolean locks(Session s, Connection c, String userId) throws SQLException {
    String sql = s.sql("owners.lock", () -> renderExists(s) + s.core.backend.userLockClause());
    return Sql.exists(c, sql, st -> st.setString(1, userId));
  }

  /** Whether the user exists, by a statement rendered once (see Sql). */
  static boolean exists(Session s, Connection c, String userId) throws SQLException {
    String sql = s.sql("owners.exists", () -> renderExists(s));
    return Sql.exists(c, sql, st -> st.setString(1, userId));
  }

  private static String renderExists(Session s) {
    Tables.Users u = s.t.users;
    return s.render(
        s.core
            .dsl
            .select(DSL.inline(1))
            .from(u.table)
            .where(u.id.eq(DSL.param(u.id.getDataType()))));
  }

  private static DbNotFoundException notFound(String userId) {
    return new DbNotFoundException("user not found: " + userId);
  }
}
