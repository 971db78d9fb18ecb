package dev.polydb.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polydb.api.DbProvider;
import dev.polydb.examples.spring.SignInController.Session;
import dev.polydb.examples.spring.SignInController.SignIn;
import dev.polydb.testkit.PostgresTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The application started on a random port and asked over HTTP, once on a SQLite file and once on
 * PostgreSQL: the same code, only {@code DATABASE_URL} differs.
 */
class SignInApplicationTest {

  @SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
  @DirtiesContext
  abstract static class OnABackend {
    @Autowired TestRestTemplate http;
    @Autowired DbProvider db;

    abstract String backend();

    @Test
    void aUserSignsInTwiceAndIsCreatedOnce() {
      SignIn request = new SignIn("google", "subject-42", "ada@example.test");

      ResponseEntity<Session> first = http.postForEntity("/sign-in", request, Session.class);
      ResponseEntity<Session> second = http.postForEntity("/sign-in", request, Session.class);

      assertThat(first.getStatusCode()).isEqualTo(HttpStatus.OK);
      assertThat(second.getStatusCode()).isEqualTo(HttpStatus.OK);
      assertThat(first.getBody().created()).isTrue();
      assertThat(second.getBody().created()).isFalse();
      assertThat(second.getBody().userId()).isEqualTo(first.getBody().userId());
      assertThat(second.getBody().refreshToken()).isNotEqualTo(first.getBody().refreshToken());
      assertThat(db.backend()).isEqualTo(backend());
      assertThat(db.users().findById(first.getBody().userId()))
          .hasValueSatisfying(u -> assertThat(u.profile().email()).contains("ada@example.test"));
      assertThat(db.refreshTokens().findValid(second.getBody().refreshToken())).isPresent();
    }

    @Test
    @SuppressWarnings("unchecked")
    void actuatorReportsTheDatabasesHealthAndTheCallsTimers() {
      http.postForEntity("/sign-in", new SignIn("github", "7", null), Session.class);

      ResponseEntity<Map> health = http.getForEntity("/actuator/health", Map.class);
      assertThat(health.getStatusCode()).isEqualTo(HttpStatus.OK);
      Map<String, Object> polydb =
          (Map<String, Object>)
              ((Map<String, Object>) health.getBody().get("components")).get("polydb");
      assertThat(polydb).containsEntry("status", "UP");
      assertThat((Map<String, Object>) polydb.get("details")).containsEntry("backend", backend());

      ResponseEntity<Map> timer =
          http.getForEntity(
              "/actuator/metrics/polydb.operation?tag=operation:users.create", Map.class);
      assertThat(timer.getStatusCode()).isEqualTo(HttpStatus.OK);
      assertThat(timer.getBody().toString()).contains("COUNT");
    }
  }

  @Nested
  class OnSqlite extends OnABackend {
    static Path folder;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry properties) throws Exception {
      folder = Files.createTempDirectory("sign-in-");
      properties.add("DATABASE_URL", () -> "sqlite:" + folder.resolve("sign-in.db"));
    }

    @Override
    String backend() {
      return "sqlite";
    }
  }

  @Nested
  class OnPostgres extends OnABackend {
    static String url;

    @BeforeAll
    static void freshSchema() {
      url = PostgresTestServer.get().newDatabaseUrl();
    }

    @AfterAll
    static void dropSchema() {
      PostgresTestServer.get().dropDatabase(url);
    }

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry properties) {
      properties.add("DATABASE_URL", () -> url);
    }

    @Override
    String backend() {
      return "postgres";
    }
  }
}
