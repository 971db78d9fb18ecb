package dev.polydb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polydb.cli.internal.ConsoleProgress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Progress stays quiet for short work, and shows a bar or lines for longer work. */
class ConsoleProgressTest {

  @Test
  void workShorterThanASecondPrintsNothing() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    for (boolean bar : new boolean[] {true, false}) {
      ConsoleProgress progress = new ConsoleProgress(new PrintStream(err, true), bar);
      progress.start("users", 10);
      progress.advance(10);
      progress.finish();
    }
    assertThat(err.size()).isZero();
  }

  @Test
  void longerWorkShowsABarOnATerminal() throws InterruptedException {
    String shown = longTask(true);

    assertThat(shown).contains("journal_entries").contains("rows").contains("%");
  }

  @Test
  void longerWorkPrintsAPlainLineOtherwise() throws InterruptedException {
    String shown = longTask(false);

    assertThat(shown).startsWith("journal_entries: 500 rows, done in ").doesNotContain("\r");
  }

  private static String longTask(boolean bar) throws InterruptedException {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ConsoleProgress progress =
        new ConsoleProgress(new PrintStream(err, true, StandardCharsets.UTF_8), bar);
    progress.start("journal_entries", 1000);
    Thread.sleep(1100);
    progress.advance(500);
    progress.finish();
    return err.toString(StandardCharsets.UTF_8);
  }
}
