package dev.polydb.testkit;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;

/**
 * The conformance suite: every rule of the contract that can be tested, one nested class per area.
 * A backend runs it by subclassing in a few lines:
 *
 * <pre>{@code
 * class SqliteContractTest extends DbProviderContract {
 *   @TempDir Path dir;
 *
 *   @Override
 *   protected String newDatabaseUrl() {
 *     return "sqlite:" + dir.resolve(UUID.randomUUID() + ".db");
 *   }
 * }
 * }</pre>
 *
 * Each test gets a new database from {@link #newDatabaseUrl()}, opened through {@link DbProviders},
 * so the backend is found the way an application finds it.
 */
public abstract class DbProviderContract {

  /** The vector dimension the suite migrates its databases with. */
  public static final int DIMENSION = 4;

  /** Where the suite's clock starts. */
  public static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

  /** The earliest instant every backend stores: the first millisecond of year 1 (UTC). */
  public static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");

  /** The latest instant every backend stores: the last millisecond of year 9999 (UTC). */
  public static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999Z");

  /** Instants every backend refuses: the extremes of {@link Instant} and just outside the range. */
  static final List<Instant> OUTSIDE_STORED_RANGE =
      List.of(Instant.MAX, Instant.MIN, LATEST.plusMillis(1), EARLIEST.minusMillis(1));

  private final Fixture fixture = new Fixture();

  /**
   * Creates a new, empty database and returns its URL. Called once or more per test.
   *
   * @return the URL
   */
  protected abstract String newDatabaseUrl();

  /**
   * Drops a database made by {@link #newDatabaseUrl()}; the default does nothing (temporary files
   * go with their folder).
   *
   * @param url the URL
   */
  protected void dropDatabase(String url) {}

  /**
   * The suite's settings for a database, to which a subclass may add its own: a tenant run sets the
   * tenant that {@link #newDatabaseUrl()} made for the URL. The default adds nothing.
   *
   * @param url a URL from {@link #newDatabaseUrl()}
   * @param settings the suite's settings for it: the URL, the test clock, dimension {@value
   *     #DIMENSION}
   * @return the settings to open it with
   */
  protected DbConfig.Builder configure(String url, DbConfig.Builder settings) {
    return settings;
  }

  /**
   * Features this backend does not support; the tests that need them are skipped.
   *
   * @return the unsupported features, none by default
   */
  protected Set<Feature> unsupportedFeatures() {
    return EnumSet.noneOf(Feature.class);
  }

  /**
   * The fixture the area contracts work with.
   *
   * @return the fixture
   */
  protected final ContractFixture fixture() {
    return fixture;
  }

  @BeforeEach
  void openDatabase() {
    fixture.start();
  }

  @AfterEach
  void closeDatabases() {
    fixture.stop();
  }

  /** §4 users: identities, upsert, create, delete and its cascade. */
  @Nested
  class Users extends UsersContract {
    @Override
    protected ContractFixture fixture() {
      return DbProviderContract.this.fixture();
    }
  }

  /** §5 refresh tokens: issue, find, rotation, reuse detection, revocation, pruning. */
  @Nested
  class RefreshTokens extends RefreshTokensContract {
    @Override
    protected ContractFixture fixture() {
      return DbProviderContract.this.fixture();
    }
  }

  /** The races run on every build: concurrent rotation, first sign-in and expiry sweeps. */
  @Nested
  class Races extends RacesContract {
    @Override
    protected ContractFixture fixture() {
      return DbProviderContract.this.fixture();
    }
  }

  /** §6 subscriptions: upsert with its event, idempotent webhooks, late events, expiry. */
  @Nested
  class Subscriptions extends SubscriptionsContract {
    @Override
    protected ContractFixture fixture() {
      return DbProviderContract.this.fixture();
    }
  }

  /** §7 journal entries: writes, ownership, paging, byte totals, quota, round trips. */
  @Nested
  class Journal extends JournalContract {
    @Override
    protected ContractFixture fixture() {
      return DbProviderContract.this.fixture();
    }
  }

  /** §8 revoked JWT ids: idempotent revocation, cached checks, pruning. */
  @Nested
  class RevokedJtis extends RevokedJtisContract {
    @Override
    protected ContractFixture fixture() {
      return DbProviderContract.this.fixture();
    }
  }

  /** §9 vector search: chunks, dimension and model rules, scoped nearest-neighbour search. */
  @Nested
  class VectorStore extends VectorStoreContract {
    @Override
    protected ContractFixture fixture() {
      return DbProviderContract.this.fixture();
    }
  }

  /** §2 opening a provider: URL forms, settings, redaction, the SPI, closing. */
  @Nested
  class Opening extends OpeningContract {
    @Override
    protected ContractFixture fixture() {
      return DbProviderContract.this.fixture();
    }
  }

  /** §3 atomic operations and inTransaction. */
  @Nested
  class Transactions extends TransactionsContract {
    @Override
    protected ContractFixture fixture() {
      return DbProviderContract.this.fixture();
    }
  }

  /** §3 and §10: a provider with mutations disabled. */
  @Nested
  class ReadOnly extends ReadOnlyContract {
    @Override
    protected ContractFixture fixture() {
      return DbProviderContract.this.fixture();
    }
  }

  /** §10 migrations: versions, concurrent migrate, health of the schema. */
  @Nested
  class Migrations extends MigrationsContract {
    @Override
    protected ContractFixture fixture() {
      return DbProviderContract.this.fixture();
    }
  }

  private final class Fixture implements ContractFixture {
    private final List<DbProvider> opened = new ArrayList<>();
    private final List<String> urls = new ArrayList<>();
    private TestClock clock;
    private String url;
    private DbProvider db;

    void start() {
      clock = new TestClock(START);
      url = newUrl();
      db = track(DbProviders.open(config(url).build()));
    }

    void stop() {
      RuntimeException failure = null;
      for (DbProvider p : opened) {
        try {
          p.close();
        } catch (RuntimeException e) {
          failure = e;
        }
      }
      opened.clear();
      urls.forEach(DbProviderContract.this::dropDatabase);
      urls.clear();
      if (failure != null) {
        throw failure;
      }
    }

    private String newUrl() {
      String u = newDatabaseUrl();
      urls.add(u);
      return u;
    }

    private DbProvider track(DbProvider p) {
      opened.add(p);
      return p;
    }

    @Override
    public DbProvider db() {
      return db;
    }

    @Override
    public TestClock clock() {
      return clock;
    }

    @Override
    public String url() {
      return url;
    }

    @Override
    public DbProvider open(Consumer<DbConfig.Builder> customizer) {
      DbConfig.Builder b = config(url);
      customizer.accept(b);
      return track(DbProviders.open(b.build()));
    }

    @Override
    public DbProvider openFresh(Consumer<DbConfig.Builder> customizer) {
      DbConfig.Builder b = config(newUrl());
      customizer.accept(b);
      return track(DbProviders.open(b.build()));
    }

    @Override
    public String newUnmigratedUrl() {
      return newUrl();
    }

    @Override
    public DbConfig.Builder config(String databaseUrl) {
      return configure(
          databaseUrl, DbConfig.builder().url(databaseUrl).clock(clock).vectorDimension(DIMENSION));
    }

    @Override
    public boolean supports(Feature feature) {
      return !unsupportedFeatures().contains(feature);
    }
  }
}
