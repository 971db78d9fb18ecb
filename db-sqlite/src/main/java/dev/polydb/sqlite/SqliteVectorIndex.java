package dev.polydb.sqlite;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.polydb.api.SearchScope;
import dev.polydb.api.VectorSettings;
import dev.polydb.jooq.Json;
import dev.polydb.jooq.VectorIndex;
import dev.polydb.sqlite.internal.Kernel;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.jooq.Converter;
import org.jooq.DSLContext;
import org.jooq.DataType;
import org.jooq.impl.SQLDataType;

/**
 * Exact nearest-neighbour search in Java, with no native extension. Each owner's embeddings are
 * loaded once into memory ({@link OwnerCopy}) and scanned per query. The copy stays consistent with
 * writes from any connection or process: every chunk write moves its owner's row in {@code
 * chunk_epochs} (triggers do it in the database), and a search whose owner's epoch differs from its
 * copy's reloads that owner first. This process's own writes change the copy in place once they
 * commit, so they reload nothing.
 */
final class SqliteVectorIndex implements VectorIndex {
  private static final String EPOCH = "SELECT epoch FROM chunk_epochs WHERE user_id = ?";
  private static final String OWNER_COUNT = "SELECT count(*) FROM chunks WHERE user_id = ?";
  private static final String OWNER_ROWS =
      "SELECT id, document_id, metadata, embedding FROM chunks WHERE user_id = ?";

  private final Kernel kernel;
  private final Cache<String, OwnerCopy> owners;
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
    OwnerCopy copy =
        ctx.connectionResult(
            c -> {
              long epoch = epoch(c, userId);
              // a caller's transaction may hold uncommitted chunks: its copy is its own
              OwnerCopy cached = inTransaction ? null : owners.getIfPresent(userId);
              if (cached != null && cached.isAt(epoch)) {
                return cached;
              }
              OwnerCopy loaded = load(c, userId, epoch, settings.dimension());
              if (!inTransaction) {
                owners.put(userId, loaded);
              }
              return loaded;
            });
    return copy.nearest(kernel, query, k, scope, settings.metric());
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
