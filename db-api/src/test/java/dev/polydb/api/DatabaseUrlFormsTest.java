package dev.polydb.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * §2 the forms of DATABASE_URL, their errors and their redaction; with no backend on the class
 * path, so every scheme is unclaimed here.
 */
class DatabaseUrlFormsTest {

  @Test
  void parsesLibpqStylePostgresUrls() {
    for (String scheme : List.of("postgres", "postgresql")) {
      DatabaseUrl url =
          DatabaseUrl.parse(scheme + "://alice:pw@db.example.com:6543/app?sslmode=require");

      assertThat(url.kind()).as(scheme).isEqualTo(DatabaseUrl.Kind.POSTGRES);
      assertThat(url.host()).as(scheme).contains("db.example.com");
      assertThat(url.port()).as(scheme).isEqualTo(6543);
      assertThat(url.database()).as(scheme).contains("app");
      assertThat(url.user()).as(scheme).contains("alice");
      assertThat(url.password()).as(scheme).contains("pw");
      assertThat(url.options()).as(scheme).isEqualTo(Map.of("sslmode", "require"));
      assertThat(url.sqlitePath()).as(scheme).isEmpty();
      assertThat(url.inMemory()).as(scheme).isFalse();
    }
  }

  @Test
  void parsesJdbcPostgresqlUrlsWithCredentialsInTheQuery() {
    DatabaseUrl url =
        DatabaseUrl.parse("jdbc:postgresql://pg.internal:5433/shop?user=bob&password=x&ssl=true");

    assertThat(url.kind()).isEqualTo(DatabaseUrl.Kind.POSTGRES);
    assertThat(url.host()).contains("pg.internal");
    assertThat(url.port()).isEqualTo(5433);
    assertThat(url.database()).contains("shop");
    assertThat(url.user()).contains("bob");
    assertThat(url.password()).contains("x");
    assertThat(url.options()).isEqualTo(Map.of("ssl", "true"));
  }

  @Test
  void usesPort5432WhenTheUrlGivesNone() {
    assertThat(DatabaseUrl.parse("postgres://u@h/db").port()).isEqualTo(5432);
    assertThat(DatabaseUrl.parse("postgresql://h/db").port()).isEqualTo(5432);
    assertThat(DatabaseUrl.parse("jdbc:postgresql://h/db").port()).isEqualTo(5432);
  }

  @Test
  void decodesPercentEncodedUserAndPassword() {
    DatabaseUrl url = DatabaseUrl.parse("postgres://us%65r%40corp:p%40ss%3Aw%2Fd@h:5432/db");

    assertThat(url.user()).contains("user@corp");
    assertThat(url.password()).contains("p@ss:w/d");
    assertThat(url.host()).contains("h");
    assertThat(url.database()).contains("db");
  }

  @Test
  void parsesSqliteFilePathsInEveryForm() {
    Map<String, Path> forms = new LinkedHashMap<>();
    forms.put("sqlite:relative/dir/app.db", Path.of("relative/dir/app.db"));
    forms.put("sqlite:/abs/dir/app.db", Path.of("/abs/dir/app.db"));
    forms.put("jdbc:sqlite:jdbc-dir/app.db", Path.of("jdbc-dir/app.db"));
    forms.put("jdbc:sqlite:/abs/jdbc.db", Path.of("/abs/jdbc.db"));
    forms.put("file:files/app.db", Path.of("files/app.db"));

    forms.forEach(
        (raw, path) -> {
          DatabaseUrl url = DatabaseUrl.parse(raw);
          assertThat(url.kind()).as(raw).isEqualTo(DatabaseUrl.Kind.SQLITE);
          assertThat(url.sqlitePath()).as(raw).contains(path);
          assertThat(url.inMemory()).as(raw).isFalse();
          assertThat(url.host()).as(raw).isEmpty();
          assertThat(url.password()).as(raw).isEmpty();
        });
  }

  @Test
  void parsesInMemorySqlite() {
    for (String raw : List.of("sqlite::memory:", "jdbc:sqlite::memory:")) {
      DatabaseUrl url = DatabaseUrl.parse(raw);
      assertThat(url.kind()).as(raw).isEqualTo(DatabaseUrl.Kind.SQLITE);
      assertThat(url.inMemory()).as(raw).isTrue();
      assertThat(url.sqlitePath()).as(raw).isEmpty();
    }
  }

  @Test
  void emptyOrMissingUrlMeansTheDefaultSqliteFile() {
    for (String raw : new String[] {null, "", "   "}) {
      DatabaseUrl url = DatabaseUrl.parse(raw);
      assertThat(url.kind()).as("%s", raw).isEqualTo(DatabaseUrl.Kind.SQLITE);
      assertThat(url.sqlitePath()).as("%s", raw).contains(Path.of(DatabaseUrl.DEFAULT_SQLITE_PATH));
    }
    assertThat(DbConfig.fromEnv(Map.of()).redactedUrl()).contains(DatabaseUrl.DEFAULT_SQLITE_PATH);
  }

  @Test
  void rejectsAnUnknownSchemeNamingItAndTheAcceptedForms() {
    assertUrlProblem("mysql://u@h:3306/db", "mysql");
    assertUrlProblem("mongodb://h/db", "mongodb");
  }

  @Test
  void rejectsAMissingHostNamingItAndTheAcceptedForms() {
    assertUrlProblem("postgres://:5432/db", "host");
    assertUrlProblem("postgresql:///db", "host");
    assertUrlProblem("jdbc:postgresql:db", "host");
  }

  @Test
  void rejectsABadPortNamingItAndTheAcceptedForms() {
    assertUrlProblem("postgres://h:99999/db", "port");
    assertUrlProblem("postgres://h:abc/db", "port");
    assertUrlProblem("postgres://h:0/db", "port");
  }

  @Test
  void rejectsAnUnknownQueryOptionNamingItAndTheAcceptedForms() {
    assertUrlProblem("postgres://h/db?foo=1", "foo");
    assertUrlProblem("jdbc:postgresql://h/db?sslmode=require&bogus=2", "bogus");
    assertUrlProblem("sqlite:x.db?mode=ro", "mode");
  }

  @Test
  void builderAndEnvironmentRejectAMalformedUrlAsParseDoes() {
    assertThatThrownBy(() -> DbConfig.builder().url("postgres://h:99999/db"))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("port");
    assertThatThrownBy(() -> DbConfig.fromEnv(Map.of("DATABASE_URL", "postgres://:5432/db")))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("host");
  }

  @Test
  void neverShowsThePasswordInAnErrorMessage() {
    List<String> bad =
        List.of(
            "postgres://u:hunter2secret@h:99999/db",
            "postgres://u:hunter2secret@h:abc/db",
            "postgres://u:hunter2secret@:5432/db",
            "postgres://u:hunter2secret@h/db?foo=1",
            "postgresql://u:hunter2secret@h/db?sslmode=require&bogus=1",
            "jdbc:postgresql://h/db?password=hunter2secret&bogus=1",
            "mysql://u:hunter2secret@h/db",
            "postgres://u:hunter2secret@h/db%zz",
            // characters that should have been percent-encoded must not split the secret
            "postgres://u:hunter2/secret@h:99999/db",
            "postgres://u:hunter2@secret@h:99999/db",
            "postgres://u:hunter2?secret@h:abc/db",
            "postgres://u:hunter2#secret@h/db?bogus=1");
    for (String raw : bad) {
      String secret =
          raw.contains("://u:")
              ? raw.substring(raw.indexOf("://u:") + 5, raw.lastIndexOf('@'))
              : "hunter2secret";
      DbConfigException e =
          catchThrowableOfType(DbConfigException.class, () -> DatabaseUrl.parse(raw));
      assertThat(e).as(raw).isNotNull();
      assertThat(e.getMessage()).as(raw).doesNotContain("hunter2secret").doesNotContain(secret);
      DbConfigException viaBuilder =
          catchThrowableOfType(DbConfigException.class, () -> DbProviders.open(raw));
      assertThat(viaBuilder).as(raw).isNotNull();
      assertThat(viaBuilder.getMessage())
          .as(raw)
          .doesNotContain("hunter2secret")
          .doesNotContain(secret);
    }
  }

  @Test
  void neverShowsThePasswordInToStringOrRedactedForms() {
    String raw = "postgres://alice:s3cr%40t-pw@db.example.com:5432/app?sslmode=require";
    DatabaseUrl url = DatabaseUrl.parse(raw);
    DbConfig config = DbConfig.builder().url(raw).build();
    DbConfig fromEnv = DbConfig.fromEnv(Map.of("DATABASE_URL", raw));
    String jdbc = "jdbc:postgresql://db.example.com/app?user=alice&password=s3cr%40t-pw";
    DbConfig jdbcConfig = DbConfig.builder().url(jdbc).build();

    assertThat(url.password()).contains("s3cr@t-pw");
    for (String shown :
        List.of(
            url.toString(),
            url.redacted(),
            config.toString(),
            config.redactedUrl(),
            fromEnv.toString(),
            fromEnv.redactedUrl(),
            DatabaseUrl.parse(jdbc).toString(),
            jdbcConfig.toString(),
            jdbcConfig.redactedUrl(),
            DatabaseUrl.redact(raw),
            DatabaseUrl.redact(jdbc))) {
      assertThat(shown).doesNotContain("s3cr").contains("db.example.com");
    }
  }

  @Test
  void refusesAUrlNoFactoryClaimsNamingTheAcceptedFormsWithoutThePassword() {
    DbConfigException e =
        catchThrowableOfType(
            DbConfigException.class, () -> DbProviders.open("mysql://u:secret@h/db"));

    assertThat(e).isNotNull();
    assertThat(e.getMessage())
        .doesNotContain("secret")
        .contains("mysql")
        .contains("postgres://")
        .contains("sqlite:");
  }

  @Test
  void namesTheModuleToAddWhenNoFactoryClaimsAKnownUrl() {
    Map<String, String> urls =
        Map.of(
            "postgres://u:secret@h:5432/db", "db-postgres",
            "sqlite:unclaimed/never-created.db", "db-sqlite");
    int refused = 0;
    for (Map.Entry<String, String> e : urls.entrySet()) {
      DbConfigException problem =
          catchThrowableOfType(DbConfigException.class, () -> DbProviders.factoryFor(e.getKey()));
      if (problem != null) {
        refused++;
        assertThat(problem.getMessage())
            .as(e.getKey())
            .contains(e.getValue())
            .doesNotContain("secret");
      }
    }
    assertThat(refused).as("no backend is on db-api's class path").isEqualTo(urls.size());
  }

  private static void assertUrlProblem(String raw, String problem) {
    for (ThrowingCallable call :
        List.<ThrowingCallable>of(() -> DatabaseUrl.parse(raw), () -> DbProviders.open(raw))) {
      assertThatThrownBy(call)
          .as(raw)
          .isInstanceOf(DbConfigException.class)
          .hasMessageContaining(problem)
          .hasMessageContaining("postgres://")
          .hasMessageContaining("sqlite:")
          .hasMessageContaining("file:");
    }
  }
}
