package dev.polydb.bench;

import com.pgvector.PGvector;
import dev.polydb.api.Chunk;
import dev.polydb.api.ChunkMatch;
import dev.polydb.api.IssuedToken;
import dev.polydb.api.JournalEntry;
import dev.polydb.api.JournalPage;
import dev.polydb.api.RefreshToken;
import dev.polydb.api.Subscription;
import dev.polydb.api.SubscriptionChange;
import dev.polydb.api.SubscriptionEvent;
import dev.polydb.api.SubscriptionStatus;
import dev.polydb.api.SubscriptionUpdate;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import dev.polydb.jooq.Json;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The baseline: what a careful engineer writes by hand with plain JDBC for the same rules, on a
 * pool of the same size. It sends the statements the library sends (so the ratio measures the
 * library's own cost, not a different plan), binds and reads timestamps the way each driver does
 * best, and builds the same result objects.
 */
final class Jdbc {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final HexFormat HEX = HexFormat.of();
  private static final String USER_COLUMNS =
      "id, provider, provider_subject, email, display_name, avatar_url, created_at, updated_at,"
          + " last_login_at";
  private static final String TOKEN_COLUMNS =
      "id, user_id, family_id, parent_id, token_hash, fingerprint, grace_seal, issued_at,"
          + " expires_at, family_expires_at, rotated_at, revoked_at";
  private static final String SUBSCRIPTION_COLUMNS =
      "id, user_id, provider, external_id, plan, status, cancel_at_period_end, current_period_end,"
          + " last_event_at, created_at, updated_at";
  private static final String CHUNK_COLUMNS =
      "id, user_id, document_id, chunk_index, text, metadata, embedding, model, created_at";

  // DB_PAST_DUE_GRACE, as the fixture leaves it: 0s
  private static final Duration PAST_DUE_GRACE = Duration.ZERO;

  private final DataSource pool;
  private final boolean postgres;

  Jdbc(DataSource pool, boolean postgres) {
    this.pool = pool;
    this.postgres = postgres;
  }

  Optional<User> findUserById(String id) throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement("SELECT " + USER_COLUMNS + " FROM users WHERE id = ?")) {
      s.setString(1, id);
      return oneUser(s);
    }
  }

  Optional<User> findUserByProvider(String provider, String subject) throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT "
                    + USER_COLUMNS
                    + " FROM users WHERE provider = ? AND provider_subject = ?")) {
      s.setString(1, provider);
      s.setString(2, subject);
      return oneUser(s);
    }
  }

  Optional<RefreshToken> findValidToken(String token) throws SQLException {
    String hash = hash(token);
    Instant now = now();
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT "
                    + TOKEN_COLUMNS
                    + " FROM refresh_tokens WHERE token_hash = ? AND revoked_at IS NULL"
                    + " AND rotated_at IS NULL AND expires_at > ?")) {
      s.setString(1, hash);
      setInstant(s, 2, now);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(token(rs)) : Optional.empty();
      }
    }
  }

  /**
   * A rotation that wins: mark the presented token rotated, read it, insert its child with a grace
   * seal; one transaction. Returns the child, or empty when the token could not be rotated.
   */
  Optional<IssuedToken> rotate(String token, String userId) throws SQLException {
    String hash = hash(token);
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        Instant now = now();
        int won;
        try (PreparedStatement s =
            c.prepareStatement(
                "UPDATE refresh_tokens SET rotated_at = ?, grace_seal = NULL WHERE token_hash = ?"
                    + " AND user_id = ? AND rotated_at IS NULL AND revoked_at IS NULL"
                    + " AND expires_at > ?")) {
          setInstant(s, 1, now);
          s.setString(2, hash);
          s.setString(3, userId);
          setInstant(s, 4, now);
          won = s.executeUpdate();
        }
        RefreshToken presented;
        try (PreparedStatement s =
            c.prepareStatement(
                "SELECT " + TOKEN_COLUMNS + " FROM refresh_tokens WHERE token_hash = ?")) {
          s.setString(1, hash);
          try (ResultSet rs = s.executeQuery()) {
            if (!rs.next()) {
              c.rollback();
              return Optional.empty();
            }
            presented = token(rs);
          }
        }
        if (won != 1) {
          c.rollback();
          return Optional.empty();
        }
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String secret = B64.encodeToString(raw);
        Duration life = Duration.between(presented.issuedAt(), presented.expiresAt());
        Instant expires = now.plus(life);
        if (expires.isAfter(presented.familyExpiresAt())) {
          expires = presented.familyExpiresAt();
        }
        String seal = HEX.formatHex(xor(raw, sha256("polydb grace seal\0" + token)));
        String id = UUID.randomUUID().toString();
        insertToken(
            c,
            id,
            userId,
            presented.familyId(),
            presented.id(),
            hash(secret),
            presented.fingerprint().orElse(null),
            now,
            expires,
            presented.familyExpiresAt(),
            seal);
        c.commit();
        return Optional.of(
            new IssuedToken(
                secret,
                new RefreshToken(
                    id,
                    userId,
                    presented.familyId(),
                    Optional.of(presented.id()),
                    presented.fingerprint(),
                    now,
                    expires,
                    presented.familyExpiresAt(),
                    Optional.empty(),
                    Optional.empty())));
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /**
   * A sign-in: the identity's user created or its profile refreshed, and the row read back, in one
   * statement with autocommit (the unique key on the identity settles concurrent first sign-ins).
   */
  User upsertUser(String provider, String subject, UserProfile profile) throws SQLException {
    Instant now = now();
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO users (id, provider, provider_subject, email, display_name,"
                    + " avatar_url, created_at, updated_at, last_login_at)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    + " ON CONFLICT (provider, provider_subject) DO UPDATE SET"
                    + " email = COALESCE(excluded.email, users.email),"
                    + " display_name = COALESCE(excluded.display_name, users.display_name),"
                    + " avatar_url = COALESCE(excluded.avatar_url, users.avatar_url),"
                    + " updated_at = excluded.updated_at, last_login_at = excluded.last_login_at"
                    + " RETURNING "
                    + USER_COLUMNS)) {
      s.setString(1, UUID.randomUUID().toString());
      s.setString(2, provider);
      s.setString(3, subject);
      s.setString(4, profile.email().orElse(null));
      s.setString(5, profile.displayName().orElse(null));
      s.setString(6, profile.avatarUrl().orElse(null));
      setInstant(s, 7, now);
      setInstant(s, 8, now);
      setInstant(s, 9, now);
      return oneUser(s).orElseThrow();
    }
  }

  /** A user created in one statement with autocommit: the unique key refuses a known identity. */
  User createUser(String provider, String subject, UserProfile profile) throws SQLException {
    Instant now = now();
    String id = UUID.randomUUID().toString();
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO users (id, provider, provider_subject, email, display_name,"
                    + " avatar_url, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      s.setString(1, id);
      s.setString(2, provider);
      s.setString(3, subject);
      s.setString(4, profile.email().orElse(null));
      s.setString(5, profile.displayName().orElse(null));
      s.setString(6, profile.avatarUrl().orElse(null));
      setInstant(s, 7, now);
      setInstant(s, 8, now);
      s.executeUpdate();
    }
    return new User(id, provider, subject, profile, now, now, Optional.empty());
  }

  /** A user deleted, with everything it owns (the foreign keys cascade). */
  boolean deleteUser(String userId) throws SQLException {
    return update("DELETE FROM users WHERE id = ?", userId) > 0;
  }

  /** A refresh token revoked, its grace seal cleared. */
  boolean revokeToken(String token) throws SQLException {
    return revokeTokens("token_hash", hash(token)) > 0;
  }

  /** Every live refresh token of a user revoked (a sign-out everywhere). */
  int revokeAllTokens(String userId) throws SQLException {
    return revokeTokens("user_id", userId);
  }

  private int revokeTokens(String column, String value) throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "UPDATE refresh_tokens SET revoked_at = ?, grace_seal = NULL WHERE "
                    + column
                    + " = ? AND revoked_at IS NULL")) {
      setInstant(s, 1, now());
      s.setString(2, value);
      return s.executeUpdate();
    }
  }

  /**
   * Expired refresh tokens deleted a batch at a time, then the grace seals whose window ended
   * cleared a batch at a time, each batch one statement with autocommit.
   */
  int pruneTokens(Instant now, Duration grace, int batch) throws SQLException {
    int total = 0;
    try (Connection c = pool.getConnection()) {
      int deleted;
      do {
        deleted =
            batch(
                c,
                "DELETE FROM refresh_tokens WHERE id IN"
                    + " (SELECT id FROM refresh_tokens WHERE expires_at <= ? LIMIT ?)",
                now,
                batch);
        total += deleted;
      } while (deleted == batch);
      Instant sealedBefore = now.minus(grace);
      while (batch(
              c,
              "UPDATE refresh_tokens SET grace_seal = NULL WHERE id IN (SELECT id FROM"
                  + " refresh_tokens WHERE grace_seal IS NOT NULL AND issued_at < ? LIMIT ?)",
              sealedBefore,
              batch)
          == batch) {
        // the next batch
      }
    }
    return total;
  }

  private int batch(Connection c, String sql, Instant cutoff, int size) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      setInstant(s, 1, cutoff);
      s.setInt(2, size);
      return s.executeUpdate();
    }
  }

  /** Expired revoked JWT ids deleted, in one statement. */
  int pruneJtis(Instant now) throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement("DELETE FROM revoked_jtis WHERE expires_at <= ?")) {
      setInstant(s, 1, now);
      return s.executeUpdate();
    }
  }

  /**
   * The subscription expiry sweep's pass when nothing is due, as a careful engineer writes it: one
   * read that finds nothing to expire. (When something is due, the library expires each row and
   * records its event in one transaction, which this baseline does not do.)
   */
  int expirySweepNothingDue(Instant now) throws SQLException {
    Instant pastDueCutoff = now.minus(PAST_DUE_GRACE);
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT EXISTS (SELECT 1 FROM subscriptions WHERE status <> 'expired'"
                    + " AND current_period_end IS NOT NULL AND ((status <> 'past_due'"
                    + " AND current_period_end <= ?) OR (status = 'past_due'"
                    + " AND current_period_end <= ?)))")) {
      setInstant(s, 1, now);
      setInstant(s, 2, pastDueCutoff);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        if (rs.getBoolean(1)) {
          throw new IllegalStateException("a subscription is due: this baseline expires none");
        }
        return 0;
      }
    }
  }

  /** A journal entry the caller named, in one statement (see insertEntryOneStatement). */
  JournalEntry insertEntryWithId(String userId, String entryId, String content)
      throws SQLException {
    long bytes = content.getBytes(StandardCharsets.UTF_8).length;
    try (Connection c = pool.getConnection()) {
      return insert(c, entryId, userId, content, bytes);
    }
  }

  /** A user's journal entry deleted. */
  boolean deleteEntry(String userId, String entryId) throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement("DELETE FROM journal_entries WHERE id = ? AND user_id = ?")) {
      s.setString(1, entryId);
      s.setString(2, userId);
      return s.executeUpdate() > 0;
    }
  }

  private int update(String sql, String value) throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, value);
      return s.executeUpdate();
    }
  }

  /**
   * A refresh token issued in one statement with autocommit, the first of a new family: the foreign
   * key checks the user. Returns its secret.
   */
  String issueOneStatement(String userId) throws SQLException {
    byte[] raw = new byte[32];
    RANDOM.nextBytes(raw);
    String secret = B64.encodeToString(raw);
    String id = UUID.randomUUID().toString();
    Instant now = now();
    try (Connection c = pool.getConnection()) {
      insertToken(
          c,
          id,
          userId,
          UUID.randomUUID().toString(),
          null,
          hash(secret),
          null,
          now,
          now.plus(Duration.ofDays(30)),
          now.plus(Duration.ofDays(90)),
          null);
      return secret;
    }
  }

  /** A user's journal entry by id. */
  Optional<JournalEntry> findEntry(String userId, String entryId) throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT id, user_id, content, content_bytes, created_at, updated_at"
                    + " FROM journal_entries WHERE id = ? AND user_id = ?")) {
      s.setString(1, entryId);
      s.setString(2, userId);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(entry(rs)) : Optional.empty();
      }
    }
  }

  /**
   * A user's journal entry rewritten in one statement with autocommit (no quota to check), its
   * creation time read back with it.
   */
  Optional<JournalEntry> updateEntry(String userId, String entryId, String content)
      throws SQLException {
    long bytes = content.getBytes(StandardCharsets.UTF_8).length;
    Instant now = now();
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "UPDATE journal_entries SET content = ?, content_bytes = ?, updated_at = ?"
                    + " WHERE id = ? AND user_id = ? RETURNING created_at")) {
      s.setString(1, content);
      s.setLong(2, bytes);
      setInstant(s, 3, now);
      s.setString(4, entryId);
      s.setString(5, userId);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next()
            ? Optional.of(new JournalEntry(entryId, userId, content, bytes, instant(rs, 1), now))
            : Optional.empty();
      }
    }
  }

  /**
   * A JWT id revoked in one statement with autocommit: the foreign key checks the user, a second
   * revocation of the id keeps the first.
   */
  void revokeJti(String jti, String userId, Instant expiresAt) throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO revoked_jtis (jti, user_id, expires_at, revoked_at)"
                    + " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
      s.setString(1, jti);
      s.setString(2, userId);
      setInstant(s, 3, expiresAt);
      setInstant(s, 4, now());
      s.executeUpdate();
    }
  }

  /**
   * A journal entry as the library inserts it: in one transaction, check the user exists, look for
   * an entry with the id (a retry), insert.
   */
  JournalEntry insertEntry(String userId, String content) throws SQLException {
    String id = UUID.randomUUID().toString();
    long bytes = content.getBytes(StandardCharsets.UTF_8).length;
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        requireUser(c, userId);
        try (PreparedStatement s =
            c.prepareStatement(
                "SELECT id, user_id, content, content_bytes, created_at, updated_at"
                    + " FROM journal_entries WHERE id = ?")) {
          s.setString(1, id);
          try (ResultSet rs = s.executeQuery()) {
            if (rs.next()) {
              throw new IllegalStateException("id taken");
            }
          }
        }
        JournalEntry entry = insert(c, id, userId, content, bytes);
        c.commit();
        return entry;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /**
   * A journal entry in one statement, with autocommit: the foreign key makes the user check, the
   * conflict clause the retry check (a second statement only when the id was taken).
   */
  JournalEntry insertEntryOneStatement(String userId, String content) throws SQLException {
    String id = UUID.randomUUID().toString();
    long bytes = content.getBytes(StandardCharsets.UTF_8).length;
    try (Connection c = pool.getConnection()) {
      return insert(c, id, userId, content, bytes);
    }
  }

  private JournalEntry insert(Connection c, String id, String userId, String content, long bytes)
      throws SQLException {
    Instant now = now();
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO journal_entries (id, user_id, content, content_bytes, created_at,"
                + " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
      s.setString(1, id);
      s.setString(2, userId);
      s.setString(3, content);
      s.setLong(4, bytes);
      setInstant(s, 5, now);
      setInstant(s, 6, now);
      if (s.executeUpdate() != 1) {
        throw new IllegalStateException("id taken");
      }
    }
    return new JournalEntry(id, userId, content, bytes, now, now);
  }

  /** The entitlement check: an active or trialing period, or past due within the grace. */
  Optional<Subscription> findActiveSubscription(String userId) throws SQLException {
    Instant now = now();
    Instant pastDueCutoff = now.minus(PAST_DUE_GRACE);
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT "
                    + SUBSCRIPTION_COLUMNS
                    + " FROM subscriptions WHERE user_id = ? AND ((status IN ('active', 'trialing')"
                    + " AND (current_period_end IS NULL OR current_period_end > ?))"
                    + " OR (status = 'past_due' AND current_period_end > ?))"
                    + " ORDER BY updated_at DESC, id DESC LIMIT 1")) {
      s.setString(1, userId);
      setInstant(s, 2, now);
      setInstant(s, 3, pastDueCutoff);
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(subscription(rs));
      }
    }
  }

  /**
   * A provider's event for a subscription that exists, as the library applies it: in one
   * transaction, lock the user's row (Postgres; SQLite's BEGIN IMMEDIATE already serializes
   * writers) and check it exists, read the subscription, log the event (a seen event id would skip
   * it), update the subscription and read it back. The rules' other branches (a new subscription, a
   * duplicate, a stale event) are not taken here.
   */
  SubscriptionUpdate applySubscriptionEvent(SubscriptionChange change) throws SQLException {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        try (PreparedStatement s =
            c.prepareStatement(
                "SELECT 1 FROM users WHERE id = ?" + (postgres ? " FOR NO KEY UPDATE" : ""))) {
          s.setString(1, change.userId());
          try (ResultSet rs = s.executeQuery()) {
            if (!rs.next()) {
              throw new IllegalStateException("user not found");
            }
          }
        }
        String id;
        try (PreparedStatement s =
            c.prepareStatement(
                "SELECT "
                    + SUBSCRIPTION_COLUMNS
                    + " FROM subscriptions WHERE provider = ? AND external_id = ?")) {
          s.setString(1, change.provider());
          s.setString(2, change.externalId());
          try (ResultSet rs = s.executeQuery()) {
            if (!rs.next()) {
              throw new IllegalStateException("no such subscription");
            }
            if (!rs.getString(2).equals(change.userId())
                || change.occurredAt().isBefore(instant(rs, 9))) {
              throw new IllegalStateException("another user's, or a stale event");
            }
            id = rs.getString(1);
          }
        }
        Instant now = now();
        SubscriptionEvent event;
        try (PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO subscription_events (id, user_id, provider, external_id, type,"
                    + " provider_event_id, occurred_at, payload, recorded_at)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, "
                    + (postgres ? "CAST(? AS json)" : "?")
                    + ", ?) ON CONFLICT DO NOTHING RETURNING id, user_id, provider, external_id,"
                    + " type, provider_event_id, occurred_at, payload, recorded_at")) {
          s.setString(1, UUID.randomUUID().toString());
          s.setString(2, change.userId());
          s.setString(3, change.provider());
          s.setString(4, change.externalId());
          s.setString(5, change.eventType());
          s.setString(6, change.providerEventId());
          setInstant(s, 7, change.occurredAt());
          s.setString(8, change.payloadJson());
          setInstant(s, 9, now);
          try (ResultSet rs = s.executeQuery()) {
            if (!rs.next()) {
              throw new IllegalStateException("event seen before");
            }
            event = event(rs);
          }
        }
        Subscription stored;
        try (PreparedStatement s =
            c.prepareStatement(
                "UPDATE subscriptions SET plan = ?, status = ?, current_period_end = ?,"
                    + " cancel_at_period_end = ?, last_event_at = ?, updated_at = ? WHERE id = ?"
                    + " RETURNING "
                    + SUBSCRIPTION_COLUMNS)) {
          s.setString(1, change.plan());
          s.setString(2, change.status().storedName());
          setInstant(s, 3, change.currentPeriodEnd().orElseThrow());
          s.setBoolean(4, change.cancelAtPeriodEnd());
          setInstant(s, 5, change.occurredAt());
          setInstant(s, 6, now);
          s.setString(7, id);
          try (ResultSet rs = s.executeQuery()) {
            rs.next();
            stored = subscription(rs);
          }
        }
        c.commit();
        return new SubscriptionUpdate(stored, event, SubscriptionUpdate.Outcome.APPLIED);
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  Optional<Subscription> findLatestSubscription(String userId) throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT "
                    + SUBSCRIPTION_COLUMNS
                    + " FROM subscriptions WHERE user_id = ? ORDER BY updated_at DESC, id DESC"
                    + " LIMIT 1")) {
      s.setString(1, userId);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(subscription(rs)) : Optional.empty();
      }
    }
  }

  Optional<Subscription> findSubscription(String provider, String externalId) throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT "
                    + SUBSCRIPTION_COLUMNS
                    + " FROM subscriptions WHERE provider = ? AND external_id = ?")) {
      s.setString(1, provider);
      s.setString(2, externalId);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(subscription(rs)) : Optional.empty();
      }
    }
  }

  List<SubscriptionEvent> listSubscriptionEvents(String provider, String externalId)
      throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT id, user_id, provider, external_id, type, provider_event_id, occurred_at,"
                    + " payload, recorded_at FROM subscription_events"
                    + " WHERE provider = ? AND external_id = ? ORDER BY recorded_at, id")) {
      s.setString(1, provider);
      s.setString(2, externalId);
      try (ResultSet rs = s.executeQuery()) {
        List<SubscriptionEvent> events = new ArrayList<>();
        while (rs.next()) {
          events.add(event(rs));
        }
        return events;
      }
    }
  }

  /**
   * The newest page of a user's entries, by creation time then id, with the cursor of the next one
   * when there is one: one row more than the page says whether it exists.
   */
  JournalPage firstEntriesPage(String userId, int limit) throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT id, user_id, content, content_bytes, created_at, updated_at"
                    + " FROM journal_entries WHERE user_id = ?"
                    + " ORDER BY created_at DESC, id DESC LIMIT ?")) {
      s.setString(1, userId);
      s.setInt(2, limit + 1);
      return page(s, limit);
    }
  }

  /** The page after a cursor that {@link #firstEntriesPage} or this gave. */
  JournalPage olderEntriesPage(String userId, String cursor, int limit) throws SQLException {
    String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
    int colon = raw.indexOf(':');
    Instant at = Instant.ofEpochMilli(Long.parseLong(raw.substring(0, colon)));
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT id, user_id, content, content_bytes, created_at, updated_at"
                    + " FROM journal_entries WHERE user_id = ?"
                    + " AND (created_at < ? OR (created_at = ? AND id < ?))"
                    + " ORDER BY created_at DESC, id DESC LIMIT ?")) {
      s.setString(1, userId);
      setInstant(s, 2, at);
      setInstant(s, 3, at);
      s.setString(4, raw.substring(colon + 1));
      s.setInt(5, limit + 1);
      return page(s, limit);
    }
  }

  private JournalPage page(PreparedStatement s, int limit) throws SQLException {
    List<JournalEntry> rows = new ArrayList<>();
    try (ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        rows.add(entry(rs));
      }
    }
    if (rows.size() <= limit) {
      return new JournalPage(rows, Optional.empty());
    }
    JournalEntry last = rows.get(limit - 1);
    String raw = last.createdAt().toEpochMilli() + ":" + last.id();
    return new JournalPage(
        rows.subList(0, limit),
        Optional.of(B64.encodeToString(raw.getBytes(StandardCharsets.UTF_8))));
  }

  long journalTotalBytes(String userId) throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT COALESCE(SUM(content_bytes), 0) FROM journal_entries WHERE user_id = ?")) {
      s.setString(1, userId);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  List<JournalEntry> listEntries(String userId, int limit, int offset) throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT id, user_id, content, content_bytes, created_at, updated_at"
                    + " FROM journal_entries WHERE user_id = ?"
                    + " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?")) {
      s.setString(1, userId);
      s.setInt(2, limit);
      s.setInt(3, offset);
      try (ResultSet rs = s.executeQuery()) {
        List<JournalEntry> rows = new ArrayList<>();
        while (rs.next()) {
          rows.add(entry(rs));
        }
        return rows;
      }
    }
  }

  private static void requireUser(Connection c, String userId) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM users WHERE id = ?")) {
      s.setString(1, userId);
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          throw new IllegalStateException("user not found");
        }
      }
    }
  }

  private void insertToken(
      Connection c,
      String id,
      String userId,
      String familyId,
      String parentId,
      String hash,
      String fingerprint,
      Instant issued,
      Instant expires,
      Instant familyExpires,
      String seal)
      throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO refresh_tokens (id, user_id, family_id, parent_id, token_hash,"
                + " fingerprint, issued_at, expires_at, family_expires_at, grace_seal)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      s.setString(1, id);
      s.setString(2, userId);
      s.setString(3, familyId);
      s.setString(4, parentId);
      s.setString(5, hash);
      s.setString(6, fingerprint);
      setInstant(s, 7, issued);
      setInstant(s, 8, expires);
      setInstant(s, 9, familyExpires);
      s.setString(10, seal);
      s.executeUpdate();
    }
  }

  /**
   * vectors().search on Postgres: the {@code k} chunks of one owner nearest to {@code query} by
   * cosine distance through the HNSW index, as well as it can be written by hand: one round trip of
   * two statements (PgJDBC sends them before one Sync, so they share an implicit transaction), the
   * first setting the search's candidate list and pgvector 0.8's strict-order iterative scan for
   * that transaction alone, so that the filter on the owner still yields k rows; vectors in binary
   * through pgvector-java's registered type.
   */
  List<ChunkMatch> searchChunks(float[] query, int k, String userId, int efSearch)
      throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT set_config('hnsw.ef_search', ?, true),"
                    + " set_config('hnsw.iterative_scan', 'strict_order', true); SELECT "
                    + CHUNK_COLUMNS
                    + ", embedding <=> ?::vector AS distance FROM chunks WHERE user_id = ?"
                    + " ORDER BY distance LIMIT ?")) {
      PGvector.addVectorType(c);
      s.setString(1, Integer.toString(Math.max(efSearch, k)));
      s.setObject(2, new PGvector(query));
      s.setString(3, userId);
      s.setInt(4, k);
      s.execute();
      s.getMoreResults();
      List<ChunkMatch> matches = new ArrayList<>(k);
      try (ResultSet rs = s.getResultSet()) {
        while (rs.next()) {
          Chunk chunk =
              new Chunk(
                  rs.getString(1),
                  rs.getString(2),
                  rs.getString(3),
                  rs.getInt(4),
                  rs.getString(5),
                  // the flat map of strings, read by the library's parser: the same work
                  Json.read(rs.getString(6)),
                  ((PGvector) rs.getObject(7)).toArray(),
                  rs.getString(8),
                  Optional.of(instant(rs, 9)));
          matches.add(new ChunkMatch(chunk, rs.getDouble(10)));
        }
      }
      return matches;
    }
  }

  private Optional<User> oneUser(PreparedStatement s) throws SQLException {
    try (ResultSet rs = s.executeQuery()) {
      if (!rs.next()) {
        return Optional.empty();
      }
      return Optional.of(
          new User(
              rs.getString(1),
              rs.getString(2),
              rs.getString(3),
              UserProfile.of(rs.getString(4), rs.getString(5), rs.getString(6)),
              instant(rs, 7),
              instant(rs, 8),
              Optional.ofNullable(instant(rs, 9))));
    }
  }

  private JournalEntry entry(ResultSet rs) throws SQLException {
    return new JournalEntry(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        rs.getLong(4),
        instant(rs, 5),
        instant(rs, 6));
  }

  private SubscriptionEvent event(ResultSet rs) throws SQLException {
    return new SubscriptionEvent(
        rs.getString(1),
        Optional.ofNullable(rs.getString(2)),
        rs.getString(3),
        rs.getString(4),
        rs.getString(5),
        rs.getString(6),
        instant(rs, 7),
        rs.getString(8),
        instant(rs, 9));
  }

  private Subscription subscription(ResultSet rs) throws SQLException {
    return new Subscription(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        rs.getString(4),
        rs.getString(5),
        SubscriptionStatus.fromStoredName(rs.getString(6)),
        Optional.ofNullable(instant(rs, 8)),
        rs.getBoolean(7),
        instant(rs, 10),
        instant(rs, 11));
  }

  private RefreshToken token(ResultSet rs) throws SQLException {
    return new RefreshToken(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        Optional.ofNullable(rs.getString(4)),
        Optional.ofNullable(rs.getString(6)),
        instant(rs, 8),
        instant(rs, 9),
        instant(rs, 10),
        Optional.ofNullable(instant(rs, 11)),
        Optional.ofNullable(instant(rs, 12)));
  }

  /** Postgres: timestamptz in binary through java.time; SQLite: epoch milliseconds. */
  private Instant instant(ResultSet rs, int column) throws SQLException {
    if (postgres) {
      OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
      return value == null ? null : value.toInstant();
    }
    long millis = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
  }

  private void setInstant(PreparedStatement s, int index, Instant value) throws SQLException {
    if (postgres) {
      s.setObject(index, OffsetDateTime.ofInstant(value, ZoneOffset.UTC));
    } else {
      s.setLong(index, value.toEpochMilli());
    }
  }

  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MILLIS);
  }

  private static String hash(String secret) {
    return HEX.formatHex(sha256(secret));
  }

  private static byte[] sha256(String input) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(input.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] xor(byte[] a, byte[] key) {
    byte[] out = new byte[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = (byte) (a[i] ^ key[i % key.length]);
    }
    return out;
  }
}
