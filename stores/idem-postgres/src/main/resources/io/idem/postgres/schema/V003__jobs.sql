-- Unique jobs (PostgresJobStore). Times are epoch milliseconds of the store's clock. Ids, types,
-- queues and unique keys compare byte by byte (COLLATE "C").
-- state is io.idem.job.JobState.code(): 0 SCHEDULED, 1 QUEUED, 2 RUNNING, 3 SUCCEEDED, 4 FAILED,
-- 5 DEAD, 6 CANCELLED, 7 EXPIRED; unique_states is JobState.mask(): bit (1 << code) set for each
-- state in which the job holds its unique key.
CREATE TABLE idem_jobs (
  id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  type          TEXT COLLATE "C" NOT NULL,
  queue         TEXT COLLATE "C" NOT NULL,
  priority      INTEGER  NOT NULL,
  args          TEXT     NOT NULL,
  state         SMALLINT NOT NULL CHECK (state BETWEEN 0 AND 7),
  attempt       INTEGER  NOT NULL CHECK (attempt >= 0),
  max_attempts  INTEGER  NOT NULL CHECK (max_attempts >= 1),
  token         BIGINT   NOT NULL,
  run_at        BIGINT   NOT NULL,
  expires_at    BIGINT,
  timeout_ms    BIGINT,
  lease_until   BIGINT,
  worker_id     TEXT,
  unique_key    TEXT COLLATE "C",
  unique_states INTEGER  NOT NULL,
  result        TEXT,
  last_error    TEXT,
  created_at    BIGINT   NOT NULL,
  updated_at    BIGINT   NOT NULL,
  finished_at   BIGINT
);

-- Uniqueness is the database's: at most one job per unique key among the jobs whose state is in
-- their unique states. Statements that look up the holder of a key repeat this predicate
-- verbatim, so that the index serves them.
CREATE UNIQUE INDEX idem_jobs_unique_key ON idem_jobs (unique_key)
  WHERE unique_key IS NOT NULL AND ((unique_states >> state) & 1) = 1;

-- The claim: due jobs of a queue in claim order (SCHEDULED, QUEUED and FAILED only).
CREATE INDEX idem_jobs_due ON idem_jobs (queue, priority DESC, run_at, created_at, id)
  WHERE state IN (0, 1, 4);

-- Maintenance: running jobs by lease end, waiting jobs by expiry, SCHEDULED and FAILED jobs by
-- run time. Only a RUNNING job has a lease, so idem_jobs_lease holds exactly the running jobs; its
-- predicate is "lease_until IS NOT NULL" and not "state = 2" so that the fenced single-job
-- statements (WHERE id = ? AND state = 2 AND token = ?) cannot be planned through it: a generic
-- plan made while the table is small may otherwise prefer it to the primary key, and then walk
-- every entry of it, including the dead ones of jobs that finished since the last vacuum.
CREATE INDEX idem_jobs_lease ON idem_jobs (lease_until) WHERE lease_until IS NOT NULL;
CREATE INDEX idem_jobs_expiry ON idem_jobs (expires_at)
  WHERE state IN (0, 1, 4) AND expires_at IS NOT NULL;
CREATE INDEX idem_jobs_run_at ON idem_jobs (run_at) WHERE state IN (0, 4);

-- Listing newest first (the page cursor is (created_at, id)), and purging (a job finished before
-- a time was created before it). The jobs of a unique key: its holder through idem_jobs_unique_key,
-- the others (finished, in the default states) through idem_jobs_by_key, so that a job enters this
-- index once, when it stops holding its key, and not at each step of its life. Every update of a
-- job changes its state, so it is never a HOT update: each index a row version enters costs every
-- step, and there are no more indexes than the statements need.
CREATE INDEX idem_jobs_created ON idem_jobs (created_at DESC, id DESC);
CREATE INDEX idem_jobs_by_key ON idem_jobs (unique_key, created_at DESC, id DESC)
  WHERE unique_key IS NOT NULL AND ((unique_states >> state) & 1) = 0;

-- Duplicates prevented: one row per unique key of a job that turned an enqueue away (or folded it
-- in), or per job id for a job without a key. Kept when jobs are purged.
CREATE TABLE idem_job_duplicates (
  key     TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  count   BIGINT NOT NULL,
  last_at BIGINT NOT NULL
);
