-- Idempotency records: one row per key. Times are epoch milliseconds of the store's clock.
-- Keys compare byte by byte (COLLATE "C"): keys that differ in case or Unicode form differ.
CREATE TABLE idem_records (
  key           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  state         TEXT    NOT NULL CHECK (state IN ('IN_PROGRESS', 'COMPLETED', 'FAILED')),
  fingerprint   TEXT    NOT NULL,
  token         BIGINT  NOT NULL,
  attempt       INTEGER NOT NULL,
  lease_until   BIGINT,
  expires_at    BIGINT  NOT NULL,
  retry_after   BIGINT,
  result_type   TEXT,
  result        TEXT,
  error_type    TEXT,
  error_message TEXT,
  created_at    BIGINT  NOT NULL,
  updated_at    BIGINT  NOT NULL
);

CREATE INDEX idem_records_expires_at ON idem_records (expires_at);

-- The store-wide fencing token sequence, so that tokens keep growing for a key even after its
-- record is deleted or purged. CACHE 1 (the default) keeps tokens increasing across sessions.
CREATE SEQUENCE idem_token_seq AS BIGINT START WITH 1 CACHE 1;
