package dev.polydb.jooq;

import static org.jooq.impl.DSL.excluded;

import dev.polydb.api.Chunk;
import dev.polydb.api.ChunkMatch;
import dev.polydb.api.DbConflictException;
import dev.polydb.api.DbValidationException;
import dev.polydb.api.DistanceMetric;
import dev.polydb.api.SearchScope;
import dev.polydb.api.VectorSettings;
import dev.polydb.api.VectorStore;
import dev.polydb.api.internal.Check;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.impl.DSL;

final class JooqVectorStore implements VectorStore {
  private static final int MAX_BATCH = 10_000;

  /**
   * Rows per upsert statement: 900 bound values, within SQLite's and Postgres's limits, and few
   * enough statements per batch that their round trips no longer count.
   */
  private static final int ROWS_PER_STATEMENT = 100;

  private final Session s;
  private final Tables.Chunks c;
  private final Tables.VectorSettingsTable vs;
  private final VectorIndex index;

  /** What an upsert of an existing id replaces: all but owner and creation time. */
  private final Map<Field<?>, Field<?>> replacedFromProposed = new LinkedHashMap<>();

  JooqVectorStore(Session session) {
    this.s = session;
    this.c = session.t.chunks;
    this.vs = session.t.vectorSettings;
    this.index = session.core.backend.vectorIndex();
    for (Field<?> f :
        List.of(c.documentId, c.chunkIndex, c.text, c.metadata, c.embedding, c.model)) {
      replacedFromProposed.put(f, excluded(f));
    }
  }

  @Override
  public VectorSettings settings() {
    return s.read("vector settings", this::settings);
  }

  private VectorSettings settings(DSLContext ctx) {
    Record r =
        ctx.select(vs.dimension, vs.metric, vs.model).from(vs.table).where(vs.id.eq(1)).fetchOne();
    if (r == null) {
      throw new IllegalStateException("vector_settings has no row: the schema is not migrated");
    }
    return new VectorSettings(
        r.get(vs.dimension),
        DistanceMetric.valueOf(r.get(vs.metric).toUpperCase(Locale.ROOT)),
        Optional.ofNullable(r.get(vs.model)));
  }

  @Override
  public int upsert(List<Chunk> chunks) {
    Check.notNull("chunks", chunks);
    if (chunks.size() > MAX_BATCH) {
      throw new DbValidationException(
          "chunks", "must hold at most " + MAX_BATCH + " chunks: " + chunks.size());
    }
    Set<String> ids = new HashSet<>();
    Set<String> owners = new LinkedHashSet<>();
    for (Chunk chunk : chunks) {
      Check.notNull("chunk", chunk);
      if (!ids.add(chunk.id())) {
        throw new DbValidationException("id", "appears twice in one batch: " + chunk.id());
      }
      owners.add(chunk.userId());
    }
    if (chunks.isEmpty()) {
      // nothing to write, but a read-only provider refuses every write call alike
      s.core.ensureOpen();
      s.core.requireMutations("chunk upsert");
      return 0;
    }
    Written written = new Written(owners);
    try {
      return written.done(s.write("chunk upsert", ctx -> upsert(ctx, chunks, owners, written)));
    } finally {
      written.settle();
    }
  }

  private int upsert(DSLContext ctx, List<Chunk> chunks, Set<String> owners, Written written) {
    // every embedding is checked against the fixed dimension and metric before the first chunk's
    // model may be claimed: refused input writes nothing, not even in a rollback
    VectorSettings fixed = settings(ctx);
    Map<String, float[]> embeddings = new HashMap<>();
    for (Chunk chunk : chunks) {
      embeddings.put(chunk.id(), storable("embedding", chunk.embedding(), fixed));
    }
    VectorSettings settings = claimModel(ctx, fixed, chunks.get(0).model());
    for (Chunk chunk : chunks) {
      if (!settings.model().orElseThrow().equals(chunk.model())) {
        throw new DbValidationException(
            "model",
            "must be the store's embedding model "
                + settings.model().orElseThrow()
                + ": "
                + chunk.model());
      }
    }
    for (String owner : owners) {
      Owners.require(s, ctx, owner);
    }
    VectorIndex.Changes changes = written.start(ctx);
    Instant now = s.now();
    // rows are written in id order, so overlapping batches never deadlock (Postgres)
    List<Chunk> byId = chunks.stream().sorted(Comparator.comparing(Chunk::id)).toList();
    for (int from = 0; from < byId.size(); from += ROWS_PER_STATEMENT) {
      List<Chunk> rows = byId.subList(from, Math.min(byId.size(), from + ROWS_PER_STATEMENT));
      int count = Session.jdbc(ctx, conn -> insert(conn, rows, embeddings, now));
      if (count != rows.size()) {
        // the statement takes over no row of another user's: name the first it left alone
        throw new DbConflictException(
            "chunk id belongs to another user: " + heldByOthers(ctx, rows));
      }
    }
    for (Chunk chunk : byId) {
      changes.upserted(
          chunk.id(),
          chunk.userId(),
          chunk.documentId(),
          chunk.metadata(),
          embeddings.get(chunk.id()));
    }
    changes.end(ctx);
    return chunks.size();
  }

  /** Inserts or replaces the rows with one statement; returns how many it wrote. */
  private int insert(
      Connection conn, List<Chunk> rows, Map<String, float[]> embeddings, Instant now)
      throws SQLException {
    index.registerTypes(conn);
    try (PreparedStatement st = conn.prepareStatement(upsertStatement(rows.size()))) {
      int i = 1;
      for (Chunk chunk : rows) {
        st.setString(i++, chunk.id());
        st.setString(i++, chunk.userId());
        st.setString(i++, chunk.documentId());
        st.setInt(i++, chunk.chunkIndex());
        st.setString(i++, chunk.text());
        st.setString(i++, Json.write(chunk.metadata()));
        st.setObject(i++, index.jdbcValue(embeddings.get(chunk.id())));
        st.setString(i++, chunk.model());
        s.core.backend.setInstant(st, i++, now);
      }
      return st.executeUpdate();
    }
  }

  /**
   * The upsert of {@code rows} chunks in one statement, rendered once per row count: an id another
   * user holds is left alone (its row is not counted), all other columns but the creation time are
   * replaced.
   */
  private String upsertStatement(int rows) {
    return s.sql(
        "chunks.upsert." + rows,
        () -> {
          List<Field<?>> columns =
              List.of(
                  c.id,
                  c.userId,
                  c.documentId,
                  c.chunkIndex,
                  c.text,
                  c.metadata,
                  c.embedding,
                  c.model,
                  c.createdAt);
          var insert = s.core.dsl.insertInto(c.table, columns);
          for (int r = 0; r < rows; r++) {
            insert =
                insert.values(
                    columns.stream().map(f -> (Field<?>) DSL.param(f.getDataType())).toList());
          }
          return s.render(
              insert
                  .onConflict(c.id)
                  .doUpdate()
                  .set(replacedFromProposed)
                  .where(c.userId.eq(excluded(c.userId))));
        });
  }

  /** The first of the rows whose id another user holds. */
  private String heldByOthers(DSLContext ctx, List<Chunk> rows) {
    Map<String, String> held = new HashMap<>();
    ctx.select(c.id, c.userId)
        .from(c.table)
        .where(c.id.in(rows.stream().map(Chunk::id).toList()))
        .forEach(r -> held.put(r.get(c.id), r.get(c.userId)));
    return rows.stream()
        .filter(chunk -> !chunk.userId().equals(held.get(chunk.id())))
        .map(Chunk::id)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("the upsert wrote fewer rows than it had"));
  }

  /** The store records one model: the configured one, or else the first one written. */
  /** The settings once the store has a model: {@code model} claims it when it has none yet. */
  private VectorSettings claimModel(DSLContext ctx, VectorSettings current, String model) {
    if (current.model().isPresent()) {
      return current;
    }
    // a concurrent first batch may claim it first: read back whichever model won
    ctx.update(vs.table).set(vs.model, model).where(vs.id.eq(1), vs.model.isNull()).execute();
    return settings(ctx);
  }

  @Override
  public int deleteByDocument(String userId, String documentId) {
    Check.identifier("userId", userId);
    Check.identifier("documentId", documentId);
    Written written = new Written(Set.of(userId));
    try {
      return written.done(
          s.write(
              "chunk delete",
              ctx -> {
                VectorIndex.Changes changes = written.start(ctx);
                int deleted =
                    ctx.deleteFrom(c.table)
                        .where(c.userId.eq(userId), c.documentId.eq(documentId))
                        .execute();
                changes.deletedDocument(userId, documentId);
                changes.end(ctx);
                return deleted;
              }));
    } finally {
      written.settle();
    }
  }

  @Override
  public int deleteByUser(String userId) {
    Check.identifier("userId", userId);
    Written written = new Written(Set.of(userId));
    try {
      return written.done(
          s.write(
              "chunk delete",
              ctx -> {
                VectorIndex.Changes changes = written.start(ctx);
                int deleted = ctx.deleteFrom(c.table).where(c.userId.eq(userId)).execute();
                changes.deletedAll(userId);
                changes.end(ctx);
                return deleted;
              }));
    } finally {
      written.settle();
    }
  }

  /**
   * One chunk write's changes on their way to the index: handed over once the write committed, or,
   * when it failed or runs in the caller's transaction (whose commit comes later), reported as
   * written so that the index forgets what it kept of the owners.
   */
  private final class Written {
    private final Collection<String> owners;
    private VectorIndex.Changes changes = VectorIndex.Changes.NONE;
    private boolean committed;

    Written(Collection<String> owners) {
      this.owners = owners;
    }

    /** Inside the transaction (each attempt of it), before its first chunk statement. */
    VectorIndex.Changes start(DSLContext ctx) {
      changes = index.changes(ctx, owners);
      return changes;
    }

    /** After the write returned. */
    int done(int result) {
      committed = !s.inTransaction();
      return result;
    }

    void settle() {
      if (committed) {
        changes.committed();
      } else {
        owners.forEach(index::written);
      }
    }
  }

  @Override
  public List<ChunkMatch> search(float[] query, int k, SearchScope scope) {
    Check.notNull("query", query);
    Check.range("k", k, 1, 1000);
    Check.notNull("scope", scope);
    return s.read(
        "chunk search",
        ctx -> {
          VectorSettings settings = s.core.searchSettings;
          if (settings == null) {
            settings = settings(ctx);
            s.core.searchSettings = settings;
          }
          float[] comparable = storable("query", query, settings);
          List<VectorIndex.Hit> hits =
              index.search(ctx, comparable, k, scope, settings, s.inTransaction());
          List<String> unread =
              hits.stream().filter(h -> h.chunk().isEmpty()).map(VectorIndex.Hit::id).toList();
          Map<String, Chunk> byId =
              unread.isEmpty() ? Map.of() : Session.jdbc(ctx, conn -> read(conn, unread));
          // a chunk deleted between the scan and the read is left out, and so is one whose id
          // another owner took since
          return hits.stream()
              .filter(
                  h ->
                      h.chunk().isPresent()
                          || (byId.containsKey(h.id())
                              && byId.get(h.id()).userId().equals(scope.userId())))
              .map(h -> new ChunkMatch(h.chunk().orElseGet(() -> byId.get(h.id())), h.distance()))
              .toList();
        });
  }

  /**
   * Validates an embedding or query against the store's settings and returns the values every
   * backend stores and compares: at half precision, rounded to it (see {@link VectorSettings}).
   */
  private static float[] storable(String field, float[] v, VectorSettings settings) {
    Check.vector(field, v, settings.dimension());
    // pgvector sums squares and products in single precision: past this magnitude a distance
    // between two such vectors can overflow to infinity or NaN, which SQLite (in double) avoids
    double limit = Math.sqrt(Float.MAX_VALUE / (4.0 * settings.dimension()));
    for (int i = 0; i < v.length; i++) {
      if (Math.abs(v[i]) > limit) {
        throw new DbValidationException(
            field,
            String.format(
                Locale.ROOT,
                "must hold numbers within ±%.3g at dimension %d (a distance would overflow"
                    + " single precision): %s at index %d",
                limit,
                settings.dimension(),
                v[i],
                i));
      }
    }
    float[] values = v;
    if (settings.halfPrecision()) {
      values = new float[v.length];
      for (int i = 0; i < v.length; i++) {
        if (Math.abs(v[i]) > VectorSettings.HALF_PRECISION_MAX) {
          throw new DbValidationException(
              field,
              "must hold numbers within ±"
                  + VectorSettings.HALF_PRECISION_MAX
                  + " at half precision (dimension "
                  + settings.dimension()
                  + "): "
                  + v[i]
                  + " at index "
                  + i);
        }
        values[i] = HalfFloats.round(v[i]);
      }
    }
    if (settings.metric() == DistanceMetric.COSINE && isZero(values)) {
      throw new DbValidationException(
          field,
          settings.halfPrecision()
              ? "must not round to the zero vector at half precision under cosine distance"
              : "must not be the zero vector under cosine distance");
    }
    return values;
  }

  private static boolean isZero(float[] v) {
    for (float x : v) {
      if (x != 0f) {
        return false;
      }
    }
    return true;
  }

  /**
   * The chunks with these ids, read with a statement rendered once per power of two of ids: the
   * missing places repeat the last id, so at most eleven statements serve every k up to 1,000.
   */
  private Map<String, Chunk> read(Connection conn, List<String> ids) throws SQLException {
    int places = Integer.highestOneBit(Math.max(1, ids.size() - 1)) << 1;
    String sql =
        s.sql(
            "chunks.byIds." + places,
            () ->
                s.render(
                    s.core
                        .dsl
                        .select(c.all)
                        .from(c.table)
                        .where(
                            c.id.in(Collections.nCopies(places, DSL.param(c.id.getDataType()))))));
    Map<String, Chunk> byId = new HashMap<>();
    try (PreparedStatement st = conn.prepareStatement(sql)) {
      for (int i = 0; i < places; i++) {
        st.setString(i + 1, ids.get(Math.min(i, ids.size() - 1)));
      }
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          // the columns of c.all, in order
          byId.put(
              rs.getString(1),
              new Chunk(
                  rs.getString(1),
                  rs.getString(2),
                  rs.getString(3),
                  rs.getInt(4),
                  rs.getString(5),
                  Json.read(rs.getString(7)),
                  index.embedding(rs, 8),
                  rs.getString(6),
                  Optional.of(s.core.backend.getInstant(rs, 9))));
        }
      }
    }
    return byId;
  }
}
