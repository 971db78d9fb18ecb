package dev.polydb.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The {@code --name value} options of the harnesses run by hand ({@link Interleaved}, {@link
 * PostgresVectorRecall}).
 */
final class Options {
  private Options() {}

  /**
   * The defaults, with each value the arguments give in its place.
   *
   * @param args {@code --name value} pairs
   * @param defaults every option's name and default value
   * @throws IllegalArgumentException for a name not among the defaults, or one without a value
   */
  static Map<String, String> parse(String[] args, Map<String, String> defaults) {
    Map<String, String> options = new HashMap<>(defaults);
    for (int i = 0; i < args.length; i += 2) {
      String name = args[i].replaceFirst("^--", "");
      if (!options.containsKey(name) || i + 1 == args.length) {
        throw new IllegalArgumentException(
            "option must be one of "
                + new TreeSet<>(defaults.keySet())
                + " with a value: "
                + args[i]);
      }
      options.put(name, args[i + 1]);
    }
    return options;
  }

  /**
   * An option's value as a number; underscores between digits are allowed ({@code 100_000}).
   *
   * @throws IllegalArgumentException when it is not one
   */
  static int number(Map<String, String> options, String name) {
    String value = options.get(name);
    try {
      return Integer.parseInt(value.replace("_", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " must be a number: " + value, e);
    }
  }
}
