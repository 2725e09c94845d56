-- The statements of PostgresJobStore, one per step of io.idem.spi.JobStore with the semantics of
-- io.idem.spi.JobTransitions. {schema} is replaced by the store's schema (quoted) when the
-- statements are loaded; :name is a parameter (bound by name, it may occur several times).
-- Times are epoch milliseconds of the store's clock (:now), never the database's now().
-- States are JobState codes: 0 SCHEDULED, 1 QUEUED, 2 RUNNING, 3 SUCCEEDED, 4 FAILED, 5 DEAD,
-- 6 CANCELLED, 7 EXPIRED. A job holds its unique key while ((unique_states >> state) & 1) = 1:
-- that predicate is written exactly as in the partial unique index idem_jobs_unique_key, so that
-- the index serves the statements that look up a key's holder.
-- Jobs are returned in the column order of JobRows.job: id, type, queue, priority, args, state,
-- attempt, max_attempts, token, run_at, expires_at, timeout_ms, lease_until, worker_id,
-- unique_key, unique_states, result, last_error, created_at, updated_at, finished_at.
-- :channel is the store's LISTEN/NOTIFY channel; statements that make a job due now notify it
-- (delivered when the statement's transaction commits).

-- name: job.enqueue
-- Enqueues a job in one statement, or answers with the job in the way.
-- inserted: the new job, unless its id or its unique key is taken (ON CONFLICT DO NOTHING covers
--   the primary key and the partial unique index; it sees the newest committed rows).
-- existing: when nothing was inserted, the job with the id, else the holder of the key, as this
--   statement's snapshot saw it. It is missing when the conflicting row committed after the
--   snapshot: the statement returns no row and the caller runs it again.
-- replaced: REPLACE rewrites the existing job when its newest version has not started.
-- counted: one duplicate prevented for the existing job's key (its id when it has none), unless a
--   REPLACE found the job changed meanwhile (the caller runs the statement again).
-- The last branch also counts the jobs of the existing job's unique key that are running,
-- scheduled (SCHEDULED, or FAILED with a retry pending) and queued: the pending summary of a
-- rejection, in the same round trip.
-- The outcome CHANGED means: REPLACE of a job that its snapshot saw waiting, but that changed
-- before the update (claimed, cancelled): the caller runs the statement again.
WITH inserted AS (
  INSERT INTO {schema}.idem_jobs
         (id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
          expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
          last_error, created_at, updated_at, finished_at)
  VALUES (:id, :type, :queue, :priority, :args, :state, 0, :max_attempts, 0, :run_at,
          :expires_at, :timeout_ms, NULL, NULL, :unique_key, :unique_states, NULL,
          NULL, :now, :now, NULL)
  ON CONFLICT DO NOTHING
  RETURNING id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
            expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
            last_error, created_at, updated_at, finished_at
),
existing AS (
  SELECT e.id, e.type, e.queue, e.priority, e.args, e.state, e.attempt, e.max_attempts,
         e.token, e.run_at, e.expires_at, e.timeout_ms, e.lease_until, e.worker_id,
         e.unique_key, e.unique_states, e.result, e.last_error, e.created_at, e.updated_at,
         e.finished_at
    FROM (SELECT 0 AS rank, j.* FROM {schema}.idem_jobs AS j WHERE j.id = :id
          UNION ALL
          SELECT 1 AS rank, j.* FROM {schema}.idem_jobs AS j
           WHERE j.unique_key = :unique_key AND ((j.unique_states >> j.state) & 1) = 1) AS e
   WHERE NOT EXISTS (SELECT 1 FROM inserted)
   ORDER BY e.rank
   LIMIT 1
),
replaced AS (
  UPDATE {schema}.idem_jobs AS j
     SET priority = :priority, args = :args, state = :state, run_at = :run_at,
         expires_at = :expires_at, timeout_ms = :timeout_ms, lease_until = NULL, result = NULL,
         updated_at = :now, finished_at = NULL
    FROM existing AS e
   WHERE j.id = e.id AND :policy = 'REPLACE' AND j.state IN (0, 1, 4)
  RETURNING j.id, j.type, j.queue, j.priority, j.args, j.state, j.attempt, j.max_attempts,
            j.token, j.run_at, j.expires_at, j.timeout_ms, j.lease_until, j.worker_id,
            j.unique_key, j.unique_states, j.result, j.last_error, j.created_at, j.updated_at,
            j.finished_at
),
counted AS (
  INSERT INTO {schema}.idem_job_duplicates AS d (key, count, last_at)
  SELECT COALESCE(e.unique_key, e.id), 1, :now::bigint
    FROM existing AS e
   WHERE :policy <> 'REPLACE' OR e.state NOT IN (0, 1, 4) OR EXISTS (SELECT 1 FROM replaced)
  ON CONFLICT (key) DO UPDATE SET count = d.count + 1, last_at = EXCLUDED.last_at
  RETURNING d.count
),
notified AS (
  SELECT pg_notify(:channel, '')
    FROM (SELECT state FROM inserted UNION ALL SELECT state FROM replaced) AS due
   WHERE due.state = 1
   LIMIT 1
)
SELECT 'ENQUEUED' AS outcome, i.*, 0::bigint AS running, 0::bigint AS scheduled,
       0::bigint AS queued, (SELECT count(*) FROM notified) AS notified
  FROM inserted AS i
UNION ALL
SELECT 'REPLACED', r.*, 0, 0, 0, (SELECT count(*) FROM notified)
  FROM replaced AS r
UNION ALL
SELECT CASE WHEN :policy = 'IGNORE' THEN 'IGNORED'
            WHEN :policy = 'REPLACE' AND e.state IN (0, 1, 4) THEN 'CHANGED'
            ELSE 'REJECTED' END,
       e.*, p.running, p.scheduled, p.queued, 0
  FROM existing AS e
 CROSS JOIN LATERAL (
       SELECT count(*) FILTER (WHERE j.state = 2) AS running,
              count(*) FILTER (WHERE j.state IN (0, 4)) AS scheduled,
              count(*) FILTER (WHERE j.state = 1) AS queued
         FROM {schema}.idem_jobs AS j
        WHERE j.unique_key = e.unique_key AND ((j.unique_states >> j.state) & 1) = 1
          AND j.state IN (0, 1, 2, 4)) AS p
 WHERE NOT EXISTS (SELECT 1 FROM replaced);

-- name: job.enqueue_bulk
-- The fast path of enqueueAll: inserts the jobs of the arrays (one element per job, in the list's
-- order) that conflict with nothing, in one statement. A job whose id or unique key is taken (by a
-- stored job or by an earlier job of the same statement) is skipped, not an error (ON CONFLICT DO
-- NOTHING checks the primary key and the partial unique index row by row, in order); the caller
-- runs job.enqueue for each job skipped, which answers it by its policy. Returns the jobs inserted.
WITH inserted AS (
  INSERT INTO {schema}.idem_jobs
         (id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
          expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
          last_error, created_at, updated_at, finished_at)
  SELECT n.id, n.type, n.queue, n.priority, n.args, n.state, 0, n.max_attempts, 0, n.run_at,
         n.expires_at, n.timeout_ms, NULL, NULL, n.unique_key, n.unique_states, NULL, NULL,
         :now, :now, NULL
    FROM unnest(:ids::text[], :types::text[], :queues::text[], :priorities::integer[],
                :args::text[], :states::smallint[], :max_attempts::integer[], :run_ats::bigint[],
                :expires_ats::bigint[], :timeouts::bigint[], :unique_keys::text[],
                :unique_states::integer[])
         WITH ORDINALITY
         AS n(id, type, queue, priority, args, state, max_attempts, run_at, expires_at,
              timeout_ms, unique_key, unique_states, ord)
   ORDER BY n.ord
  ON CONFLICT DO NOTHING
  RETURNING id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
            expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
            last_error, created_at, updated_at, finished_at
),
notified AS (
  SELECT pg_notify(:channel, '') WHERE EXISTS (SELECT 1 FROM inserted WHERE state = 1)
)
SELECT i.*, (SELECT count(*) FROM notified) AS notified FROM inserted AS i;

-- name: job.claim
-- Claims up to :limit due jobs of :queues (and of :types, unless it is empty) in claim order. Rows locked by another claim (or any
-- other writer) are skipped, never waited for; a row that changed after this statement's snapshot
-- is checked again on its newest version (READ COMMITTED), so two claims never take one job.
-- Each queue is read in the order of the index idem_jobs_due (queue, priority DESC, run_at,
-- created_at, id) and stops after :limit rows; the queues' candidates are merged in that order. (A
-- single `queue = ANY(:queues)` scan cannot walk the index in order: it sorts every due row.)
WITH due AS MATERIALIZED (
  SELECT d.id
    FROM unnest(:queues::text[]) AS q(queue)
   CROSS JOIN LATERAL (
         SELECT j.id, j.priority, j.run_at, j.created_at
           FROM {schema}.idem_jobs AS j
          WHERE j.queue = q.queue AND j.state IN (0, 1, 4) AND j.run_at <= :now
            AND (j.expires_at IS NULL OR j.expires_at > :now)
            AND (cardinality(:types::text[]) = 0 OR j.type = ANY(:types::text[]))
          ORDER BY j.priority DESC, j.run_at, j.created_at, j.id
          LIMIT :limit
            FOR NO KEY UPDATE SKIP LOCKED) AS d
   ORDER BY d.priority DESC, d.run_at, d.created_at, d.id
   LIMIT :limit
)
UPDATE {schema}.idem_jobs
   SET state = 2, attempt = attempt + 1, token = token + 1, lease_until = :lease_until,
       worker_id = :worker_id, result = NULL, updated_at = :now, finished_at = NULL
 WHERE id IN (SELECT id FROM due)
RETURNING id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
          expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
          last_error, created_at, updated_at, finished_at;

-- name: job.heartbeat
UPDATE {schema}.idem_jobs
   SET lease_until = :lease_until, updated_at = :now
 WHERE id = :id AND state = 2 AND token = :token;

-- name: job.complete
UPDATE {schema}.idem_jobs
   SET state = 3, lease_until = NULL, result = :result, updated_at = :now, finished_at = :now
 WHERE id = :id AND state = 2 AND token = :token
RETURNING id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
          expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
          last_error, created_at, updated_at, finished_at;

-- name: job.complete_fenced
-- job.complete without RETURNING, for completeAll: a JDBC batch of it runs in one round trip and
-- one implicit transaction; the update count says whether the token still held the job. One
-- primary-key lookup per job, whatever the statistics say (a join of the table with arrays of ids
-- was planned, on stale statistics, as a scan of the table or of every running job).
UPDATE {schema}.idem_jobs
   SET state = 3, lease_until = NULL, result = :result, updated_at = :now, finished_at = :now
 WHERE id = :id AND state = 2 AND token = :token;

-- name: job.fail
-- FAILED with run_at = :retry_at when a retry time is given and attempts remain, else DEAD.
UPDATE {schema}.idem_jobs
   SET state = CASE WHEN :retry_at::bigint IS NOT NULL AND attempt < max_attempts
                    THEN 4 ELSE 5 END,
       run_at = CASE WHEN :retry_at::bigint IS NOT NULL AND attempt < max_attempts
                     THEN :retry_at::bigint ELSE run_at END,
       lease_until = NULL, result = NULL, last_error = :error, updated_at = :now,
       finished_at = CASE WHEN :retry_at::bigint IS NOT NULL AND attempt < max_attempts
                          THEN NULL ELSE :now::bigint END
 WHERE id = :id AND state = 2 AND token = :token
RETURNING id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
          expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
          last_error, created_at, updated_at, finished_at;

-- name: job.release
-- QUEUED and due now, the attempt given back; wakes subscribers.
WITH released AS (
  UPDATE {schema}.idem_jobs
     SET state = 1, attempt = GREATEST(attempt - 1, 0), run_at = :now, lease_until = NULL,
         result = NULL, updated_at = :now, finished_at = NULL
   WHERE id = :id AND state = 2 AND token = :token
  RETURNING id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
            expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
            last_error, created_at, updated_at, finished_at
),
notified AS (
  SELECT pg_notify(:channel, '') FROM released
)
SELECT r.*, (SELECT count(*) FROM notified) AS notified FROM released AS r;

-- name: job.cancel
-- Cancels a job that has not finished (changed = TRUE); otherwise returns the job as this
-- statement's snapshot saw it (changed = FALSE): the caller runs the statement again when that
-- row has not finished (it changed after the snapshot).
WITH cancelled AS (
  UPDATE {schema}.idem_jobs
     SET state = 6, lease_until = NULL, result = NULL, updated_at = :now, finished_at = :now
   WHERE id = :id AND state IN (0, 1, 2, 4)
  RETURNING id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
            expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
            last_error, created_at, updated_at, finished_at, TRUE AS changed
)
SELECT * FROM cancelled
UNION ALL
SELECT id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
       expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
       last_error, created_at, updated_at, finished_at, FALSE AS changed
  FROM {schema}.idem_jobs
 WHERE id = :id AND NOT EXISTS (SELECT 1 FROM cancelled);

-- name: job.retry
-- Queues a FAILED, DEAD, CANCELLED or EXPIRED job again, due now, with an attempt left
-- (changed = TRUE), and wakes subscribers; otherwise returns the job as this statement's snapshot
-- saw it (changed = FALSE). When another job holds the key, the partial unique index refuses the
-- new row version (SQLSTATE 23505) and nothing changes.
WITH retried AS (
  UPDATE {schema}.idem_jobs
     SET state = 1, max_attempts = GREATEST(max_attempts, attempt + 1), run_at = :now,
         expires_at = NULL, lease_until = NULL, result = NULL, updated_at = :now,
         finished_at = NULL
   WHERE id = :id AND state IN (4, 5, 6, 7)
  RETURNING id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
            expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
            last_error, created_at, updated_at, finished_at, TRUE AS changed
),
notified AS (
  SELECT pg_notify(:channel, '') FROM retried
)
SELECT r.*, (SELECT count(*) FROM notified) AS notified FROM retried AS r
UNION ALL
SELECT id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
       expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
       last_error, created_at, updated_at, finished_at, FALSE AS changed, 0
  FROM {schema}.idem_jobs
 WHERE id = :id AND NOT EXISTS (SELECT 1 FROM retried);

-- name: job.holder
-- The job other than :id that holds the unique key of job :id.
SELECT h.id, h.type, h.queue, h.priority, h.args, h.state, h.attempt, h.max_attempts, h.token,
       h.run_at, h.expires_at, h.timeout_ms, h.lease_until, h.worker_id, h.unique_key,
       h.unique_states, h.result, h.last_error, h.created_at, h.updated_at, h.finished_at
  FROM {schema}.idem_jobs AS j
  JOIN {schema}.idem_jobs AS h
    ON h.unique_key = j.unique_key AND ((h.unique_states >> h.state) & 1) = 1
 WHERE j.id = :id AND h.id <> j.id;

-- name: job.select
SELECT id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
       expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
       last_error, created_at, updated_at, finished_at
  FROM {schema}.idem_jobs
 WHERE id = :id;

-- name: job.list
-- A page newest first: :state_mask has bit (1 << code) set for each state listed; null filters
-- and a null cursor (:after_at) match every job. :limit is one more than the page size, to learn
-- whether a next page exists.
SELECT id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
       expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
       last_error, created_at, updated_at, finished_at
  FROM {schema}.idem_jobs
 WHERE ((:state_mask::integer >> state) & 1) = 1
   AND (:type::text IS NULL OR type = :type::text)
   AND (:queue::text IS NULL OR queue = :queue::text)
   AND (:after_at::bigint IS NULL OR (created_at, id) < (:after_at::bigint, :after_id::text))
 ORDER BY created_at DESC, id DESC
 LIMIT :limit;

-- name: job.list_key
-- job.list of the jobs of one unique key: its holder (at most one, through idem_jobs_unique_key)
-- and the jobs that no longer hold it (through idem_jobs_by_key, newest first); each branch
-- repeats its index's predicate so that the index serves it.
SELECT j.*
  FROM ((SELECT id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
                expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
                last_error, created_at, updated_at, finished_at
           FROM {schema}.idem_jobs
          WHERE unique_key = :unique_key AND ((unique_states >> state) & 1) = 1
            AND ((:state_mask::integer >> state) & 1) = 1
            AND (:type::text IS NULL OR type = :type::text)
            AND (:queue::text IS NULL OR queue = :queue::text)
            AND (:after_at::bigint IS NULL
                 OR (created_at, id) < (:after_at::bigint, :after_id::text)))
        UNION ALL
        (SELECT id, type, queue, priority, args, state, attempt, max_attempts, token, run_at,
                expires_at, timeout_ms, lease_until, worker_id, unique_key, unique_states, result,
                last_error, created_at, updated_at, finished_at
           FROM {schema}.idem_jobs
          WHERE unique_key = :unique_key AND unique_key IS NOT NULL
            AND ((unique_states >> state) & 1) = 0
            AND ((:state_mask::integer >> state) & 1) = 1
            AND (:type::text IS NULL OR type = :type::text)
            AND (:queue::text IS NULL OR queue = :queue::text)
            AND (:after_at::bigint IS NULL
                 OR (created_at, id) < (:after_at::bigint, :after_id::text))
          ORDER BY created_at DESC, id DESC
          LIMIT :limit)) AS j
 ORDER BY j.created_at DESC, j.id DESC
 LIMIT :limit;

-- name: job.pending
-- Jobs of a unique key that are running, scheduled (waiting for their time or for a retry) and
-- queued; all of them hold the key (those states are always among a job's unique states).
SELECT count(*) FILTER (WHERE state = 2) AS running,
       count(*) FILTER (WHERE state IN (0, 4)) AS scheduled,
       count(*) FILTER (WHERE state = 1) AS queued
  FROM {schema}.idem_jobs
 WHERE unique_key = :unique_key AND ((unique_states >> state) & 1) = 1
   AND state IN (0, 1, 2, 4);

-- name: job.stats.counts
SELECT type, state, count(*) FROM {schema}.idem_jobs GROUP BY type, state;

-- name: job.stats.duplicates
-- The keys with the most duplicates prevented, and the sum over every key (on each row).
SELECT key, count, sum(count) OVER () AS total
  FROM {schema}.idem_job_duplicates
 ORDER BY count DESC, key
 LIMIT :limit;

-- name: job.maintain
-- One maintenance pass in one statement, each job changed at most once (as JobTransitions.maintain
-- does: the three sets below are disjoint in the statement's snapshot). Rows locked by another
-- writer (a claim, another maintenance pass) are skipped, never waited for.
-- recovered: RUNNING with the lease over: QUEUED and due now, or DEAD with its attempts used up;
--   last_error is JobTransitions.leaseExpiredError: the lease end printed as Instant.toString()
--   prints it (ISO-8601 in UTC, the milliseconds only when not zero).
-- expired: SCHEDULED, QUEUED or FAILED past expires_at: EXPIRED.
-- promoted: SCHEDULED or FAILED whose run time came (and not expired): QUEUED.
-- Subscribers are woken when a job became QUEUED.
WITH recovered AS (
  UPDATE {schema}.idem_jobs
     SET state = CASE WHEN attempt >= max_attempts THEN 5 ELSE 1 END,
         run_at = CASE WHEN attempt >= max_attempts THEN run_at ELSE :now::bigint END,
         lease_until = NULL,
         result = NULL,
         last_error = 'lease of worker ' || COALESCE(worker_id, 'null') || ' expired at '
             || to_char(to_timestamp((lease_until - ((lease_until % 1000) + 1000) % 1000) / 1000)
                        AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
             || CASE WHEN ((lease_until % 1000) + 1000) % 1000 = 0 THEN ''
                     ELSE '.' || lpad((((lease_until % 1000) + 1000) % 1000)::text, 3, '0') END
             || 'Z (attempt ' || attempt || ')',
         updated_at = :now,
         finished_at = CASE WHEN attempt >= max_attempts THEN :now::bigint ELSE NULL END
   WHERE id IN (SELECT id FROM {schema}.idem_jobs
                 WHERE state = 2 AND lease_until <= :now
                   FOR NO KEY UPDATE SKIP LOCKED)
  RETURNING state
),
expired AS (
  UPDATE {schema}.idem_jobs
     SET state = 7, updated_at = :now, finished_at = :now
   WHERE id IN (SELECT id FROM {schema}.idem_jobs
                 WHERE state IN (0, 1, 4) AND expires_at IS NOT NULL AND expires_at <= :now
                   FOR NO KEY UPDATE SKIP LOCKED)
  RETURNING state
),
promoted AS (
  UPDATE {schema}.idem_jobs
     SET state = 1, updated_at = :now
   WHERE id IN (SELECT id FROM {schema}.idem_jobs
                 WHERE state IN (0, 4) AND run_at <= :now
                   AND (expires_at IS NULL OR expires_at > :now)
                   FOR NO KEY UPDATE SKIP LOCKED)
  RETURNING state
),
notified AS (
  SELECT pg_notify(:channel, '')
   WHERE EXISTS (SELECT 1 FROM promoted) OR EXISTS (SELECT 1 FROM recovered WHERE state = 1)
)
SELECT (SELECT count(*) FROM recovered WHERE state = 1) AS recovered,
       (SELECT count(*) FROM recovered WHERE state = 5) AS dead,
       (SELECT count(*) FROM expired) AS expired,
       (SELECT count(*) FROM promoted) AS promoted,
       (SELECT count(*) FROM notified) AS notified;

-- name: job.purge
-- A job that finished before :finished_before was created before it: the bound on created_at lets
-- idem_jobs_created find the candidates (there is no index on finished_at, which would cost every
-- completion). A job created after the bound is purged by a later pass.
DELETE FROM {schema}.idem_jobs
 WHERE created_at < :finished_before AND state IN (3, 5, 6, 7)
   AND finished_at < :finished_before;
