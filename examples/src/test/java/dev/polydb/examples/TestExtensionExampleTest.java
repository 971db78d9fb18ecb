package dev.polydb.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polydb.api.DatabaseUrl;
import dev.polydb.api.DbProvider;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import dev.polydb.testkit.TestDatabases;
import dev.polydb.testkit.TestDatabases.OnBackends;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * How an application tests its own code against the library: {@link TestDatabases} hands each test
 * a fresh provider, on a SQLite file, or once on each backend for a template, and removes it after.
 * (The README points here.)
 */
class TestExtensionExampleTest {
  @RegisterExtension
  static final TestDatabases DATABASES = new TestDatabases(settings -> settings.vectorDimension(8));

  private static final List<Path> FILES = new ArrayList<>();
  private static final List<String> BACKENDS = new ArrayList<>();

  /** The application's code under test. */
  private static User signIn(DbProvider db, String subject, String email) {
    return db.users().upsert("google", subject, UserProfile.of(email, null, null));
  }

  @Test
  void signsInOnAFreshSqliteFile(DbProvider db) {
    User user = signIn(db, "sub-1", "ada@example.com");

    assertThat(db.users().findByProvider("google", "sub-1")).contains(user);
    assertThat(db.vectors().settings().dimension()).isEqualTo(8);
    FILES.add(DatabaseUrl.parse(db.config().url()).sqlitePath().orElseThrow());
  }

  @TestTemplate
  @OnBackends
  void signsInTheSameOnEveryBackend(DbProvider db) {
    User first = signIn(db, "sub-2", "grace@example.com");
    User again = signIn(db, "sub-2", "grace@example.org");

    assertThat(again.id()).isEqualTo(first.id());
    assertThat(again.profile().email()).contains("grace@example.org");
    assertThat(db.users().findByProvider("google", "sub-1")).as("a fresh database").isEmpty();
    BACKENDS.add(db.backend());
  }

  @AfterAll
  static void eachTestHadItsOwnDatabaseRemovedAfterIt() {
    assertThat(BACKENDS).containsExactlyInAnyOrder("sqlite", "postgres");
    assertThat(FILES).hasSize(1);
    assertThat(FILES.get(0)).doesNotExist();
    assertThat(Files.exists(FILES.get(0).getParent())).isFalse();
  }
}
