package dev.polydb.api;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Subscriptions fed by store and billing webhooks, with their append-only event log. Obtain it from
 * {@link DbProvider#subscriptions()}.
 */
public interface Subscriptions {

  /**
   * Writes a subscription's reported state and its event in one transaction. A provider event id
   * seen before is not applied again; an event older than the last applied one is logged but does
   * not move the state back. A user holds at most one trialing, active or past-due subscription,
   * enforced by the schema.
   *
   * @param change the reported state and event
   * @return the stored subscription and event and what was done
   * @throws DbValidationException when the payload is not JSON
   * @throws DbNotFoundException when the user does not exist
   * @throws DbConflictException when the user already holds another active subscription, or the
   *     external id belongs to another user
   * @throws DbReadOnlyException when mutations are disabled
   */
  SubscriptionUpdate upsertActive(SubscriptionChange change);

  /**
   * Finds the user's current subscription: trialing or active with a period end in the future (or
   * none), or past-due within the configured grace after the period end.
   *
   * @param userId the user
   * @return the subscription, or empty
   * @throws DbValidationException when the id is invalid
   */
  Optional<Subscription> findActive(String userId);

  /**
   * Finds the user's most recently updated subscription, whatever its state.
   *
   * @param userId the user
   * @return the subscription, or empty
   * @throws DbValidationException when the id is invalid
   */
  Optional<Subscription> findLatest(String userId);

  /**
   * Finds a subscription by the provider's id.
   *
   * @param provider the billing provider
   * @param externalId the provider's subscription id
   * @return the subscription, or empty
   * @throws DbValidationException when an argument is invalid
   */
  Optional<Subscription> findByExternalId(String provider, String externalId);

  /**
   * Lists a subscription's events in the order they were recorded.
   *
   * @param provider the billing provider
   * @param externalId the provider's subscription id
   * @return the events, oldest first; still there after the user is deleted
   * @throws DbValidationException when an argument is invalid
   */
  List<SubscriptionEvent> listEvents(String provider, String externalId);

  /**
   * Marks every subscription whose period has ended as expired and logs one {@code expired} event
   * for each, atomically per subscription. Running it again, or twice at once, changes nothing
   * more.
   *
   * @param now the instant to judge at, in years 1 to 9999 (UTC)
   * @return how many subscriptions this call expired
   * @throws DbValidationException when {@code now} is null or out of that range
   * @throws DbReadOnlyException when mutations are disabled
   */
  int runExpirySweep(Instant now);
}
