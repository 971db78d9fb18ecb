package dev.polydb.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbNotFoundException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.DbValidationException;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SPEC §12 on SQLite: a file per tenant, beside the database's own. */
class SqliteTenantsTest {
  @TempDir Path dir;

  @Test
  void eachTenantIsAFileOfItsOwnAndUnknownOnesAreErrors() {
    String url = "sqlite:" + dir.resolve("app.db");
    // polydb tenants create makes and migrates the file; opening it does the same
    DbProviders.open(config("sqlite:" + dir.resolve("app.db.tenants/acme.db"))).close();

    try (DbProvider db = DbProviders.open(config(url))) {
      DbProvider acme = db.tenant("acme");
      User a = acme.users().create("google", "s", UserProfile.EMPTY);

      assertThat(db.tenant("acme")).isSameAs(acme);
      assertThat(acme.users().findById(a.id())).contains(a);
      assertThat(db.users().findById(a.id())).isEmpty();
      assertThat(acme.config().tenant()).contains("acme");
      assertThatThrownBy(() -> db.tenant("globex")).isInstanceOf(DbNotFoundException.class);
      assertThatThrownBy(() -> db.tenant("../app")).isInstanceOf(DbValidationException.class);
    }
    try (DbProvider acme =
        DbProviders.open(DbConfig.builder().url(url).vectorDimension(4).tenant("acme").build())) {
      assertThat(acme.users().findByProvider("google", "s")).isPresent();
    }
    try (DbProvider memory = DbProviders.open(config("sqlite::memory:"))) {
      assertThatThrownBy(() -> memory.tenant("acme")).isInstanceOf(DbConfigException.class);
    }
  }

  private static DbConfig config(String url) {
    return DbConfig.builder().url(url).vectorDimension(4).build();
  }
}
