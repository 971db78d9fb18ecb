package dev.polydb.jooq;

import dev.polydb.api.RevokedJtis;
import dev.polydb.api.internal.Check;
import java.time.Instant;
import java.util.Optional;
import org.jooq.Record2;
import org.jooq.impl.DSL;

final class JooqRevokedJtis implements RevokedJtis {
  private final Session s;
  private final Tables.Jtis t;
  private final JtiCache cache;

  private final String findExpiry;

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
    Record2<Instant, String> stored =
        s.write(
            "jti revoke",
            ctx -> {
              if (userId != null) {
                Owners.require(s, ctx, userId);
              }
              ctx.insertInto(t.table)
                  .set(t.jti, jti)
                  .set(t.userId, userId)
                  .set(t.expiresAt, expires)
                  .set(t.revokedAt, s.now())
                  .onConflictDoNothing()
                  .execute();
              return ctx.select(t.expiresAt, t.userId)
                  .from(t.table)
                  .where(t.jti.eq(jti))
                  .fetchOne();
            });
    // inside a caller's transaction the write may still roll back: cache nothing until it commits;
    // and an expired row a concurrent prune removed after our insert was skipped leaves nothing
    if (stored != null && !s.inTransaction()) {
      cache.revoked(jti, stored.get(t.expiresAt));
    }
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
    return s.write(
        "jti prune", ctx -> ctx.deleteFrom(t.table).where(t.expiresAt.le(cutoff)).execute());
  }
}
