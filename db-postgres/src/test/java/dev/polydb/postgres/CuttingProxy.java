package dev.polydb.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
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
 * A TCP proxy in front of the test server that, when armed, cuts a connection just after the client
 * sent a statement holding a marker: the server receives the statement whole and carries it out,
 * and its reply never reaches the client. This is the network failing at the worst moment, against
 * the real server; nothing about the database is imitated. Connections must not use TLS ({@code
 * sslmode=disable}), or the marker could not be seen.
 */
final class CuttingProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final String targetHost;
  private final int targetPort;
  private final ExecutorService threads =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "cutting-proxy");
            t.setDaemon(true);
            return t;
          });
  private final AtomicReference<byte[]> armed = new AtomicReference<>();
  private final AtomicReference<byte[]> armedReply = new AtomicReference<>();
  private final AtomicInteger cuts = new AtomicInteger();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  CuttingProxy(String targetHost, int targetPort) throws IOException {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    threads.submit(this::accept);
  }

  /** The local port clients connect to. */
  int port() {
    return listener.getLocalPort();
  }

  /**
   * Arms the proxy: the next client message holding {@code marker} is forwarded, and then that
   * connection's client side is closed before any reply.
   */
  void cutAfter(String marker) {
    armed.set(marker.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Arms the proxy: the next server reply holding {@code marker} is dropped, and that connection's
   * client side is closed. A committed transaction's reply holds {@code COMMIT}, sent only once the
   * commit is durable; the statement itself may be a prepared one whose text is not sent.
   */
  void cutReplyHolding(String marker) {
    armedReply.set(marker.getBytes(StandardCharsets.UTF_8));
  }

  /** How many connections were cut. */
  int cuts() {
    return cuts.get();
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket(targetHost, targetPort);
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(server);
        Pair pair = new Pair(client, server);
        threads.submit(() -> clientToServer(pair));
        threads.submit(() -> serverToClient(pair));
      } catch (IOException e) {
        return; // closed
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

  @Override
  public void close() throws IOException {
    listener.close();
    for (Socket s : sockets) {
      s.close();
    }
    threads.shutdownNow();
  }

  private static final class Pair {
    final Socket client;
    final Socket server;
    volatile boolean cut;

    Pair(Socket client, Socket server) {
      this.client = client;
      this.server = server;
    }
  }
}
