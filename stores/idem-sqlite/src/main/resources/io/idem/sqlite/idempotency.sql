-- The statements of SqliteIdempotencyStore. Columns of idem_records in the order of
-- io.idem.jdbc.Rows: key, state, fingerprint, token, attempt, lease_until, expires_at,
-- retry_after, result_type, result, error_type, error_message, created_at, updated_at.

-- name: record.select
SELECT key, state, fingerprint, token, attempt, lease_until, expires_at, retry_after,
       result_type, result, error_type, error_message, created_at, updated_at
  FROM idem_records
 WHERE key = ?;

-- name: token.next
UPDATE idem_sequences SET value = value + 1 WHERE name = 'token' RETURNING value;

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
  created_at = excluded.created_at, updated_at = excluded.updated_at
RETURNING key, state, fingerprint, token, attempt, lease_until, expires_at, retry_after,
          result_type, result, error_type, error_message, created_at, updated_at;

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
