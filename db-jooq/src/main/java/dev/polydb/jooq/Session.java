package dev.polydb.jooq;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Query;
import org.jooq.impl.DSL;

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
   * Renders a statement once, for a hot path: binds as {@code ?}, in the order they appear.
   *
   * @param query a statement whose values are {@code DSL.param} placeholders
   * @return the SQL for the backend's dialect
   */
  String render(Query query) {
    return core.dsl.render(query);
  }

  /**
   * A hot path's statement, rendered the first time this provider asks for it and kept: the areas
   * are built again for every {@code inTransaction}, their statements are not.
   *
   * @param key the statement's name, unique in the provider, e.g. {@code users.findById}
   * @param render renders it, with {@link #render} (and {@link #returning})
   * @return the SQL
   */
  String sql(String key, Supplier<String> render) {
    return core.statements.computeIfAbsent(key, k -> render.get());
  }

  /**
   * A {@code RETURNING} clause for a statement rendered once: the fields, unqualified, in order.
   * Appended rather than built by jOOQ: its open-source SQLite dialect emulates {@code returning()}
   * with a second query on {@code last_insert_rowid()}, which an {@code ON CONFLICT DO UPDATE}
   * never sets (jOOQ issues 15316 and 18073); SQLite has had a native {@code RETURNING} since 3.35.
   *
   * @param fields the fields, e.g. a table's {@code all}
   * @return e.g. {@code RETURNING "id", "user_id"}
   */
  String returning(List<Field<?>> fields) {
    return " RETURNING "
        + fields.stream()
            .map(f -> core.dsl.render(DSL.name(f.getUnqualifiedName())))
            .collect(Collectors.joining(", "));
  }

  /**
   * Runs reads over plain JDBC, as {@link #read} does: on a pooled connection with autocommit, or
   * inside the caller's transaction under a savepoint.
   */
  <T> T readJdbc(String operation, Sql.Work<T> work) {
    core.ensureOpen();
    try {
      if (tx != null) {
        return tx.transactionResult(nested -> Sql.on(nested, work));
      }
      try (Connection c = core.backend.dataSource().getConnection()) {
        return work.run(c);
      }
    } catch (SQLException e) {
      throw core.translate(Sql.wrap(e), operation);
    } catch (RuntimeException e) {
      throw core.translate(e, operation);
    }
  }

  /**
   * Runs a write whose first statement does the whole change with autocommit ({@link
   * Core#autocommit}): what follows it may only read. Inside the caller's transaction it runs
   * there, under a savepoint, as {@link #write} does.
   */
  <T> T writeOneStatement(String operation, Sql.Work<T> work) {
    core.ensureOpen();
    core.requireMutations(operation);
    if (tx != null) {
      return write(operation, ctx -> jdbc(ctx, work));
    }
    return core.autocommit(operation, work);
  }

  /**
   * Runs statements over plain JDBC inside a write ({@link #write}), on its transaction's
   * connection.
   */
  static <T> T jdbc(DSLContext ctx, Sql.Work<T> work) {
    return Sql.on(ctx.configuration(), work);
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
    return core.write(operation, work);
  }
}
