package dev.polydb.api;

import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A provider's immutable configuration, built in code with {@link #builder()} or read from the
 * environment with {@link #fromEnv()}. Each setter rejects a bad value, {@link Builder#build()}
 * rejects bad combinations, and the result never changes. {@link #toString()} never shows the
 * password.
 *
 * <p>Environment variables, all optional:
 *
 * <table>
 *   <caption>settings read by {@link #fromEnv()}</caption>
 *   <tr><th>variable</th><th>default</th></tr>
 *   <tr><td>{@code DATABASE_URL}</td><td>SQLite at {@value DatabaseUrl#DEFAULT_SQLITE_PATH}</td></tr>
 *   <tr><td>{@code DB_POOL_SIZE}</td><td>10 on Postgres, 4 on a SQLite file</td></tr>
 *   <tr><td>{@code DB_STATEMENT_TIMEOUT}</td><td>5s</td></tr>
 *   <tr><td>{@code ENABLE_MUTATIONS}</td><td>true</td></tr>
 *   <tr><td>{@code DB_MIGRATE_ON_OPEN}</td><td>true (never when mutations are disabled)</td></tr>
 *   <tr><td>{@code DB_TENANT}</td><td>none</td></tr>
 *   <tr><td>{@code DB_MODE}</td><td>as {@code DATABASE_URL} says ({@code sqlite}, {@code postgres},
 *       {@code mirror})</td></tr>
 *   <tr><td>{@code DB_MIRROR_URL}</td><td>none; the Postgres URL a mirror replays to</td></tr>
 *   <tr><td>{@code DB_VECTOR_DIMENSION}</td><td>1536</td></tr>
 *   <tr><td>{@code DB_VECTOR_METRIC}</td><td>cosine ({@code l2}, {@code inner_product})</td></tr>
 *   <tr><td>{@code DB_EMBEDDING_MODEL}</td><td>none: the first chunk written decides</td></tr>
 *   <tr><td>{@code DB_VECTOR_INDEX}</td><td>hnsw ({@code ivfflat}, {@code none}; Postgres)</td></tr>
 *   <tr><td>{@code DB_VECTOR_EF_SEARCH}</td><td>100 (Postgres HNSW; raised to k per query)</td></tr>
 *   <tr><td>{@code DB_VECTOR_LISTS}</td><td>100 (Postgres IVFFlat)</td></tr>
 *   <tr><td>{@code DB_VECTOR_PROBES}</td><td>10 (Postgres IVFFlat, per query)</td></tr>
 *   <tr><td>{@code DB_REFRESH_TOKEN_TTL}</td><td>30d</td></tr>
 *   <tr><td>{@code DB_REFRESH_FAMILY_LIFETIME}</td><td>90d</td></tr>
 *   <tr><td>{@code DB_REFRESH_REUSE_GRACE}</td><td>10s (0s turns it off)</td></tr>
 *   <tr><td>{@code DB_PAST_DUE_GRACE}</td><td>0s</td></tr>
 *   <tr><td>{@code DB_JOURNAL_QUOTA_BYTES}</td><td>none</td></tr>
 *   <tr><td>{@code DB_JTI_CACHE_SIZE}</td><td>100000</td></tr>
 *   <tr><td>{@code DB_JTI_NEGATIVE_CACHE_TTL}</td><td>0s (off)</td></tr>
 * </table>
 *
 * <p>Durations are ISO-8601 ({@code PT5S}) or a number with a unit: {@code 500ms}, {@code 5s},
 * {@code 10m}, {@code 2h}, {@code 30d}.
 */
public final class DbConfig {

  private static final Pattern SIMPLE_DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

  /** This configuration's values: a private copy of the builder that made it, never changed. */
  private final Builder v;

  private DbConfig(Builder b) {
    this.v = b.copy();
  }

  /**
   * Starts a builder with every default.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Reads the configuration from the process environment.
   *
   * @return the configuration
   * @throws DbConfigException naming the variable that holds a bad value
   */
  public static DbConfig fromEnv() {
    return fromEnv(System.getenv());
  }

  /**
   * Reads the configuration from the given variables, as {@link #fromEnv()} does from the process
   * environment.
   *
   * @param env the variables
   * @return the configuration
   * @throws DbConfigException naming the variable that holds a bad value
   */
  public static DbConfig fromEnv(Map<String, String> env) {
    return builder().fromEnv(env).build();
  }

  /**
   * A builder holding this configuration's values, for a variant.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    return v.copy();
  }

  /**
   * The database URL as given; may hold a password, so never log it: use {@link #redactedUrl()}.
   *
   * @return the URL, empty for the default SQLite file
   */
  public String url() {
    return v.url;
  }

  /**
   * The database URL with its password masked.
   *
   * @return the redacted URL
   */
  public String redactedUrl() {
    return v.url.isEmpty()
        ? "sqlite:" + DatabaseUrl.DEFAULT_SQLITE_PATH
        : DatabaseUrl.redact(v.url);
  }

  /**
   * The pool size, when set; each backend has its own default.
   *
   * @return the pool size
   */
  public OptionalInt poolSize() {
    return v.poolSize == null ? OptionalInt.empty() : OptionalInt.of(v.poolSize);
  }

  /**
   * The longest a statement may run before it is cancelled.
   *
   * @return the timeout, 5 s by default
   */
  public Duration statementTimeout() {
    return v.statementTimeout;
  }

  /**
   * Whether writes are allowed. When not, every mutating method raises {@link DbReadOnlyException}
   * before a statement is sent.
   *
   * @return {@code true} by default
   */
  public boolean mutationsEnabled() {
    return v.mutationsEnabled;
  }

  /**
   * Whether the provider migrates the schema when it opens; always {@code false} when mutations are
   * disabled.
   *
   * @return {@code true} by default
   */
  public boolean migrateOnOpen() {
    return v.migrateOnOpen && v.mutationsEnabled;
  }

  /**
   * The tenant, when one is set.
   *
   * @return the tenant id
   */
  public Optional<String> tenant() {
    return Optional.ofNullable(v.tenant);
  }

  /**
   * The mode that was asked for; when empty, the kind of {@link #url()} decides.
   *
   * @return the mode, empty by default
   */
  public Optional<BackendMode> mode() {
    return Optional.ofNullable(v.mode);
  }

  /**
   * The Postgres URL a mirror replays to; read only in {@link BackendMode#MIRROR}. May hold a
   * password: log {@link #redactedMirrorUrl()} instead.
   *
   * @return the URL, when set
   */
  public Optional<String> mirrorUrl() {
    return Optional.ofNullable(v.mirrorUrl);
  }

  /**
   * The mirror URL with its password masked.
   *
   * @return the redacted URL, when set
   */
  public Optional<String> redactedMirrorUrl() {
    return mirrorUrl().map(DatabaseUrl::redact);
  }

  /**
   * Where the provider reports its calls, pool and events; set in code only.
   *
   * @return the metrics, {@link DbMetrics#NONE} by default
   */
  public DbMetrics metrics() {
    return v.metrics;
  }

  /**
   * The clock every timestamp comes from.
   *
   * @return the clock, UTC system clock by default
   */
  public Clock clock() {
    return v.clock;
  }

  /**
   * The embedding dimension a new database is migrated with.
   *
   * @return the dimension, 1536 by default
   */
  public int vectorDimension() {
    return v.vectorDimension;
  }

  /**
   * The distance metric a new database is migrated with.
   *
   * @return the metric, cosine by default
   */
  public DistanceMetric vectorMetric() {
    return v.vectorMetric;
  }

  /**
   * The embedding model a new database is migrated with, when set.
   *
   * @return the model
   */
  public Optional<String> embeddingModel() {
    return Optional.ofNullable(v.embeddingModel);
  }

  /**
   * The approximate index a new Postgres database is migrated with.
   *
   * @return HNSW by default
   */
  public VectorIndexType vectorIndex() {
    return v.vectorIndex;
  }

  /**
   * How many lists a new Postgres database's IVFFlat index is built with; pgvector suggests rows /
   * 1000 up to a million rows, and sqrt(rows) above.
   *
   * @return 100 by default
   */
  public int vectorIvfflatLists() {
    return v.vectorIvfflatLists;
  }

  /**
   * How many IVFFlat lists a search probes first, set per query; when the scope leaves fewer than k
   * rows in them, iterative scans probe more. Larger finds more true neighbours and costs more
   * time. Other indexes ignore it.
   *
   * @return 10 by default (pgvector's own is 1), the square root of the default lists
   */
  public int vectorIvfflatProbes() {
    return v.vectorIvfflatProbes;
  }

  /**
   * The candidate list size of an approximate (HNSW) search, set per query and raised to the
   * query's k when smaller: larger finds more true neighbours and costs more time. Backends that
   * search exactly ignore it.
   *
   * @return 40 by default, pgvector's own default
   */
  public int vectorEfSearch() {
    return v.vectorEfSearch;
  }

  /**
   * The lifetime of an issued refresh token when the caller gives none.
   *
   * @return 30 days by default
   */
  public Duration refreshTokenTtl() {
    return v.refreshTokenTtl;
  }

  /**
   * The absolute lifetime of a token family; rotation never extends a family past it.
   *
   * @return 90 days by default
   */
  public Duration refreshFamilyLifetime() {
    return v.refreshFamilyLifetime;
  }

  /**
   * How long after a rotation the immediate parent may be presented again and get the same child:
   * two tabs refreshing at once, or a retry after a lost reply, are not taken for a stolen token.
   * Zero turns it off, and then a rotated token presented again always counts as reuse.
   *
   * @return 10 seconds by default
   */
  public Duration refreshReuseGrace() {
    return v.refreshReuseGrace;
  }

  /**
   * How long after its period end a past-due subscription still counts as active.
   *
   * @return zero by default
   */
  public Duration pastDueGrace() {
    return v.pastDueGrace;
  }

  /**
   * The per-user journal quota in UTF-8 bytes, when set.
   *
   * @return the quota
   */
  public OptionalLong journalQuotaBytes() {
    return v.journalQuotaBytes == null
        ? OptionalLong.empty()
        : OptionalLong.of(v.journalQuotaBytes);
  }

  /**
   * How many revoked JWT ids the in-process cache holds.
   *
   * @return 100,000 by default
   */
  public int jtiCacheSize() {
    return v.jtiCacheSize;
  }

  /**
   * How long a "not revoked" answer may be reused. A revocation made elsewhere is seen at most this
   * late.
   *
   * @return zero (no negative cache) by default
   */
  public Duration jtiNegativeCacheTtl() {
    return v.jtiNegativeCacheTtl;
  }

  /**
   * Every setting, the URL with its password masked.
   *
   * @return a description safe to log
   */
  @Override
  public String toString() {
    return "DbConfig[url="
        + redactedUrl()
        + ", poolSize="
        + (v.poolSize == null ? "default" : v.poolSize)
        + ", statementTimeout="
        + v.statementTimeout
        + ", mutationsEnabled="
        + v.mutationsEnabled
        + ", migrateOnOpen="
        + migrateOnOpen()
        + ", tenant="
        + v.tenant
        + ", mode="
        + (v.mode == null ? "from url" : v.mode)
        + ", mirrorUrl="
        + redactedMirrorUrl().orElse("none")
        + ", clock="
        + v.clock
        + ", metrics="
        + (v.metrics == DbMetrics.NONE ? "none" : v.metrics.getClass().getName())
        + ", vectorDimension="
        + v.vectorDimension
        + ", vectorMetric="
        + v.vectorMetric
        + ", embeddingModel="
        + v.embeddingModel
        + ", vectorIndex="
        + v.vectorIndex
        + ", vectorEfSearch="
        + v.vectorEfSearch
        + ", vectorIvfflatLists="
        + v.vectorIvfflatLists
        + ", vectorIvfflatProbes="
        + v.vectorIvfflatProbes
        + ", refreshTokenTtl="
        + v.refreshTokenTtl
        + ", refreshFamilyLifetime="
        + v.refreshFamilyLifetime
        + ", refreshReuseGrace="
        + v.refreshReuseGrace
        + ", pastDueGrace="
        + v.pastDueGrace
        + ", journalQuotaBytes="
        + (v.journalQuotaBytes == null ? "none" : v.journalQuotaBytes)
        + ", jtiCacheSize="
        + v.jtiCacheSize
        + ", jtiNegativeCacheTtl="
        + v.jtiNegativeCacheTtl
        + "]";
  }

  /** The kind of a known URL form; {@code null} for a form only a third-party backend claims. */
  private static DatabaseUrl.Kind urlKind(String url) {
    return DatabaseUrl.isKnownScheme(url) ? DatabaseUrl.parse(url).kind() : null;
  }

  /** Builds a {@link DbConfig}; each setter rejects a bad value at once. */
  public static final class Builder implements Cloneable {
    private String url = "";
    private Integer poolSize;
    private Duration statementTimeout = Duration.ofSeconds(5);
    private boolean mutationsEnabled = true;
    private boolean migrateOnOpen = true;
    private String tenant;
    private BackendMode mode;
    private String mirrorUrl;
    private Clock clock = Clock.systemUTC();
    private DbMetrics metrics = DbMetrics.NONE;
    private int vectorDimension = 1536;
    private DistanceMetric vectorMetric = DistanceMetric.COSINE;
    private String embeddingModel;
    private VectorIndexType vectorIndex = VectorIndexType.HNSW;
    // whether vectorIndex was asked for rather than left at its default: only a request for an
    // index is refused where pgvector cannot build one
    private boolean vectorIndexRequested;
    private int vectorEfSearch = 100;
    private int vectorIvfflatLists = 100;
    private int vectorIvfflatProbes = 10;
    private Duration refreshTokenTtl = Duration.ofDays(30);
    private Duration refreshFamilyLifetime = Duration.ofDays(90);
    private Duration refreshReuseGrace = Duration.ofSeconds(10);
    private Duration pastDueGrace = Duration.ZERO;
    private Long journalQuotaBytes;
    private int jtiCacheSize = 100_000;
    private Duration jtiNegativeCacheTtl = Duration.ZERO;

    private Builder() {}

    /**
     * A field-for-field copy: every field holds an immutable value (or the shared metrics and
     * clock), so a shallow copy is a full one, and a new setting needs no line here.
     */
    private Builder copy() {
      try {
        return (Builder) clone();
      } catch (CloneNotSupportedException e) {
        throw new AssertionError(e);
      }
    }

    /**
     * Sets the database URL; {@code null} or empty means the default SQLite file. A URL of a known
     * form is parsed at once; any other must be claimed by a backend on the class path.
     *
     * @param value the URL
     * @return this builder
     * @throws DbConfigException when a known form is malformed, or no backend claims the URL
     */
    public Builder url(String value) {
      String u = value == null ? "" : value.strip();
      if (DatabaseUrl.isKnownScheme(u) || !DbProviders.claimed(u)) {
        // a known form is checked whole; any other is refused unless a third-party backend on
        // the class path claims it, with the parser's message naming the accepted forms
        DatabaseUrl.parse(u);
      }
      this.url = u;
      return this;
    }

    /**
     * Sets the connection pool size.
     *
     * @param value 1 to 1,000
     * @return this builder
     * @throws DbConfigException when out of range
     */
    public Builder poolSize(int value) {
      if (value < 1 || value > 1000) {
        throw new DbConfigException("pool size must be between 1 and 1000: " + value);
      }
      this.poolSize = value;
      return this;
    }

    /**
     * Sets the statement timeout.
     *
     * @param value 1 ms to 1 hour
     * @return this builder
     * @throws DbConfigException when out of range
     */
    public Builder statementTimeout(Duration value) {
      if (value == null || value.toMillis() < 1 || value.compareTo(Duration.ofHours(1)) > 0) {
        throw new DbConfigException("statement timeout must be between 1ms and 1h: " + value);
      }
      this.statementTimeout = value;
      return this;
    }

    /**
     * Allows or forbids writes.
     *
     * @param value {@code false} for a read-only provider
     * @return this builder
     */
    public Builder mutationsEnabled(boolean value) {
      this.mutationsEnabled = value;
      return this;
    }

    /**
     * Sets whether the provider migrates when it opens; ignored when mutations are disabled.
     *
     * @param value the flag
     * @return this builder
     */
    public Builder migrateOnOpen(boolean value) {
      this.migrateOnOpen = value;
      return this;
    }

    /**
     * Sets the tenant.
     *
     * @param value an id by the rules of {@link TenantId}, or {@code null}
     * @return this builder
     * @throws DbConfigException naming the rule the id breaks (never the id)
     */
    public Builder tenant(String value) {
      if (value != null) {
        try {
          TenantId.of(value);
        } catch (DbValidationException e) {
          throw new DbConfigException(e.getMessage());
        }
      }
      this.tenant = value;
      return this;
    }

    /**
     * Sets the mode; {@code null} lets the kind of the URL decide. {@link #build()} checks that the
     * URLs fit it.
     *
     * @param value the mode, or {@code null}
     * @return this builder
     */
    public Builder mode(BackendMode value) {
      this.mode = value;
      return this;
    }

    /**
     * Sets the Postgres URL a {@link BackendMode#MIRROR} provider replays every write to.
     *
     * @param value a Postgres URL, or {@code null} or empty for none
     * @return this builder
     * @throws DbConfigException when the URL is malformed or not a Postgres URL
     */
    public Builder mirrorUrl(String value) {
      String u = value == null ? "" : value.strip();
      if (u.isEmpty()) {
        this.mirrorUrl = null;
        return this;
      }
      DatabaseUrl parsed = DatabaseUrl.parse(u);
      if (parsed.kind() != DatabaseUrl.Kind.POSTGRES) {
        throw new DbConfigException("the mirror must be a Postgres database: " + parsed.redacted());
      }
      this.mirrorUrl = u;
      return this;
    }

    /**
     * Sets where the provider reports its calls, its pool and its events, e.g. {@code
     * MicrometerMetrics} of {@code db-micrometer}.
     *
     * @param value the metrics; {@link DbMetrics#NONE} records nothing
     * @return this builder
     * @throws DbConfigException when null
     */
    public Builder metrics(DbMetrics value) {
      if (value == null) {
        throw new DbConfigException("metrics must not be null: use DbMetrics.NONE");
      }
      this.metrics = value;
      return this;
    }

    /**
     * Sets the clock every timestamp comes from.
     *
     * @param value the clock
     * @return this builder
     * @throws DbConfigException when null
     */
    public Builder clock(Clock value) {
      if (value == null) {
        throw new DbConfigException("clock must not be null");
      }
      this.clock = value;
      return this;
    }

    /**
     * Sets the embedding dimension for new databases.
     *
     * @param value 1 to 16,000
     * @return this builder
     * @throws DbConfigException when out of range
     */
    public Builder vectorDimension(int value) {
      if (value < 1 || value > 16_000) {
        throw new DbConfigException("vector dimension must be between 1 and 16000: " + value);
      }
      this.vectorDimension = value;
      return this;
    }

    /**
     * Sets the distance metric for new databases.
     *
     * @param value the metric
     * @return this builder
     * @throws DbConfigException when null
     */
    public Builder vectorMetric(DistanceMetric value) {
      if (value == null) {
        throw new DbConfigException("vector metric must not be null");
      }
      this.vectorMetric = value;
      return this;
    }

    /**
     * Sets the embedding model for new databases.
     *
     * @param value the model name, or {@code null} to let the first chunk decide
     * @return this builder
     * @throws DbConfigException when blank or too long
     */
    public Builder embeddingModel(String value) {
      if (value != null && (value.isBlank() || value.length() > 255 || value.indexOf('\0') >= 0)) {
        throw new DbConfigException("embedding model must be 1 to 255 characters, no NUL");
      }
      this.embeddingModel = value;
      return this;
    }

    /**
     * Sets the approximate index for new Postgres databases.
     *
     * @param value the index type
     * @return this builder
     * @throws DbConfigException when null
     */
    public Builder vectorIndex(VectorIndexType value) {
      if (value == null) {
        throw new DbConfigException("vector index must not be null");
      }
      this.vectorIndex = value;
      this.vectorIndexRequested = true;
      return this;
    }

    /**
     * Sets how many lists a new Postgres database's IVFFlat index has.
     *
     * @param value 1 to 32768, pgvector's limit
     * @return this builder
     * @throws DbConfigException when out of range
     */
    public Builder vectorIvfflatLists(int value) {
      if (value < 1 || value > 32_768) {
        throw new DbConfigException("vector IVFFlat lists must be between 1 and 32768: " + value);
      }
      this.vectorIvfflatLists = value;
      return this;
    }

    /**
     * Sets how many IVFFlat lists a search probes first.
     *
     * @param value 1 to 32768
     * @return this builder
     * @throws DbConfigException when out of range
     */
    public Builder vectorIvfflatProbes(int value) {
      if (value < 1 || value > 32_768) {
        throw new DbConfigException("vector IVFFlat probes must be between 1 and 32768: " + value);
      }
      this.vectorIvfflatProbes = value;
      return this;
    }

    /**
     * Sets the candidate list size of approximate vector searches.
     *
     * @param value 1 to 1000
     * @return this builder
     * @throws DbConfigException when out of range
     */
    public Builder vectorEfSearch(int value) {
      if (value < 1 || value > 1000) {
        throw new DbConfigException("vector ef_search must be between 1 and 1000: " + value);
      }
      this.vectorEfSearch = value;
      return this;
    }

    /**
     * Sets the default refresh-token lifetime.
     *
     * @param value a positive duration
     * @return this builder
     * @throws DbConfigException when not positive
     */
    public Builder refreshTokenTtl(Duration value) {
      this.refreshTokenTtl = positive("refresh token ttl", value);
      return this;
    }

    /**
     * Sets the absolute lifetime of a refresh-token family.
     *
     * @param value a positive duration
     * @return this builder
     * @throws DbConfigException when not positive
     */
    public Builder refreshFamilyLifetime(Duration value) {
      this.refreshFamilyLifetime = positive("refresh family lifetime", value);
      return this;
    }

    /**
     * Sets the reuse grace window.
     *
     * @param value zero or more
     * @return this builder
     * @throws DbConfigException when negative
     */
    public Builder refreshReuseGrace(Duration value) {
      this.refreshReuseGrace = notNegative("refresh reuse grace", value);
      return this;
    }

    /**
     * Sets how long a past-due subscription stays active after its period end.
     *
     * @param value zero or more
     * @return this builder
     * @throws DbConfigException when negative
     */
    public Builder pastDueGrace(Duration value) {
      this.pastDueGrace = notNegative("past due grace", value);
      return this;
    }

    /**
     * Sets the per-user journal quota.
     *
     * @param value bytes, at least 1
     * @return this builder
     * @throws DbConfigException when below 1
     */
    public Builder journalQuotaBytes(long value) {
      if (value < 1) {
        throw new DbConfigException("journal quota bytes must be at least 1: " + value);
      }
      this.journalQuotaBytes = value;
      return this;
    }

    /**
     * Sets the revoked-JWT-id cache size.
     *
     * @param value 0 (no cache) to 10,000,000
     * @return this builder
     * @throws DbConfigException when out of range
     */
    public Builder jtiCacheSize(int value) {
      if (value < 0 || value > 10_000_000) {
        throw new DbConfigException("jti cache size must be between 0 and 10000000: " + value);
      }
      this.jtiCacheSize = value;
      return this;
    }

    /**
     * Sets how long a "not revoked" answer may be reused; zero turns the negative cache off.
     *
     * @param value zero to one hour
     * @return this builder
     * @throws DbConfigException when negative or longer than an hour
     */
    public Builder jtiNegativeCacheTtl(Duration value) {
      notNegative("jti negative cache ttl", value);
      if (value.compareTo(Duration.ofHours(1)) > 0) {
        throw new DbConfigException("jti negative cache ttl must be at most 1h: " + value);
      }
      this.jtiNegativeCacheTtl = value;
      return this;
    }

    /**
     * Applies every variable listed on {@link DbConfig} that is set and not empty.
     *
     * @param env the variables
     * @return this builder
     * @throws DbConfigException naming the variable that holds a bad value
     */
    public Builder fromEnv(Map<String, String> env) {
      return fromLookup(env::get);
    }

    /**
     * Applies every variable listed on {@link DbConfig} that the lookup gives, set and not empty:
     * for a framework's own configuration source (Spring's {@code Environment::getProperty}, say),
     * where the variables may also come from properties files or system properties.
     *
     * @param lookup gives a variable's value by its name, or null when it is not set
     * @return this builder
     * @throws DbConfigException naming the variable that holds a bad value
     */
    public Builder fromLookup(Function<String, String> lookup) {
      String value = lookup.apply("DATABASE_URL");
      if (value != null) {
        url(value);
      }
      apply(lookup, "DB_POOL_SIZE", v -> poolSize(integer(v)));
      apply(lookup, "DB_STATEMENT_TIMEOUT", v -> statementTimeout(duration(v)));
      apply(lookup, "ENABLE_MUTATIONS", v -> mutationsEnabled(bool(v)));
      apply(lookup, "DB_MIGRATE_ON_OPEN", v -> migrateOnOpen(bool(v)));
      apply(lookup, "DB_TENANT", this::tenant);
      apply(lookup, "DB_MODE", v -> mode(backendMode(v)));
      apply(lookup, "DB_MIRROR_URL", this::mirrorUrl);
      apply(lookup, "DB_VECTOR_DIMENSION", v -> vectorDimension(integer(v)));
      apply(lookup, "DB_VECTOR_METRIC", v -> vectorMetric(metric(v)));
      apply(lookup, "DB_EMBEDDING_MODEL", this::embeddingModel);
      apply(lookup, "DB_VECTOR_INDEX", v -> vectorIndex(indexType(v)));
      apply(lookup, "DB_VECTOR_EF_SEARCH", v -> vectorEfSearch(integer(v)));
      apply(lookup, "DB_VECTOR_LISTS", v -> vectorIvfflatLists(integer(v)));
      apply(lookup, "DB_VECTOR_PROBES", v -> vectorIvfflatProbes(integer(v)));
      apply(lookup, "DB_REFRESH_TOKEN_TTL", v -> refreshTokenTtl(duration(v)));
      apply(lookup, "DB_REFRESH_FAMILY_LIFETIME", v -> refreshFamilyLifetime(duration(v)));
      apply(lookup, "DB_REFRESH_REUSE_GRACE", v -> refreshReuseGrace(duration(v)));
      apply(lookup, "DB_PAST_DUE_GRACE", v -> pastDueGrace(duration(v)));
      apply(lookup, "DB_JOURNAL_QUOTA_BYTES", v -> journalQuotaBytes(Long.parseLong(v)));
      apply(lookup, "DB_JTI_CACHE_SIZE", v -> jtiCacheSize(integer(v)));
      apply(lookup, "DB_JTI_NEGATIVE_CACHE_TTL", v -> jtiNegativeCacheTtl(duration(v)));
      return this;
    }

    /**
     * Validates the combination and seals it.
     *
     * @return the configuration
     * @throws DbConfigException when settings contradict each other
     */
    public DbConfig build() {
      if (DatabaseUrl.isKnownScheme(url)
          && DatabaseUrl.parse(url).inMemory()
          && poolSize != null
          && poolSize != 1) {
        throw new DbConfigException(
            "pool size must be 1 for an in-memory SQLite database: " + poolSize);
      }
      checkMode();
      checkRefreshLifetimes();
      checkVectorIndex();
      return new DbConfig(this);
    }

    private void checkRefreshLifetimes() {
      if (refreshTokenTtl.compareTo(refreshFamilyLifetime) > 0) {
        throw new DbConfigException(
            "DB_REFRESH_TOKEN_TTL ("
                + refreshTokenTtl
                + ") is longer than DB_REFRESH_FAMILY_LIFETIME ("
                + refreshFamilyLifetime
                + "): no token outlives its family, so every token would end with the family;"
                + " shorten the first or lengthen the second");
      }
    }

    private void checkVectorIndex() {
      if (vectorIndex == VectorIndexType.IVFFLAT && vectorIvfflatProbes > vectorIvfflatLists) {
        throw new DbConfigException(
            "DB_VECTOR_PROBES ("
                + vectorIvfflatProbes
                + ") is above DB_VECTOR_LISTS ("
                + vectorIvfflatLists
                + "): an IVFFlat search cannot probe more lists than the index has");
      }
      if (vectorIndexRequested
          && vectorIndex != VectorIndexType.NONE
          && vectorDimension > VectorSettings.MAX_INDEXED_DIMENSION) {
        throw new DbConfigException(
            "DB_VECTOR_INDEX="
                + vectorIndex.name().toLowerCase(Locale.ROOT)
                + " cannot index "
                + vectorDimension
                + " dimensions: pgvector indexes at most "
                + VectorSettings.MAX_INDEXED_DIMENSION
                + " (as halfvec); use DB_VECTOR_INDEX=none for exact search, or a model with"
                + " fewer dimensions");
      }
    }

    private void checkMode() {
      if (mode == null) {
        return;
      }
      DatabaseUrl.Kind kind = urlKind(url);
      String given =
          kind == null
              ? "a URL no built-in backend knows"
              : "a " + kind.name().toLowerCase(Locale.ROOT) + " URL";
      switch (mode) {
        case SQLITE, MIRROR -> {
          if (kind != DatabaseUrl.Kind.SQLITE) {
            throw new DbConfigException(
                "DB_MODE="
                    + mode.name().toLowerCase(Locale.ROOT)
                    + " needs DATABASE_URL to be a SQLite URL (or unset), but it is "
                    + given
                    + ": "
                    + DatabaseUrl.redact(url));
          }
        }
        case POSTGRES -> {
          if (kind != DatabaseUrl.Kind.POSTGRES) {
            throw new DbConfigException(
                "DB_MODE=postgres needs DATABASE_URL to be a Postgres URL, but it is "
                    + given
                    + ": "
                    + (url.isEmpty() ? "unset" : DatabaseUrl.redact(url)));
          }
        }
      }
      if (mode != BackendMode.MIRROR) {
        return;
      }
      if (mirrorUrl == null) {
        throw new DbConfigException(
            "DB_MODE=mirror needs DB_MIRROR_URL, the Postgres database every write is replayed to");
      }
      if (DatabaseUrl.parse(url).inMemory()) {
        throw new DbConfigException(
            "DB_MODE=mirror needs a SQLite file: an in-memory database cannot be read by the mirror");
      }
      if (!mutationsEnabled) {
        throw new DbConfigException(
            "DB_MODE=mirror replays writes, and ENABLE_MUTATIONS=false allows none: use DB_MODE=sqlite");
      }
      if (tenant != null) {
        throw new DbConfigException(
            "DB_MODE=mirror does not mirror tenants: unset DB_TENANT or use DB_MODE=sqlite or postgres");
      }
    }

    private static BackendMode backendMode(String v) {
      try {
        return BackendMode.valueOf(v.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new DbConfigException("must be sqlite, postgres or mirror: " + v);
      }
    }

    private static void apply(
        Function<String, String> lookup, String name, Consumer<String> setter) {
      String value = lookup.apply(name);
      if (value == null || value.isBlank()) {
        return;
      }
      try {
        setter.accept(value.strip());
      } catch (DbConfigException e) {
        throw new DbConfigException(name + ": " + e.getMessage(), e);
      } catch (RuntimeException e) {
        throw new DbConfigException(name + " is not valid: " + value.strip(), e);
      }
    }

    private static int integer(String v) {
      return Integer.parseInt(v);
    }

    private static boolean bool(String v) {
      switch (v.toLowerCase(Locale.ROOT)) {
        case "true", "1", "yes", "on" -> {
          return true;
        }
        case "false", "0", "no", "off" -> {
          return false;
        }
        default -> throw new DbConfigException("must be true or false: " + v);
      }
    }

    private static VectorIndexType indexType(String v) {
      try {
        return VectorIndexType.valueOf(v.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new DbConfigException("must be hnsw, ivfflat or none: " + v);
      }
    }

    private static DistanceMetric metric(String v) {
      try {
        return DistanceMetric.valueOf(v.toUpperCase(Locale.ROOT).replace('-', '_'));
      } catch (IllegalArgumentException e) {
        throw new DbConfigException("must be cosine, l2 or inner_product: " + v);
      }
    }

    static Duration duration(String v) {
      Matcher m = SIMPLE_DURATION.matcher(v.toLowerCase(Locale.ROOT));
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        };
      }
      try {
        return Duration.parse(v);
      } catch (RuntimeException e) {
        throw new DbConfigException("must be a duration such as 5s, 500ms, 30d or PT5S: " + v);
      }
    }

    private static Duration positive(String what, Duration value) {
      if (value == null || value.isZero() || value.isNegative()) {
        throw new DbConfigException(what + " must be positive: " + value);
      }
      return value;
    }

    private static Duration notNegative(String what, Duration value) {
      if (value == null || value.isNegative()) {
        throw new DbConfigException(what + " must not be negative: " + value);
      }
      return value;
    }
  }
}
