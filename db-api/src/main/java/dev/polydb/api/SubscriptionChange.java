package dev.polydb.api;

import dev.polydb.api.internal.Check;
import java.time.Instant;
import java.util.Optional;

/**
 * A webhook's news about one subscription: the state it reports and the event that reported it.
 * Build one with {@link #builder()}.
 *
 * @param userId the subscriber
 * @param provider the billing provider
 * @param externalId the provider's subscription id
 * @param plan the product or plan
 * @param status the reported state
 * @param currentPeriodEnd the reported period end, if any
 * @param cancelAtPeriodEnd whether it ends at the period end
 * @param eventType the event type, e.g. {@code renewed}
 * @param providerEventId the provider's event id; a repeated id is not applied again
 * @param occurredAt when the provider says the event happened
 * @param payloadJson the raw JSON payload, at most 1 MiB
 */
public record SubscriptionChange(
    String userId,
    String provider,
    String externalId,
    String plan,
    SubscriptionStatus status,
    Optional<Instant> currentPeriodEnd,
    boolean cancelAtPeriodEnd,
    String eventType,
    String providerEventId,
    Instant occurredAt,
    String payloadJson) {

  /** Largest accepted payload, in UTF-8 bytes. */
  public static final int MAX_PAYLOAD_BYTES = 1 << 20;

  /**
   * Validates the record and truncates its instants to milliseconds, the precision every backend
   * stores; instants must lie in years 1 to 9999 (UTC), the range every backend stores.
   *
   * @throws DbValidationException naming the first invalid field
   */
  public SubscriptionChange {
    Check.identifier("userId", userId);
    Check.text("provider", Check.identifier("provider", provider), 64);
    Check.identifier("externalId", externalId);
    Check.identifier("plan", plan);
    Check.notNull("status", status);
    currentPeriodEnd =
        Check.notNull("currentPeriodEnd", currentPeriodEnd)
            .map(t -> Check.instant("currentPeriodEnd", t));
    Check.text("eventType", Check.identifier("eventType", eventType), 64);
    Check.identifier("providerEventId", providerEventId);
    occurredAt = Check.instant("occurredAt", occurredAt);
    Check.utf8("payloadJson", payloadJson, MAX_PAYLOAD_BYTES);
  }

  /**
   * Starts a builder.
   *
   * @return a new builder; {@code status} defaults to active and {@code payloadJson} to {@code {}}
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link SubscriptionChange}; {@link #build()} validates it. */
  public static final class Builder {
    private String userId;
    private String provider;
    private String externalId;
    private String plan;
    private SubscriptionStatus status = SubscriptionStatus.ACTIVE;
    private Instant currentPeriodEnd;
    private boolean cancelAtPeriodEnd;
    private String eventType;
    private String providerEventId;
    private Instant occurredAt;
    private String payloadJson = "{}";

    private Builder() {}

    /**
     * Sets the subscriber.
     *
     * @param value the user id
     * @return this builder
     */
    public Builder userId(String value) {
      this.userId = value;
      return this;
    }

    /**
     * Sets the billing provider.
     *
     * @param value e.g. {@code stripe}
     * @return this builder
     */
    public Builder provider(String value) {
      this.provider = value;
      return this;
    }

    /**
     * Sets the provider's subscription id.
     *
     * @param value the external id
     * @return this builder
     */
    public Builder externalId(String value) {
      this.externalId = value;
      return this;
    }

    /**
     * Sets the plan.
     *
     * @param value the plan
     * @return this builder
     */
    public Builder plan(String value) {
      this.plan = value;
      return this;
    }

    /**
     * Sets the reported state.
     *
     * @param value the status
     * @return this builder
     */
    public Builder status(SubscriptionStatus value) {
      this.status = value;
      return this;
    }

    /**
     * Sets the period end.
     *
     * @param value the period end, or {@code null} when unknown
     * @return this builder
     */
    public Builder currentPeriodEnd(Instant value) {
      this.currentPeriodEnd = value;
      return this;
    }

    /**
     * Sets whether it ends at the period end.
     *
     * @param value the flag
     * @return this builder
     */
    public Builder cancelAtPeriodEnd(boolean value) {
      this.cancelAtPeriodEnd = value;
      return this;
    }

    /**
     * Sets the event type.
     *
     * @param value e.g. {@code renewed}
     * @return this builder
     */
    public Builder eventType(String value) {
      this.eventType = value;
      return this;
    }

    /**
     * Sets the provider's event id.
     *
     * @param value the event id
     * @return this builder
     */
    public Builder providerEventId(String value) {
      this.providerEventId = value;
      return this;
    }

    /**
     * Sets when the event happened.
     *
     * @param value the instant
     * @return this builder
     */
    public Builder occurredAt(Instant value) {
      this.occurredAt = value;
      return this;
    }

    /**
     * Sets the raw JSON payload.
     *
     * @param value the JSON text
     * @return this builder
     */
    public Builder payloadJson(String value) {
      this.payloadJson = value;
      return this;
    }

    /**
     * Builds and validates the change.
     *
     * @return the change
     * @throws DbValidationException naming the first invalid field
     */
    public SubscriptionChange build() {
      return new SubscriptionChange(
          userId,
          provider,
          externalId,
          plan,
          status,
          Optional.ofNullable(currentPeriodEnd),
          cancelAtPeriodEnd,
          eventType,
          providerEventId,
          occurredAt,
          payloadJson);
    }
  }
}
