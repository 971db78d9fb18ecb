package dev.polydb.bench;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;

/**
 * Each one-thread pair of {@link HotPaths}, the library's call and a baseline, called in turn, one
 * call each, in one process. JMH measures each side in a fork of its own, one after the other, so a
 * difference between the two forks' conditions (the server's state, the machine's other load, what
 * the JIT made of each) counts as one between the sides; here both meet the same conditions.
 *
 * <p>The pairs are {@code HotPaths}' own benchmark methods, {@code <operation>_library} beside each
 * {@code <operation>_<baseline>}, found by name and called on one {@code HotPaths} state, so that
 * this harness and JMH measure the same calls, except that on Postgres the library runs on the
 * baseline's pool ({@link HotPaths#sharedPool}). Each pair gets a {@link HotPaths.Caller} of its
 * own (a user of its own, with fresh tokens), as a JMH fork does. Left out: the pairs JMH runs in
 * average-time mode, nanoseconds apiece, which one clock reading per call cannot resolve.
 *
 * <p>Prints {@code interleaved-pairs: <n>} first; then, per pair and round, {@code interleaved: }
 * and a JSON object (the round's p50 of each side and their ratio); then per pair {@code
 * interleaved-summary: } and a JSON object: the median over the rounds of each side's p50 and of
 * the ratio, and the ratio's spread.
 *
 * <p>{@code java -cp db-bench/target/benchmarks.jar dev.polydb.bench.Interleaved [--backend
 * postgres|sqlite] [--operations a,b] [--rounds 24] [--calls 500] [--warmup 2000]}, with {@code
 * TEST_DATABASE_URL} naming the Postgres server.
 */
public final class Interleaved {
  /** A call of one side on the state, with the caller it needs. */
  @FunctionalInterface
  private interface Call {
    Object run(HotPaths bench, HotPaths.Caller caller) throws Exception;
  }

  /** An operation's library call and one of its baselines. */
  private record Pair(String operation, String baseline, Call library, Call base) {}

  private Interleaved() {}

  /**
   * Runs the comparison.
   *
   * @param args {@code --backend}, {@code --operations} (comma-separated, all by default), {@code
   *     --rounds}, {@code --calls} per side and round, {@code --warmup} calls per side
   * @throws Exception if a call fails
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> options =
        Options.parse(
            args,
            Map.of(
                "backend", "postgres",
                "operations", "",
                "rounds", "24",
                "calls", "500",
                "warmup", "2000"));
    int rounds = Options.number(options, "rounds");
    int calls = Options.number(options, "calls");
    int warmup = Options.number(options, "warmup");
    if (rounds < 1 || calls < 1 || warmup < 0) {
      throw new IllegalArgumentException(
          "rounds and calls must be at least 1 and warmup at least 0: " + options);
    }
    List<Pair> pairs = pairs();
    if (!options.get("operations").isEmpty()) {
      Set<String> wanted = Set.of(options.get("operations").split(","));
      List<String> known = pairs.stream().map(Pair::operation).distinct().toList();
      for (String operation : wanted) {
        if (!known.contains(operation)) {
          throw new IllegalArgumentException(
              "operation must be one of " + known + ": " + operation);
        }
      }
      pairs = pairs.stream().filter(p -> wanted.contains(p.operation())).toList();
    }
    System.out.println("interleaved-pairs: " + pairs.size());
    HotPaths bench = new HotPaths();
    bench.backend = options.get("backend");
    bench.sharedPool = true;
    bench.open();
    try {
      for (Pair pair : pairs) {
        HotPaths.Caller caller = new HotPaths.Caller();
        caller.prepare(bench);
        compare(bench, pair, caller, rounds, calls, warmup);
      }
    } finally {
      bench.close();
    }
  }

  /** HotPaths' pairs, by operation and baseline. */
  private static List<Pair> pairs() {
    List<Method> benchmarks =
        Arrays.stream(HotPaths.class.getMethods())
            .filter(m -> m.isAnnotationPresent(Benchmark.class))
            .filter(m -> !m.isAnnotationPresent(BenchmarkMode.class))
            .sorted(Comparator.comparing(Method::getName))
            .toList();
    List<Pair> pairs = new ArrayList<>();
    for (Method library : benchmarks) {
      if (!library.getName().endsWith("_library")) {
        continue;
      }
      String operation = library.getName().substring(0, library.getName().indexOf('_'));
      for (Method base : benchmarks) {
        if (base != library && base.getName().startsWith(operation + "_")) {
          pairs.add(
              new Pair(
                  operation,
                  base.getName().substring(operation.length() + 1),
                  call(library),
                  call(base)));
        }
      }
    }
    return pairs;
  }

  /** A benchmark method as a call, given the caller when it takes one. */
  private static Call call(Method method) {
    boolean takesCaller = method.getParameterCount() == 1;
    return (bench, caller) -> {
      try {
        return takesCaller ? method.invoke(bench, caller) : method.invoke(bench);
      } catch (InvocationTargetException e) {
        throw e.getCause() instanceof Exception cause ? cause : e;
      }
    };
  }

  private static void compare(
      HotPaths bench, Pair pair, HotPaths.Caller caller, int rounds, int calls, int warmup)
      throws Exception {
    for (int i = 0; i < warmup; i++) {
      pair.library().run(bench, caller);
      pair.base().run(bench, caller);
    }
    double[] ratios = new double[rounds];
    double[] libraryP50s = new double[rounds];
    double[] baseP50s = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      long[] library = new long[calls];
      long[] base = new long[calls];
      for (int i = 0; i < calls; i++) {
        // each side goes first every other call, so that neither always follows the other
        if (i % 2 == 0) {
          library[i] = time(pair.library(), bench, caller);
          base[i] = time(pair.base(), bench, caller);
        } else {
          base[i] = time(pair.base(), bench, caller);
          library[i] = time(pair.library(), bench, caller);
        }
      }
      libraryP50s[r] = median(library) / 1e3;
      baseP50s[r] = median(base) / 1e3;
      ratios[r] = libraryP50s[r] / baseP50s[r];
      System.out.printf(
          Locale.ROOT,
          "interleaved: {\"operation\": \"%s\", \"baseline\": \"%s\", \"backend\": \"%s\","
              + " \"round\": %d, \"libraryP50Us\": %.1f, \"baselineP50Us\": %.1f,"
              + " \"ratio\": %.3f}%n",
          pair.operation(),
          pair.baseline(),
          bench.backend,
          r + 1,
          libraryP50s[r],
          baseP50s[r],
          ratios[r]);
    }
    System.out.printf(
        Locale.ROOT,
        "interleaved-summary: {\"operation\": \"%s\", \"baseline\": \"%s\", \"backend\": \"%s\","
            + " \"rounds\": %d, \"calls\": %d, \"libraryP50Us\": %.1f, \"baselineP50Us\": %.1f,"
            + " \"ratio\": %.3f, \"min\": %.3f, \"max\": %.3f}%n",
        pair.operation(),
        pair.baseline(),
        bench.backend,
        rounds,
        calls,
        median(libraryP50s),
        median(baseP50s),
        median(ratios),
        Arrays.stream(ratios).min().orElseThrow(),
        Arrays.stream(ratios).max().orElseThrow());
  }

  private static long time(Call call, HotPaths bench, HotPaths.Caller caller) throws Exception {
    long start = System.nanoTime();
    call.run(bench, caller);
    return System.nanoTime() - start;
  }

  private static long median(long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
