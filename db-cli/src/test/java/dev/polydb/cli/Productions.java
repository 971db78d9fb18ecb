package dev.polydb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polydb.testkit.FreshDatabases;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Production databases for one test, each a whole database with its four roles ({@link
 * ServerRoles}), dropped with their roles after it. Register it after the {@link FreshDatabases} it
 * uses.
 */
final class Productions implements AfterEachCallback {
  private final FreshDatabases databases;
  private final List<ServerRoles> made = new ArrayList<>();

  Productions(FreshDatabases databases) {
    this.databases = databases;
  }

  /** A new database whose roles are not made yet. */
  ServerRoles database() {
    ServerRoles roles = new ServerRoles(databases);
    made.add(roles);
    return roles;
  }

  /** A new database with its roles, made by {@code polydb roles create}. */
  ServerRoles withRoles() {
    ServerRoles roles = database();
    roles.create();
    return roles;
  }

  /** A new database with its roles, migrated by the owner with these vector settings. */
  ServerRoles migrated(int dimension, String model) {
    ServerRoles roles = withRoles();
    Cli.Run migrate =
        Cli.run(
            Map.of("DB_VECTOR_DIMENSION", "" + dimension, "DB_EMBEDDING_MODEL", model),
            "migrate",
            "--url",
            roles.urlAs("owner"));
    assertThat(migrate.exit()).as(migrate.all()).isZero();
    return roles;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    for (ServerRoles roles : made) {
      roles.close();
    }
    made.clear();
  }
}
