package dev.polydb.jooq;

import dev.polydb.api.DbNotFoundException;
import org.jooq.DSLContext;

/** The existence check every write on a user's behalf makes first. */
final class Owners {
  private Owners() {}

  static void require(DSLContext ctx, Tables t, String userId) {
    if (!ctx.fetchExists(t.users.table, t.users.id.eq(userId))) {
      throw new DbNotFoundException("user not found: " + userId);
    }
  }
}
