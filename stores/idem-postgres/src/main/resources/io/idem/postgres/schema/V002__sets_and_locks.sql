-- Processed sets (PostgresProcessedSetStore) and leased locks with fencing tokens
-- (PostgresLockStore, PostgresAdvisoryLockStore). Times are epoch milliseconds of the store's
-- clock. Names and members compare byte by byte (COLLATE "C").

-- The members of every set: one row per (set, member).
CREATE TABLE idem_set_members (
  set_name TEXT COLLATE "C" NOT NULL,
  member   TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (set_name, member)
);

-- A set's last-modified time, moved by every add or remove that changed the set; removed by
-- clear.
CREATE TABLE idem_sets (
  set_name      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  last_modified BIGINT NOT NULL
);

-- One row per lock name, never deleted: a released lock keeps its token, so the next holder's
-- token (stored token + 1) is greater than every earlier one, also after a restart.
-- lease_until <= now (or NULL) means free.
CREATE TABLE idem_locks (
  name        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  owner       TEXT,
  token       BIGINT NOT NULL,
  acquired_at BIGINT,
  lease_until BIGINT
);
