package dev.polydb.api;

import dev.polydb.api.internal.Check;
import java.time.Instant;
import java.util.Optional;

/**
 * A subscription at a store or billing provider.
 *
 * @param id the library-generated id
 * @param userId the subscriber
 * @param provider the billing provider, e.g. {@code stripe}, {@code apple}, {@code google}
 * @param externalId the provider's id for the subscription
 * @param plan the product or plan
 * @param status the state
 * @param currentPeriodEnd the end of the paid (or trial) period, if known
 * @param cancelAtPeriodEnd whether it ends at the period end
 * @param createdAt when it was first written
 * @param updatedAt when its state last changed
 */
public record Subscription(
    String id,
    String userId,
    String provider,
    String externalId,
    String plan,
    SubscriptionStatus status,
    Optional<Instant> currentPeriodEnd,
    boolean cancelAtPeriodEnd,
    Instant createdAt,
    Instant updatedAt) {

  /**
   * Validates the record.
   *
   * @throws DbValidationException when a required field is missing
   */
  public Subscription {
    Check.identifier("id", id);
    Check.identifier("userId", userId);
    Check.identifier("provider", provider);
    Check.identifier("externalId", externalId);
    Check.identifier("plan", plan);
    Check.notNull("status", status);
    Check.notNull("currentPeriodEnd", currentPeriodEnd);
    Check.notNull("createdAt", createdAt);
    Check.notNull("updatedAt", updatedAt);
  }
}
