package dev.polydb.jooq;

import dev.polydb.api.DbMetrics;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An area that reports every call to {@link DbMetrics}: its name ({@code users.findById}), the
 * backend, the outcome and the time on the caller's thread. Made only when metrics are configured;
 * with {@link DbMetrics#NONE} the areas are the implementations themselves.
 */
final class Metered implements InvocationHandler {
  private final Object target;
  private final DbMetrics metrics;
  private final String backend;
  private final String area;
  private final Map<Method, String> names = new ConcurrentHashMap<>();

  private Metered(Object target, DbMetrics metrics, String backend, String area) {
    this.target = target;
    this.metrics = metrics;
    this.backend = backend;
    this.area = area;
  }

  /**
   * The area itself, or a proxy of it that reports its calls.
   *
   * @param type the area's interface
   * @param target the implementation
   * @param core the provider's core, whose configuration holds the metrics
   * @param area the area's name, e.g. {@code users}
   * @return what the provider hands out
   */
  static <T> T wrap(Class<T> type, T target, Core core, String area) {
    DbMetrics metrics = core.config.metrics();
    if (metrics == DbMetrics.NONE) {
      return target;
    }
    return type.cast(
        Proxy.newProxyInstance(
            type.getClassLoader(),
            new Class<?>[] {type},
            new Metered(target, metrics, core.backend.name(), area)));
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    if (method.getDeclaringClass() == Object.class) {
      return method.invoke(target, args);
    }
    String operation = names.computeIfAbsent(method, m -> area + "." + m.getName());
    long start = System.nanoTime();
    try {
      Object result = method.invoke(target, args);
      metrics.operation(
          backend,
          operation,
          DbMetrics.Outcome.SUCCESS,
          Duration.ofNanos(System.nanoTime() - start));
      return result;
    } catch (InvocationTargetException e) {
      Throwable failure = e.getCause();
      metrics.operation(
          backend,
          operation,
          DbMetrics.Outcome.of(failure),
          Duration.ofNanos(System.nanoTime() - start));
      throw failure;
    }
  }
}
