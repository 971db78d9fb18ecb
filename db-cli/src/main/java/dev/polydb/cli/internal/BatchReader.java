package dev.polydb.cli.internal;

import dev.polydb.api.VectorSettings;
import dev.polydb.migrations.TableModel;
import dev.polydb.migrations.TableModel.Column;
import dev.polydb.migrations.TableModel.Table;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads one table of the SQLite source in key order, on a thread of its own, and encodes its rows
 * into binary COPY batches: two buffers in turn, so that the next batch is read while the last one
 * is sent, and memory stays at two batches whatever the table's size.
 */
final class BatchReader implements AutoCloseable {

  /**
   * A batch ready to send.
   *
   * @param data the rows, in COPY's binary format
   * @param lastKey the key of its last row
   */
  record Batch(BinaryCopy data, String lastKey) {}

  private static final Object END = new Object();

  private final BlockingQueue<Object> ready = new ArrayBlockingQueue<>(1);
  private final BlockingQueue<BinaryCopy> free = new ArrayBlockingQueue<>(2);
  private final Thread thread;
  private volatile boolean finished;
  private volatile long rowsRead;
  private volatile Throwable failure;

  /**
   * Starts reading, on a thread of its own.
   *
   * @param src the source connection, in its read transaction; not touched by the caller until this
   *     reader is closed
   * @param table the table
   * @param afterKey the last key already copied, or null to start at the first row
   * @param vectors the store's settings: embeddings are checked against its dimension
   * @param batchRows the most rows a batch holds
   * @param batchBytes the most bytes a batch holds
   */
  BatchReader(
      Connection src,
      Table table,
      String afterKey,
      VectorSettings vectors,
      int batchRows,
      long batchBytes) {
    free.add(new BinaryCopy());
    free.add(new BinaryCopy());
    this.thread =
        new Thread(
            () -> {
              try {
                read(src, table, afterKey, vectors, batchRows, batchBytes);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // closed by the consumer: stop
              } catch (SQLException | RuntimeException | Error e) {
                failure = e; // OutOfMemoryError too: the consumer must not wait for ever
              } finally {
                finished = true;
              }
            },
            "polydb-copy-reader");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * The next batch.
   *
   * @return the batch, or null when the table has been read
   * @throws SQLException when reading failed
   */
  Batch next() throws SQLException, InterruptedException {
    while (true) {
      Object item = ready.poll(100, TimeUnit.MILLISECONDS);
      if (item == END) {
        return null;
      }
      if (item != null) {
        return (Batch) item;
      }
      if (finished && ready.isEmpty()) {
        Throwable cause = failure;
        if (cause instanceof SQLException e) {
          throw e;
        }
        if (cause instanceof RuntimeException e) {
          throw e;
        }
        if (cause instanceof Error e) {
          throw e;
        }
        throw new IllegalStateException("the reader stopped without an answer");
      }
    }
  }

  /** Gives a sent batch's buffer back for the next rows. */
  void recycle(BinaryCopy data) {
    data.reset();
    free.add(data);
  }

  long rowsRead() {
    return rowsRead;
  }

  /** Stops reading, if it still runs, and waits until the source connection is free again. */
  @Override
  public void close() {
    thread.interrupt();
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void read(
      Connection src,
      Table table,
      String afterKey,
      VectorSettings vectors,
      int batchRows,
      long batchBytes)
      throws SQLException, InterruptedException {
    String select =
        "SELECT "
            + table.columnList()
            + " FROM "
            + table.name()
            + (afterKey == null ? "" : " WHERE " + table.key() + " > ?")
            + " ORDER BY "
            + table.key();
    try (PreparedStatement s = src.prepareStatement(select)) {
      if (afterKey != null) {
        s.setString(1, afterKey);
      }
      try (ResultSet rs = s.executeQuery()) {
        BinaryCopy batch = free.take();
        byte[] key = null;
        while (rs.next()) {
          try {
            key = encodeRow(rs, table, batch, vectors);
          } catch (ArithmeticException e) {
            throw ToolException.failed(
                table.name() + " after key " + keyText(key) + ": a value is out of range");
          }
          rowsRead++;
          if (batch.rows() >= batchRows || batch.size() >= batchBytes) {
            ready.put(new Batch(batch, new String(key, StandardCharsets.UTF_8)));
            batch = free.take();
          }
        }
        if (batch.rows() > 0) {
          ready.put(new Batch(batch, new String(key, StandardCharsets.UTF_8)));
        }
        ready.put(END);
      }
    }
  }

  /** Encodes one source row; returns its key's bytes. */
  private static byte[] encodeRow(
      ResultSet rs, Table table, BinaryCopy batch, VectorSettings vectors) throws SQLException {
    List<Column> columns = table.columns();
    batch.startRow(columns.size());
    byte[] key = null;
    for (int i = 0; i < columns.size(); i++) {
      Column column = columns.get(i);
      int c = i + 1;
      switch (column.kind()) {
        case TEXT, JSON, JSONB, EMBEDDING -> {
          byte[] value = rs.getBytes(c);
          if (i == 0) {
            key = value;
          }
          if (value == null) {
            batch.putNull();
          } else if (column.kind() == TableModel.Kind.JSONB) {
            batch.putJsonb(value);
          } else if (column.kind() == TableModel.Kind.EMBEDDING) {
            putEmbedding(batch, value, vectors, table, key);
          } else {
            batch.putBytes(value);
          }
        }
        case TIMESTAMP, INT4, INT8, BOOLEAN -> {
          long value = rs.getLong(c);
          if (rs.wasNull()) {
            batch.putNull();
          } else {
            switch (column.kind()) {
              case TIMESTAMP -> batch.putTimestamp(value);
              case INT4 -> batch.putInt4(value);
              case INT8 -> batch.putInt8(value);
              default -> batch.putBoolean(value != 0);
            }
          }
        }
      }
    }
    return key;
  }

  private static void putEmbedding(
      BinaryCopy batch, byte[] value, VectorSettings vectors, Table table, byte[] key) {
    String row = table.name() + " " + new String(key, StandardCharsets.UTF_8);
    if (value.length != 4 * vectors.dimension()) {
      throw ToolException.failed(
          row
              + ": embedding has "
              + value.length / 4
              + " dimensions, the store "
              + vectors.dimension());
    }
    if (!vectors.halfPrecision()) {
      batch.putVector(value);
      return;
    }
    try {
      batch.putHalfVector(value);
    } catch (IllegalArgumentException e) {
      throw ToolException.failed(
          row + ": embedding is not in half precision, as the store's dimension requires");
    }
  }

  private static String keyText(byte[] key) {
    return key == null ? "(the first row)" : new String(key, StandardCharsets.UTF_8);
  }
}
