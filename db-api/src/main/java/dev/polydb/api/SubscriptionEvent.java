package dev.polydb.api;

import dev.polydb.api.internal.Check;
import java.time.Instant;
import java.util.Optional;

/**
 * One entry of the append-only subscription event log. Events outlive their user: when the user is
 * deleted, {@link #userId()} becomes empty and the rest is kept for audit.
 *
 * @param id the library-generated id
 * @param userId the subscriber, empty once the user is deleted
 * @param provider the billing provider
 * @param externalId the provider's subscription id
 * @param type the event type, e.g. {@code renewed} or {@code expired}
 * @param providerEventId the provider's event id, unique per provider
 * @param occurredAt when the provider says it happened
 * @param payloadJson the raw JSON payload
 * @param recordedAt when the library stored it
 */
public record SubscriptionEvent(
    String id,
    Optional<String> userId,
    String provider,
    String externalId,
    String type,
    String providerEventId,
    Instant occurredAt,
    String payloadJson,
    Instant recordedAt) {

  /**
   * Validates the record.
   *
   * @throws DbValidationException when a required field is missing
   */
  public SubscriptionEvent {
    Check.identifier("id", id);
    Check.notNull("userId", userId);
    Check.identifier("provider", provider);
    Check.identifier("externalId", externalId);
    Check.identifier("type", type);
    Check.identifier("providerEventId", providerEventId);
    Check.notNull("occurredAt", occurredAt);
    Check.notNull("payloadJson", payloadJson);
    Check.notNull("recordedAt", recordedAt);
  }
}
