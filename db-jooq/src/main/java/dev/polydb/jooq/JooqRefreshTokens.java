package dev.polydb.jooq;

import dev.polydb.api.DbNotFoundException;
import dev.polydb.api.DbValidationException;
import dev.polydb.api.IssuedToken;
import dev.polydb.api.RefreshToken;
import dev.polydb.api.RefreshTokens;
import dev.polydb.api.RotationResult;
import dev.polydb.api.internal.Check;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Query;
import org.jooq.Record;
import org.jooq.impl.DSL;

/**
 * Refresh tokens. The secret is 32 random bytes; only its SHA-256 is stored. While a reuse grace
 * window is configured, each child also stores its secret XOR-sealed with a key derived from the
 * parent's secret, so the parent presented again inside the window can be answered with the same
 * child; without the parent's secret the seal reveals nothing. The seal lives no longer than the
 * window: rotating or revoking the child clears it, and so does {@link #pruneExpired} once the
 * window has passed.
 */
final class JooqRefreshTokens implements RefreshTokens {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final HexFormat HEX = HexFormat.of();

  private final Session s;
  private final Tables.Tokens t;
  // the hot paths' statements, rendered once (see Sql)
  private final String findValid;
  private final String markRotated;
  private final String findByHash;
  private final String insertToken;
  private final String revokeByHash;
  private final String revokeByUser;
  private final String revokeByFamily;
  private final String pruneBatch;
  private final String clearSealsBatch;

  JooqRefreshTokens(Session session) {
    this.s = session;
    this.t = session.t.tokens;
    DSLContext dsl = session.core.dsl;
    this.findValid =
        s.sql(
            "tokens.findValid",
            () ->
                s.render(
                    dsl.select(t.all)
                        .from(t.table)
                        .where(
                            t.hash.eq(DSL.param(t.hash.getDataType())),
                            t.revokedAt.isNull(),
                            t.rotatedAt.isNull(),
                            t.expiresAt.gt(DSL.param(t.expiresAt.getDataType())))));
    this.markRotated =
        s.sql(
            "tokens.markRotated",
            () ->
                s.render(
                        dsl.update(t.table)
                            .set(t.rotatedAt, DSL.param(t.rotatedAt.getDataType()))
                            // its own seal served its parent's grace window, which this rotation
                            // ends
                            .set(t.graceSeal, DSL.inline(null, t.graceSeal))
                            .where(
                                t.hash.eq(DSL.param(t.hash.getDataType())),
                                t.userId.eq(DSL.param(t.userId.getDataType())),
                                t.rotatedAt.isNull(),
                                t.revokedAt.isNull(),
                                t.expiresAt.gt(DSL.param(t.expiresAt.getDataType()))))
                    + s.returning(t.all));
    this.findByHash =
        s.sql(
            "tokens.findByHash",
            () ->
                s.render(
                    dsl.select(t.all)
                        .from(t.table)
                        .where(t.hash.eq(DSL.param(t.hash.getDataType())))));
    this.insertToken =
        s.sql(
            "tokens.insertToken",
            () ->
                s.render(
                    dsl.insertInto(t.table)
                        .set(t.id, DSL.param(t.id.getDataType()))
                        .set(t.userId, DSL.param(t.userId.getDataType()))
                        .set(t.familyId, DSL.param(t.familyId.getDataType()))
                        .set(t.parentId, DSL.param(t.parentId.getDataType()))
                        .set(t.hash, DSL.param(t.hash.getDataType()))
                        .set(t.fingerprint, DSL.param(t.fingerprint.getDataType()))
                        .set(t.issuedAt, DSL.param(t.issuedAt.getDataType()))
                        .set(t.expiresAt, DSL.param(t.expiresAt.getDataType()))
                        .set(t.familyExpiresAt, DSL.param(t.familyExpiresAt.getDataType()))
                        .set(t.graceSeal, DSL.param(t.graceSeal.getDataType()))));
    this.revokeByHash =
        s.sql(
            "tokens.revokeByHash",
            () -> s.render(revokeWhere(dsl, t.hash.eq(DSL.param(t.hash.getDataType())))));
    this.revokeByUser =
        s.sql(
            "tokens.revokeByUser",
            () -> s.render(revokeWhere(dsl, t.userId.eq(DSL.param(t.userId.getDataType())))));
    this.revokeByFamily =
        s.sql(
            "tokens.revokeByFamily",
            () -> s.render(revokeWhere(dsl, t.familyId.eq(DSL.param(t.familyId.getDataType())))));
    // a batch at a time, so that no statement holds its locks for long: the cut-off, then the
    // batch's size
    this.pruneBatch =
        s.sql(
            "tokens.pruneBatch",
            () ->
                s.render(
                    dsl.deleteFrom(t.table)
                        .where(
                            t.id.in(
                                dsl.select(t.id)
                                    .from(t.table)
                                    .where(t.expiresAt.le(DSL.param(t.expiresAt.getDataType())))
                                    .limit(DSL.param("batch", Integer.class))))));
    this.clearSealsBatch =
        s.sql(
            "tokens.clearSealsBatch",
            () ->
                s.render(
                    dsl.update(t.table)
                        .set(t.graceSeal, DSL.inline(null, t.graceSeal))
                        .where(
                            t.id.in(
                                dsl.select(t.id)
                                    .from(t.table)
                                    .where(
                                        t.graceSeal.isNotNull(),
                                        t.issuedAt.lt(DSL.param(t.issuedAt.getDataType())))
                                    .limit(DSL.param("batch", Integer.class))))));
  }

  @Override
  public IssuedToken issue(String userId, Duration ttl, String fingerprint) {
    Check.identifier("userId", userId);
    if (ttl != null) {
      Check.positive("ttl", ttl);
    }
    Check.text("fingerprint", fingerprint, 512);
    Duration life = ttl != null ? ttl : s.core.config.refreshTokenTtl();
    // one statement: the foreign key checks the user
    try {
      return s.writeOneStatement(
          "refresh token issue",
          c -> {
            Instant now = s.now();
            Instant familyEnd = Times.later(now, s.core.config.refreshFamilyLifetime());
            String familyId = s.newId();
            return insert(c, userId, familyId, null, fingerprint, now, life, familyEnd, null);
          });
    } catch (DbNotFoundException e) {
      throw new DbNotFoundException("user not found: " + userId, e.sqlState().orElse(null), e);
    }
  }

  @Override
  public Optional<RefreshToken> findValid(String token) {
    String hash = hash(checkToken(token));
    Instant now = s.now();
    return s.readJdbc(
        "refresh token find",
        c ->
            Sql.one(
                c,
                findValid,
                st -> {
                  st.setString(1, hash);
                  s.core.backend.setInstant(st, 2, now);
                },
                this::map));
  }

  /**
   * The conditional write comes first, in the write transaction: of several concurrent callers
   * exactly one sets {@code rotated_at}; on Postgres the others wait on its row lock and then find
   * the token rotated, on SQLite their transactions begin after its commit. A caller that finds the
   * token rotated gets the same child inside the reuse grace window, so with the default window a
   * race never looks like reuse. With the window off, a caller that saw the token live when it
   * began lost a race and gets {@link RotationResult.AlreadyRotated}; anything else is a replay,
   * and reuse detection revokes the family.
   */
  @Override
  public RotationResult rotate(String token, String userId) {
    String hash = hash(checkToken(token));
    Check.identifier("userId", userId);
    s.core.requireMutations("refresh token rotate");
    Duration grace = s.core.config.refreshReuseGrace();
    // only needed without a grace window: whether this caller could still have won
    boolean liveWhenCalled =
        grace.isZero()
            && s.read(
                "refresh token rotate",
                ctx ->
                    ctx.fetchExists(
                        t.table, t.hash.eq(hash), t.rotatedAt.isNull(), t.revokedAt.isNull()));
    return s.write(
        "refresh token rotate",
        ctx -> {
          Instant now = s.now();
          // the winner gets its token back from the update itself; any other caller reads it
          Optional<RefreshToken> rotated =
              Session.jdbc(
                  ctx,
                  c ->
                      Sql.one(
                          c,
                          markRotated,
                          st -> {
                            s.core.backend.setInstant(st, 1, now);
                            st.setString(2, hash);
                            st.setString(3, userId);
                            s.core.backend.setInstant(st, 4, now);
                          },
                          this::map));
          boolean won = rotated.isPresent();
          Optional<RefreshToken> found =
              won
                  ? rotated
                  : Session.jdbc(
                      ctx, c -> Sql.one(c, findByHash, st -> st.setString(1, hash), this::map));
          if (found.isEmpty()) {
            return new RotationResult.Invalid(RotationResult.Reason.UNKNOWN);
          }
          RefreshToken presented = found.get();
          if (won) {
            Duration life = Duration.between(presented.issuedAt(), presented.expiresAt());
            return new RotationResult.Rotated(
                Session.jdbc(
                    ctx,
                    c ->
                        insert(
                            c,
                            userId,
                            presented.familyId(),
                            presented.id(),
                            presented.fingerprint().orElse(null),
                            now,
                            life,
                            presented.familyExpiresAt(),
                            token)));
          }
          if (!presented.userId().equals(userId)) {
            return new RotationResult.Invalid(RotationResult.Reason.WRONG_USER);
          }
          if (presented.revokedAt().isPresent()) {
            return new RotationResult.Invalid(RotationResult.Reason.REVOKED);
          }
          if (presented.rotatedAt().isEmpty()) {
            return new RotationResult.Invalid(RotationResult.Reason.EXPIRED);
          }
          if (liveWhenCalled) {
            return new RotationResult.AlreadyRotated();
          }
          return rotatedBefore(ctx, token, presented, now);
        });
  }

  /**
   * The presented token was rotated before this call's write: inside the grace window its parent
   * gets the same child back; outside it, or when the child is gone, reuse detection revokes the
   * family.
   */
  private RotationResult rotatedBefore(
      DSLContext ctx, String token, RefreshToken presented, Instant now) {
    Duration grace = s.core.config.refreshReuseGrace();
    Instant rotatedAt = presented.rotatedAt().orElseThrow();
    if (!grace.isZero() && !now.isAfter(Times.later(rotatedAt, grace))) {
      Optional<Record> child =
          ctx.select(t.all)
              .from(t.table)
              .where(
                  t.parentId.eq(presented.id()),
                  t.rotatedAt.isNull(),
                  t.revokedAt.isNull(),
                  t.expiresAt.gt(now))
              .fetchOptional();
      if (child.isPresent()) {
        String seal = child.get().get(t.graceSeal);
        if (seal == null) {
          // issued while the window was off: live, but its secret cannot be given again
          return new RotationResult.AlreadyRotated();
        }
        return new RotationResult.Rotated(new IssuedToken(unseal(seal, token), map(child.get())));
      }
    }
    int revoked =
        Session.jdbc(ctx, c -> Sql.update(c, revokeByFamily, revoking(now, presented.familyId())));
    s.core.config.metrics().reuseDetected(s.core.backend.name());
    return new RotationResult.ReuseDetected(presented.familyId(), revoked);
  }

  /**
   * Revokes the unrevoked tokens a condition selects, clearing their seals: the time revoked is the
   * first bind, the condition's value the second.
   */
  private Query revokeWhere(DSLContext dsl, Condition which) {
    return dsl.update(t.table)
        .set(t.revokedAt, DSL.param(t.revokedAt.getDataType()))
        .set(t.graceSeal, DSL.inline(null, t.graceSeal))
        .where(which, t.revokedAt.isNull());
  }

  @Override
  public boolean revoke(String token) {
    String hash = hash(checkToken(token));
    return revoke("refresh token revoke", revokeByHash, hash) > 0;
  }

  @Override
  public int revokeAllForUser(String userId) {
    Check.identifier("userId", userId);
    return revoke("refresh token revoke all", revokeByUser, userId);
  }

  /** One statement: the tokens' rows are all it changes. */
  private int revoke(String operation, String sql, String which) {
    return s.writeOneStatement(operation, c -> Sql.update(c, sql, revoking(s.now(), which)));
  }

  /** Binds a {@link #revokeWhere} statement. */
  private Sql.Binder revoking(Instant now, String which) {
    return st -> {
      s.core.backend.setInstant(st, 1, now);
      st.setString(2, which);
    };
  }

  /**
   * Deletes expired tokens, then clears the seals whose grace window ended by {@code now}: a seal
   * left in place would let an old leaked parent and a dump of the table reveal the live child.
   */
  @Override
  public int pruneExpired(Instant now, int batchSize) {
    Instant cutoff = Check.instant("now", now);
    Check.range("batchSize", batchSize, 1, 10_000);
    s.core.requireMutations("refresh token prune");
    int total = 0;
    int deleted;
    do {
      deleted = batch(pruneBatch, cutoff, batchSize);
      total += deleted;
    } while (deleted == batchSize);
    // a seal was written when its child was issued: the window ends grace after issued_at
    Instant sealedBefore = Times.earlier(cutoff, s.core.config.refreshReuseGrace());
    while (batch(clearSealsBatch, sealedBefore, batchSize) == batchSize) {
      // the next batch
    }
    return total;
  }

  /** One batch of {@link #pruneExpired}: a statement of its own, with autocommit. */
  private int batch(String sql, Instant cutoff, int batchSize) {
    return s.writeOneStatement(
        "refresh token prune",
        c ->
            Sql.update(
                c,
                sql,
                st -> {
                  s.core.backend.setInstant(st, 1, cutoff);
                  st.setInt(2, batchSize);
                }));
  }

  private IssuedToken insert(
      Connection c,
      String userId,
      String familyId,
      String parentId,
      String fingerprint,
      Instant now,
      Duration life,
      Instant familyEnd,
      String parentSecret)
      throws SQLException {
    byte[] raw = new byte[32];
    RANDOM.nextBytes(raw);
    String secret = B64.encodeToString(raw);
    Instant expires = Times.later(now, life);
    if (expires.isAfter(familyEnd)) {
      expires = familyEnd;
    }
    // kept for the grace window only: rotation, revocation and pruneExpired clear it
    String seal =
        parentSecret != null && !s.core.config.refreshReuseGrace().isZero()
            ? seal(raw, parentSecret)
            : null;
    String id = s.newId();
    Instant expiresAt = expires;
    Sql.update(
        c,
        insertToken,
        st -> {
          st.setString(1, id);
          st.setString(2, userId);
          st.setString(3, familyId);
          st.setString(4, parentId);
          st.setString(5, hash(secret));
          st.setString(6, fingerprint);
          s.core.backend.setInstant(st, 7, now);
          s.core.backend.setInstant(st, 8, expiresAt);
          s.core.backend.setInstant(st, 9, familyEnd);
          st.setString(10, seal);
        });
    RefreshToken record =
        new RefreshToken(
            id,
            userId,
            familyId,
            Optional.ofNullable(parentId),
            Optional.ofNullable(fingerprint),
            now,
            expires,
            familyEnd,
            Optional.empty(),
            Optional.empty());
    return new IssuedToken(secret, record);
  }

  /** A row of {@code t.all}, in its order. */
  private RefreshToken map(ResultSet r) throws SQLException {
    return new RefreshToken(
        r.getString(1),
        r.getString(2),
        r.getString(3),
        Optional.ofNullable(r.getString(4)),
        Optional.ofNullable(r.getString(6)),
        s.core.backend.getInstant(r, 8),
        s.core.backend.getInstant(r, 9),
        s.core.backend.getInstant(r, 10),
        Optional.ofNullable(s.core.backend.getInstant(r, 11)),
        Optional.ofNullable(s.core.backend.getInstant(r, 12)));
  }

  private RefreshToken map(Record r) {
    return new RefreshToken(
        r.get(t.id),
        r.get(t.userId),
        r.get(t.familyId),
        Optional.ofNullable(r.get(t.parentId)),
        Optional.ofNullable(r.get(t.fingerprint)),
        r.get(t.issuedAt),
        r.get(t.expiresAt),
        r.get(t.familyExpiresAt),
        Optional.ofNullable(r.get(t.rotatedAt)),
        Optional.ofNullable(r.get(t.revokedAt)));
  }

  private static String checkToken(String token) {
    Check.nonBlank("token", token);
    if (token.length() > 512) {
      throw new DbValidationException("token", "must be at most 512 characters: " + token.length());
    }
    return token;
  }

  static String hash(String secret) {
    return HEX.formatHex(sha256(secret.getBytes(StandardCharsets.UTF_8)));
  }

  private static String seal(byte[] child, String parentSecret) {
    return HEX.formatHex(xor(child, sealKey(parentSecret)));
  }

  private static String unseal(String sealed, String parentSecret) {
    return B64.encodeToString(xor(HEX.parseHex(sealed), sealKey(parentSecret)));
  }

  private static byte[] sealKey(String parentSecret) {
    return sha256(("polydb grace seal\0" + parentSecret).getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] xor(byte[] a, byte[] key) {
    byte[] out = new byte[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = (byte) (a[i] ^ key[i % key.length]);
    }
    return out;
  }

  private static byte[] sha256(byte[] input) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(input);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
