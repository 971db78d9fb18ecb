package dev.polydb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polydb.api.Chunk;
import dev.polydb.api.ChunkMatch;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.SearchScope;
import dev.polydb.api.UserProfile;
import dev.polydb.testkit.FreshDatabases;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The bulk path of a first load: drop the vector index, load, build it as it was. */
class VectorIndexCommandTest {
  private static final Map<String, String> ENV = Map.of("DB_VECTOR_DIMENSION", "4");

  @RegisterExtension final FreshDatabases databases = new FreshDatabases();

  @TempDir Path dir;

  @Test
  void aFirstLoadDropsTheIndexAndBuildsItAsItWas() throws SQLException {
    String url = databases.newUrl();
    assertThat(Cli.run(ENV, "migrate", "--url", url).exit()).isZero();
    String definition = indexDefinition(url);
    assertThat(definition).contains("USING hnsw");

    Cli.Run drop = Cli.run(ENV, "vector-index", "drop", "--url", url);
    assertThat(drop.exit()).as(drop.all()).isZero();
    assertThat(drop.out()).contains("dropped chunks_embedding_idx");
    assertThat(indexDefinition(url)).isNull();
    Cli.Run doctor = Cli.run(ENV, "doctor", "--url", url);
    assertThat(doctor.exit()).as(doctor.all()).isEqualTo(1);
    assertThat(doctor.out()).contains("run `polydb vector-index build`");
    assertThat(Cli.run(ENV, "vector-index", "drop", "--url", url).out())
        .contains("already dropped");

    // the load, through the library; its searches stay right without the index
    try (DbProvider db = DbProviders.open(DbConfig.builder().url(url).vectorDimension(4).build())) {
      String owner = db.users().create("google", "bulk", UserProfile.EMPTY).id();
      List<Chunk> chunks = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        float[] embedding = {1, i, 0, 0};
        chunks.add(Chunk.of("c" + i, owner, "doc", i, "text", Map.of(), embedding, "m"));
      }
      db.vectors().upsert(chunks);
      List<ChunkMatch> nearest =
          db.vectors().search(new float[] {1, 7, 0, 0}, 1, SearchScope.user(owner));
      assertThat(nearest).extracting(m -> m.chunk().id()).containsExactly("c7");
    }

    Cli.Run build = Cli.run(ENV, "vector-index", "build", "--url", url);
    assertThat(build.exit()).as(build.all()).isZero();
    assertThat(build.out()).contains("built 1 index");
    assertThat(indexDefinition(url)).isEqualTo(definition);
    Cli.Run healthy = Cli.run(ENV, "doctor", "--url", url);
    assertThat(healthy.exit()).as(healthy.all()).isZero();
    assertThat(Cli.run(ENV, "vector-index", "build", "--url", url).out())
        .contains("nothing to build");
  }

  @Test
  void sqliteHasNoIndexToDropOrBuild() {
    String url = "sqlite:" + dir.resolve("app.db");
    assertThat(Cli.run(ENV, "migrate", "--url", url).exit()).isZero();
    for (String action : List.of("drop", "build")) {
      Cli.Run run = Cli.run(ENV, "vector-index", action, "--url", url);
      assertThat(run.exit()).isZero();
      assertThat(run.out()).contains("SQLite has no vector index").contains("nothing to " + action);
    }
  }

  /** The index's definition as the server prints it, or null when there is none. */
  private String indexDefinition(String url) throws SQLException {
    try (Connection c = databases.dataSource(url).getConnection();
        PreparedStatement s =
            c.prepareStatement("SELECT pg_get_indexdef(to_regclass('chunks_embedding_idx'))")) {
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }
}
