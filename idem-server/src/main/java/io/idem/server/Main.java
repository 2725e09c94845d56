package io.idem.server;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code idem}: the command line. {@code idem serve} starts the server; {@code idem jobs ...}
 * lists, shows, retries and cancels a tenant's jobs straight in its store.
 */
@Command(
    name = "idem",
    mixinStandardHelpOptions = true,
    version = "idem 0.1.0-SNAPSHOT",
    description = "Exactly-once effects for background work.",
    subcommands = {Main.Serve.class, JobsCommand.class})
public final class Main implements Callable<Integer> {

  public static void main(String[] args) {
    CommandLine cmd;
    try {
      cmd = commandLine(args);
    } catch (CommandLine.ParameterException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    System.exit(cmd.execute(args));
  }

  /**
   * The command line for {@code args}: with {@code --config FILE} among them, the file's properties
   * are the options' defaults (picocli's {@link CommandLine.PropertiesDefaultProvider}).
   */
  static CommandLine commandLine(String[] args) {
    CommandLine cmd = new CommandLine(new Main());
    for (int i = 0; i < args.length; i++) {
      String file = null;
      if (args[i].equals("--config") && i + 1 < args.length) {
        file = args[i + 1];
      } else if (args[i].startsWith("--config=")) {
        file = args[i].substring("--config=".length());
      }
      if (file != null) {
        java.io.File f = new java.io.File(file);
        if (!f.isFile()) {
          throw new CommandLine.ParameterException(
              cmd, "--config must name a readable properties file, but was '" + file + "'");
        }
        cmd.setDefaultValueProvider(new CommandLine.PropertiesDefaultProvider(f));
      }
    }
    return cmd;
  }

  @Override
  public Integer call() {
    new CommandLine(this).usage(System.out);
    return 0;
  }

  /** {@code idem serve}. */
  @Command(
      name = "serve",
      mixinStandardHelpOptions = true,
      description = {
        "Starts the HTTP API and dashboard.",
        "With no options: the embedded SQLite store under ./idem-data, on 127.0.0.1:8080."
      })
  static final class Serve implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(
        names = "--host",
        defaultValue = "${env:IDEM_HOST:-127.0.0.1}",
        description = "Address to bind (env IDEM_HOST). Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(
        names = "--port",
        defaultValue = "${env:IDEM_PORT:-8080}",
        description = "Port, 0 for any free one (env IDEM_PORT). Default: ${DEFAULT-VALUE}.")
    int port;

    @Mixin StoreOptions storeOptions;

    @Option(
        names = "--api-key",
        paramLabel = "KEY=TENANT",
        description = "An API key and its tenant; repeat for more. None: no authentication.")
    List<String> apiKeys = List.of();

    @Override
    public Integer call() throws Exception {
      ServerConfig.Builder b = storeOptions.applyTo(ServerConfig.builder().host(host).port(port));
      for (String kv : apiKeys) {
        int eq = kv.lastIndexOf('=');
        if (eq <= 0) {
          throw new CommandLine.ParameterException(
              new CommandLine(this), "--api-key must be KEY=TENANT, but was '" + kv + "'");
        }
        b.apiKey(kv.substring(0, eq), kv.substring(eq + 1));
      }
      ServerConfig config;
      try {
        config = b.build();
      } catch (IllegalArgumentException e) { // a bad configuration: one line, nothing started
        spec.commandLine().getErr().println(e.getMessage());
        spec.commandLine().getErr().flush();
        return 2;
      }
      IdemServer server = IdemServer.start(config);
      System.out.println("idem serving on " + server.baseUrl() + " (Ctrl-C to stop)");
      CountDownLatch stop = new CountDownLatch(1);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    server.close();
                    stop.countDown();
                  }));
      stop.await();
      return 0;
    }
  }
}
