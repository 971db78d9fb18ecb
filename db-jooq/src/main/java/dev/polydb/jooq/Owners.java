package dev.polydb.jooq;

import dev.polydb.api.DbNotFoundException;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/** The existence check every write on a user's behalf makes first. */
final class Owners {
  private Owners() {}

  /** Inside a write: the user exists, or {@link DbNotFoundException}. Rendered once (see Sql). */
  static void require(Session s, DSLContext ctx, String userId) {
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
    if (!Session.jdbc(ctx, c -> Sql.exists(c, sql, st -> st.setString(1, userId)))) {
      throw new DbNotFoundException("user not found: " + userId);
    }
  }
}
