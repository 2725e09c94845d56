/**
 * Unique jobs: a queue where at most one job per unique key exists across the chosen states, with
 * workers that claim jobs under leases, heartbeat, retry with backoff, expire stale work and
 * recover jobs whose worker died. Start at {@link io.idem.job.Jobs}.
 */
@NullMarked
package io.idem.job;

import org.jspecify.annotations.NullMarked;
