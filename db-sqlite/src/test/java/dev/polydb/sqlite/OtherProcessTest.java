package dev.polydb.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.SearchScope;
import dev.polydb.api.UserProfile;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SQLite shared between processes: migrations and the in-memory vector copy. */
class OtherProcessTest {
  @TempDir Path dir;

  @Test
  void processesMigratingOneFileAtOnceApplyEachVersionOnce() throws Exception {
    String url = "sqlite:" + dir.resolve("shared.db");
    Path go = dir.resolve("go");
    List<Process> children = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      children.add(OtherProcess.start("open", url, "4", go.toString()));
    }
    Thread.sleep(2000); // let every JVM start and wait at the line, then release them together
    java.nio.file.Files.createFile(go);
    String latest = SqliteProviderTest.latestVersion();
    for (Process p : children) {
      assertThat(OtherProcess.finish(p)).contains("version " + latest);
    }
    try (Connection c = DriverManager.getConnection("jdbc:" + url);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT version, count(*) FROM schema_migrations GROUP BY version")) {
      int versions = 0;
      while (rs.next()) {
        versions++;
        assertThat(rs.getInt(2)).as("applications of version %s", rs.getString(1)).isEqualTo(1);
      }
      assertThat(versions).isEqualTo(Integer.parseInt(latest));
    }
  }

  @Test
  void searchSeesChunksAnotherProcessWrote() throws Exception {
    String url = "sqlite:" + dir.resolve("vectors.db");
    try (DbProvider db = DbProviders.open(DbConfig.builder().url(url).vectorDimension(4).build())) {
      String user = db.users().upsert("google", "sub-1", UserProfile.EMPTY).id();
      float[] query = {1f, 0f, 0f, 0f};
      assertThat(db.vectors().search(query, 5, SearchScope.user(user))).isEmpty();

      OtherProcess.finish(OtherProcess.start("chunk", url, "4", user, "far-1"));

      assertThat(db.vectors().search(query, 5, SearchScope.user(user)))
          .extracting(m -> m.chunk().text())
          .containsExactly("from afar");
    }
  }
}
