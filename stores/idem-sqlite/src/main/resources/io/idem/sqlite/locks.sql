-- The statements of SqliteLockStore: table idem_locks (name, owner, token, acquired_at,
-- lease_until), times in epoch millis. A lock is held while lease_until > now.

-- name: lock.select
SELECT name, owner, token, acquired_at, lease_until FROM idem_locks WHERE name = ?;

-- name: lock.upsert
-- 1 name, 2 owner, 3 token, 4 acquired_at, 5 lease_until: the holding LockTransitions.acquire
-- decided, written in the transaction that read the stored one
INSERT INTO idem_locks (name, owner, token, acquired_at, lease_until) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET
  owner = excluded.owner, token = excluded.token, acquired_at = excluded.acquired_at,
  lease_until = excluded.lease_until;

-- name: lock.move_lease
-- extend (1 = now + lease) and release (1 = now + keepFor; now itself frees the lock at once),
-- applied only while token holds the lock: 2 name, 3 token, 4 now. Zero rows: refused.
UPDATE idem_locks SET lease_until = ? WHERE name = ? AND token = ? AND lease_until > ?;
