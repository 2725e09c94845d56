-- The statements of PostgresIdempotencyStore, one per step of the record state machine
-- (io.idem.spi.RecordTransitions). {schema} is replaced by the store's schema (quoted) when the
-- statements are loaded; :name is a parameter (bound by name, it may occur several times).
-- Times are epoch milliseconds of the store's clock (:now), never the database's now().
-- Columns of idem_records in the order of io.idem.jdbc.Rows: key, state, fingerprint, token,
-- attempt, lease_until, expires_at, retry_after, result_type, result, error_type, error_message,
-- created_at, updated_at.

-- name: record.insert
-- The claim of a key that has no record, the common case: a fresh IN_PROGRESS record (attempt 1,
-- a token from the sequence), the same row record.claim inserts for an absent key. When the key
-- has a record, in any state, nothing is written and no row comes back; the caller then reads
-- the record (record.select), answers from it, and runs record.claim only when it is claimable.
-- A plain INSERT costs PostgreSQL much less than record.claim (no CTE, no conflict arm to set up).
INSERT INTO {schema}.idem_records AS r
       (key, state, fingerprint, token, attempt, lease_until, expires_at, created_at, updated_at)
VALUES (:key, 'IN_PROGRESS', :fingerprint, nextval('{schema}.idem_token_seq'), 1, :lease_until,
        :expires_at, :now, :now)
ON CONFLICT (key) DO NOTHING
RETURNING token;

-- name: record.claim
-- Claims the key in one statement, or returns the record that stands in the way.
-- The INSERT makes a fresh IN_PROGRESS record; on a conflict the existing record (r) is taken over
-- only when it is claimable, in the order of RecordTransitions.claim:
--   expired (past expires_at, and past its lease when IN_PROGRESS): a fresh record, attempt 1;
--   FAILED with retry_after passed (a release; any payload) and attempts left: attempt + 1;
--   IN_PROGRESS with the lease over, the same payload and attempts left (takeover): attempt + 1.
-- The row is returned with claimed = TRUE; otherwise the second branch returns the record as the
-- statement's snapshot saw it, with claimed = FALSE, for the caller to classify.
WITH claimed AS (
  INSERT INTO {schema}.idem_records AS r
         (key, state, fingerprint, token, attempt, lease_until, expires_at, retry_after,
          result_type, result, error_type, error_message, created_at, updated_at)
  VALUES (:key, 'IN_PROGRESS', :fingerprint, nextval('{schema}.idem_token_seq'), 1, :lease_until,
          :expires_at, NULL, NULL, NULL, NULL, NULL, :now, :now)
  ON CONFLICT (key) DO UPDATE SET
    state = 'IN_PROGRESS',
    fingerprint = EXCLUDED.fingerprint,
    token = GREATEST(EXCLUDED.token, r.token + 1),
    attempt = CASE WHEN r.expires_at <= :now
                        AND (r.state <> 'IN_PROGRESS' OR r.lease_until <= :now)
                   THEN 1 ELSE r.attempt + 1 END,
    lease_until = EXCLUDED.lease_until,
    expires_at = EXCLUDED.expires_at,
    retry_after = NULL,
    result_type = NULL,
    result = NULL,
    error_type = NULL,
    error_message = NULL,
    created_at = CASE WHEN r.expires_at <= :now
                           AND (r.state <> 'IN_PROGRESS' OR r.lease_until <= :now)
                      THEN EXCLUDED.created_at ELSE r.created_at END,
    updated_at = EXCLUDED.updated_at
  WHERE (r.expires_at <= :now AND (r.state <> 'IN_PROGRESS' OR r.lease_until <= :now))
     OR (r.attempt < :max_attempts
         AND ((r.state = 'FAILED' AND (r.retry_after IS NULL OR r.retry_after <= :now))
              OR (r.state = 'IN_PROGRESS' AND r.lease_until <= :now
                  AND r.fingerprint = EXCLUDED.fingerprint)))
  RETURNING key, state, fingerprint, token, attempt, lease_until, expires_at, retry_after,
            result_type, result, error_type, error_message, created_at, updated_at,
            TRUE AS claimed
)
SELECT * FROM claimed
UNION ALL
SELECT key, state, fingerprint, token, attempt, lease_until, expires_at, retry_after,
       result_type, result, error_type, error_message, created_at, updated_at,
       FALSE AS claimed
  FROM {schema}.idem_records
 WHERE key = :key
   AND NOT EXISTS (SELECT 1 FROM claimed);

-- name: record.select
SELECT key, state, fingerprint, token, attempt, lease_until, expires_at, retry_after,
       result_type, result, error_type, error_message, created_at, updated_at
  FROM {schema}.idem_records
 WHERE key = :key;

-- name: record.complete
UPDATE {schema}.idem_records
   SET state = 'COMPLETED', lease_until = NULL, expires_at = :expires_at, retry_after = NULL,
       result_type = :result_type, result = :result, error_type = NULL, error_message = NULL,
       updated_at = :now
 WHERE key = :key AND state = 'IN_PROGRESS' AND token = :token;

-- name: record.fail
UPDATE {schema}.idem_records
   SET state = 'FAILED', lease_until = NULL, expires_at = :expires_at, retry_after = :retry_after,
       result_type = NULL, result = NULL, error_type = :error_type,
       error_message = :error_message, updated_at = :now
 WHERE key = :key AND state = 'IN_PROGRESS' AND token = :token;

-- name: record.extend
-- The record is kept at least as long as the new lease.
UPDATE {schema}.idem_records
   SET lease_until = :lease_until, expires_at = GREATEST(expires_at, :lease_until),
       updated_at = :now
 WHERE key = :key AND state = 'IN_PROGRESS' AND token = :token;

-- name: record.delete
DELETE FROM {schema}.idem_records WHERE key = :key;

-- name: record.purge
-- Up to :limit expired records; rows locked by a running claim are skipped, not waited for.
DELETE FROM {schema}.idem_records
 WHERE key IN (SELECT key FROM {schema}.idem_records
                WHERE expires_at <= :now AND (state <> 'IN_PROGRESS' OR lease_until <= :now)
                LIMIT :limit
                  FOR UPDATE SKIP LOCKED);
