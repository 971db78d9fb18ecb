package dev.polydb.api;

import dev.polydb.api.internal.Check;

/**
 * What {@link Subscriptions#upsertActive} did with a change.
 *
 * @param subscription the subscription as stored after the call
 * @param event the stored event: the new one, or for a repeated provider event id the one stored
 *     the first time
 * @param outcome whether the change moved the subscription's state
 */
public record SubscriptionUpdate(
    Subscription subscription, SubscriptionEvent event, Outcome outcome) {

  /**
   * Validates the record.
   *
   * @throws DbValidationException when a field is missing
   */
  public SubscriptionUpdate {
    Check.notNull("subscription", subscription);
    Check.notNull("event", event);
    Check.notNull("outcome", outcome);
  }

  /** How a change was handled. */
  public enum Outcome {
    /** The event was recorded and the state applied. */
    APPLIED,
    /** The provider event id was seen before: nothing was written. */
    DUPLICATE,
    /**
     * The event is older than the last one applied to the subscription: it was recorded in the log
     * but the state was not moved back.
     */
    STALE
  }
}
