package dev.polydb.jooq;

import static org.jooq.impl.DSL.coalesce;
import static org.jooq.impl.DSL.excluded;
import static org.jooq.impl.DSL.param;

import dev.polydb.api.DbNotFoundException;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import dev.polydb.api.Users;
import dev.polydb.api.internal.Check;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;
import org.jooq.DSLContext;
import org.jooq.InsertSetMoreStep;
import org.jooq.Record;

/** Users. The calls an application makes on every request run statements rendered once. */
final class JooqUsers implements Users {
  private final Session s;
  private final Tables.Users u;
  private final Consumer<String> deleted;
  private final String findById;
  private final String findByProvider;
  private final String upsert;
  private final String insert;
  private final String deleteById;

  JooqUsers(Session session, Consumer<String> deleted) {
    this.s = session;
    this.u = session.t.users;
    this.deleted = deleted;
    DSLContext dsl = session.core.dsl;
    this.findById =
        s.sql(
            "users.findById",
            () ->
                s.render(
                    dsl.select(u.all).from(u.table).where(u.id.eq(param(u.id.getDataType())))));
    this.findByProvider =
        s.sql(
            "users.findByProvider",
            () ->
                s.render(
                    dsl.select(u.all)
                        .from(u.table)
                        .where(
                            u.provider.eq(param(u.provider.getDataType())),
                            u.subject.eq(param(u.subject.getDataType())))));
    // one statement: concurrent first sign-ins of one identity meet in the unique key, and the
    // row comes back with it (RETURNING: see Session.returning)
    this.upsert =
        s.sql(
            "users.upsert",
            () ->
                s.render(
                        newUser(dsl)
                            .set(u.lastLoginAt, param(u.lastLoginAt.getDataType()))
                            .onConflict(u.provider, u.subject)
                            .doUpdate()
                            .set(u.email, coalesce(excluded(u.email), u.email))
                            .set(u.displayName, coalesce(excluded(u.displayName), u.displayName))
                            .set(u.avatarUrl, coalesce(excluded(u.avatarUrl), u.avatarUrl))
                            .set(u.updatedAt, excluded(u.updatedAt))
                            .set(u.lastLoginAt, excluded(u.lastLoginAt)))
                    + s.returning(u.all));
    this.insert = s.sql("users.insert", () -> s.render(newUser(dsl)));
    this.deleteById =
        s.sql(
            "users.deleteById",
            () -> s.render(dsl.deleteFrom(u.table).where(u.id.eq(param(u.id.getDataType())))));
  }

  /** The insert of a new user's first eight values, which {@link #bindNew} binds. */
  private InsertSetMoreStep<Record> newUser(DSLContext dsl) {
    return dsl.insertInto(u.table)
        .set(u.id, param(u.id.getDataType()))
        .set(u.provider, param(u.provider.getDataType()))
        .set(u.subject, param(u.subject.getDataType()))
        .set(u.email, param(u.email.getDataType()))
        .set(u.displayName, param(u.displayName.getDataType()))
        .set(u.avatarUrl, param(u.avatarUrl.getDataType()))
        .set(u.createdAt, param(u.createdAt.getDataType()))
        .set(u.updatedAt, param(u.updatedAt.getDataType()));
  }

  @Override
  public Optional<User> findById(String userId) {
    Check.identifier("userId", userId);
    return s.readJdbc(
        "user find", c -> Sql.one(c, findById, st -> st.setString(1, userId), this::map));
  }

  @Override
  public Optional<User> findByProvider(String provider, String providerSubject) {
    checkIdentity(provider, providerSubject);
    return s.readJdbc(
        "user find",
        c ->
            Sql.one(
                c,
                findByProvider,
                st -> {
                  st.setString(1, provider);
                  st.setString(2, providerSubject);
                },
                this::map));
  }

  @Override
  public User upsert(String provider, String providerSubject, UserProfile profile) {
    checkIdentity(provider, providerSubject);
    Check.notNull("profile", profile);
    return s.writeOneStatement(
        "user upsert",
        c -> {
          Instant now = s.now();
          String id = s.newId();
          return Sql.one(
                  c,
                  upsert,
                  st -> {
                    bindNew(st, id, provider, providerSubject, profile, now);
                    s.core.backend.setInstant(st, 9, now);
                  },
                  this::map)
              .orElseThrow(
                  () -> new DbNotFoundException("user upsert returned no row: " + provider));
        });
  }

  @Override
  public User create(String provider, String providerSubject, UserProfile profile) {
    checkIdentity(provider, providerSubject);
    Check.notNull("profile", profile);
    // one statement: the unique key refuses an identity that exists
    return s.writeOneStatement(
        "user create",
        c -> {
          Instant now = s.now();
          String id = s.newId();
          Sql.update(c, insert, st -> bindNew(st, id, provider, providerSubject, profile, now));
          return new User(
              id,
              provider,
              providerSubject,
              UserProfile.of(
                  profile.email().orElse(null),
                  profile.displayName().orElse(null),
                  profile.avatarUrl().orElse(null)),
              now,
              now,
              Optional.empty());
        });
  }

  /** Binds the first eight values of a new user, as both inserts list them. */
  private void bindNew(
      PreparedStatement st,
      String id,
      String provider,
      String subject,
      UserProfile profile,
      Instant now)
      throws SQLException {
    st.setString(1, id);
    st.setString(2, provider);
    st.setString(3, subject);
    st.setString(4, profile.email().orElse(null));
    st.setString(5, profile.displayName().orElse(null));
    st.setString(6, profile.avatarUrl().orElse(null));
    s.core.backend.setInstant(st, 7, now);
    s.core.backend.setInstant(st, 8, now);
  }

  @Override
  public boolean delete(String userId) {
    Check.identifier("userId", userId);
    // every owned row goes with the user through ON DELETE CASCADE; events keep a cleared user_id
    boolean existed =
        s.writeOneStatement(
            "user delete", c -> Sql.update(c, deleteById, st -> st.setString(1, userId)) > 0);
    deleted.accept(userId);
    return existed;
  }

  private static void checkIdentity(String provider, String subject) {
    Check.text("provider", Check.identifier("provider", provider), 64);
    Check.identifier("providerSubject", subject);
  }

  /** A row of {@code u.all}, in its order. */
  private User map(ResultSet r) throws SQLException {
    return new User(
        r.getString(1),
        r.getString(2),
        r.getString(3),
        UserProfile.of(r.getString(4), r.getString(5), r.getString(6)),
        s.core.backend.getInstant(r, 7),
        s.core.backend.getInstant(r, 8),
        Optional.ofNullable(s.core.backend.getInstant(r, 9)));
  }
}
