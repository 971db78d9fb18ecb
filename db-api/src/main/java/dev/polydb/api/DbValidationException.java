package dev.polydb.api;

/**
 * Input was refused before any SQL was sent: nothing was written. {@link #field()} names the
 * offending argument or record component.
 */
public final class DbValidationException extends DbException {
  private static final long serialVersionUID = 1L;

  private final String field;

  /**
   * Creates a validation error.
   *
   * @param field the offending field
   * @param rule what the value violates, e.g. {@code "must not be blank"}
   */
  public DbValidationException(String field, String rule) {
    super(field + " " + rule, null, null);
    this.field = field;
  }

  /**
   * The name of the field that was refused.
   *
   * @return the field name
   */
  public String field() {
    return field;
  }
}
