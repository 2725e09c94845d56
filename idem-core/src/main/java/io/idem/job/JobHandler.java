package io.idem.job;

import org.jspecify.annotations.Nullable;

/**
 * Runs jobs of one type. An attempt succeeds when it returns (its value, written as JSON, is the
 * job's result) and fails when it throws. Delivery is at least once: an attempt may run again after
 * its worker died, so a handler makes its effect once with {@link JobContext#idempotencyKey()} and
 * {@code Idem.once} or a tracker. A handler should stop when interrupted (timeout, lost lease,
 * shutdown).
 *
 * @param <A> the args type
 */
@FunctionalInterface
public interface JobHandler<A> {

  @Nullable Object handle(JobContext<A> context) throws Exception;
}
