-- The statements of SqliteIdempotencyStore. Columns of idem_records in the order of
-- io.idem.jdbc.Rows: key, state, fingerprint, token, attempt, lease_until, expires_at,
-- retry_after, result_type, result, error_type, error_message, created_at, updated_at.

-- name: record.select
SELECT key, state, fingerprint, token, attempt, lease_until, expires_at, retry_after,
       result_type, result, error_type, error_message, created_at, updated_at
  FROM idem_records
 WHERE key = ?;

-- name: claim.select
-- The token floor and the key's record (if any) in one read. Tokens of new records are floor + 1;
-- the floor is raised only when records are deleted or purged (to the largest token removed), so a
-- claim writes one row and tokens still keep growing for a key across deletes and purges.
SELECT s.value, r.key, r.state, r.fingerprint, r.token, r.attempt, r.lease_until, r.expires_at,
       r.retry_after, r.result_type, r.result, r.error_type, r.error_message, r.created_at,
       r.updated_at
  FROM idem_sequences s
  LEFT JOIN idem_records r ON r.key = ?
 WHERE s.name = 'token';

-- name: floor.raise.key
-- Before a delete: the floor is at least the deleted record's token.
UPDATE idem_sequences
   SET value = MAX(value, COALESCE((SELECT token FROM idem_records WHERE key = ?), 0))
 WHERE name = 'token';

-- name: floor.raise.expired
-- Before a purge: the floor is at least every purgeable record's token. 1 now, 2 now
UPDATE idem_sequences
   SET value = MAX(value, COALESCE((SELECT MAX(token) FROM idem_records
                                     WHERE expires_at <= ?
                                       AND (state <> 'IN_PROGRESS' OR lease_until <= ?)), 0))
 WHERE name = 'token';

-- name: record.upsert
INSERT INTO idem_records (key, state, fingerprint, token, attempt, lease_until, expires_at,
                          retry_after, result_type, result, error_type, error_message,
                          created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET
  state = excluded.state, fingerprint = excluded.fingerprint, token = excluded.token,
  attempt = excluded.attempt, lease_until = excluded.lease_until,
  expires_at = excluded.expires_at, retry_after = excluded.retry_after,
  result_type = excluded.result_type, result = excluded.result,
  error_type = excluded.error_type, error_message = excluded.error_message,
  created_at = excluded.created_at, updated_at = excluded.updated_at;

-- name: record.complete
-- 1 expires_at, 2 result_type, 3 result, 4 updated_at, 5 key, 6 token
UPDATE idem_records
   SET state = 'COMPLETED', lease_until = NULL, expires_at = ?, retry_after = NULL,
       result_type = ?, result = ?, error_type = NULL, error_message = NULL, updated_at = ?
 WHERE key = ? AND state = 'IN_PROGRESS' AND token = ?;

-- name: record.fail
-- 1 expires_at, 2 retry_after, 3 error_type, 4 error_message, 5 updated_at, 6 key, 7 token
UPDATE idem_records
   SET state = 'FAILED', lease_until = NULL, expires_at = ?, retry_after = ?,
       result_type = NULL, result = NULL, error_type = ?, error_message = ?, updated_at = ?
 WHERE key = ? AND state = 'IN_PROGRESS' AND token = ?;

-- name: record.extend
-- 1 lease_until, 2 lease_until again (expires_at is at least the lease), 3 updated_at, 4 key,
-- 5 token
UPDATE idem_records
   SET lease_until = ?, expires_at = MAX(expires_at, ?), updated_at = ?
 WHERE key = ? AND state = 'IN_PROGRESS' AND token = ?;

-- name: record.delete
DELETE FROM idem_records WHERE key = ?;

-- name: record.purge
-- 1 now, 2 now, 3 limit
DELETE FROM idem_records
 WHERE key IN (SELECT key FROM idem_records
                WHERE expires_at <= ? AND (state <> 'IN_PROGRESS' OR lease_until <= ?)
                LIMIT ?);
