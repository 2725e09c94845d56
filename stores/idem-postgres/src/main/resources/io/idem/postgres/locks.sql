-- The statements of PostgresLockStore (lock.*) and PostgresAdvisoryLockStore (advisory.*), one
-- per step of io.idem.spi.LockStore with the semantics of io.idem.spi.LockTransitions.
-- {schema} is replaced by the store's schema (quoted) when the statements are loaded; :name is a
-- parameter (bound by name, it may occur several times). :now is epoch milliseconds of the
-- store's clock, never the database's now(). A lock row is never deleted: a released lock keeps
-- its token, and the next holder's token is the stored token + 1 (1 for a new row).
-- Columns in the order of LockRows.lease: name, owner, token, acquired_at, lease_until.

-- name: lock.take
-- The first try of an acquisition: takes the lock when its row exists and is free, the common
-- case once a name has been used (rows are never deleted). The UPDATE re-checks its WHERE on the
-- newest version of a row that changed meanwhile, so of concurrent takers exactly one wins, with
-- the stored token + 1, as lock.acquire does. No row comes back when the lock is held or has no
-- row yet; nothing is written then, and the caller reads the holder (lock.holder), running
-- lock.acquire only when there is none. A plain UPDATE costs PostgreSQL less than lock.acquire,
-- which sets up its INSERT, its conflict arm and the UNION on every run.
UPDATE {schema}.idem_locks AS l
   SET owner = :owner, token = l.token + 1, acquired_at = :now, lease_until = :lease_until
 WHERE name = :name AND (lease_until IS NULL OR lease_until <= :now)
RETURNING token;

-- name: lock.acquire
-- Acquires the lock when it is free (no row, or its lease is over), or returns the holder.
-- On a conflict PostgreSQL locks the row and evaluates the WHERE on its newest version, so of
-- concurrent acquirers exactly one takes it over. The taken row comes back with acquired = TRUE;
-- otherwise the second branch returns the row as this statement's snapshot saw it, with
-- acquired = FALSE: the caller runs the statement again when that row is missing (another
-- session inserted it after the snapshot) or not held at :now (taken over after the snapshot).
WITH acquired AS (
  INSERT INTO {schema}.idem_locks AS l (name, owner, token, acquired_at, lease_until)
  VALUES (:name, :owner, 1, :now, :lease_until)
  ON CONFLICT (name) DO UPDATE SET
    owner = EXCLUDED.owner,
    token = l.token + 1,
    acquired_at = EXCLUDED.acquired_at,
    lease_until = EXCLUDED.lease_until
  WHERE l.lease_until IS NULL OR l.lease_until <= :now
  RETURNING name, owner, token, acquired_at, lease_until, TRUE AS acquired
)
SELECT * FROM acquired
UNION ALL
SELECT name, owner, token, acquired_at, lease_until, FALSE AS acquired
  FROM {schema}.idem_locks
 WHERE name = :name
   AND NOT EXISTS (SELECT 1 FROM acquired);

-- name: lock.extend
UPDATE {schema}.idem_locks
   SET lease_until = :lease_until
 WHERE name = :name AND token = :token AND lease_until > :now;

-- name: lock.release
-- :lease_until is :now + keepFor: the lock is free at once for a zero keepFor.
UPDATE {schema}.idem_locks
   SET lease_until = :lease_until
 WHERE name = :name AND token = :token AND lease_until > :now;

-- name: lock.holder
SELECT name, owner, token, acquired_at, lease_until
  FROM {schema}.idem_locks
 WHERE name = :name AND lease_until > :now;

-- name: advisory.acquire
-- Run on a connection dedicated to this lock. Tries the session-level advisory lock :key once
-- (a CTE with a volatile function is evaluated once, never inlined); when it is granted, takes
-- the row's next token whatever its lease says (the advisory lock decides who holds the lock).
-- A session that holds the advisory lock is the only one writing the row, until it releases.
-- Otherwise returns the row as this statement's snapshot saw it, with acquired = FALSE.
WITH attempt AS (
  SELECT pg_try_advisory_lock(:key) AS locked
),
acquired AS (
  INSERT INTO {schema}.idem_locks AS l (name, owner, token, acquired_at, lease_until)
  SELECT :name, :owner, 1, :now, :lease_until FROM attempt WHERE locked
  ON CONFLICT (name) DO UPDATE SET
    owner = EXCLUDED.owner,
    token = l.token + 1,
    acquired_at = EXCLUDED.acquired_at,
    lease_until = EXCLUDED.lease_until
  RETURNING name, owner, token, acquired_at, lease_until, TRUE AS acquired
)
SELECT * FROM acquired
UNION ALL
SELECT name, owner, token, acquired_at, lease_until, FALSE AS acquired
  FROM {schema}.idem_locks
 WHERE name = :name
   AND NOT EXISTS (SELECT 1 FROM acquired);

-- name: advisory.lease
-- Run on the holder's connection (extend, and release with a keep time): the row says until when.
-- The advisory lock is held while that session lives, whatever the row says.
UPDATE {schema}.idem_locks
   SET lease_until = :lease_until
 WHERE name = :name AND token = :token;

-- name: advisory.release
-- Run on the holder's connection, in auto-commit: marks the row free. It commits before the
-- advisory lock is released (advisory.unlock), so that the next holder's statement finds it
-- committed (under REPEATABLE READ it would otherwise fail with a serialization failure).
UPDATE {schema}.idem_locks
   SET lease_until = :now
 WHERE name = :name AND token = :token;

-- name: advisory.unlock
-- Run on the holder's connection after advisory.release: the advisory lock's count is then 0 (it
-- is taken once per connection).
SELECT pg_advisory_unlock(:key);

-- name: advisory.holder
-- The row, when some session of this database holds the advisory lock :key (a bigint key shows in
-- pg_locks as classid = its high 32 bits, objid = its low 32 bits, objsubid = 1).
SELECT name, owner, token, acquired_at, lease_until
  FROM {schema}.idem_locks
 WHERE name = :name
   AND EXISTS (SELECT 1
                 FROM pg_catalog.pg_locks
                WHERE locktype = 'advisory'
                  AND granted
                  AND database = (SELECT oid FROM pg_catalog.pg_database
                                   WHERE datname = current_database())
                  AND classid = :key_high::bigint::oid
                  AND objid = :key_low::bigint::oid
                  AND objsubid = 1);
