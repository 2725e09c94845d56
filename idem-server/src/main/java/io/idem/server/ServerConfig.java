package io.idem.server;

import io.idem.Ticker;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * How {@code idem serve} runs: where it listens, which store it uses, the API keys of its tenants
 * and its limits. Immutable; build with {@link #builder()}.
 *
 * @param host the address to bind; default 127.0.0.1
 * @param port the port; 0 for a free one; default 8080
 * @param store which backend; default SQLite under {@code dataDir}
 * @param dataDir the SQLite folder: one file per tenant; default {@code ./idem-data}
 * @param postgresUrl JDBC URL for POSTGRES and TIERED
 * @param redisUrl {@code redis://host:port} for REDIS and TIERED
 * @param apiKeys API key to tenant; empty: no authentication, every request is tenant {@value
 *     #DEFAULT_TENANT} (for a laptop, not for a network); two tenants whose namespaces (their file,
 *     schema and prefix names) would be the same are refused
 * @param maxBodyBytes the largest request body; default 1 MiB
 * @param clock the clock of every time the server and its stores write or compare (leases, expiry,
 *     run times, the times it answers); default system UTC
 * @param ticker the ticker of elapsed time (waits, heartbeats, keep-alives, timeouts, cached
 *     stats); default {@link Ticker#system()}
 */
public record ServerConfig(
    String host,
    int port,
    StoreKind store,
    Path dataDir,
    @Nullable String postgresUrl,
    @Nullable String postgresUser,
    @Nullable String postgresPassword,
    @Nullable String redisUrl,
    Map<String, String> apiKeys,
    int maxBodyBytes,
    Clock clock,
    Ticker ticker) {

  /** The tenant of every request when no API keys are configured. */
  public static final String DEFAULT_TENANT = "default";

  public static final int DEFAULT_PORT = 8080;
  public static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;

  /** Tenant names: lower-case letters, digits, '_' and '-', 1 to 40, starting with a letter. */
  public static final Pattern TENANT = Pattern.compile("[a-z][a-z0-9_-]{0,39}");

  /** The backends. */
  public enum StoreKind {
    SQLITE,
    POSTGRES,
    REDIS,
    TIERED
  }

  public ServerConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(dataDir, "dataDir");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be between 0 and 65535, but was " + port);
    }
    if ((store == StoreKind.POSTGRES || store == StoreKind.TIERED) && postgresUrl == null) {
      throw new IllegalArgumentException("store " + store + " needs a PostgreSQL JDBC URL");
    }
    if ((store == StoreKind.REDIS || store == StoreKind.TIERED) && redisUrl == null) {
      throw new IllegalArgumentException("store " + store + " needs a Redis URL");
    }
    apiKeys = Map.copyOf(apiKeys);
    for (Map.Entry<String, String> e : apiKeys.entrySet()) {
      if (e.getKey().length() < 16) {
        throw new IllegalArgumentException(
            "API keys must be at least 16 characters, but the key of tenant "
                + e.getValue()
                + " has "
                + e.getKey().length());
      }
      requireTenant(e.getValue());
    }
    TenantNamespace.requireDistinct(apiKeys.values());
    if (maxBodyBytes < 1024) {
      throw new IllegalArgumentException(
          "maxBodyBytes must be at least 1024, but was " + maxBodyBytes);
    }
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(ticker, "ticker");
  }

  /** {@code tenant}, when it is a valid tenant name. */
  public static String requireTenant(String tenant) {
    if (!TENANT.matcher(tenant).matches()) {
      throw new IllegalArgumentException(
          "tenant must match " + TENANT.pattern() + ", but was '" + tenant + "'");
    }
    return tenant;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link ServerConfig}. Not thread-safe. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = DEFAULT_PORT;
    private StoreKind store = StoreKind.SQLITE;
    private Path dataDir = Path.of("idem-data");
    private @Nullable String postgresUrl;
    private @Nullable String postgresUser;
    private @Nullable String postgresPassword;
    private @Nullable String redisUrl;
    private final Map<String, String> apiKeys = new LinkedHashMap<>();
    private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private Clock clock = Clock.systemUTC();
    private Ticker ticker = Ticker.system();

    public Builder host(String host) {
      this.host = host;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder store(StoreKind store) {
      this.store = store;
      return this;
    }

    public Builder dataDir(Path dataDir) {
      this.dataDir = dataDir;
      return this;
    }

    public Builder postgres(String url, @Nullable String user, @Nullable String password) {
      this.postgresUrl = url;
      this.postgresUser = user;
      this.postgresPassword = password;
      return this;
    }

    public Builder redis(String url) {
      this.redisUrl = url;
      return this;
    }

    public Builder apiKey(String key, String tenant) {
      apiKeys.put(key, tenant);
      return this;
    }

    public Builder maxBodyBytes(int max) {
      this.maxBodyBytes = max;
      return this;
    }

    /** The clock of the server and its stores (tests pass a settable one). */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /** The ticker of the server's elapsed time (tests pass a settable one). */
    public Builder ticker(Ticker ticker) {
      this.ticker = ticker;
      return this;
    }

    public ServerConfig build() {
      return new ServerConfig(
          host,
          port,
          store,
          dataDir,
          postgresUrl,
          postgresUser,
          postgresPassword,
          redisUrl,
          apiKeys,
          maxBodyBytes,
          clock,
          ticker);
    }
  }
}
