package io.idem.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The subscriptions of one {@link PostgresJobStore}: while at least one is open, a daemon thread
 * holds one connection of the store's {@link javax.sql.DataSource} (taken from the pool for as long
 * as it listens), runs {@code LISTEN} on the store's channel and reads notifications with {@link
 * PGConnection#getNotifications(int)}, calling every listener once per notification. When the
 * connection breaks (PostgreSQL restarted, network trouble; a {@code SELECT 1} checks it after
 * {@value #CHECK_MILLIS} ms without notifications), the thread gives the connection back and
 * connects again with a backoff from {@value #MIN_BACKOFF_MILLIS} ms doubling to {@value
 * #MAX_BACKOFF_MILLIS} ms; once listening again it calls every listener once, because notifications
 * sent meanwhile are lost. Before the connection goes back to the pool it runs {@code UNLISTEN *}.
 * Closing the last subscription stops the thread (within {@value #POLL_MILLIS} ms). Thread-safe.
 */
final class JobNotifications {

  private static final Logger LOG = LoggerFactory.getLogger(JobNotifications.class);

  /** How long one read of notifications waits. */
  static final int POLL_MILLIS = 250;

  /** After how long without notifications the connection is checked with {@code SELECT 1}. */
  static final int CHECK_MILLIS = 10_000;

  /** The socket timeout of the listening connection: a check on a dead network fails after it. */
  static final int NETWORK_TIMEOUT_MILLIS = 30_000;

  static final long MIN_BACKOFF_MILLIS = 100;
  static final long MAX_BACKOFF_MILLIS = 5_000;

  /** How long {@link #subscribe} waits for the first LISTEN (success or failure). */
  static final long FIRST_LISTEN_WAIT_MILLIS = 10_000;

  /** PostgreSQL's longest identifier (NAMEDATALEN - 1), the longest channel name. */
  private static final int MAX_CHANNEL = 63;

  private static final String PREFIX = "idem_jobs_";

  private final PostgresDatabase db;
  private final String channel;
  private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
  private final Object lock = new Object();
  private @Nullable Reader reader;
  private boolean closed;

  JobNotifications(PostgresDatabase db) {
    this.db = db;
    this.channel = channel(db.schema());
  }

  /**
   * The channel of the jobs of {@code schema}: {@code idem_jobs_<schema>}; when that is longer than
   * PostgreSQL's 63 characters, the schema is cut and followed by its CRC-32 in hex.
   */
  static String channel(String schema) {
    String full = PREFIX + schema;
    if (full.length() <= MAX_CHANNEL) {
      return full;
    }
    CRC32 crc = new CRC32();
    crc.update(schema.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    String hash = String.format("%08x", crc.getValue());
    return PREFIX + schema.substring(0, MAX_CHANNEL - PREFIX.length() - 1 - 8) + "_" + hash;
  }

  String channel() {
    return channel;
  }

  /** True while the thread listens (for tests). */
  boolean listening() {
    Reader r;
    synchronized (lock) {
      r = reader;
    }
    return r != null && r.listening;
  }

  /**
   * Adds {@code listener}; starts the thread when it is the first, and waits until it listens (or
   * its first attempt failed: it keeps trying in the background).
   */
  AutoCloseable subscribe(Runnable listener) {
    Objects.requireNonNull(listener, "listener");
    Subscription s = new Subscription(listener);
    Reader r;
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("the job store is closed: " + db.describe());
      }
      subscriptions.add(s);
      if (reader == null) {
        reader = new Reader();
        reader.thread.start();
      }
      r = reader;
    }
    try {
      if (!r.firstAttempt.await(FIRST_LISTEN_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
        LOG.warn(
            "{}: LISTEN {} not done after {} ms", db.describe(), channel, FIRST_LISTEN_WAIT_MILLIS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return s;
  }

  /** Stops the thread and drops every subscription. */
  void close() {
    Reader r;
    synchronized (lock) {
      closed = true;
      subscriptions.clear();
      r = reader;
      reader = null;
    }
    if (r != null) {
      r.stopAndJoin();
    }
  }

  private void unsubscribe(Subscription s) {
    Reader r = null;
    synchronized (lock) {
      if (!subscriptions.remove(s)) {
        return;
      }
      if (subscriptions.isEmpty() && reader != null) {
        r = reader;
        reader = null;
      }
    }
    if (r != null) {
      r.stopAndJoin();
    }
  }

  private void fire() {
    for (Subscription s : subscriptions) {
      if (!s.closed) {
        try {
          s.listener.run();
        } catch (RuntimeException | Error e) {
          LOG.warn("a job listener failed on {}", channel, e);
        }
      }
    }
  }

  private final class Subscription implements AutoCloseable {
    final Runnable listener;
    volatile boolean closed;

    Subscription(Runnable listener) {
      this.listener = listener;
    }

    @Override
    public void close() {
      closed = true;
      unsubscribe(this);
    }
  }

  /** The listening thread; one per period with subscribers. */
  private final class Reader implements Runnable {
    final Thread thread;
    final CountDownLatch firstAttempt = new CountDownLatch(1);
    volatile boolean stopped;
    volatile boolean listening;
    private int networkTimeout = -1;

    Reader() {
      thread = new Thread(this, "idem-jobs-listen-" + channel);
      thread.setDaemon(true);
    }

    void stopAndJoin() {
      stopped = true;
      LockSupport.unpark(thread);
      if (Thread.currentThread() == thread) {
        return; // a listener closed its own subscription: the loop ends after it returns
      }
      try {
        thread.join(POLL_MILLIS * 8L);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void run() {
      long backoff = MIN_BACKOFF_MILLIS;
      boolean missed = false;
      boolean warned = false;
      while (!stopped) {
        Connection c = null;
        try {
          c = db.connect("LISTEN " + channel);
          listen(c, missed);
          backoff = MIN_BACKOFF_MILLIS;
        } catch (SQLException | RuntimeException e) {
          if (!stopped && !warned) {
            LOG.warn(
                "{}: listening on {} failed; connecting again: {}",
                db.describe(),
                channel,
                PostgresDatabase.messages(e));
            warned = true;
          }
        } finally {
          boolean wasListening = listening;
          listening = false;
          firstAttempt.countDown();
          release(c);
          if (wasListening) {
            warned = false;
          }
        }
        missed = true;
        if (!stopped) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(backoff));
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
        }
      }
    }

    /** LISTENs on {@code c} and reads notifications until stopped; throws when {@code c} breaks. */
    private void listen(Connection c, boolean missed) throws SQLException {
      if (!c.getAutoCommit()) {
        c.setAutoCommit(true);
      }
      networkTimeout = c.getNetworkTimeout();
      c.setNetworkTimeout(Runnable::run, NETWORK_TIMEOUT_MILLIS);
      try (Statement s = c.createStatement()) {
        s.execute("LISTEN \"" + channel + "\"");
      }
      PGConnection pg = c.unwrap(PGConnection.class);
      listening = true;
      firstAttempt.countDown();
      if (missed) {
        LOG.info("{}: listening on {} again", db.describe(), channel);
        fire(); // notifications sent while nobody listened are lost
      }
      long lastSeen = System.nanoTime();
      while (!stopped) {
        PGNotification[] notifications = pg.getNotifications(POLL_MILLIS);
        if (notifications != null && notifications.length > 0) {
          lastSeen = System.nanoTime();
          for (int i = 0; i < notifications.length && !stopped; i++) {
            fire();
          }
        } else if (System.nanoTime() - lastSeen > TimeUnit.MILLISECONDS.toNanos(CHECK_MILLIS)) {
          try (Statement s = c.createStatement()) {
            s.execute("SELECT 1");
          }
          lastSeen = System.nanoTime();
        }
      }
    }

    /** Gives {@code c} back, without the LISTEN when it still works. */
    private void release(@Nullable Connection c) {
      if (c == null) {
        return;
      }
      try {
        try (Statement s = c.createStatement()) {
          s.execute("UNLISTEN *");
        }
        c.unwrap(PGConnection.class).getNotifications(); // drop what arrived meanwhile
        if (networkTimeout >= 0) {
          c.setNetworkTimeout(Runnable::run, networkTimeout);
          networkTimeout = -1;
        }
      } catch (SQLException | RuntimeException e) {
        // broken: the pool sees it through the failed statement and drops it
      }
      PostgresDatabase.closeQuietly(c);
    }
  }
}
