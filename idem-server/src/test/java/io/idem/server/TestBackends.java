package io.idem.server;

import io.idem.server.ServerConfig.StoreKind;
import io.idem.testkit.servers.PostgresServer;
import io.idem.testkit.servers.TestServers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The backends a server test runs on (SQLite in a folder, PostgreSQL, Redis and tiered on the test
 * kit's servers), and pairs of tenant names that differ only by '-' and '_'.
 */
final class TestBackends {

  private TestBackends() {}

  /**
   * Two tenants whose names differ only by '-' and '_', and which part of the mapping tells them
   * apart.
   */
  record TenantPair(String a, String b, String what) {
    @Override
    public String toString() {
      return what + " (" + a + ", " + b + ")";
    }
  }

  /** A configuration of {@code store} with its servers, on a free port; add the API keys. */
  static ServerConfig.Builder config(StoreKind store, Path dataDir) {
    ServerConfig.Builder b = ServerConfig.builder().port(0).dataDir(dataDir).store(store);
    if (store == StoreKind.POSTGRES || store == StoreKind.TIERED) {
      PostgresServer pg = TestServers.postgres();
      b.postgres(pg.jdbcUrl(), pg.user(), pg.password());
    }
    if (store == StoreKind.REDIS || store == StoreKind.TIERED) {
      b.redis(TestServers.redis().uri());
    }
    return b;
  }

  /**
   * New tenant names, so that the schemas and prefixes a test leaves on the shared PostgreSQL and
   * Redis are not another test's: a short pair ({@code acme-<r>} and {@code acme_<r>}) and a pair
   * too long for a readable namespace, whose names differ only after the part the namespace keeps.
   */
  static List<TenantPair> newPairs() {
    String r = randomLetters(6);
    String dashes = "-".repeat(16);
    return List.of(
        new TenantPair("acme-" + r, "acme_" + r, "short names"),
        new TenantPair(
            r + dashes + "tail-end", r + dashes + "tail_end", "long names (hashed namespaces)"));
  }

  /** Every backend with every kind of {@link TenantPair}: (StoreKind, TenantPair). */
  static Stream<Arguments> backendsAndPairs() {
    List<Arguments> out = new ArrayList<>();
    for (StoreKind store : StoreKind.values()) {
      for (TenantPair p : newPairs()) {
        out.add(Arguments.of(store, p));
      }
    }
    return out.stream();
  }

  private static String randomLetters(int n) {
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      sb.append((char) ('a' + ThreadLocalRandom.current().nextInt(26)));
    }
    return sb.toString();
  }
}
