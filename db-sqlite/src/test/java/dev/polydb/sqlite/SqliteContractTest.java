package dev.polydb.sqlite;

import dev.polydb.testkit.DbProviderContract;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.io.TempDir;

/** The conformance suite on SQLite: a new database file per test. */
class SqliteContractTest extends DbProviderContract {
  @TempDir Path dir;

  @Override
  protected String newDatabaseUrl() {
    return "sqlite:" + dir.resolve(UUID.randomUUID() + ".db");
  }
}
