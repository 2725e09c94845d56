-- Idempotency records: one row per key. Times are epoch milliseconds.
CREATE TABLE idem_records (
  key           TEXT    NOT NULL PRIMARY KEY,
  state         TEXT    NOT NULL CHECK (state IN ('IN_PROGRESS', 'COMPLETED', 'FAILED')),
  fingerprint   TEXT    NOT NULL,
  token         INTEGER NOT NULL,
  attempt       INTEGER NOT NULL,
  lease_until   INTEGER,
  expires_at    INTEGER NOT NULL,
  retry_after   INTEGER,
  result_type   TEXT,
  result        TEXT,
  error_type    TEXT,
  error_message TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);

CREATE INDEX idem_records_expires_at ON idem_records (expires_at);

-- Store-wide sequences; 'token' hands out fencing tokens, so that they keep growing for a key
-- even after its record is deleted or purged.
CREATE TABLE idem_sequences (
  name  TEXT    NOT NULL PRIMARY KEY,
  value INTEGER NOT NULL
);

INSERT INTO idem_sequences (name, value) VALUES ('token', 0);
