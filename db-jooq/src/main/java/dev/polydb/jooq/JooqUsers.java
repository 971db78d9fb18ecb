package dev.polydb.jooq;

import static org.jooq.impl.DSL.coalesce;
import static org.jooq.impl.DSL.excluded;

import dev.polydb.api.DbNotFoundException;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import dev.polydb.api.Users;
import dev.polydb.api.internal.Check;
import java.util.Optional;
import java.util.function.Consumer;
import org.jooq.DSLContext;
import org.jooq.Record;

final class JooqUsers implements Users {
  private final Session s;
  private final Tables.Users u;
  private final Consumer<String> deleted;

  JooqUsers(Session session, Consumer<String> deleted) {
    this.s = session;
    this.u = session.t.users;
    this.deleted = deleted;
  }

  @Override
  public Optional<User> findById(String userId) {
    Check.identifier("userId", userId);
    return s.read(
        "user find",
        ctx ->
            ctx.select(u.all).from(u.table).where(u.id.eq(userId)).fetchOptional().map(this::map));
  }

  @Override
  public Optional<User> findByProvider(String provider, String providerSubject) {
    checkIdentity(provider, providerSubject);
    return s.read(
        "user find",
        ctx ->
            ctx.select(u.all)
                .from(u.table)
                .where(u.provider.eq(provider), u.subject.eq(providerSubject))
                .fetchOptional()
                .map(this::map));
  }

  @Override
  public User upsert(String provider, String providerSubject, UserProfile profile) {
    checkIdentity(provider, providerSubject);
    Check.notNull("profile", profile);
    return s.write(
        "user upsert",
        ctx -> {
          var now = s.now();
          // one statement: concurrent first sign-ins of one identity meet in the unique key
          var insert =
              ctx.insertInto(u.table)
                  .set(u.id, s.newId())
                  .set(u.provider, provider)
                  .set(u.subject, providerSubject)
                  .set(u.email, profile.email().orElse(null))
                  .set(u.displayName, profile.displayName().orElse(null))
                  .set(u.avatarUrl, profile.avatarUrl().orElse(null))
                  .set(u.createdAt, now)
                  .set(u.updatedAt, now)
                  .set(u.lastLoginAt, now)
                  .onConflict(u.provider, u.subject)
                  .doUpdate()
                  .set(u.email, coalesce(excluded(u.email), u.email))
                  .set(u.displayName, coalesce(excluded(u.displayName), u.displayName))
                  .set(u.avatarUrl, coalesce(excluded(u.avatarUrl), u.avatarUrl))
                  .set(u.updatedAt, now)
                  .set(u.lastLoginAt, now);
          return load(ctx, Returning.one(ctx, insert, u.id));
        });
  }

  @Override
  public User create(String provider, String providerSubject, UserProfile profile) {
    checkIdentity(provider, providerSubject);
    Check.notNull("profile", profile);
    return s.write(
        "user create",
        ctx -> {
          var now = s.now();
          String id = s.newId();
          ctx.insertInto(u.table)
              .set(u.id, id)
              .set(u.provider, provider)
              .set(u.subject, providerSubject)
              .set(u.email, profile.email().orElse(null))
              .set(u.displayName, profile.displayName().orElse(null))
              .set(u.avatarUrl, profile.avatarUrl().orElse(null))
              .set(u.createdAt, now)
              .set(u.updatedAt, now)
              .execute();
          return load(ctx, id);
        });
  }

  @Override
  public boolean delete(String userId) {
    Check.identifier("userId", userId);
    // every owned row goes with the user through ON DELETE CASCADE; events keep a cleared user_id
    boolean existed =
        s.write("user delete", ctx -> ctx.deleteFrom(u.table).where(u.id.eq(userId)).execute() > 0);
    deleted.accept(userId);
    return existed;
  }

  private User load(DSLContext ctx, String id) {
    return ctx.select(u.all)
        .from(u.table)
        .where(u.id.eq(id))
        .fetchOptional()
        .map(this::map)
        .orElseThrow(() -> new DbNotFoundException("user not found after write: " + id));
  }

  private static void checkIdentity(String provider, String subject) {
    Check.text("provider", Check.identifier("provider", provider), 64);
    Check.identifier("providerSubject", subject);
  }

  private User map(Record r) {
    return new User(
        r.get(u.id),
        r.get(u.provider),
        r.get(u.subject),
        UserProfile.of(r.get(u.email), r.get(u.displayName), r.get(u.avatarUrl)),
        r.get(u.createdAt),
        r.get(u.updatedAt),
        Optional.ofNullable(r.get(u.lastLoginAt)));
  }
}
