package io.idem.server;

import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The store options every command shares ({@code serve}, {@code jobs ...}): which backend and where
 * it is, each also read from an environment variable. A picocli mixin.
 */
final class StoreOptions {

  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "A properties file of option defaults, such as store=postgres and"
              + " postgres-url=jdbc:postgresql://db/idem (keys are option names without --)."
              + " Flags override it; it overrides environment variables.")
  Path config;

  @Option(
      names = "--store",
      defaultValue = "${env:IDEM_STORE:-sqlite}",
      description =
          "sqlite, postgres, redis or tiered (env IDEM_STORE). Default: ${DEFAULT-VALUE}.")
  String store;

  @Option(
      names = "--data",
      defaultValue = "${env:IDEM_DATA:-idem-data}",
      description = "SQLite folder (env IDEM_DATA). Default: ${DEFAULT-VALUE}.")
  Path data;

  @Option(
      names = "--postgres-url",
      defaultValue = "${env:IDEM_POSTGRES_URL}",
      description = "JDBC URL for postgres and tiered (env IDEM_POSTGRES_URL).")
  String postgresUrl;

  @Option(
      names = "--postgres-user",
      defaultValue = "${env:IDEM_POSTGRES_USER}",
      description = "PostgreSQL user (env IDEM_POSTGRES_USER).")
  String postgresUser;

  @Option(
      names = "--postgres-password",
      defaultValue = "${env:IDEM_POSTGRES_PASSWORD}",
      description = "PostgreSQL password (env IDEM_POSTGRES_PASSWORD).")
  String postgresPassword;

  @Option(
      names = "--redis-url",
      defaultValue = "${env:IDEM_REDIS_URL}",
      description = "redis://host:port for redis and tiered (env IDEM_REDIS_URL).")
  String redisUrl;

  /** The backend named by {@code --store}. */
  ServerConfig.StoreKind kind() {
    try {
      return ServerConfig.StoreKind.valueOf(store.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--store must be sqlite, postgres, redis or tiered, but was '" + store + "'");
    }
  }

  /** Sets the store of {@code b} from these options. */
  ServerConfig.Builder applyTo(ServerConfig.Builder b) {
    b.dataDir(data).store(kind());
    if (postgresUrl != null) {
      b.postgres(postgresUrl, postgresUser, postgresPassword);
    }
    if (redisUrl != null) {
      b.redis(redisUrl);
    }
    return b;
  }

  /**
   * The configuration of these options.
   *
   * @throws CommandLine.ParameterException when it is incomplete (postgres without its URL, ...)
   */
  ServerConfig config() {
    try {
      return applyTo(ServerConfig.builder()).build();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }
}
