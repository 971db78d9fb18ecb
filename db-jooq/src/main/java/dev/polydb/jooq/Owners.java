package dev.polydb.jooq;

import dev.polydb.api.DbNotFoundException;
import java.sql.Connection;
import java.sql.SQLException;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * The existence check of a write on a user's behalf, where no foreign key makes it: before a
 * transaction's reads, or where a skipped insert checked nothing.
 */
final class Owners {
  private Owners() {}

  /** Inside a write: the user exists, or {@link DbNotFoundException}. */
  static void require(Session s, DSLContext ctx, String userId) {
    if (!Session.jdbc(ctx, c -> exists(s, c, userId))) {
      throw new DbNotFoundException("user not found: " + userId);
    }
  }

  /** Whether the user exists, by a statement rendered once (see Sql). */
  static boolean exists(Session s, Connection c, String userId) throws SQLException {
    Tables.Users u = s.t.users;
    String sql =
        s.sql(
            "owners.exists",
            () ->
                s.render(
                    s.core
                        .dsl
                        .select(DSL.inline(1))
                        .from(u.table)
                        .where(u.id.eq(DSL.param(u.id.getDataType())))));
    return Sql.exists(c, sql, st -> st.setString(1, userId));
  }
}
