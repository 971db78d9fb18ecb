package dev.polydb.api;

/**
 * Which database answers, chosen by {@code DB_MODE} and switched by a restart. Unset, the kind of
 * {@code DATABASE_URL} decides; set, it must agree with that URL, so that a restart with the wrong
 * variable fails at once rather than opening an empty database. See {@code docs/modes.md}.
 */
public enum BackendMode {
  /** SQLite alone: {@code DATABASE_URL} is a SQLite URL (or unset, for the default file). */
  SQLITE,
  /** PostgreSQL alone: {@code DATABASE_URL} is a Postgres URL. */
  POSTGRES,
  /**
   * SQLite answers every call, as in {@link #SQLITE}, and every committed write is also replayed,
   * in commit order, to the Postgres database at {@code DB_MIRROR_URL}. Needs the {@code db-mirror}
   * module on the class path.
   */
  MIRROR
}
