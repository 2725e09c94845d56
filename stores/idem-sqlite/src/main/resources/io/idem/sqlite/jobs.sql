-- The statements of SqliteJobStore: table idem_jobs (schema/V003__jobs.sql). Every statement that
-- reads or returns jobs lists the columns in the order of io.idem.job.Job, which
-- SqliteJobStore.job(ResultSet) reads:
--   id, type, queue, priority, args, state, attempt, max_attempts, token, run_at, expires_at,
--   timeout_ms, lease_until, worker_id, unique_key, unique_states, result, last_error,
--   created_at, updated_at, finished_at
-- Times are epoch millis; state is JobState.code(); a job holds its unique key while
-- ((unique_states >> state) & 1) = 1, which the partial unique index idem_jobs_unique_holder
-- enforces. Numbered parameters (?1) may be used more than once.

-- name: job.insert
-- The job JobTransitions.create made, in column order. Inserts nothing (and returns no row) when
-- the id is taken or another job holds the unique key: the database decides, in this statement.
INSERT INTO idem_jobs (id, type, queue, priority, args, state, attempt, max_attempts, token,
                       run_at, expires_at, timeout_ms, lease_until, worker_id, unique_key,
                       unique_states, result, last_error, created_at, updated_at, finished_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING
RETURNING id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
          expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
          last_error, created_at, updated_at, finished_at;

-- name: job.select
-- 1 id
SELECT id, type, queue, priority, args, state, attempt, max_attempts, token, run_at, expires_at,
       timeout_ms, lease_until, worker_id, unique_key, unique_states, result, last_error,
       created_at, updated_at, finished_at
  FROM idem_jobs
 WHERE id = ?;

-- name: job.select.holder
-- 1 unique key: the job that holds it (at most one, by the unique index, which serves this read)
SELECT id, type, queue, priority, args, state, attempt, max_attempts, token, run_at, expires_at,
       timeout_ms, lease_until, worker_id, unique_key, unique_states, result, last_error,
       created_at, updated_at, finished_at
  FROM idem_jobs
 WHERE unique_key = ? AND ((unique_states >> state) & 1) = 1;

-- name: job.rewrite
-- A replace (JobTransitions.replace) or a manual retry (JobTransitions.retry), decided in the
-- transaction that read the job: 1 priority, 2 args, 3 state, 4 attempt, 5 max_attempts,
-- 6 run_at, 7 expires_at, 8 timeout_ms, 9 lease_until, 10 result, 11 updated_at, 12 finished_at,
-- 13 id, 14 the state read. id, type, queue, token, worker, unique key and states, last error
-- and creation time stay. A retry that would give the key a second holder fails on the index.
UPDATE idem_jobs
   SET priority = ?, args = ?, state = ?, attempt = ?, max_attempts = ?, run_at = ?,
       expires_at = ?, timeout_ms = ?, lease_until = ?, result = ?, updated_at = ?,
       finished_at = ?
 WHERE id = ? AND state = ?
RETURNING id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
          expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
          last_error, created_at, updated_at, finished_at;

-- name: duplicate.count
-- One duplicate prevented for 1 key (the existing job's unique key, else its id) at 2 now.
INSERT INTO idem_job_duplicates (key, count, last_at) VALUES (?, 1, ?)
ON CONFLICT (key) DO UPDATE SET count = count + 1, last_at = excluded.last_at;

-- name: job.pending
-- 1 unique key: its pending jobs (running; scheduled or failed with a retry due; queued). These
-- states are in every unique job's unique_states, so the unique index serves this read.
SELECT COALESCE(SUM(state = 2), 0), COALESCE(SUM(state IN (0, 4)), 0),
       COALESCE(SUM(state = 1), 0)
  FROM idem_jobs
 WHERE unique_key = ? AND ((unique_states >> state) & 1) = 1 AND state IN (0, 1, 2, 4);

-- name: job.claim
-- A claim on one queue: 1 lease_until, 2 worker id, 3 now, 4 queue, 5 types as a JSON array
-- ('[]' for any), 6 limit. The due jobs in claim order (priority high to low, run time, age,
-- id: the order of index idem_jobs_due, so the scan stops at the limit) become RUNNING with
-- attempt + 1, token + 1 and the lease. RETURNING gives no order: the caller sorts.
UPDATE idem_jobs
   SET state = 2, attempt = attempt + 1, token = token + 1, lease_until = ?1, worker_id = ?2,
       result = NULL, updated_at = ?3, finished_at = NULL
 WHERE id IN (SELECT id FROM idem_jobs
               WHERE state IN (0, 1, 4)
                 AND queue = ?4
                 AND run_at <= ?3
                 AND (expires_at IS NULL OR expires_at > ?3)
                 AND (?5 = '[]' OR type IN (SELECT value FROM json_each(?5)))
               ORDER BY priority DESC, run_at, created_at, id
               LIMIT ?6)
RETURNING id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
          expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
          last_error, created_at, updated_at, finished_at;

-- name: job.claim.queues
-- job.claim for several queues: 4 the queues as a JSON array.
UPDATE idem_jobs
   SET state = 2, attempt = attempt + 1, token = token + 1, lease_until = ?1, worker_id = ?2,
       result = NULL, updated_at = ?3, finished_at = NULL
 WHERE id IN (SELECT id FROM idem_jobs
               WHERE state IN (0, 1, 4)
                 AND queue IN (SELECT value FROM json_each(?4))
                 AND run_at <= ?3
                 AND (expires_at IS NULL OR expires_at > ?3)
                 AND (?5 = '[]' OR type IN (SELECT value FROM json_each(?5)))
               ORDER BY priority DESC, run_at, created_at, id
               LIMIT ?6)
RETURNING id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
          expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
          last_error, created_at, updated_at, finished_at;

-- name: job.heartbeat
-- 1 lease_until, 2 now, 3 id, 4 token; zero rows: the token no longer holds the job
UPDATE idem_jobs SET lease_until = ?, updated_at = ? WHERE id = ? AND state = 2 AND token = ?;

-- name: job.complete
-- 1 result, 2 now, 3 id, 4 token; no row returned: the token no longer holds the job
UPDATE idem_jobs
   SET state = 3, lease_until = NULL, result = ?1, updated_at = ?2, finished_at = ?2
 WHERE id = ?3 AND state = 2 AND token = ?4
RETURNING id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
          expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
          last_error, created_at, updated_at, finished_at;

-- name: job.fail
-- 1 retry time (NULL for none), 2 error, 3 now, 4 id, 5 token. FAILED, due again at the retry
-- time, when one is given and attempts remain; else DEAD (finished now).
UPDATE idem_jobs
   SET state = CASE WHEN ?1 IS NOT NULL AND attempt < max_attempts THEN 4 ELSE 5 END,
       run_at = CASE WHEN ?1 IS NOT NULL AND attempt < max_attempts THEN ?1 ELSE run_at END,
       lease_until = NULL, result = NULL, last_error = ?2, updated_at = ?3,
       finished_at = CASE WHEN ?1 IS NOT NULL AND attempt < max_attempts THEN NULL ELSE ?3 END
 WHERE id = ?4 AND state = 2 AND token = ?5
RETURNING id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
          expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
          last_error, created_at, updated_at, finished_at;

-- name: job.release
-- 1 now, 2 id, 3 token: QUEUED, due now, the attempt given back
UPDATE idem_jobs
   SET state = 1, attempt = MAX(0, attempt - 1), run_at = ?1, lease_until = NULL, result = NULL,
       updated_at = ?1, finished_at = NULL
 WHERE id = ?2 AND state = 2 AND token = ?3
RETURNING id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
          expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
          last_error, created_at, updated_at, finished_at;

-- name: job.cancel
-- 1 now, 2 id: a job that is not finished becomes CANCELLED; no row when it is finished or absent
UPDATE idem_jobs
   SET state = 6, lease_until = NULL, result = NULL, updated_at = ?1, finished_at = ?1
 WHERE id = ?2 AND state IN (0, 1, 2, 4)
RETURNING id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
          expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
          last_error, created_at, updated_at, finished_at;

-- name: job.list
-- Newest first: 1 state mask (0 for all), 2 type, 3 queue, 4 unique key (NULL for any), 5 the
-- cursor's created_at and 6 its id (NULL for the first page), 7 limit.
SELECT id, type, queue, priority, args, state, attempt, max_attempts, token, run_at, expires_at,
       timeout_ms, lease_until, worker_id, unique_key, unique_states, result, last_error,
       created_at, updated_at, finished_at
  FROM idem_jobs
 WHERE (?1 = 0 OR ((?1 >> state) & 1) = 1)
   AND (?2 IS NULL OR type = ?2)
   AND (?3 IS NULL OR queue = ?3)
   AND (?4 IS NULL OR unique_key = ?4)
   AND (?5 IS NULL OR created_at < ?5 OR (created_at = ?5 AND id < ?6))
 ORDER BY created_at DESC, id DESC
 LIMIT ?7;

-- name: stats.jobs
SELECT type, state, COUNT(*) FROM idem_jobs GROUP BY type, state;

-- name: stats.duplicates
-- 1 how many keys: those with the most duplicates first
SELECT key, count FROM idem_job_duplicates ORDER BY count DESC, key LIMIT ?;

-- name: stats.duplicates.total
SELECT COALESCE(SUM(count), 0) FROM idem_job_duplicates;

-- name: maintain.expire
-- 1 now: waiting jobs (SCHEDULED, QUEUED, FAILED) past their expiry become EXPIRED.
UPDATE idem_jobs
   SET state = 7, updated_at = ?1, finished_at = ?1
 WHERE state IN (0, 1, 4) AND expires_at IS NOT NULL AND expires_at <= ?1;

-- name: maintain.promote
-- 1 now: SCHEDULED and FAILED jobs whose run time came (and that are not expired) become QUEUED.
UPDATE idem_jobs
   SET state = 1, updated_at = ?1, finished_at = NULL
 WHERE state IN (0, 4) AND run_at <= ?1 AND (expires_at IS NULL OR expires_at > ?1);

-- name: maintain.recover.dead
-- 1 now: RUNNING jobs whose lease passed with their attempts used up become DEAD; the error is
-- JobTransitions.leaseExpiredError (the lease end as Instant.toString writes it).
UPDATE idem_jobs
   SET state = 5, lease_until = NULL, result = NULL,
       last_error = 'lease of worker ' || COALESCE(worker_id, 'null') || ' expired at '
                    || strftime('%Y-%m-%dT%H:%M:%S', lease_until / 1000, 'unixepoch')
                    || CASE WHEN lease_until % 1000 = 0 THEN ''
                            ELSE printf('.%03d', lease_until % 1000) END
                    || 'Z (attempt ' || attempt || ')',
       updated_at = ?1, finished_at = ?1
 WHERE state = 2 AND lease_until <= ?1 AND attempt >= max_attempts;

-- name: maintain.recover.queue
-- 1 now: the other RUNNING jobs whose lease passed go back to QUEUED, due now.
UPDATE idem_jobs
   SET state = 1, run_at = ?1, lease_until = NULL, result = NULL,
       last_error = 'lease of worker ' || COALESCE(worker_id, 'null') || ' expired at '
                    || strftime('%Y-%m-%dT%H:%M:%S', lease_until / 1000, 'unixepoch')
                    || CASE WHEN lease_until % 1000 = 0 THEN ''
                            ELSE printf('.%03d', lease_until % 1000) END
                    || 'Z (attempt ' || attempt || ')',
       updated_at = ?1, finished_at = NULL
 WHERE state = 2 AND lease_until <= ?1 AND attempt < max_attempts;

-- name: job.purge
-- 1 finished before: final jobs (SUCCEEDED, DEAD, CANCELLED, EXPIRED) are deleted
DELETE FROM idem_jobs WHERE finished_at < ? AND state IN (3, 5, 6, 7);
