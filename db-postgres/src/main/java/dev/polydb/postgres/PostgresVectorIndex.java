package dev.polydb.postgres;

import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.inline;
import static org.jooq.impl.DSL.name;
import static org.jooq.impl.DSL.table;
import static org.jooq.impl.DSL.val;

import com.pgvector.PGhalfvec;
import com.pgvector.PGvector;
import dev.polydb.api.SearchScope;
import dev.polydb.api.VectorSettings;
import dev.polydb.jooq.Json;
import dev.polydb.jooq.VectorIndex;
import dev.polydb.migrations.Migrations;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jooq.Binding;
import org.jooq.BindingGetResultSetContext;
import org.jooq.BindingGetSQLInputContext;
import org.jooq.BindingGetStatementContext;
import org.jooq.BindingRegisterContext;
import org.jooq.BindingSQLContext;
import org.jooq.BindingSetSQLOutputContext;
import org.jooq.BindingSetStatementContext;
import org.jooq.Condition;
import org.jooq.Converter;
import org.jooq.DSLContext;
import org.jooq.DataType;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Table;
import org.jooq.conf.ParamType;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Nearest-neighbour search in the database with pgvector. The embedding column is {@code vector} up
 * to 2000 dimensions and {@code halfvec} above (see the migration); pgvector-java formats and
 * parses both. Each search sets, for its own transaction, {@code hnsw.ef_search} and {@code
 * ivfflat.probes} (whichever index the database has uses its own, the other is ignored) and turns
 * on 0.8's iterative index scans, so that a search narrowed by owner, documents or metadata still
 * returns k rows when the index's first candidates belong to others. HNSW scans in strict order;
 * IVFFlat has only relaxed order, which the outer query's sort puts right.
 */
final class PostgresVectorIndex implements VectorIndex {
  private static final Table<Record> CHUNKS = table(name("chunks"));
  private static final Field<String> ID = field(name("chunks", "id"), String.class);
  private static final Field<String> USER = field(name("chunks", "user_id"), String.class);
  private static final Field<String> DOCUMENT = field(name("chunks", "document_id"), String.class);
  private static final Field<Object> METADATA = field(name("chunks", "metadata"));
  private static final Field<Object> EMBEDDING = field(name("chunks", "embedding"));
  private static final Field<Double> DISTANCE = field(name("distance"), Double.class);

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

  private static String type(int dimension) {
    return new Migrations.Settings(dimension, "cosine", Optional.empty()).embeddingType();
  }

  @Override
  public List<Hit> search(
      DSLContext ctx,
      float[] query,
      int k,
      SearchScope scope,
      VectorSettings settings,
      boolean inTransaction) {
    // set_config(…, true) lasts until the transaction ends: give the search one of its own
    return inTransaction
        ? nearest(ctx, query, k, scope, settings)
        : ctx.transactionResult(cfg -> nearest(cfg.dsl(), query, k, scope, settings));
  }

  private List<Hit> nearest(
      DSLContext ctx, float[] query, int k, SearchScope scope, VectorSettings settings) {
    ctx.select(
            setLocal("hnsw.ef_search", val(Integer.toString(Math.max(efSearch, k)))),
            setLocal("hnsw.iterative_scan", inline("strict_order")),
            setLocal("ivfflat.probes", val(Integer.toString(probes))),
            setLocal("ivfflat.iterative_scan", inline("relaxed_order")))
        .fetch();

    Field<float[]> q = val(query, embeddingType(settings.dimension()));
    Field<Double> distance =
        DSL.field("{0} " + operator(settings) + " {1}", Double.class, EMBEDDING, q);
    List<Condition> where = new ArrayList<>();
    where.add(USER.eq(scope.userId()));
    if (!scope.documentIds().isEmpty()) {
      where.add(DOCUMENT.in(scope.documentIds()));
    }
    if (!scope.metadataEquals().isEmpty()) {
      // metadata is a flat object of strings, so containment is equality on every given key
      where.add(
          DSL.condition(
              "{0} @> cast({1} as jsonb)", METADATA, val(Json.write(scope.metadataEquals()))));
    }
    // The index yields rows by distance alone; WITH TIES keeps every row tied with the k-th, and
    // the outer query breaks ties by id, as the contract orders them.
    Table<?> candidates =
        ctx.select(ID, distance.as(DISTANCE))
            .from(CHUNKS)
            .where(where)
            .orderBy(distance)
            .limit(k)
            .withTies()
            .asTable("candidates");
    Field<String> id = candidates.field(ID.getUnqualifiedName(), String.class);
    Field<Double> d = candidates.field(DISTANCE.getUnqualifiedName(), Double.class);
    return ctx.select(id, d)
        .from(candidates)
        .orderBy(d, id)
        .limit(k)
        .fetch(r -> new Hit(r.value1(), r.value2()));
  }

  /** {@code set_config(name, value, true)}: the setting lasts until the transaction ends. */
  private static Field<String> setLocal(String name, Field<String> value) {
    return DSL.function("set_config", String.class, inline(name), value, inline(true));
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
