package dev.polydb.postgres;

import static org.jooq.impl.DSL.inline;
import static org.jooq.impl.DSL.table;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.pgvector.PGhalfvec;
import com.pgvector.PGvector;
import dev.polydb.api.Chunk;
import dev.polydb.api.SearchScope;
import dev.polydb.api.VectorSettings;
import dev.polydb.jooq.Json;
import dev.polydb.jooq.VectorIndex;
import dev.polydb.migrations.Migrations;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Types;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jooq.Binding;
import org.jooq.BindingGetResultSetContext;
import org.jooq.BindingGetSQLInputContext;
import org.jooq.BindingGetStatementContext;
import org.jooq.BindingRegisterContext;
import org.jooq.BindingSQLContext;
import org.jooq.BindingSetSQLOutputContext;
import org.jooq.BindingSetStatementContext;
import org.jooq.Converter;
import org.jooq.DSLContext;
import org.jooq.DataType;
import org.jooq.conf.ParamType;
import org.jooq.impl.SQLDataType;
import org.postgresql.PGConnection;

/**
 * Nearest-neighbour search in the database with pgvector. The embedding column is {@code vector} up
 * to 2000 dimensions and {@code halfvec} above (see the migration); pgvector-java formats and
 * parses both.
 *
 * <p>A search is one round trip that returns whole chunks. Where the scope is wide it goes through
 * the approximate index: the statement first sets, for its own implicit transaction, {@code
 * hnsw.ef_search} and {@code ivfflat.probes} (whichever index the database has uses its own), turns
 * on pgvector 0.8's iterative index scans and asks for custom plans, so that a search narrowed by
 * owner, documents or metadata still returns k rows when the index's first candidates belong to
 * others. Where the owner holds few rows ({@link #EXACT_SHARE} of the table or {@link #EXACT_ROWS}
 * at most), an index over all owners finds too few of its rows to rank them well, so the search
 * scans the owner's rows through its btree index and ranks them exactly. The row counts that decide
 * come from a count per owner and the table's {@code reltuples}, each kept for a minute (see
 * docs/performance.md).
 *
 * <p>Single-precision vectors travel in binary both ways: each connection registers pgvector-java's
 * {@code PGvector}, which PgJDBC then sends and, once a statement is prepared on the server,
 * receives in binary. Half-precision ones travel as text, which pgvector-java offers for them.
 */
final class PostgresVectorIndex implements VectorIndex {
  /** An owner holding at most this share of the table's rows is searched exactly. */
  static final double EXACT_SHARE = 0.05;

  /** An owner holding at most this many rows is searched exactly, whatever its share. */
  static final long EXACT_ROWS = 2_000;

  private static final String COLUMNS =
      "id, user_id, document_id, chunk_index, text, metadata, embedding, model, created_at";

  /** One statement per type, scope and plan: the sets of filters vary, the SQL of each does not. */
  private final Map<String, String> statements = new ConcurrentHashMap<>();

  private static final Duration STATISTICS_AGE = Duration.ofMinutes(1);

  private final Cache<String, Long> ownerRows =
      Caffeine.newBuilder().expireAfterWrite(STATISTICS_AGE).maximumSize(100_000).build();
  private final Cache<String, Long> tableRows =
      Caffeine.newBuilder().expireAfterWrite(STATISTICS_AGE).build();

  private final int efSearch;
  private final int probes;

  PostgresVectorIndex(int efSearch, int probes) {
    this.efSearch = efSearch;
    this.probes = probes;
  }

  @Override
  public DataType<float[]> embeddingType(int dimension) {
    return SQLDataType.OTHER.asConvertedDataType(new EmbeddingBinding(type(dimension)));
  }

  @Override
  public Object jdbcValue(float[] embedding) {
    // a halfvec statement casts the bound text; a vector travels in binary where registered
    return embedding.length > VectorSettings.MAX_FULL_PRECISION_DIMENSION
        ? new PGhalfvec(embedding).getValue()
        : new PGvector(embedding);
  }

  @Override
  public void registerTypes(Connection c) throws SQLException {
    // vector then travels in binary both ways on this connection; a map insert once known
    c.unwrap(PGConnection.class).addDataType("vector", PGvector.class);
  }

  @Override
  public float[] embedding(ResultSet rs, int column) throws SQLException {
    // vector and halfvec share the text form; a registered vector may come back as PGvector
    Object value = rs.getObject(column);
    return value instanceof PGvector v ? v.toArray() : new PGvector(rs.getString(column)).toArray();
  }

  private static String type(int dimension) {
    return new Migrations.Settings(dimension, "cosine", Optional.empty()).embeddingType();
  }

  @Override
  public void written(String userId) {
    if (userId == null) {
      ownerRows.invalidateAll();
    } else {
      ownerRows.invalidate(userId);
    }
  }

  @Override
  public Changes changes(DSLContext ctx, Collection<String> owners) {
    return new Changes() {
      @Override
      public void committed() {
        ownerRows.invalidateAll(owners);
      }
    };
  }

  @Override
  public List<Hit> search(
      DSLContext ctx,
      float[] query,
      int k,
      SearchScope scope,
      VectorSettings settings,
      boolean inTransaction) {
    return ctx.connectionResult(c -> search(c, query, k, scope, settings));
  }

  /** Which way a search goes. */
  enum Plan {
    /** Through the approximate index. */
    INDEX,
    /** Through the owner's btree index, every row of the scope ranked. */
    EXACT
  }

  /**
   * How a search of this owner runs, from its row count against the table's.
   *
   * @param c a connection
   * @param userId the owner
   * @return the plan
   * @throws SQLException when the counts cannot be read
   */
  Plan plan(Connection c, String userId) throws SQLException {
    return plan(statistics(c, userId));
  }

  private static Plan plan(Statistics rows) {
    return rows.owner() <= EXACT_ROWS || rows.owner() <= EXACT_SHARE * rows.table()
        ? Plan.EXACT
        : Plan.INDEX;
  }

  /**
   * The owner's and the table's row counts.
   *
   * @param owner the owner's
   * @param table the table's
   */
  private record Statistics(long owner, long table) {}

  private Statistics statistics(Connection c, String userId) throws SQLException {
    long owner = counted(ownerRows, userId, c, "SELECT count(*) FROM chunks WHERE user_id = ?");
    // reltuples is -1 until the table was first vacuumed or analyzed; count it then
    long table =
        counted(
            tableRows,
            "chunks",
            c,
            "SELECT CASE WHEN reltuples < 0 THEN (SELECT count(*) FROM chunks)"
                + " ELSE reltuples::bigint END FROM pg_class WHERE oid = to_regclass(?)");
    return new Statistics(owner, Math.max(owner, table));
  }

  private static long counted(Cache<String, Long> cache, String key, Connection c, String sql)
      throws SQLException {
    Long known = cache.getIfPresent(key);
    if (known != null) {
      return known;
    }
    try (PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, key);
      try (ResultSet rs = s.executeQuery()) {
        long count = rs.next() ? rs.getLong(1) : 0;
        cache.put(key, count);
        return count;
      }
    }
  }

  private List<Hit> search(
      Connection c, float[] query, int k, SearchScope scope, VectorSettings settings)
      throws SQLException {
    boolean half = settings.halfPrecision();
    if (!half) {
      registerTypes(c);
    }
    Statistics rows = statistics(c, scope.userId());
    Plan plan = plan(rows);
    String sql = statement(plan, settings, scope);
    try (PreparedStatement s = c.prepareStatement(sql)) {
      int i = 1;
      if (plan == Plan.INDEX) {
        s.setString(i++, Integer.toString(Math.max(efSearch, k)));
        s.setString(i++, Integer.toString(probes));
      }
      if (half) {
        s.setString(i++, new PGhalfvec(query).getValue());
      } else {
        s.setObject(i++, new PGvector(query));
      }
      s.setString(i++, scope.userId());
      if (!scope.documentIds().isEmpty()) {
        s.setArray(i++, c.createArrayOf("text", scope.documentIds().toArray()));
      }
      if (!scope.metadataEquals().isEmpty()) {
        s.setString(i++, Json.write(scope.metadataEquals()));
      }
      s.setInt(i++, k);
      if (plan == Plan.INDEX) {
        s.setInt(i, k); // the outer LIMIT
      }
      s.execute();
      s.getMoreResults(); // past the settings' row
      List<Hit> hits = new ArrayList<>(k);
      try (ResultSet rs = s.getResultSet()) {
        while (rs.next()) {
          hits.add(new Hit(rs.getString(1), rs.getDouble(10), Optional.of(chunk(rs))));
        }
      }
      return hits;
    }
  }

  private Chunk chunk(ResultSet rs) throws SQLException {
    return new Chunk(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        rs.getInt(4),
        rs.getString(5),
        Json.read(rs.getString(6)),
        embedding(rs, 7),
        rs.getString(8),
        Optional.of(rs.getObject(9, OffsetDateTime.class).toInstant()));
  }

  /**
   * The search statement: settings for the query's implicit transaction, then {@link #query}, in
   * one round trip. Both plans ask for a plan made with the values bound ({@code plan_cache_mode}):
   * once PgJDBC prepares the statement on the server, Postgres would otherwise settle on a generic
   * plan, which for the index's query measured 20% slower and for the exact one may scan the whole
   * table where the owner's rows are few. Through the index, the search's candidate list and
   * iterative scans too.
   */
  private String statement(Plan plan, VectorSettings settings, SearchScope scope) {
    boolean documents = !scope.documentIds().isEmpty();
    boolean metadata = !scope.metadataEquals().isEmpty();
    String key = plan + " " + settings.halfPrecision() + settings.metric() + documents + metadata;
    return statements.computeIfAbsent(
        key,
        x ->
            // pg_catalog's own, with text arguments: a set_config(varchar, …) someone made in
            // public would be a better match for a bound parameter (CVE-2018-1058)
            "SELECT pg_catalog.set_config('plan_cache_mode', 'force_custom_plan', true)"
                + (plan == Plan.EXACT
                    ? ""
                    : ", pg_catalog.set_config('hnsw.ef_search', ?::text, true),"
                        + " pg_catalog.set_config('hnsw.iterative_scan', 'strict_order', true),"
                        + " pg_catalog.set_config('ivfflat.probes', ?::text, true),"
                        + " pg_catalog.set_config('ivfflat.iterative_scan', 'relaxed_order', true)")
                + "; "
                + query(plan, settings, scope));
  }

  /**
   * The query of a search. Through the index: the k nearest by distance alone (which the index
   * yields) with every row tied with the k-th, ordered again with ties by id, as the contract
   * orders them. Exact: the scope's rows behind an {@code OFFSET 0} fence, which keeps the planner
   * from answering the outer {@code ORDER BY} with the approximate index.
   *
   * @param plan the plan
   * @param settings the store's settings
   * @param scope which filters the query has (their values are bound)
   * @return the SQL, binding the query vector, the owner, the documents and metadata if the scope
   *     has them, then k (twice through the index)
   */
  static String query(Plan plan, VectorSettings settings, SearchScope scope) {
    String scoped =
        "SELECT "
            + COLUMNS
            + ", embedding "
            + operator(settings)
            + " ?::"
            + (settings.halfPrecision() ? "halfvec" : "vector")
            + " AS distance FROM chunks WHERE user_id = ?"
            + (scope.documentIds().isEmpty() ? "" : " AND document_id = ANY (?)")
            // metadata is a flat object of strings: containment is equality on every key
            + (scope.metadataEquals().isEmpty() ? "" : " AND metadata @> ?::jsonb");
    String outer = "SELECT " + COLUMNS + ", distance FROM (";
    if (plan == Plan.EXACT) {
      return outer + scoped + " OFFSET 0) scoped ORDER BY distance, id LIMIT ?";
    }
    return outer
        + scoped
        + " ORDER BY distance FETCH FIRST ? ROWS WITH TIES) candidates"
        + " ORDER BY distance, id LIMIT ?";
  }

  /** pgvector's operator for the metric; {@code <#>} is the negative inner product. */
  private static String operator(VectorSettings settings) {
    return switch (settings.metric()) {
      case COSINE -> "<=>";
      case L2 -> "<->";
      case INNER_PRODUCT -> "<#>";
    };
  }

  /**
   * Binds a {@code float[]} as the text pgvector parses, cast to the column's type, and reads the
   * column's text back. Text both ways keeps the binding free of driver type registration.
   */
  private static final class EmbeddingBinding implements Binding<Object, float[]> {
    private static final long serialVersionUID = 1L;

    private final String type;
    private final Converter<Object, float[]> converter;

    EmbeddingBinding(String type) {
      this.type = type;
      this.converter =
          Converter.ofNullable(
              Object.class, float[].class, EmbeddingBinding::parse, v -> format(type, v));
    }

    private static float[] parse(Object text) {
      try {
        // vector and halfvec share the text form
        return new PGvector(text.toString()).toArray();
      } catch (SQLException e) {
        throw new IllegalStateException("unreadable embedding from the database", e);
      }
    }

    private static String format(String type, float[] v) {
      return "halfvec".equals(type) ? new PGhalfvec(v).getValue() : new PGvector(v).getValue();
    }

    @Override
    public Converter<Object, float[]> converter() {
      return converter;
    }

    @Override
    public void sql(BindingSQLContext<float[]> ctx) {
      if (ctx.render().paramType() == ParamType.INLINED) {
        ctx.render().visit(inline(String.valueOf(ctx.convert(converter).value())));
      } else {
        ctx.render().sql(ctx.variable());
      }
      ctx.render().sql("::" + type.toLowerCase(Locale.ROOT));
    }

    @Override
    public void register(BindingRegisterContext<float[]> ctx) throws SQLException {
      ctx.statement().registerOutParameter(ctx.index(), Types.OTHER);
    }

    @Override
    public void set(BindingSetStatementContext<float[]> ctx) throws SQLException {
      Object text = ctx.convert(converter).value();
      if (text == null) {
        ctx.statement().setNull(ctx.index(), Types.OTHER);
      } else {
        ctx.statement().setString(ctx.index(), text.toString());
      }
    }

    @Override
    public void get(BindingGetResultSetContext<float[]> ctx) throws SQLException {
      ctx.convert(converter).value(ctx.resultSet().getString(ctx.index()));
    }

    @Override
    public void get(BindingGetStatementContext<float[]> ctx) throws SQLException {
      ctx.convert(converter).value(ctx.statement().getString(ctx.index()));
    }

    @Override
    public void set(BindingSetSQLOutputContext<float[]> ctx) throws SQLException {
      throw new SQLFeatureNotSupportedException("embeddings are not written to SQL output");
    }

    @Override
    public void get(BindingGetSQLInputContext<float[]> ctx) throws SQLException {
      throw new SQLFeatureNotSupportedException("embeddings are not read from SQL input");
    }
  }
}
