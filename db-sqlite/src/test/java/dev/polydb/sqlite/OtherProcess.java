package dev.polydb.sqlite;

import dev.polydb.api.Chunk;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A second JVM working on the same SQLite file, for the tests that need another process. */
final class OtherProcess {
  private OtherProcess() {}

  /**
   * Runs in the child JVM.
   *
   * @param args {@code open URL DIMENSION GOFILE} (waits for GOFILE to exist, then opens) or {@code
   *     chunk URL DIMENSION USER ID}
   * @throws InterruptedException when interrupted while waiting to start
   */
  public static void main(String[] args) throws InterruptedException {
    if (args[0].equals("open")) {
      Path go = Path.of(args[3]);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!java.nio.file.Files.exists(go) && System.nanoTime() < deadline) {
        Thread.sleep(2);
      }
    }
    DbConfig config =
        DbConfig.builder().url(args[1]).vectorDimension(Integer.parseInt(args[2])).build();
    try (DbProvider db = DbProviders.open(config)) {
      if (args[0].equals("chunk")) {
        float[] e = new float[Integer.parseInt(args[2])];
        e[0] = 1f;
        db.vectors()
            .upsert(List.of(Chunk.of(args[4], args[3], "doc", 0, "from afar", Map.of(), e, "m")));
      }
      System.out.println("version " + db.health().schemaVersion().orElse("none"));
    }
  }

  /** Starts a child JVM on this test class path. */
  static Process start(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(OtherProcess.class.getName());
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectErrorStream(true).start();
  }

  /** Waits for a child and returns what it printed; fails when it fails. */
  static String finish(Process p) throws IOException, InterruptedException {
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("the other process did not finish in 60 s");
    }
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new AssertionError("the other process failed: " + out);
    }
    return out;
  }
}
