package dev.polydb.testkit;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;

/**
 * A JUnit 5 extension that gives an application's test a fresh {@link DbProvider}: a SQLite file in
 * a temporary folder, or a new schema on the test PostgreSQL server ({@code TEST_DATABASE_URL},
 * else a Testcontainers pgvector image), opened through {@link DbProviders} as the application
 * opens it, and closed and removed after the test.
 *
 * <pre>{@code
 * @ExtendWith(TestDatabases.class)
 * class SignInTest {
 *   @Test
 *   void signsIn(DbProvider db) { ... }          // a SQLite file
 *
 *   @TestTemplate
 *   @OnBackends({Backend.SQLITE, Backend.POSTGRES})
 *   void signsInEverywhere(DbProvider db) { ... } // once on each
 * }
 * }</pre>
 *
 * Settings: register an instance instead, {@code @RegisterExtension static TestDatabases databases
 * = new TestDatabases(b -> b.vectorDimension(384));}. Needs {@code db-sqlite} and, for PostgreSQL,
 * {@code db-postgres} on the test class path.
 */
public final class TestDatabases
    implements ParameterResolver, TestTemplateInvocationContextProvider {
  private static final Namespace NAMESPACE = Namespace.create(TestDatabases.class);

  /** A backend a test runs on. */
  public enum Backend {
    /** A SQLite file in a temporary folder. */
    SQLITE,
    /** A new schema on the test PostgreSQL server. */
    POSTGRES
  }

  /** Runs a {@code @TestTemplate} once on each backend listed, its provider on that backend. */
  @Documented
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.METHOD)
  public @interface OnBackends {
    /**
     * The backends.
     *
     * @return the backends, SQLite and PostgreSQL by default
     */
    Backend[] value() default {Backend.SQLITE, Backend.POSTGRES};
  }

  private final UnaryOperator<DbConfig.Builder> settings;

  /** SQLite by default, every setting at the library's default. */
  public TestDatabases() {
    this(b -> b);
  }

  /**
   * With settings of the test's own.
   *
   * @param settings changes to the default configuration; its URL is set by the extension
   */
  public TestDatabases(UnaryOperator<DbConfig.Builder> settings) {
    this.settings = settings;
  }

  @Override
  public boolean supportsTestTemplate(ExtensionContext context) {
    return context.getTestMethod().map(m -> m.isAnnotationPresent(OnBackends.class)).orElse(false);
  }

  @Override
  public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(
      ExtensionContext context) {
    Method method = context.getRequiredTestMethod();
    return Stream.of(method.getAnnotation(OnBackends.class).value())
        .map(
            backend ->
                new TestTemplateInvocationContext() {
                  @Override
                  public String getDisplayName(int invocationIndex) {
                    return backend.name().toLowerCase(Locale.ROOT);
                  }

                  @Override
                  public List<Extension> getAdditionalExtensions() {
                    return List.of(new On(backend, settings));
                  }
                });
  }

  /** A plain test's provider, on SQLite; a template's comes from its invocation ({@link On}). */
  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == DbProvider.class
        && context.getTestMethod().map(m -> !m.isAnnotationPresent(OnBackends.class)).orElse(true);
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return provider(context, Backend.SQLITE, settings);
  }

  /** The test's provider: opened at its first parameter, closed and removed after the test. */
  private static DbProvider provider(
      ExtensionContext context, Backend backend, UnaryOperator<DbConfig.Builder> settings) {
    return context
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent("provider", k -> Opened.open(backend, settings), Opened.class)
        .provider;
  }

  /** One invocation of an {@link OnBackends} template: its provider is on this backend. */
  private record On(Backend backend, UnaryOperator<DbConfig.Builder> settings)
      implements ParameterResolver {
    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
      return parameter.getParameter().getType() == DbProvider.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
      return provider(context, backend, settings);
    }
  }

  /** A provider and what to remove after it, closed by JUnit at the end of the test. */
  private static final class Opened implements AutoCloseable {
    final DbProvider provider;
    private final Path folder;
    private final String schemaUrl;

    private Opened(DbProvider provider, Path folder, String schemaUrl) {
      this.provider = provider;
      this.folder = folder;
      this.schemaUrl = schemaUrl;
    }

    static Opened open(Backend backend, UnaryOperator<DbConfig.Builder> settings) {
      if (backend == Backend.POSTGRES) {
        PostgresTestServer server = PostgresTestServer.get();
        String url = server.newDatabaseUrl();
        try {
          return new Opened(
              DbProviders.open(settings.apply(DbConfig.builder()).url(url).build()), null, url);
        } catch (RuntimeException e) {
          server.dropDatabase(url);
          throw e;
        }
      }
      Path folder;
      try {
        folder = Files.createTempDirectory("polydb-test-");
      } catch (IOException e) {
        throw new ParameterResolutionException("cannot make a temporary folder", e);
      }
      String url = "sqlite:" + folder.resolve("test.db");
      return new Opened(
          DbProviders.open(settings.apply(DbConfig.builder()).url(url).build()), folder, null);
    }

    @Override
    public void close() {
      try {
        provider.close();
      } finally {
        if (schemaUrl != null) {
          PostgresTestServer.get().dropDatabase(schemaUrl);
        }
        if (folder != null) {
          delete(folder);
        }
      }
    }

    private static void delete(Path folder) {
      try (Stream<Path> files = Files.walk(folder)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot remove the test's folder " + folder, e);
      }
    }
  }
}
