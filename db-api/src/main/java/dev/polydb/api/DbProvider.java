package dev.polydb.api;

/**
 * The library's one entry point: every area of the data layer, on whichever database {@code
 * DATABASE_URL} names. Open one with {@link DbProviders#fromEnv()} or {@link
 * DbProviders#open(String)}; it is thread-safe and meant to live as long as the application. Close
 * it to release every connection and file handle.
 */
public interface DbProvider extends AutoCloseable {

  /**
   * Users and their identities.
   *
   * @return the users area
   */
  Users users();

  /**
   * Refresh tokens.
   *
   * @return the refresh-token area
   */
  RefreshTokens refreshTokens();

  /**
   * Subscriptions and their event log.
   *
   * @return the subscriptions area
   */
  Subscriptions subscriptions();

  /**
   * Journal entries.
   *
   * @return the journal area
   */
  Journal journal();

  /**
   * Revoked JWT ids.
   *
   * @return the JWT-id area
   */
  RevokedJtis jtis();

  /**
   * Chunks and vector search.
   *
   * @return the vector area
   */
  VectorStore vectors();

  /**
   * Runs several operations in one transaction: they all commit, or (when {@code work} throws) none
   * does. Calls made on {@code tx} join the transaction; a nested {@code inTransaction} joins it
   * too.
   *
   * @param work the work, given a provider bound to the transaction
   * @param <T> what the work returns
   * @return what the work returned
   * @throws DbTransientException when the transaction failed for a reason worth a retry
   */
  <T> T inTransaction(TransactionWork<T> work);

  /**
   * The view of one tenant's data (SPEC §12): its own schema on PostgreSQL, through this provider's
   * pool, every transaction setting the tenant's search path; its own file on SQLite. The tenant
   * must exist (made by {@code polydb tenants create}): an unknown tenant is an error, never
   * another tenant's data. The view is kept and handed out again; closing this provider closes it.
   *
   * @param tenantId the tenant's id, by the rules of {@link TenantId}
   * @return the tenant's view
   * @throws DbValidationException when the id breaks a rule
   * @throws DbNotFoundException when there is no such tenant
   * @throws DbConfigException when this backend has no tenants
   */
  default DbProvider tenant(String tenantId) {
    throw new DbConfigException(backend() + " provider has no tenants");
  }

  /**
   * Checks the database with one round trip.
   *
   * @return reachability, latency, schema version, read-only state and pool figures; never throws
   *     for an unreachable database
   */
  Health health();

  /**
   * The configuration this provider was opened with.
   *
   * @return the immutable configuration
   */
  DbConfig config();

  /**
   * The backend's name, e.g. {@code sqlite} or {@code postgres}.
   *
   * @return the name
   */
  String backend();

  /** Releases every connection and file handle. Calls after close fail. */
  @Override
  void close();
}
