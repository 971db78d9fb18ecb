package dev.polydb.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A TCP proxy on the loopback interface in front of a test database server, for tests of how a
 * backend lives through the network failing; nothing about the database is imitated. It can
 *
 * <ul>
 *   <li>go {@link #down()} (connections refused, those open cut, as when the server stops or its
 *       sessions are killed) and come back {@link #up()} on the same port;
 *   <li>cut a connection just after the client sent a statement holding a marker ({@link
 *       #cutAfter}): the server receives it whole and carries it out, and the reply never arrives;
 *   <li>cut a connection instead of passing on a reply holding a marker ({@link #cutReplyHolding}).
 * </ul>
 *
 * <p>For the markers to be seen, connections must not use TLS ({@code sslmode=disable}).
 */
public final class FaultProxy implements AutoCloseable {
  private final String targetHost;
  private final int targetPort;
  private final ExecutorService threads =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "fault-proxy");
            t.setDaemon(true);
            return t;
          });
  private final AtomicReference<byte[]> armed = new AtomicReference<>();
  private final AtomicReference<byte[]> armedReply = new AtomicReference<>();
  private final AtomicInteger cuts = new AtomicInteger();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile ServerSocket listener;
  private int port;

  /**
   * Starts forwarding a free local port to the server.
   *
   * @param targetHost the server's host
   * @param targetPort the server's port
   * @throws IOException when no local port can be opened
   */
  public FaultProxy(String targetHost, int targetPort) throws IOException {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    up();
  }

  /**
   * The local port clients connect to; the same after {@link #down()} and {@link #up()}.
   *
   * @return the port
   */
  public int port() {
    return port;
  }

  /**
   * Listens (again, on the same port) and forwards.
   *
   * @throws IOException when the port cannot be opened
   */
  public synchronized void up() throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
    port = s.getLocalPort();
    listener = s;
    threads.submit(() -> accept(s));
  }

  /**
   * Stops listening and cuts every open connection.
   *
   * @throws IOException when a socket cannot be closed
   */
  public synchronized void down() throws IOException {
    listener.close();
    for (Socket s : sockets) {
      s.close();
    }
    sockets.clear();
  }

  /**
   * Arms the proxy: the next client message holding {@code marker} is forwarded, and then that
   * connection's client side is closed before any reply.
   *
   * @param marker text of the statement, e.g. a table's quoted name
   */
  public void cutAfter(String marker) {
    armed.set(marker.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Arms the proxy: the next server reply holding {@code marker} is dropped, and that connection's
   * client side is closed. On PostgreSQL a committed transaction's reply holds {@code COMMIT}, sent
   * only once the commit is durable; the statement itself may be a prepared one whose text is not
   * sent.
   *
   * @param marker text of the reply, e.g. {@code "COMMIT\0"}
   */
  public void cutReplyHolding(String marker) {
    armedReply.set(marker.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * How many connections were cut at a marker.
   *
   * @return the count
   */
  public int cuts() {
    return cuts.get();
  }

  private void accept(ServerSocket s) {
    while (!s.isClosed()) {
      try {
        Socket client = s.accept();
        Socket server = new Socket(targetHost, targetPort);
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(server);
        Pair pair = new Pair(client, server);
        threads.submit(() -> clientToServer(pair));
        threads.submit(() -> serverToClient(pair));
      } catch (IOException e) {
        return; // closed by down() or close()
      }
    }
  }

  private void clientToServer(Pair pair) {
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = pair.client.getInputStream();
        OutputStream out = pair.server.getOutputStream()) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        byte[] marker = armed.get();
        boolean cut =
            marker != null && contains(buffer, n, marker) && armed.compareAndSet(marker, null);
        if (cut) {
          // before forwarding: a reply that came back at once must not slip through
          pair.cut = true;
        }
        out.write(buffer, 0, n);
        out.flush();
        if (cut) {
          // the server has the statement; the client will never hear how it went
          cuts.incrementAndGet();
          pair.client.close();
          return;
        }
      }
    } catch (IOException e) {
      // either side went away
    } finally {
      if (!pair.cut) {
        pair.closeBoth();
      }
    }
  }

  /**
   * Forwards replies; after a cut it keeps reading the server's side and drops what it reads, so
   * the server finishes the statement undisturbed; its session ends when the proxy closes.
   */
  private void serverToClient(Pair pair) {
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = pair.server.getInputStream()) {
      OutputStream out = pair.client.getOutputStream();
      int n;
      while ((n = in.read(buffer)) >= 0) {
        byte[] marker = armedReply.get();
        if (!pair.cut
            && marker != null
            && contains(buffer, n, marker)
            && armedReply.compareAndSet(marker, null)) {
          pair.cut = true;
          cuts.incrementAndGet();
          pair.client.close();
        }
        if (!pair.cut) {
          try {
            out.write(buffer, 0, n);
            out.flush();
          } catch (IOException e) {
            if (!pair.cut) {
              return;
            }
          }
        }
      }
    } catch (IOException e) {
      // closed
    } finally {
      if (!pair.cut) {
        pair.closeBoth();
      }
    }
  }

  private static boolean contains(byte[] buffer, int length, byte[] marker) {
    outer:
    for (int i = 0; i + marker.length <= length; i++) {
      for (int j = 0; j < marker.length; j++) {
        if (buffer[i + j] != marker[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /** Stops listening, cuts every connection and ends the proxy's threads. */
  @Override
  public void close() throws IOException {
    try {
      down();
    } finally {
      threads.shutdownNow();
    }
  }

  private static final class Pair {
    final Socket client;
    final Socket server;
    volatile boolean cut;

    Pair(Socket client, Socket server) {
      this.client = client;
      this.server = server;
    }

    void closeBoth() {
      try {
        client.close();
        server.close();
      } catch (IOException e) {
        // already closed
      }
    }
  }
}
