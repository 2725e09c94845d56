-- Processed sets (deduplication trackers) and leased locks. Times are epoch milliseconds.

-- One row per member of a set; a set without rows is empty.
CREATE TABLE idem_set_members (
  set_name TEXT NOT NULL,
  member   TEXT NOT NULL,
  PRIMARY KEY (set_name, member)
) WITHOUT ROWID;

-- When each set last changed: written by every add or remove that changed the set, deleted by a
-- clear.
CREATE TABLE idem_sets (
  set_name      TEXT    NOT NULL PRIMARY KEY,
  last_modified INTEGER NOT NULL
);

-- One row per lock name that was ever acquired. Rows are never deleted: a released or expired
-- lock keeps its token, so that the next acquisition's token (stored token + 1) is greater than
-- every earlier one. The lock is held while lease_until is after now.
CREATE TABLE idem_locks (
  name        TEXT    NOT NULL PRIMARY KEY,
  owner       TEXT    NOT NULL,
  token       INTEGER NOT NULL,
  acquired_at INTEGER NOT NULL,
  lease_until INTEGER NOT NULL
);
