package dev.polydb.api;

import java.util.Optional;

/** Users and their OAuth identities. Obtain it from {@link DbProvider#users()}. */
public interface Users {

  /**
   * Finds a user by id.
   *
   * @param userId the user id
   * @return the user, or empty when there is none
   * @throws DbValidationException when the id is blank or too long
   */
  Optional<User> findById(String userId);

  /**
   * Finds a user by identity.
   *
   * @param provider the identity provider
   * @param providerSubject the provider's subject
   * @return the user, or empty when there is none
   * @throws DbValidationException when an argument is blank or too long
   */
  Optional<User> findByProvider(String provider, String providerSubject);

  /**
   * Signs a user in: creates the user on first sight of the identity, otherwise updates it, in one
   * statement. Profile fields that are present replace the stored ones; absent fields keep them.
   * {@code lastLoginAt} is set to now. Concurrent first sign-ins of one identity create one user
   * and every caller gets its id.
   *
   * @param provider the identity provider
   * @param providerSubject the provider's subject
   * @param profile the profile the provider reported
   * @return the stored user
   * @throws DbValidationException when an argument is invalid
   * @throws DbReadOnlyException when mutations are disabled
   */
  User upsert(String provider, String providerSubject, UserProfile profile);

  /**
   * Creates a user for a new identity.
   *
   * @param provider the identity provider
   * @param providerSubject the provider's subject
   * @param profile the profile
   * @return the created user
   * @throws DbConflictException when the identity already has a user
   * @throws DbValidationException when an argument is invalid
   * @throws DbReadOnlyException when mutations are disabled
   */
  User create(String provider, String providerSubject, UserProfile profile);

  /**
   * Deletes a user and everything the user owns (refresh tokens, journal entries, chunks, revoked
   * JWT ids, subscriptions) in one transaction. Subscription events are kept for audit with their
   * user reference cleared.
   *
   * @param userId the user id
   * @return {@code true} when the user existed
   * @throws DbValidationException when the id is blank or too long
   * @throws DbReadOnlyException when mutations are disabled
   */
  boolean delete(String userId);
}
