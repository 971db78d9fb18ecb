package dev.polydb.sqlite;

import dev.polydb.api.Chunk;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.UserProfile;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A second JVM working on the same SQLite file, for the tests that need another process. */
final class OtherProcess {
  private OtherProcess() {}

  /**
   * Runs in the child JVM.
   *
   * @param args {@code open URL DIMENSION GOFILE} (waits for GOFILE to exist, then opens), {@code
   *     chunk URL DIMENSION USER ID}, {@code read URL DIMENSION SUBJECT} (read-only), {@code write
   *     URL DIMENSION SUBJECT} or {@code health URL DIMENSION} (writes allowed, no migration)
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
        DbConfig.builder()
            .url(args[1])
            .vectorDimension(Integer.parseInt(args[2]))
            .mutationsEnabled(!args[0].equals("read"))
            .migrateOnOpen(!args[0].equals("health"))
            .build();
    try (DbProvider db = DbProviders.open(config)) {
      if (args[0].equals("chunk")) {
        float[] e = new float[Integer.parseInt(args[2])];
        e[0] = 1f;
        db.vectors()
            .upsert(List.of(Chunk.of(args[4], args[3], "doc", 0, "from afar", Map.of(), e, "m")));
      }
      if (args[0].equals("write")) {
        db.users().create("google", args[3], UserProfile.EMPTY);
      }
      if (args[0].equals("health")) {
        System.out.println("mutationsEnabled " + db.config().mutationsEnabled());
        System.out.println("readOnly " + db.health().readOnly());
      }
      if (args[0].equals("read") || args[0].equals("write")) {
        System.out.println("found " + db.users().findByProvider("google", args[3]).isPresent());
        System.out.println("readOnly " + db.health().readOnly());
      }
      System.out.println("version " + db.health().schemaVersion().orElse("none"));
    }
  }

  /** Starts a child JVM on this test class path. */
  static Process start(String... args) throws IOException {
    return start(List.of(), System.getProperty("java.class.path"), args);
  }

  /**
   * Starts a child JVM as another OS user, {@code nobody}, when this one runs as root (as CI does):
   * permissions that root ignores then apply. Its class path is copied where that user may read it.
   * Not as root, the child runs as this user, for whom the permissions apply already.
   *
   * @param copies where to copy the class path, a folder of this test's
   */
  static Process startAsAnotherUser(Path copies, String... args) throws IOException {
    if (!"root".equals(System.getProperty("user.name"))) {
      return start(args);
    }
    return start(
        List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"),
        readableClassPath(copies),
        args);
  }

  private static Process start(List<String> prefix, String classPath, String... args)
      throws IOException {
    List<String> command = new ArrayList<>(prefix);
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(classPath);
    command.add(OtherProcess.class.getName());
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectErrorStream(true).start();
  }

  /** This class path, copied into {@code copies} with every file world-readable. */
  private static String readableClassPath(Path copies) throws IOException {
    Files.createDirectories(copies);
    open(copies);
    List<String> entries = new ArrayList<>();
    int i = 0;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path source = Path.of(entry);
      if (!Files.exists(source)) {
        continue;
      }
      Path target = copies.resolve(i++ + "-" + source.getFileName());
      try (Stream<Path> tree = Files.walk(source)) {
        for (Path p : (Iterable<Path>) tree::iterator) {
          Path copy = target.resolve(source.relativize(p).toString());
          if (Files.isDirectory(p)) {
            Files.createDirectories(copy);
          } else {
            Files.createDirectories(copy.getParent());
            Files.copy(p, copy, StandardCopyOption.REPLACE_EXISTING);
          }
          open(copy);
        }
      }
      entries.add(target.toString());
    }
    // the test's folders above must let the other user through
    Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toRealPath();
    for (Path p = copies.toRealPath(); p.startsWith(tmp) && !p.equals(tmp); p = p.getParent()) {
      Set<PosixFilePermission> perms = new HashSet<>(Files.getPosixFilePermissions(p));
      perms.add(PosixFilePermission.OTHERS_EXECUTE);
      Files.setPosixFilePermissions(p, perms);
    }
    return String.join(File.pathSeparator, entries);
  }

  /** Readable by all, and enterable when a folder. */
  static void open(Path p) throws IOException {
    Files.setPosixFilePermissions(
        p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
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
