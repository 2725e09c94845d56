/**
 * The side-by-side job-queue run: enqueue and execute N no-op jobs with distinct unique keys on
 * Idem's job engine and on its peers (db-scheduler, JobRunr), each on a fresh database of the same
 * PostgreSQL, and report jobs per second and the ratios. Not JMH: one whole run of N jobs is one
 * measurement. Start at {@link io.idem.bench.jobs.JobThroughput}.
 */
@NullMarked
package io.idem.bench.jobs;

import org.jspecify.annotations.NullMarked;
