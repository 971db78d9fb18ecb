package dev.polydb.postgres;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.Set;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A tenant's connections: borrowed from the shared pool, each running every statement inside a
 * transaction whose first statement is {@code SELECT set_config('search_path', <path>, true)}. The
 * setting is transaction-local, so nothing of it survives to the next borrower; and a connection
 * that has committed or rolled back sets it again before its next statement, so no statement of a
 * tenant ever runs under the pool's default path (it fails closed). The caller sees JDBC as usual:
 * with autocommit on, each statement is committed once it has run.
 */
final class TenantConnections implements DataSource {
  private static final Set<String> EXECUTES =
      Set.of(
          "execute",
          "executeQuery",
          "executeUpdate",
          "executeLargeUpdate",
          "executeBatch",
          "executeLargeBatch");
  private static final Set<String> STATEMENTS =
      Set.of("createStatement", "prepareStatement", "prepareCall");

  private final DataSource pool;
  private final String searchPath;

  TenantConnections(DataSource pool, String searchPath) {
    this.pool = pool;
    this.searchPath = searchPath;
  }

  @Override
  public Connection getConnection() throws SQLException {
    Connection pooled = pool.getConnection();
    try {
      pooled.setAutoCommit(false);
    } catch (SQLException e) {
      pooled.close();
      throw e;
    }
    return (Connection)
        Proxy.newProxyInstance(
            Connection.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            new Handler(pooled, searchPath));
  }

  @Override
  public Connection getConnection(String user, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("a tenant's connections come from the pool");
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return pool.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    pool.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    pool.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return pool.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return pool.getParentLogger();
  }

  @Override
  public <T> T unwrap(Class<T> type) throws SQLException {
    if (type.isInstance(this)) {
      return type.cast(this);
    }
    throw new SQLException("not a wrapper of " + type.getName());
  }

  @Override
  public boolean isWrapperFor(Class<?> type) {
    return type.isInstance(this);
  }

  /** One borrowed connection. */
  private static final class Handler implements InvocationHandler {
    private final Connection pooled;
    private final String searchPath;
    private boolean autoCommit = true;
    private boolean pathSet;
    private boolean closed;

    Handler(Connection pooled, String searchPath) {
      this.pooled = pooled;
      this.searchPath = searchPath;
    }

    /** Sets the path in the current transaction, once. */
    void ensurePath() throws SQLException {
      if (!pathSet) {
        try (PreparedStatement set =
            pooled.prepareStatement("SELECT pg_catalog.set_config('search_path', ?::text, true)")) {
          set.setString(1, searchPath);
          set.execute();
        }
        pathSet = true;
      }
    }

    /** The transaction ended: the next statement sets the path again. */
    void ended() {
      pathSet = false;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      String name = method.getName();
      switch (name) {
        case "getAutoCommit":
          return autoCommit;
        case "setAutoCommit":
          {
            boolean on = (Boolean) args[0];
            if (on && !autoCommit) {
              pooled.commit();
              ended();
            }
            autoCommit = on;
            return null;
          }
        case "commit":
          pooled.commit();
          ended();
          return null;
        case "rollback":
          if (args == null || args.length == 0) {
            pooled.rollback();
            ended();
            return null;
          }
          break;
        case "setSavepoint":
          // a savepoint before the path would undo it when rolled back to
          ensurePath();
          break;
        case "isClosed":
          return closed || pooled.isClosed();
        case "close":
          close();
          return null;
        case "unwrap":
          if (((Class<?>) args[0]).isInstance(proxy)) {
            return proxy;
          }
          break;
        default:
          break;
      }
      Object result = call(pooled, method, args);
      if (STATEMENTS.contains(name) && result instanceof Statement statement) {
        Class<?> type =
            name.equals("createStatement")
                ? Statement.class
                : name.equals("prepareCall")
                    ? java.sql.CallableStatement.class
                    : PreparedStatement.class;
        return Proxy.newProxyInstance(
            Connection.class.getClassLoader(),
            new Class<?>[] {type},
            (p, m, a) -> statement(proxy, statement, m, a));
      }
      return result;
    }

    private Object statement(Object connection, Statement statement, Method method, Object[] args)
        throws Throwable {
      String name = method.getName();
      if (name.equals("getConnection")) {
        return connection;
      }
      if (name.equals("setFetchSize") && autoCommit) {
        // a cursor would not outlive the commit that follows each statement
        return null;
      }
      if (!EXECUTES.contains(name)) {
        return call(statement, method, args);
      }
      ensurePath();
      Object result;
      try {
        result = call(statement, method, args);
      } catch (SQLException e) {
        if (autoCommit) {
          try {
            pooled.rollback();
          } catch (SQLException rollback) {
            e.addSuppressed(rollback);
          }
          ended();
        }
        throw e;
      }
      if (autoCommit) {
        pooled.commit();
        ended();
      }
      return result;
    }

    private void close() throws SQLException {
      if (closed) {
        return;
      }
      closed = true;
      try {
        // what a caller left open is not committed for it
        pooled.rollback();
      } finally {
        try {
          pooled.setAutoCommit(true);
        } finally {
          pooled.close();
        }
      }
    }

    private static Object call(Object target, Method method, Object[] args) throws Throwable {
      try {
        return method.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }
  }
}
