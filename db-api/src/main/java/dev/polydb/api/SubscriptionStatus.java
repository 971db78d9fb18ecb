package dev.polydb.api;

import java.util.Locale;

/** The life-cycle state of a subscription. */
public enum SubscriptionStatus {
  /** In a free trial; counts as active. */
  TRIALING,
  /** Paid and current. */
  ACTIVE,
  /** A payment failed; active only within the configured past-due grace. */
  PAST_DUE,
  /** Cancelled by the user or the store; ends at the period end. */
  CANCELED,
  /** Over. */
  EXPIRED;

  /**
   * The lower-case name stored in the database, e.g. {@code past_due}.
   *
   * @return the stored name
   */
  public String storedName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Reads a stored name.
   *
   * @param stored the stored name, e.g. {@code active}
   * @return the status
   * @throws DbValidationException when the name is not a status
   */
  public static SubscriptionStatus fromStoredName(String stored) {
    for (SubscriptionStatus s : values()) {
      if (s.storedName().equals(stored)) {
        return s;
      }
    }
    throw new DbValidationException(
        "status", "must be one of trialing, active, past_due, canceled, expired: " + stored);
  }
}
