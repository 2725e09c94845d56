package io.idem.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.idem.internal.JacksonResultCodec;
import io.idem.job.Job;
import io.idem.job.JobPage;
import io.idem.job.JobQuery;
import io.idem.job.JobState;
import io.idem.job.JobStateException;
import io.idem.job.JobStats;
import io.idem.job.Jobs;
import io.idem.job.UniqueConflictException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code idem jobs list|get|retry|cancel|stats}: reads and changes one tenant's jobs, straight in
 * its store (no server needed). Exit codes: 0 done, 1 no such job or a refused change, 2 a bad
 * command line.
 */
@Command(
    name = "jobs",
    mixinStandardHelpOptions = true,
    description = "Lists, shows, retries and cancels a tenant's jobs, straight in its store.",
    subcommands = {
      JobsCommand.ListJobs.class,
      JobsCommand.GetJob.class,
      JobsCommand.RetryJob.class,
      JobsCommand.CancelJob.class,
      JobsCommand.Stats.class
    })
final class JobsCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  /** What every jobs subcommand shares: the store options and the tenant. */
  abstract static class JobCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin StoreOptions storeOptions;

    @Option(
        names = "--tenant",
        defaultValue = "default",
        description = "The tenant whose jobs to use. Default: ${DEFAULT-VALUE}.")
    String tenant;

    @Override
    public final Integer call() throws Exception {
      try {
        ServerConfig.requireTenant(tenant);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      ServerConfig config = storeOptions.config();
      if (config.store() == ServerConfig.StoreKind.SQLITE) {
        Path file = TenantNamespace.sqliteFile(config.dataDir(), tenant);
        if (!Files.exists(file)) {
          err().println("no jobs store of tenant '" + tenant + "': " + file + " does not exist");
          return 1;
        }
      }
      try (Backend backend = new Backend(config)) {
        return run(backend.tenant(tenant).jobs());
      }
    }

    abstract int run(Jobs jobs) throws Exception;

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    PrintWriter err() {
      return spec.commandLine().getErr();
    }

    void printJson(Object value) throws JsonProcessingException {
      out().println(MAPPER.writeValueAsString(value));
      out().flush();
    }

    int noJob(String id) {
      err().println("no job " + id + " in tenant '" + tenant + "'");
      err().flush();
      return 1;
    }
  }

  static final ObjectMapper MAPPER =
      JacksonResultCodec.defaultMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** {@code idem jobs list}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Lists jobs, newest first, as a table (or JSON with --json).")
  static final class ListJobs extends JobCommand {

    @Option(
        names = "--state",
        paramLabel = "STATE",
        split = ",",
        description =
            "Only jobs in this state (repeat or separate with commas): SCHEDULED, QUEUED, RUNNING,"
                + " SUCCEEDED, FAILED, DEAD, CANCELLED, EXPIRED.")
    List<String> states = new ArrayList<>();

    @Option(names = "--type", description = "Only jobs of this type.")
    @Nullable String type;

    @Option(names = "--queue", description = "Only jobs of this queue.")
    @Nullable String queue;

    @Option(names = "--unique-key", description = "Only jobs with this unique key.")
    @Nullable String uniqueKey;

    @Option(
        names = "--limit",
        defaultValue = "50",
        description = "How many jobs, 1 to 1000. Default: ${DEFAULT-VALUE}.")
    int limit;

    @Option(names = "--after", description = "The cursor printed by the previous page.")
    @Nullable String after;

    @Option(names = "--json", description = "Print JSON ({jobs, next}) instead of a table.")
    boolean json;

    @Override
    int run(Jobs jobs) throws Exception {
      JobPage page = jobs.list(query());
      if (json) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jobs", JobView.of(page.jobs(), MAPPER));
        m.put("next", page.next());
        printJson(m);
        return 0;
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"ID", "TYPE", "QUEUE", "STATE", "ATTEMPT", "RUN AT", "UNIQUE KEY"});
      for (Job j : page.jobs()) {
        rows.add(
            new String[] {
              j.id(),
              j.type(),
              j.queue(),
              j.state().name(),
              j.attempt() + "/" + j.maxAttempts(),
              j.runAt().toString(),
              j.uniqueKey() == null ? "-" : j.uniqueKey()
            });
      }
      table(out(), rows);
      out().println(page.jobs().size() + (page.jobs().size() == 1 ? " job" : " jobs"));
      if (page.next() != null) {
        out().println("more: --after " + page.next());
      }
      out().flush();
      return 0;
    }

    private JobQuery query() {
      EnumSet<JobState> s = EnumSet.noneOf(JobState.class);
      for (String st : states) {
        try {
          s.add(JobState.valueOf(st.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(
              spec.commandLine(),
              "--state must be one of " + JobJson.names(JobState.class) + ", but was '" + st + "'");
        }
      }
      if (limit < 1 || limit > JobQuery.MAX_LIMIT) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "--limit must be from 1 to " + JobQuery.MAX_LIMIT + ", but was " + limit);
      }
      try {
        return new JobQuery(s, type, queue, uniqueKey, limit, after);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--after: " + e.getMessage());
      }
    }
  }

  /** {@code idem jobs get ID}. */
  @Command(name = "get", mixinStandardHelpOptions = true, description = "Prints a job as JSON.")
  static final class GetJob extends JobCommand {

    @Parameters(paramLabel = "ID", description = "The job's id.")
    String id;

    @Override
    int run(Jobs jobs) throws Exception {
      Optional<Job> j = jobs.get(id);
      if (j.isEmpty()) {
        return noJob(id);
      }
      printJson(JobView.of(j.get(), MAPPER));
      return 0;
    }
  }

  /** {@code idem jobs retry ID}. */
  @Command(
      name = "retry",
      mixinStandardHelpOptions = true,
      description = {
        "Queues a DEAD, CANCELLED, EXPIRED or FAILED job again, due now; prints it as JSON."
      })
  static final class RetryJob extends JobCommand {

    @Parameters(paramLabel = "ID", description = "The job's id.")
    String id;

    @Override
    int run(Jobs jobs) throws Exception {
      Optional<Job> j;
      try {
        j = jobs.retry(id);
      } catch (JobStateException | UniqueConflictException e) {
        err().println(e.getMessage());
        err().flush();
        return 1;
      }
      if (j.isEmpty()) {
        return noJob(id);
      }
      printJson(JobView.of(j.get(), MAPPER));
      return 0;
    }
  }

  /** {@code idem jobs cancel ID}. */
  @Command(
      name = "cancel",
      mixinStandardHelpOptions = true,
      description = {
        "Cancels a job that has not finished (a running one stops at its next heartbeat);"
            + " prints it as JSON."
      })
  static final class CancelJob extends JobCommand {

    @Parameters(paramLabel = "ID", description = "The job's id.")
    String id;

    @Override
    int run(Jobs jobs) throws Exception {
      Optional<Job> j = jobs.cancel(id);
      if (j.isEmpty()) {
        return noJob(id);
      }
      if (j.get().state() != JobState.CANCELLED) {
        err().println("job " + id + " is " + j.get().state() + ": it cannot be cancelled");
        err().flush();
        return 1;
      }
      printJson(JobView.of(j.get(), MAPPER));
      return 0;
    }
  }

  /** {@code idem jobs stats}. */
  @Command(
      name = "stats",
      mixinStandardHelpOptions = true,
      description = "Counts jobs by state and type, and the duplicates prevented.")
  static final class Stats extends JobCommand {

    @Option(names = "--json", description = "Print JSON instead of tables.")
    boolean json;

    @Override
    int run(Jobs jobs) throws Exception {
      JobStats s = jobs.stats();
      if (json) {
        printJson(s);
        return 0;
      }
      List<String[]> states = new ArrayList<>();
      states.add(new String[] {"STATE", "JOBS"});
      for (JobState st : JobState.values()) {
        states.add(new String[] {st.name(), Long.toString(s.count(st))});
      }
      table(out(), states);
      if (!s.byType().isEmpty()) {
        out().println();
        List<String[]> types = new ArrayList<>();
        types.add(new String[] {"TYPE", "STATE", "JOBS"});
        new java.util.TreeMap<>(s.byType())
            .forEach(
                (type, byState) ->
                    new java.util.TreeMap<>(byState)
                        .forEach(
                            (st, n) -> types.add(new String[] {type, st.name(), n.toString()})));
        table(out(), types);
      }
      out().println();
      out().println("duplicates prevented: " + s.duplicatesPreventedTotal());
      if (!s.duplicatesPrevented().isEmpty()) {
        List<String[]> keys = new ArrayList<>();
        keys.add(new String[] {"KEY", "DUPLICATES"});
        s.duplicatesPrevented().forEach((k, n) -> keys.add(new String[] {k, n.toString()}));
        table(out(), keys);
      }
      out().flush();
      return 0;
    }
  }

  /** Prints {@code rows} (the first is the header) as left-aligned columns. */
  static void table(PrintWriter out, List<String[]> rows) {
    int cols = rows.get(0).length;
    int[] width = new int[cols];
    for (String[] r : rows) {
      for (int c = 0; c < cols; c++) {
        width[c] = Math.max(width[c], r[c].length());
      }
    }
    for (String[] r : rows) {
      StringBuilder sb = new StringBuilder();
      for (int c = 0; c < cols; c++) {
        sb.append(r[c]);
        if (c < cols - 1) {
          sb.append(" ".repeat(width[c] - r[c].length() + 2));
        }
      }
      out.println(sb);
    }
  }
}
