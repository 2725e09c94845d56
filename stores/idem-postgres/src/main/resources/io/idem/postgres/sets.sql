-- The statements of PostgresProcessedSetStore, one per step of io.idem.spi.ProcessedSetStore.
-- {schema} is replaced by the store's schema (quoted) when the statements are loaded; :name is a
-- parameter (bound by name, it may occur several times). :now is epoch milliseconds of the
-- store's clock, never the database's now().
--
-- Data-modifying CTEs run once each, to completion; a CTE that the main query reads runs as it
-- is read, one that it does not read runs after the main query. So in set.add and set.remove the
-- member row is written (and locked) first and the set's row second, in every statement that
-- writes both: concurrent steps on one set take their row locks in the same order.

-- name: set.add
-- Adds the member; returns 1 when it was not there (0 when it was: nothing changes then, the
-- last-modified time included). Of concurrent adds of one member exactly one inserts it: the
-- others wait for its insert and find the conflict.
WITH added AS (
  INSERT INTO {schema}.idem_set_members (set_name, member)
  VALUES (:set, :member)
  ON CONFLICT (set_name, member) DO NOTHING
  RETURNING 1
),
touched AS (
  INSERT INTO {schema}.idem_sets (set_name, last_modified)
  SELECT :set, :now WHERE EXISTS (SELECT 1 FROM added)
  ON CONFLICT (set_name) DO UPDATE SET last_modified = EXCLUDED.last_modified
)
SELECT count(*) FROM added;

-- name: set.remove
-- Removes the member; returns 1 when it was there (and moves the last-modified time), else 0.
WITH removed AS (
  DELETE FROM {schema}.idem_set_members
   WHERE set_name = :set AND member = :member
  RETURNING 1
),
touched AS (
  INSERT INTO {schema}.idem_sets (set_name, last_modified)
  SELECT :set, :now WHERE EXISTS (SELECT 1 FROM removed)
  ON CONFLICT (set_name) DO UPDATE SET last_modified = EXCLUDED.last_modified
)
SELECT count(*) FROM removed;

-- name: set.contains
SELECT 1 FROM {schema}.idem_set_members WHERE set_name = :set AND member = :member;

-- name: set.members
SELECT member FROM {schema}.idem_set_members WHERE set_name = :set;

-- name: set.clear
-- Removes every member and the last-modified time; returns how many members there were.
WITH removed AS (
  DELETE FROM {schema}.idem_set_members WHERE set_name = :set RETURNING 1
),
forgotten AS (
  DELETE FROM {schema}.idem_sets WHERE set_name = :set
)
SELECT count(*) FROM removed;

-- name: set.last_modified
SELECT last_modified FROM {schema}.idem_sets WHERE set_name = :set;
