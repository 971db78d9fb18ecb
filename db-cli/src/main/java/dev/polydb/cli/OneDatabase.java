package dev.polydb.cli;

import picocli.CommandLine.Option;

/** The options of a command that works on one database: migrate, info, validate, doctor. */
final class OneDatabase {
  @Option(names = "--url", description = "the database (default: DATABASE_URL)")
  String url;

  @Option(names = "--json", description = "print the result as JSON on standard output")
  boolean json;
}
