package dev.polydb.jooq;

import dev.polydb.api.DbNotFoundException;
import dev.polydb.api.RevokedJtis;
import dev.polydb.api.internal.Check;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import org.jooq.impl.DSL;

final class JooqRevokedJtis implements RevokedJtis {
  private final Session s;
  private final Tables.Jtis t;
  private final JtiCache cache;

  private final String findExpiry;
  private final String insert;
  private final String prune;

  JooqRevokedJtis(Session session, JtiCache cache) {
    this.s = session;
    this.t = session.t.jtis;
    this.cache = cache;
    // a cache miss is a hot path: rendered once (see Sql)
    this.findExpiry =
        s.sql(
            "jtis.findExpiry",
            () ->
                s.render(
                    session
                        .core
                        .dsl
                        .select(t.expiresAt)
                        .from(t.table)
                        .where(t.jti.eq(DSL.param(t.jti.getDataType())))));
    this.insert =
        s.sql(
            "jtis.insert",
            () ->
                s.render(
                    session
                        .core
                        .dsl
                        .insertInto(t.table)
                        .set(t.jti, DSL.param(t.jti.getDataType()))
                        .set(t.userId, DSL.param(t.userId.getDataType()))
                        .set(t.expiresAt, DSL.param(t.expiresAt.getDataType()))
                        .set(t.revokedAt, DSL.param(t.revokedAt.getDataType()))
                        .onConflictDoNothing()));
    this.prune =
        s.sql(
            "jtis.prune",
            () ->
                s.render(
                    session
                        .core
                        .dsl
                        .deleteFrom(t.table)
                        .where(t.expiresAt.le(DSL.param(t.expiresAt.getDataType())))));
  }

  @Override
  public void revoke(String jti, String userId, Instant expiresAt) {
    Check.identifier("jti", jti);
    if (userId != null) {
      Check.identifier("userId", userId);
    }
    Instant expires = Check.instant("expiresAt", expiresAt);
    // even inside a transaction that may roll back: dropping a cached "no" is always safe
    cache.revoking(jti);
    Optional<Instant> stored;
    try {
      stored = s.writeOneStatement("jti revoke", c -> insert(c, jti, userId, expires));
    } catch (DbNotFoundException e) {
      throw new DbNotFoundException("user not found: " + userId, e.sqlState().orElse(null), e);
    }
    // inside a caller's transaction the write may still roll back: cache nothing until it commits;
    // and an expired row a concurrent prune removed after our insert was skipped leaves nothing
    if (stored.isPresent() && !s.inTransaction()) {
      cache.revoked(jti, stored.get());
    }
  }

  /**
   * Revokes the id unless it is already (the foreign key checks the user), in one statement; a
   * revocation already stored keeps its expiry, which it returns (a second, reading statement).
   */
  private Optional<Instant> insert(Connection c, String jti, String userId, Instant expires)
      throws SQLException {
    int inserted =
        Sql.update(
            c,
            insert,
            st -> {
              st.setString(1, jti);
              st.setString(2, userId);
              s.core.backend.setInstant(st, 3, expires);
              s.core.backend.setInstant(st, 4, s.now());
            });
    if (inserted == 1) {
      return Optional.of(expires);
    }
    // the insert was skipped, so no key checked the user: a call for an unknown one still fails
    if (userId != null && !Owners.exists(s, c, userId)) {
      throw new DbNotFoundException("user not found: " + userId);
    }
    return Sql.one(c, findExpiry, st -> st.setString(1, jti), r -> s.core.backend.getInstant(r, 1));
  }

  @Override
  public boolean isRevoked(String jti) {
    Check.identifier("jti", jti);
    if (!s.inTransaction()) {
      Optional<Boolean> cached = cache.lookup(jti);
      s.core.config.metrics().jtiCache(s.core.backend.name(), cached.isPresent());
      if (cached.isPresent()) {
        return cached.get();
      }
    }
    long generation = cache.generation();
    Optional<Instant> expiry =
        s.readJdbc(
            "jti check",
            c ->
                Sql.one(
                    c,
                    findExpiry,
                    st -> st.setString(1, jti),
                    rs -> s.core.backend.getInstant(rs, 1)));
    boolean revoked = expiry.isPresent() && s.now().isBefore(expiry.get());
    if (!s.inTransaction()) {
      if (revoked) {
        cache.revoked(jti, expiry.get());
      } else {
        cache.notRevoked(jti, generation);
      }
    }
    return revoked;
  }

  @Override
  public int pruneExpired(Instant now) {
    Instant cutoff = Check.instant("now", now);
    return s.writeOneStatement(
        "jti prune", c -> Sql.update(c, prune, st -> s.core.backend.setInstant(st, 1, cutoff)));
  }
}
