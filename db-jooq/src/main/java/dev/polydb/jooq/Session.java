package dev.polydb.jooq;

import java.time.Instant;
import java.util.function.Function;
import org.jooq.DSLContext;

/**
 * Where an area's calls run: on pooled connections (each write in its own transaction), or bound to
 * the caller's transaction inside {@code inTransaction}.
 */
final class Session {
  final Core core;
  final Tables t;
  private final DSLContext tx;

  private Session(Core core, DSLContext tx) {
    this.core = core;
    this.t = core.tables;
    this.tx = tx;
  }

  static Session pooled(Core core) {
    return new Session(core, null);
  }

  Session bind(DSLContext transaction) {
    return new Session(core, transaction);
  }

  boolean inTransaction() {
    return tx != null;
  }

  Instant now() {
    return core.now();
  }

  String newId() {
    return core.ids.next();
  }

  /**
   * Runs reads: with autocommit, or inside the caller's transaction under a savepoint, so that a
   * failed read (a timeout, a missing table) leaves the caller's transaction usable on Postgres as
   * it does on SQLite.
   */
  <T> T read(String operation, Function<DSLContext, T> work) {
    core.ensureOpen();
    try {
      if (tx != null) {
        return tx.transactionResult(nested -> work.apply(nested.dsl()));
      }
      return work.apply(core.dsl);
    } catch (RuntimeException e) {
      throw core.translate(e, operation);
    }
  }

  /**
   * Runs a write atomically: in a new transaction, or inside the caller's under a savepoint, so
   * that a failed call is undone on its own and the caller's transaction can go on (Postgres
   * refuses every statement of a transaction after an error, SQLite does not: the savepoint makes
   * both behave alike). With mutations disabled it refuses before any statement.
   */
  <T> T write(String operation, Function<DSLContext, T> work) {
    core.ensureOpen();
    core.requireMutations(operation);
    if (tx != null) {
      try {
        // jOOQ nests a transaction as a savepoint, released on success, rolled back to on failure
        return tx.transactionResult(nested -> work.apply(nested.dsl()));
      } catch (RuntimeException e) {
        throw core.translate(e, operation);
      }
    }
    return core.transaction(operation, work);
  }
}
