package dev.polydb.sqlite;

import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.name;
import static org.jooq.impl.DSL.table;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.polydb.api.SearchScope;
import dev.polydb.api.VectorSettings;
import dev.polydb.jooq.Json;
import dev.polydb.jooq.VectorIndex;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.jooq.Converter;
import org.jooq.DSLContext;
import org.jooq.DataType;
import org.jooq.Field;
import org.jooq.Record4;
import org.jooq.Table;
import org.jooq.impl.SQLDataType;

/**
 * Exact nearest-neighbour search in Java, with no native extension. Each owner's embeddings are
 * loaded once into memory and scanned per query. The copy stays consistent with writes from any
 * connection or process: every chunk write moves {@code vector_settings.epoch} (a trigger does it
 * in the database), and a search whose epoch differs from its copy's reloads that owner first.
 */
final class SqliteVectorIndex implements VectorIndex {
  private static final Table<?> SETTINGS = table(name("vector_settings"));
  private static final Field<Long> EPOCH = field(name("vector_settings", "epoch"), Long.class);
  private static final Table<?> CHUNKS = table(name("chunks"));
  private static final Field<String> ID = field(name("chunks", "id"), String.class);
  private static final Field<String> USER = field(name("chunks", "user_id"), String.class);
  private static final Field<String> DOCUMENT = field(name("chunks", "document_id"), String.class);
  private static final Field<String> METADATA = field(name("chunks", "metadata"), String.class);
  private static final Field<byte[]> EMBEDDING =
      field(name("chunks", "embedding"), SQLDataType.BLOB);

  /** At most this many floats (256 MiB) stay in memory; the least recently searched go first. */
  private static final long MAX_CACHED_FLOATS = 64L << 20;

  private final Cache<String, Owner> owners =
      Caffeine.newBuilder()
          .maximumWeight(MAX_CACHED_FLOATS)
          .weigher((String user, Owner o) -> Math.max(1, o.ids().length * o.dimension()))
          .build();

  /** One owner's chunks as the search needs them. */
  private record Owner(
      long epoch,
      String[] ids,
      String[] documents,
      List<Map<String, String>> metadata,
      float[][] vectors,
      double[] norms) {
    int dimension() {
      return vectors.length == 0 ? 0 : vectors[0].length;
    }
  }

  @Override
  public DataType<float[]> embeddingType(int dimension) {
    return SQLDataType.BLOB.asConvertedDataType(
        Converter.ofNullable(byte[].class, float[].class, Floats::decode, Floats::encode));
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
    long epoch = ctx.select(EPOCH).from(SETTINGS).fetchOne(EPOCH);
    Owner owner = owners.getIfPresent(scope.userId());
    if (owner == null || owner.epoch() != epoch || inTransaction) {
      owner = load(ctx, scope.userId(), epoch);
      if (!inTransaction) {
        owners.put(scope.userId(), owner);
      }
    }
    return nearest(owner, query, k, scope, settings);
  }

  private static Owner load(DSLContext ctx, String userId, long epoch) {
    var rows =
        ctx.select(ID, DOCUMENT, METADATA, EMBEDDING).from(CHUNKS).where(USER.eq(userId)).fetch();
    int n = rows.size();
    String[] ids = new String[n];
    String[] documents = new String[n];
    List<Map<String, String>> metadata = new ArrayList<>(n);
    float[][] vectors = new float[n][];
    double[] norms = new double[n];
    int i = 0;
    for (Record4<String, String, String, byte[]> r : rows) {
      ids[i] = r.value1();
      documents[i] = r.value2();
      metadata.add(Json.read(r.value3()));
      vectors[i] = Floats.decode(r.value4());
      norms[i] = Math.sqrt(dot(vectors[i], vectors[i]));
      i++;
    }
    return new Owner(epoch, ids, documents, metadata, vectors, norms);
  }

  private static List<Hit> nearest(
      Owner owner, float[] query, int k, SearchScope scope, VectorSettings settings) {
    Comparator<Hit> nearestFirst =
        Comparator.comparingDouble(Hit::distance)
            .thenComparing(Hit::id, SqliteVectorIndex::byCodePoint);
    PriorityQueue<Hit> best = new PriorityQueue<>(k + 1, nearestFirst.reversed());
    double queryNorm = Math.sqrt(dot(query, query));
    Map<String, String> wanted = scope.metadataEquals();
    for (int i = 0; i < owner.ids().length; i++) {
      if (!scope.documentIds().isEmpty() && !scope.documentIds().contains(owner.documents()[i])) {
        continue;
      }
      if (!wanted.isEmpty() && !matches(owner.metadata().get(i), wanted)) {
        continue;
      }
      float[] v = owner.vectors()[i];
      double distance =
          switch (settings.metric()) {
            case COSINE -> 1.0 - dot(query, v) / (queryNorm * owner.norms()[i]);
            case L2 -> l2(query, v);
            case INNER_PRODUCT -> -dot(query, v);
          };
      best.add(new Hit(owner.ids()[i], distance));
      if (best.size() > k) {
        best.poll();
      }
    }
    List<Hit> hits = new ArrayList<>(best);
    hits.sort(nearestFirst);
    return hits;
  }

  /**
   * Ids in code point order, which is UTF-8 byte order: SQLite's BINARY and Postgres's "C"
   * collation. {@link String#compareTo} compares UTF-16 units and puts 😀 before U+FF21.
   */
  private static int byCodePoint(String a, String b) {
    return Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());
  }

  private static boolean matches(Map<String, String> metadata, Map<String, String> wanted) {
    for (var e : wanted.entrySet()) {
      if (!e.getValue().equals(metadata.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  private static double dot(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += (double) a[i] * b[i];
    }
    return sum;
  }

  private static double l2(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      double d = (double) a[i] - b[i];
      sum += d * d;
    }
    return Math.sqrt(sum);
  }
}
