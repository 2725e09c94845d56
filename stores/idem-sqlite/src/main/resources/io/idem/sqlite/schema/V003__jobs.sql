-- Unique jobs. Times are epoch milliseconds; state is JobState.code() (0 SCHEDULED, 1 QUEUED,
-- 2 RUNNING, 3 SUCCEEDED, 4 FAILED, 5 DEAD, 6 CANCELLED, 7 EXPIRED) and unique_states the mask of
-- the states in which the job holds its unique key (bit 1 << code, JobState.mask()).
CREATE TABLE idem_jobs (
  id            TEXT    NOT NULL PRIMARY KEY,
  type          TEXT    NOT NULL,
  queue         TEXT    NOT NULL,
  priority      INTEGER NOT NULL,
  args          TEXT    NOT NULL,
  state         INTEGER NOT NULL CHECK (state BETWEEN 0 AND 7),
  attempt       INTEGER NOT NULL,
  max_attempts  INTEGER NOT NULL,
  token         INTEGER NOT NULL,
  run_at        INTEGER NOT NULL,
  expires_at    INTEGER,
  timeout_ms    INTEGER,
  lease_until   INTEGER,
  worker_id     TEXT,
  unique_key    TEXT,
  unique_states INTEGER NOT NULL,
  result        TEXT,
  last_error    TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  finished_at   INTEGER
);

-- Uniqueness, enforced here and nowhere else: at most one job holds a unique key, a job holding
-- its key while its state's bit is set in its unique_states. An insert or update that would give
-- a key a second holder fails (or, with ON CONFLICT DO NOTHING, inserts nothing).
CREATE UNIQUE INDEX idem_jobs_unique_holder ON idem_jobs (unique_key)
  WHERE unique_key IS NOT NULL AND ((unique_states >> state) & 1) = 1;

-- Claims: the waiting jobs (SCHEDULED, QUEUED, FAILED) of a queue in claim order.
CREATE INDEX idem_jobs_due ON idem_jobs (queue, priority DESC, run_at, created_at, id)
  WHERE state IN (0, 1, 4);

-- Maintenance: running jobs by lease end, waiting jobs by expiry, scheduled and failed jobs by
-- run time.
CREATE INDEX idem_jobs_lease ON idem_jobs (lease_until) WHERE state = 2;
CREATE INDEX idem_jobs_expiry ON idem_jobs (expires_at)
  WHERE state IN (0, 1, 4) AND expires_at IS NOT NULL;
CREATE INDEX idem_jobs_scheduled ON idem_jobs (run_at) WHERE state IN (0, 4);

-- Listing newest first, and purging finished jobs.
CREATE INDEX idem_jobs_created ON idem_jobs (created_at, id);
CREATE INDEX idem_jobs_finished ON idem_jobs (finished_at) WHERE finished_at IS NOT NULL;

-- Duplicates prevented: one row per unique key (the job id for a job without one) that turned an
-- enqueue away or folded one in.
CREATE TABLE idem_job_duplicates (
  key     TEXT    NOT NULL PRIMARY KEY,
  count   INTEGER NOT NULL,
  last_at INTEGER NOT NULL
);
