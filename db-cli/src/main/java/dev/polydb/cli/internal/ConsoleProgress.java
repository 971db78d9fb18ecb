package dev.polydb.cli.internal;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * Progress on standard error, shown only for a task that has run longer than a second: a bar when
 * standard error is a terminal, a plain line at most every few seconds otherwise (for logs).
 */
public final class ConsoleProgress implements Progress {
  private static final long QUIET_NANOS = 1_000_000_000L;
  private static final long LINE_EVERY_NANOS = 5_000_000_000L;

  private final PrintStream err;
  private final boolean bar;
  private String task;
  private long total;
  private long done;
  private long started;
  private long lastLine;
  private ProgressBar progressBar;

  /**
   * Progress on a stream.
   *
   * @param err where to write, standard error
   * @param bar {@code true} for a bar (a terminal), {@code false} for lines
   */
  public ConsoleProgress(PrintStream err, boolean bar) {
    this.err = err;
    this.bar = bar;
  }

  /**
   * Progress as the stream suits: a bar when the process has a terminal.
   *
   * @param err standard error
   * @return the progress
   */
  public static ConsoleProgress forTerminal(PrintStream err) {
    return new ConsoleProgress(err, System.console() != null);
  }

  @Override
  public void start(String task, long total) {
    finish();
    this.task = task;
    this.total = total;
    this.done = 0;
    this.started = System.nanoTime();
    this.lastLine = started;
  }

  @Override
  public void advance(long units) {
    done += units;
    long now = System.nanoTime();
    if (now - started < QUIET_NANOS) {
      return;
    }
    if (bar) {
      if (progressBar == null) {
        progressBar =
            new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total)
                .setConsumer(new ConsoleProgressBarConsumer(err))
                .setUnit(" rows", 1)
                .showSpeed()
                .build();
      }
      progressBar.stepTo(done);
    } else if (now - lastLine >= LINE_EVERY_NANOS) {
      lastLine = now;
      err.println(task + ": " + done + (total >= 0 ? " of " + total : "") + " rows");
    }
  }

  @Override
  public void finish() {
    if (task == null) {
      return;
    }
    if (progressBar != null) {
      progressBar.stepTo(done);
      progressBar.close();
      progressBar = null;
    } else if (!bar && System.nanoTime() - started >= QUIET_NANOS) {
      err.printf("%s: %d rows, done in %.1f s%n", task, done, (System.nanoTime() - started) / 1e9);
    }
    task = null;
  }
}
