package dev.polydb.testkit;

import org.opentest4j.TestAbortedException;

/** Runs in a child JVM: looks for the tests' server once and prints what came of it. */
final class FindServer {
  private FindServer() {}

  /**
   * Prints {@code found <description>}, {@code skipped <message>} or {@code failed <message>}.
   *
   * @param args none
   */
  public static void main(String[] args) {
    try {
      System.out.println("found " + PostgresTestServer.get().description());
    } catch (TestAbortedException e) {
      System.out.println("skipped " + e.getMessage());
    } catch (IllegalStateException e) {
      System.out.println("failed " + e.getMessage());
    }
  }
}
