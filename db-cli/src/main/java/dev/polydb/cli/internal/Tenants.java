package dev.polydb.cli.internal;

import dev.polydb.api.TenantId;
import dev.polydb.migrations.Migrations;
import dev.polydb.migrations.TenantSchemas;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Tenants as the tool manages them: on PostgreSQL through {@link TenantSchemas} (a schema each and
 * the registry), on SQLite as files in the directory beside the database file, {@code
 * <file>.tenants/<id>.db}, each migrated as a database of its own.
 */
public final class Tenants {
  private static final String SQLITE_SUFFIX = ".db";

  /**
   * A tenant.
   *
   * @param id its id
   * @param where its schema or file
   * @param state {@code ready}, or {@code creating}/{@code dropping} for one a run left unfinished
   * @param version its schema version
   */
  public record Entry(String id, String where, String state, String version) {}

  private Tenants() {}

  /**
   * Creates a tenant, or migrates one that exists.
   *
   * @param endpoint the database
   * @param id the tenant
   * @param prefix the schema prefix (PostgreSQL)
   * @return the tenant
   */
  public static Entry create(Endpoint endpoint, TenantId id, String prefix) {
    if (endpoint.engine() == Endpoint.Engine.SQLITE) {
      Path file = sqliteFile(endpoint, id);
      try {
        Files.createDirectories(file.getParent());
      } catch (IOException e) {
        throw ToolException.failed("cannot create " + file.getParent());
      }
      Endpoint tenant = sqliteTenant(endpoint, file);
      Migrations.Result result = tenant.migrations().migrate();
      return new Entry(id.value(), file.toString(), "ready", result.version());
    }
    try {
      Migrations base = endpoint.migrations();
      TenantSchemas.Tenant tenant = TenantSchemas.create(endpoint.dataSource(), base, id, prefix);
      return entry(endpoint, tenant);
    } catch (SQLException e) {
      throw ToolException.failed("cannot create tenant " + id, e);
    }
  }

  /**
   * The tenants.
   *
   * @param endpoint the database
   * @return the tenants, by id
   */
  public static List<Entry> list(Endpoint endpoint) {
    List<Entry> entries = new ArrayList<>();
    if (endpoint.engine() == Endpoint.Engine.SQLITE) {
      if (endpoint.url().sqlitePath().isEmpty()) {
        return entries;
      }
      Path directory = sqliteDirectory(endpoint);
      if (!Files.isDirectory(directory)) {
        return entries;
      }
      List<Path> files = new ArrayList<>();
      try (DirectoryStream<Path> stream =
          Files.newDirectoryStream(directory, "*" + SQLITE_SUFFIX)) {
        stream.forEach(files::add);
      } catch (IOException e) {
        throw ToolException.failed("cannot list " + directory);
      }
      files.sort(null);
      for (Path file : files) {
        String name = file.getFileName().toString();
        String id = name.substring(0, name.length() - SQLITE_SUFFIX.length());
        if (valid(id)) {
          String version =
              sqliteTenant(endpoint, file).migrations().currentVersion().orElse("none");
          entries.add(new Entry(id, file.toString(), "ready", version));
        }
      }
      return entries;
    }
    try {
      for (TenantSchemas.Tenant tenant : TenantSchemas.list(endpoint.dataSource())) {
        entries.add(entry(endpoint, tenant));
      }
    } catch (SQLException e) {
      throw ToolException.failed("cannot list the tenants", e);
    }
    return entries;
  }

  /**
   * Drops a tenant and its data.
   *
   * @param endpoint the database
   * @param id the tenant
   * @return whether there was one
   */
  public static boolean drop(Endpoint endpoint, TenantId id) {
    if (endpoint.engine() == Endpoint.Engine.SQLITE) {
      Path file = sqliteFile(endpoint, id);
      try {
        boolean existed = Files.deleteIfExists(file);
        Files.deleteIfExists(file.resolveSibling(file.getFileName() + "-wal"));
        Files.deleteIfExists(file.resolveSibling(file.getFileName() + "-shm"));
        return existed;
      } catch (IOException e) {
        throw ToolException.failed("cannot delete " + file);
      }
    }
    try {
      return TenantSchemas.drop(endpoint.dataSource(), id);
    } catch (SQLException e) {
      throw ToolException.failed("cannot drop tenant " + id, e);
    }
  }

  /**
   * Migrates every tenant (PostgreSQL: those registered; SQLite: the files beside the database).
   *
   * @param endpoint the database
   * @return the tenants afterwards
   */
  public static List<Entry> migrateAll(Endpoint endpoint) {
    if (endpoint.engine() == Endpoint.Engine.SQLITE) {
      List<Entry> migrated = new ArrayList<>();
      for (Entry entry : list(endpoint)) {
        migrated.add(create(endpoint, TenantId.of(entry.id(), ""), ""));
      }
      return migrated;
    }
    try {
      List<Entry> migrated = new ArrayList<>();
      for (TenantSchemas.Tenant tenant :
          TenantSchemas.migrateAll(endpoint.dataSource(), endpoint.migrations())) {
        migrated.add(entry(endpoint, tenant));
      }
      return migrated;
    } catch (SQLException e) {
      throw ToolException.failed("cannot migrate the tenants", e);
    }
  }

  private static Entry entry(Endpoint endpoint, TenantSchemas.Tenant tenant) {
    String version =
        tenant.state().equals("dropping")
            ? "-"
            : endpoint.migrations().inSchema(tenant.schema()).currentVersion().orElse("none");
    return new Entry(tenant.id(), "schema " + tenant.schema(), tenant.state(), version);
  }

  private static boolean valid(String id) {
    try {
      TenantId.of(id, "");
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static Path sqliteDirectory(Endpoint endpoint) {
    Optional<Path> file = endpoint.url().sqlitePath();
    if (file.isEmpty()) {
      throw ToolException.config(
          endpoint.redacted() + ": an in-memory SQLite database has no tenants (they are files)");
    }
    Path absolute = file.get().toAbsolutePath();
    return absolute.resolveSibling(absolute.getFileName() + ".tenants");
  }

  private static Path sqliteFile(Endpoint endpoint, TenantId id) {
    return sqliteDirectory(endpoint).resolve(id.value() + SQLITE_SUFFIX);
  }

  private static Endpoint sqliteTenant(Endpoint endpoint, Path file) {
    return endpoint.sibling("sqlite:" + file);
  }
}
