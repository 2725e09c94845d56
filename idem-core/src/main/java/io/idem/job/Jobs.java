package io.idem.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.idem.Ticker;
import io.idem.internal.JacksonResultCodec;
import io.idem.spi.JobStore;
import io.idem.spi.NewJob;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unique jobs: enqueue, look up, cancel and retry jobs, register handlers, and start workers.
 *
 * <pre>{@code
 * Jobs jobs = Jobs.builder(store).build();
 * jobs.register("email.process", ProcessEmails.class, ctx -> {
 *   return idem.once(ctx.idempotencyKey(), ctx.args(), () -> mailer.process(ctx.args().userId()))
 *       .value();
 * });
 * EnqueueResult r = jobs.enqueue(
 *     JobRequest.of("email.process", new ProcessEmails(123)).unique(Unique.byEntity("user", 123)));
 * if (r.outcome() == EnqueueOutcome.REJECTED) {
 *   // r.job() is the pending one, r.pending() says whether it is running, scheduled or queued
 * }
 * Worker worker = jobs.startWorker(WorkerOptions.defaults().concurrency(8));
 * ...
 * worker.shutdown(Duration.ofSeconds(30));
 * }</pre>
 *
 * Args are written as JSON with the builder's Jackson mapper; a unique key is built from the
 * request's {@link Unique} (never checked in Java: the store enforces it). Thread-safe.
 */
public final class Jobs {

  private static final Logger log = LoggerFactory.getLogger(Jobs.class);

  /** Attempts of a job whose request names none: {@value}. */
  public static final int DEFAULT_MAX_ATTEMPTS = 10;

  private final JobStore store;
  private final Clock clock;
  private final Ticker ticker;
  private final ObjectMapper mapper;
  private final int defaultMaxAttempts;
  private final RetryPolicy defaultRetry;
  private final List<JobListener> listeners;
  private final Map<String, Registration<?>> handlers = new ConcurrentHashMap<>();

  private Jobs(Builder b) {
    this.store = b.store;
    this.clock = b.clock;
    this.ticker = b.ticker;
    this.mapper = b.mapper;
    this.defaultMaxAttempts = b.defaultMaxAttempts;
    this.defaultRetry = b.defaultRetry;
    this.listeners = List.copyOf(b.listeners);
  }

  public static Builder builder(JobStore store) {
    return new Builder(store);
  }

  /** The store. */
  public JobStore store() {
    return store;
  }

  Clock clock() {
    return clock;
  }

  Ticker ticker() {
    return ticker;
  }

  ObjectMapper mapper() {
    return mapper;
  }

  List<JobListener> listeners() {
    return listeners;
  }

  // ---- enqueue --------------------------------------------------------------------------------

  /**
   * Enqueues {@code request} unless a job holds its unique key or has its id; the answer says which
   * (a duplicate is a value, not an exception).
   *
   * @throws IllegalArgumentException when the args cannot be written as JSON
   * @throws io.idem.StoreUnavailableException when the store cannot be reached
   */
  public EnqueueResult enqueue(JobRequest request) {
    EnqueueResult r = store.enqueue(resolve(request, now()));
    tell(l -> l.enqueued(r));
    return r;
  }

  /** Enqueues every request in order, in as few round trips as the store allows. */
  public List<EnqueueResult> enqueueAll(List<JobRequest> requests) {
    Instant now = now();
    List<NewJob> batch = new ArrayList<>(requests.size());
    for (JobRequest r : requests) {
      batch.add(resolve(Objects.requireNonNull(r, "request"), now));
    }
    List<EnqueueResult> out = store.enqueueAll(batch);
    for (EnqueueResult r : out) {
      tell(l -> l.enqueued(r));
    }
    return out;
  }

  /** The unique key {@code request} would get now; null when it is not unique. */
  public @Nullable String uniqueKeyOf(JobRequest request) {
    return resolve(request, now()).uniqueKey();
  }

  /** The store's answer to "is a job pending for this request's unique key?". */
  public PendingSummary pending(JobRequest request) {
    String key = uniqueKeyOf(request);
    if (key == null) {
      throw new IllegalArgumentException(request + " is not unique: it has no key to look up");
    }
    return store.pending(key);
  }

  /** The resolved job of {@code request} at {@code now}. */
  NewJob resolve(JobRequest r, Instant now) {
    JsonNode args = argsTree(r);
    String argsJson;
    try {
      argsJson = mapper.writeValueAsString(args);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "args of job type " + r.type() + " cannot be written as JSON: " + e.getMessage(), e);
    }
    Instant runAt = r.runAt() != null ? r.runAt() : r.delay() != null ? now.plus(r.delay()) : null;
    Instant expiresAt =
        r.expiresAt() != null
            ? r.expiresAt()
            : r.expiresIn() != null ? (runAt != null ? runAt : now).plus(r.expiresIn()) : null;
    Unique u = r.unique();
    String key = u == null ? null : u.key(r.type(), r.queue(), args, runAt != null ? runAt : now);
    String id;
    if (r.id() != null) {
      id = r.id();
    } else if (r.hasDeterministicId()) {
      if (u == null || key == null) {
        throw new IllegalArgumentException(
            "a deterministic id needs a unique key: call unique(...) on " + r);
      }
      id = JobIds.deterministic(r.type(), key, u.bucket(runAt != null ? runAt : now));
    } else {
      id = JobIds.random(now);
    }
    int maxAttempts = r.maxAttempts() != null ? r.maxAttempts() : defaultMaxAttempts;
    return new NewJob(
        id,
        r.type(),
        r.queue(),
        r.priority(),
        argsJson,
        runAt,
        expiresAt,
        r.timeout(),
        maxAttempts,
        key,
        u == null ? Set.of() : u.uniqueStates(),
        u == null ? ConflictPolicy.REJECT : u.conflictPolicy());
  }

  private JsonNode argsTree(JobRequest r) {
    if (r.args() == null) {
      return JsonNodeFactory.instance.objectNode();
    }
    try {
      return mapper.valueToTree(r.args());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "args of job type " + r.type() + " cannot be written as JSON: " + e.getMessage(), e);
    }
  }

  // ---- reading and changing jobs --------------------------------------------------------------

  public Optional<Job> get(String id) {
    return store.get(id);
  }

  /** Cancels a job that has not finished; a running one stops at its next heartbeat. */
  public Optional<Job> cancel(String id) {
    return store.cancel(id);
  }

  /** Queues a DEAD, CANCELLED, EXPIRED or FAILED job again, due now. See {@link JobStore#retry}. */
  public Optional<Job> retry(String id) {
    return store.retry(id);
  }

  public JobPage list(JobQuery query) {
    return store.list(query);
  }

  public JobStats stats() {
    return store.stats();
  }

  // ---- handlers and workers -------------------------------------------------------------------

  /** Registers the handler of {@code type}, with the default retry policy. */
  public <A> Jobs register(String type, Class<A> argsType, JobHandler<A> handler) {
    return register(type, argsType, defaultRetry, handler);
  }

  /**
   * Registers the handler of {@code type}: workers started afterwards claim jobs of this type.
   *
   * @throws IllegalStateException when {@code type} already has a handler
   */
  public <A> Jobs register(
      String type, Class<A> argsType, RetryPolicy retry, JobHandler<A> handler) {
    Objects.requireNonNull(type, "type");
    Registration<A> reg =
        new Registration<>(
            type,
            Objects.requireNonNull(argsType, "argsType"),
            Objects.requireNonNull(retry, "retry"),
            Objects.requireNonNull(handler, "handler"));
    if (handlers.putIfAbsent(type, reg) != null) {
      throw new IllegalStateException("job type " + type + " already has a handler");
    }
    return this;
  }

  @Nullable Registration<?> handler(String type) {
    return handlers.get(type);
  }

  Set<String> handledTypes() {
    return Set.copyOf(handlers.keySet());
  }

  /**
   * Starts a worker that claims jobs of the registered types from {@code options}' queues.
   *
   * @throws IllegalStateException when no handler is registered
   */
  public Worker startWorker(WorkerOptions options) {
    Objects.requireNonNull(options, "options");
    if (handlers.isEmpty()) {
      throw new IllegalStateException("register a handler before starting a worker");
    }
    Worker w = new Worker(this, options);
    w.start();
    return w;
  }

  Instant now() {
    return Instant.ofEpochMilli(clock.millis());
  }

  void tell(java.util.function.Consumer<JobListener> event) {
    for (JobListener l : listeners) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        log.warn("job listener {} failed", l, e);
      }
    }
  }

  /** A handler with its args type and retry policy. */
  record Registration<A>(
      String type, Class<A> argsType, RetryPolicy retry, JobHandler<A> handler) {}

  /** Builds {@link Jobs}. Not thread-safe. */
  public static final class Builder {
    private final JobStore store;
    private Clock clock = Clock.systemUTC();
    private Ticker ticker = Ticker.system();
    private ObjectMapper mapper = JacksonResultCodec.defaultMapper();
    private int defaultMaxAttempts = DEFAULT_MAX_ATTEMPTS;
    private RetryPolicy defaultRetry = RetryPolicy.DEFAULT;
    private final List<JobListener> listeners = new ArrayList<>();

    private Builder(JobStore store) {
      this.store = Objects.requireNonNull(store, "store");
    }

    /** The clock of run times, expiry and backoff (the store keeps its own). Default: UTC. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The ticker of workers' elapsed time: job timeouts, the shutdown grace, how long a write is
     * retried within the lease, the durations they report. Default: {@link Ticker#system()}.
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** The Jackson mapper of args and results. */
    public Builder mapper(ObjectMapper mapper) {
      this.mapper = Objects.requireNonNull(mapper, "mapper");
      return this;
    }

    /** Attempts of jobs whose request names none. Default {@value Jobs#DEFAULT_MAX_ATTEMPTS}. */
    public Builder defaultMaxAttempts(int attempts) {
      if (attempts < 1) {
        throw new IllegalArgumentException(
            "defaultMaxAttempts must be at least 1, but was " + attempts);
      }
      this.defaultMaxAttempts = attempts;
      return this;
    }

    /** The retry policy of handlers registered without one. Default {@link RetryPolicy#DEFAULT}. */
    public Builder defaultRetry(RetryPolicy retry) {
      this.defaultRetry = Objects.requireNonNull(retry, "retry");
      return this;
    }

    public Builder listener(JobListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    public Jobs build() {
      return new Jobs(this);
    }
  }
}
