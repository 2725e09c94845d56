/**
 * Idem's stores on PostgreSQL, for many processes and machines sharing one database: {@link
 * io.idem.postgres.PostgresIdempotencyStore} (idempotency records), {@link
 * io.idem.postgres.PostgresProcessedSetStore} (processed sets of deduplication trackers), {@link
 * io.idem.postgres.PostgresLockStore} (leased locks with fencing tokens), {@link
 * io.idem.postgres.PostgresAdvisoryLockStore} (locks held by a database session, with fencing
 * tokens) and {@link io.idem.postgres.PostgresJobStore} (unique jobs: a partial unique index keeps
 * one holder per key, claims with {@code SKIP LOCKED}, wake-ups by LISTEN/NOTIFY). Each has a
 * {@code builder(DataSource)}; the schema is applied on build, or by {@link
 * io.idem.postgres.PostgresSchema} when you manage it yourself.
 */
@NullMarked
package io.idem.postgres;

import org.jspecify.annotations.NullMarked;
