package dev.polydb.cli.internal;

/** Where long work reports how far it got. */
public interface Progress {

  /** Reports nothing. */
  Progress NONE =
      new Progress() {
        @Override
        public void start(String task, long total) {}

        @Override
        public void advance(long done) {}

        @Override
        public void finish() {}
      };

  /**
   * A task starts.
   *
   * @param task its name, e.g. a table
   * @param total the units it has, or -1 when unknown
   */
  void start(String task, long total);

  /**
   * Units of the current task are done.
   *
   * @param done how many more
   */
  void advance(long done);

  /** The current task is done. */
  void finish();
}
