package io.idem.examples;

import io.idem.Idem;
import io.idem.Outcome;
import io.idem.job.EnqueueOutcome;
import io.idem.job.EnqueueResult;
import io.idem.job.Job;
import io.idem.job.JobRequest;
import io.idem.job.Jobs;
import io.idem.job.PendingSummary;
import io.idem.job.Unique;
import io.idem.job.Worker;
import io.idem.job.WorkerOptions;
import io.idem.spi.JobStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongFunction;
import org.jspecify.annotations.Nullable;

/**
 * The seeds' email automation, on unique jobs: one email-processing job per user across running,
 * scheduled and queued. A scheduler loop and a manual trigger enqueue the same request; while one
 * is pending, a second trigger is answered with a conflict and the pending job's status, and a
 * scheduler pass skips that user. Each run's effect (the emails it sends) happens once through
 * {@code Idem.once} under the job's idempotency key, even when a worker dies mid-run.
 *
 * <p>There is no "is a job pending for this user?" check in Java: the store's unique index on
 * {@code email.process:user=<id>} answers it atomically in the enqueue itself.
 */
public final class EmailAutomation {

  /** The job type. */
  public static final String TYPE = "email.process";

  /** The args of a run: whose emails, and who asked. */
  public record ProcessEmails(long userId, String trigger) {}

  /** What a manual trigger answers: 202 with the new job, or 409 with the pending one. */
  public record TriggerAnswer(int status, Job job, @Nullable PendingSummary pending) {}

  /** What one scheduler pass did. */
  public record PassResult(List<Long> enqueued, List<Long> skipped) {}

  private final Jobs jobs;

  /**
   * @param sendEmails the effect of one run for a user (returns, say, how many emails went out);
   *     called at most once per job through {@code idem}
   */
  public EmailAutomation(JobStore store, Idem idem, LongFunction<Integer> sendEmails) {
    Objects.requireNonNull(sendEmails, "sendEmails");
    this.jobs = Jobs.builder(store).build();
    jobs.register(
        TYPE,
        ProcessEmails.class,
        ctx -> {
          Outcome<Integer> sent =
              idem.once(
                  ctx.idempotencyKey(), ctx.args(), () -> sendEmails.apply(ctx.args().userId()));
          return sent.value();
        });
  }

  /** The request of a run for {@code userId}: unique per user while pending. */
  public static JobRequest request(long userId, String trigger) {
    return JobRequest.of(TYPE, new ProcessEmails(userId, trigger))
        .unique(Unique.byEntity("user", userId))
        .queue("email")
        .maxAttempts(5)
        .expiresIn(Duration.ofHours(6));
  }

  /** A person pressed "process my emails now". */
  public TriggerAnswer trigger(long userId) {
    EnqueueResult r = jobs.enqueue(request(userId, "manual"));
    return r.outcome() == EnqueueOutcome.ENQUEUED
        ? new TriggerAnswer(202, r.job(), null)
        : new TriggerAnswer(409, r.job(), r.pending());
  }

  /** One pass of the scheduler loop over {@code users}: users with a pending run are skipped. */
  public PassResult schedulerPass(List<Long> users) {
    List<JobRequest> batch = new ArrayList<>();
    for (long u : users) {
      batch.add(request(u, "scheduler"));
    }
    List<EnqueueResult> rs = jobs.enqueueAll(batch);
    List<Long> enqueued = new ArrayList<>();
    List<Long> skipped = new ArrayList<>();
    for (int i = 0; i < users.size(); i++) {
      (rs.get(i).enqueued() ? enqueued : skipped).add(users.get(i));
    }
    return new PassResult(enqueued, skipped);
  }

  /** Starts a worker of the email queue. */
  public Worker startWorker(WorkerOptions options) {
    return jobs.startWorker(options.queues("email"));
  }

  /** The jobs facade (stats, lookups). */
  public Jobs jobs() {
    return jobs;
  }
}
