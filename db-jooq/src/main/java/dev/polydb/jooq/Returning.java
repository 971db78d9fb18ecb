package dev.polydb.jooq;

import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Insert;

/**
 * {@code INSERT … RETURNING} sent as such to every backend. jOOQ's open-source SQLite dialect
 * emulates {@code returning()} with a second query on {@code last_insert_rowid()}, which an {@code
 * ON CONFLICT DO UPDATE} never sets: an upsert that updated would read back whatever row the
 * connection inserted last (jOOQ issues 15316 and 18073). SQLite has had a native {@code RETURNING}
 * since 3.35, and Postgres always had one, so the clause is appended to jOOQ's rendering of the
 * statement, binds and all.
 */
final class Returning {
  private Returning() {}

  static <T> T one(DSLContext ctx, Insert<?> insert, Field<T> field) {
    return ctx.resultQuery(
            "{0} returning {1}", insert, org.jooq.impl.DSL.name(field.getUnqualifiedName()))
        .fetchOne(0, field.getType());
  }
}
