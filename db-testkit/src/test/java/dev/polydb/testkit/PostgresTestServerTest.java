package dev.polydb.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.polydb.api.DatabaseUrl;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How {@link PostgresTestServer} finds a server, each case in a fresh JVM (it looks once per JVM)
 * with an environment of the test's making. Docker is kept out of reach: Testcontainers may only
 * try {@code DOCKER_HOST}, which names a socket that does not exist.
 */
class PostgresTestServerTest {
  @TempDir Path home;

  @Test
  void withoutAServerTheTestsAreSkippedWithAMessageSayingHowToProvideOne() throws Exception {
    String out = lastLine(find(Map.of()));

    assertThat(out)
        .startsWith("skipped ")
        .contains("TEST_DATABASE_URL=postgres://")
        .contains("pgvector")
        .contains("docker run")
        .contains(PostgresTestServer.IMAGE);
  }

  @Test
  void withoutAServerWhenOneIsRequiredTheTestsFail() throws Exception {
    String out = lastLine(find(Map.of(PostgresTestServer.REQUIRED_VARIABLE, "true")));

    assertThat(out)
        .startsWith("failed ")
        .contains("TEST_DATABASE_URL=postgres://")
        .contains("POLYDB_REQUIRE_POSTGRES is true");
  }

  @Test
  void theUrlInTheEnvironmentComesFirstAndItsPasswordIsNeverShown() throws Exception {
    String url = System.getenv(PostgresTestServer.URL_VARIABLE);
    assumeTrue(url != null && !url.isBlank(), "needs TEST_DATABASE_URL");

    String out =
        find(
            Map.of(
                PostgresTestServer.URL_VARIABLE,
                url,
                PostgresTestServer.REQUIRED_VARIABLE,
                "true"));

    assertThat(lastLine(out)).startsWith("found ").contains("(TEST_DATABASE_URL)");
    DatabaseUrl.parse(url)
        .password()
        .ifPresent(password -> assertThat(out).doesNotContain(password));
  }

  /** The child's answer: Testcontainers may log before it. */
  private static String lastLine(String out) {
    String[] lines = out.strip().split("\n");
    return lines[lines.length - 1];
  }

  /**
   * Runs {@link FindServer} in a child JVM with only the given variables of ours set.
   *
   * @return all it printed
   */
  private String find(Map<String, String> variables) throws IOException, InterruptedException {
    // the user's own ~/.testcontainers.properties could name another Docker: the child's home is
    // this empty directory, and the only strategy allowed is the environment's DOCKER_HOST
    Files.writeString(
        home.resolve(".testcontainers.properties"),
        "docker.client.strategy="
            + "org.testcontainers.dockerclient.EnvironmentAndSystemPropertyClientProviderStrategy\n");
    ProcessBuilder builder =
        new ProcessBuilder(
                List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Duser.home=" + home,
                    "-cp",
                    System.getProperty("java.class.path"),
                    FindServer.class.getName()))
            .redirectErrorStream(true)
            // to a file, not a pipe: a child that logs more than a pipe holds would block
            .redirectOutput(home.resolve("child.out").toFile());
    Map<String, String> env = builder.environment();
    env.remove(PostgresTestServer.URL_VARIABLE);
    env.remove(PostgresTestServer.REQUIRED_VARIABLE);
    env.keySet().removeIf(k -> k.startsWith("TESTCONTAINERS_") || k.startsWith("DOCKER_"));
    env.put("DOCKER_HOST", "unix://" + home.resolve("no-docker.sock"));
    env.putAll(variables);
    Process p = builder.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("the child JVM did not finish in 120 s");
    }
    String out = Files.readString(home.resolve("child.out"), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }
}
