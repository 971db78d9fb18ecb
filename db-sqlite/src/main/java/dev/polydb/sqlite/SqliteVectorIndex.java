package dev.polydb.sqlite;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.polydb.api.Chunk;
import dev.polydb.api.SearchScope;
import dev.polydb.api.VectorSettings;
import dev.polydb.jooq.Json;
import dev.polydb.jooq.VectorIndex;
import dev.polydb.sqlite.internal.Kernel;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.jooq.Converter;
import org.jooq.DSLContext;
import org.jooq.DataType;
import org.jooq.impl.SQLDataType;
import org.sqlite.SQLiteConnection;

/**
 * Exact nearest-neighbour search in Java, with no native extension. Each owner's embeddings are
 * loaded once into memory ({@link OwnerCopy}) and scanned per query. The copy stays consistent with
 * writes from any connection or process: every chunk write moves its owner's row in {@code
 * chunk_epochs} (triggers do it in the database), and a search that finds its owner's epoch moved
 * past its copy's loads that owner again. This process's own writes change the copy in place once
 * they commit, so they reload nothing.
 *
 * <p>A search checks the epoch after the scan, not before: the one statement that reads what the
 * copy does not hold of the chunks found (their text, position, model and creation time) reads the
 * owner's epoch too, in the same snapshot. When it is the copy's, the copy's embeddings and
 * metadata are those rows', and each chunk is put together from both. When it is not, the search
 * scans again: the cached copy, if this process's own write has brought it to that epoch in the
 * meantime, else the owner loaded again; after three such scans the store reads the chunks whole
 * (see docs/performance.md).
 */
final class SqliteVectorIndex implements VectorIndex {
  private static final String EPOCH = "SELECT epoch FROM chunk_epochs WHERE user_id = ?";
  private static final String OWNER_COUNT = "SELECT count(*) FROM chunks WHERE user_id = ?";
  private static final String OWNER_ROWS =
      "SELECT id, document_id, metadata, embedding FROM chunks WHERE user_id = ?";

  /**
   * Reads what the copy does not hold of up to 1,024 found chunks, and the owner's epoch, with one
   * statement per power of two of ids (the missing places repeat the last id): at most eleven
   * statements for every k up to 1,000.
   */
  private static final String[] CHUNK_TEXTS = new String[11];

  /** Scans a search makes at most while writes keep moving its owner's epoch. */
  private static final int ATTEMPTS = 3;

  static {
    for (int i = 0; i < CHUNK_TEXTS.length; i++) {
      CHUNK_TEXTS[i] =
          "SELECT id, user_id, chunk_index, text, model, created_at,"
              + " (SELECT epoch FROM chunk_epochs WHERE user_id = ?)"
              // by id alone: with the owner in the condition too, SQLite may read all the owner's
              // rows through the (user_id, document_id) index
              + " FROM chunks WHERE id IN ("
              + String.join(", ", Collections.nCopies(1 << i, "?"))
              + ")";
    }
  }

  private final Kernel kernel;
  private final Cache<String, OwnerCopy> owners;

  /**
   * {@link #CHUNK_TEXTS} prepared once per connection of the pool, on the driver's own connection,
   * where the pool does not close them when the connection goes back; closing the connection closes
   * them. After a scan has pushed SQLite's parser and schema out of the processor's caches,
   * preparing the read took about as long as running it (docs/performance.md).
   */
  private final Map<Connection, PreparedStatement[]> prepared = new ConcurrentHashMap<>();

  private final LongAdder loads = new LongAdder();

  /** Keeps copies in at most a quarter of the heap, scanned with the fastest kernel. */
  SqliteVectorIndex() {
    this(Kernel.best(), Runtime.getRuntime().maxMemory() / 4);
  }

  /**
   * @param kernel the scan's arithmetic
   * @param maxBytes at most this many bytes of embeddings stay in memory; the least recently
   *     searched owners go first, and an owner larger than this is loaded for each search
   */
  SqliteVectorIndex(Kernel kernel, long maxBytes) {
    this.kernel = kernel;
    this.owners =
        Caffeine.newBuilder()
            .maximumWeight(maxBytes / Float.BYTES)
            .weigher((String user, OwnerCopy copy) -> copy.weight())
            .build();
  }

  /** How many owners' copies were loaded from the database: what in-place updates save. */
  long loads() {
    return loads.sum();
  }

  /** How many connections hold prepared reads, closed ones not yet dropped included. */
  int preparedConnections() {
    return prepared.size();
  }

  @Override
  public DataType<float[]> embeddingType(int dimension) {
    return SQLDataType.BLOB.asConvertedDataType(
        Converter.ofNullable(byte[].class, float[].class, Floats::decode, Floats::encode));
  }

  @Override
  public Object jdbcValue(float[] embedding) {
    return Floats.encode(embedding);
  }

  @Override
  public float[] embedding(ResultSet rs, int column) throws SQLException {
    return Floats.decode(rs.getBytes(column));
  }

  @Override
  public void written(String userId) {
    if (userId == null) {
      owners.invalidateAll();
    } else {
      owners.invalidate(userId);
    }
  }

  @Override
  public List<Hit> search(
      DSLContext ctx,
      float[] query,
      int k,
      SearchScope scope,
      VectorSettings settings,
      boolean inTransaction) {
    String userId = scope.userId();
    return ctx.connectionResult(
        c -> {
          // a caller's transaction may hold uncommitted chunks: its copy is its own
          OwnerCopy copy = inTransaction ? null : owners.getIfPresent(userId);
          OwnerCopy.Nearest nearest = null;
          for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            if (copy == null) {
              copy = load(c, userId, epoch(c, userId), settings.dimension());
              if (!inTransaction) {
                owners.put(userId, copy);
              }
            }
            nearest = copy.nearest(kernel, query, k, scope, settings.metric());
            Read read = read(c, userId, nearest);
            if (read.hits().isPresent()) {
              return read.hits().get();
            }
            // written since the copy's epoch: by this process, whose commit may have changed the
            // cached copy in place by now, or by another connection or process
            OwnerCopy cached = inTransaction ? null : owners.getIfPresent(userId);
            copy = cached != null && cached.epoch() == read.epoch() ? cached : null;
          }
          // written again and again while searching: the store reads each chunk whole and leaves
          // out those deleted or taken by another owner since; the distances are the last scan's
          return nearest.matches().stream().map(m -> new Hit(m.id(), m.distance())).toList();
        });
  }

  /**
   * What reading a search's chunks found: the hits with their chunks, when the owner's epoch was
   * still the copy's, and the epoch the file held ({@code -1} when no found chunk was left).
   */
  private record Read(Optional<List<Hit>> hits, long epoch) {}

  /**
   * The found chunks, put together from the copy and what the file holds of them beside it, when
   * the owner's epoch is still the copy's; otherwise the two may disagree, and no hits.
   */
  private Read read(Connection c, String userId, OwnerCopy.Nearest nearest) throws SQLException {
    List<OwnerCopy.Match> matches = nearest.matches();
    if (matches.isEmpty()) {
      long epoch = epoch(c, userId);
      return new Read(epoch == nearest.epoch() ? Optional.of(List.of()) : Optional.empty(), epoch);
    }
    int places = Integer.highestOneBit(Math.max(1, matches.size() - 1)) << 1;
    Map<String, Chunk> byId = new HashMap<>();
    long epoch = -1;
    PreparedStatement s = chunkTexts(c, Integer.numberOfTrailingZeros(places));
    try {
      s.setString(1, userId);
      for (int i = 0; i < places; i++) {
        s.setString(i + 2, matches.get(Math.min(i, matches.size() - 1)).id());
      }
      try (ResultSet rs = s.executeQuery()) {
        Map<String, OwnerCopy.Match> wanted = new HashMap<>();
        matches.forEach(m -> wanted.put(m.id(), m));
        while (rs.next()) {
          epoch = rs.getLong(7);
          if (!userId.equals(rs.getString(2))) {
            continue; // another owner's now: the epochs tell
          }
          OwnerCopy.Match m = wanted.get(rs.getString(1));
          byId.put(
              m.id(),
              new Chunk(
                  m.id(),
                  userId,
                  m.document(),
                  rs.getInt(3),
                  rs.getString(4),
                  m.metadata(),
                  m.embedding(),
                  rs.getString(5),
                  Optional.of(Instant.ofEpochMilli(rs.getLong(6)))));
        }
      }
    } catch (SQLException | RuntimeException e) {
      s.close(); // it may be left in the middle of a read: prepared again next time
      throw e;
    }
    if (byId.size() < matches.size() || epoch != nearest.epoch()) {
      return new Read(Optional.empty(), epoch); // a found chunk is gone, or the owner changed
    }
    return new Read(
        Optional.of(
            matches.stream()
                .map(m -> new Hit(m.id(), m.distance(), Optional.of(byId.get(m.id()))))
                .toList()),
        epoch);
  }

  /** The read {@code CHUNK_TEXTS[index]} on this connection, prepared the first time. */
  private PreparedStatement chunkTexts(Connection c, int index) throws SQLException {
    Connection own = c.unwrap(SQLiteConnection.class);
    // only the thread holding the connection gets here with it (the pool's hand-over orders it),
    // and the driver's connections compare by identity
    PreparedStatement[] statements = prepared.get(own);
    if (statements == null) {
      // a connection the pool has closed since is not used again
      prepared.keySet().removeIf(SqliteVectorIndex::isClosed);
      statements = new PreparedStatement[CHUNK_TEXTS.length];
      prepared.put(own, statements);
    }
    PreparedStatement s = statements[index];
    if (s == null || s.isClosed()) {
      s = own.prepareStatement(CHUNK_TEXTS[index]);
      statements[index] = s;
    }
    return s;
  }

  private static boolean isClosed(Connection c) {
    try {
      return c.isClosed();
    } catch (SQLException e) {
      return true;
    }
  }

  @Override
  public Changes changes(DSLContext ctx, Collection<String> owners) {
    Map<String, Long> before = new HashMap<>();
    ctx.connection(
        c -> {
          for (String owner : owners) {
            before.put(owner, epoch(c, owner));
          }
        });
    return new Recorded(before);
  }

  /** One write's changes per owner, applied to the owners' copies once the write committed. */
  private final class Recorded implements Changes {
    private final Map<String, Long> before;
    private final Map<String, Long> after = new HashMap<>();
    private final Map<String, List<OwnerCopy.Change>> changes = new HashMap<>();

    Recorded(Map<String, Long> before) {
      this.before = before;
    }

    private void add(String userId, OwnerCopy.Change change) {
      changes.computeIfAbsent(userId, u -> new ArrayList<>()).add(change);
    }

    @Override
    public void upserted(
        String id,
        String userId,
        String documentId,
        Map<String, String> metadata,
        float[] embedding) {
      add(userId, new OwnerCopy.Upserted(id, documentId, metadata, embedding));
    }

    @Override
    public void deletedDocument(String userId, String documentId) {
      add(userId, new OwnerCopy.DeletedDocument(documentId));
    }

    @Override
    public void deletedAll(String userId) {
      add(userId, new OwnerCopy.DeletedAll());
    }

    @Override
    public void end(DSLContext ctx) {
      ctx.connection(
          c -> {
            for (String owner : before.keySet()) {
              after.put(owner, epoch(c, owner));
            }
          });
    }

    @Override
    public void committed() {
      for (var e : before.entrySet()) {
        String owner = e.getKey();
        OwnerCopy copy = owners.getIfPresent(owner);
        if (copy == null) {
          continue;
        }
        List<OwnerCopy.Change> made = changes.getOrDefault(owner, List.of());
        if (copy.apply(e.getValue(), after.get(owner), made)) {
          owners.put(owner, copy); // weighed again: it may have grown
        } else {
          // the copy was already behind (another connection or process wrote): reload on demand
          owners.invalidate(owner);
        }
      }
    }
  }

  /** The owner's epoch; 0 for an owner that never had chunks. */
  private static long epoch(Connection c, String userId) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(EPOCH)) {
      s.setString(1, userId);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  private OwnerCopy load(Connection c, String userId, long epoch, int dimension)
      throws SQLException {
    loads.increment();
    int expected;
    try (PreparedStatement s = c.prepareStatement(OWNER_COUNT)) {
      s.setString(1, userId);
      try (ResultSet rs = s.executeQuery()) {
        expected = rs.next() ? rs.getInt(1) : 0;
      }
    }
    // a row written between the count and the read only makes the arrays grow once
    OwnerCopy copy = new OwnerCopy(dimension, epoch, expected);
    try (PreparedStatement s = c.prepareStatement(OWNER_ROWS)) {
      s.setString(1, userId);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          copy.load(rs.getString(1), rs.getString(2), Json.read(rs.getString(3)), rs.getBytes(4));
        }
      }
    }
    return copy;
  }
}
