-- The statements of SqliteProcessedSetStore: tables idem_set_members (set_name, member) and
-- idem_sets (set_name, last_modified epoch millis).

-- name: member.insert
-- 1 set_name, 2 member; one row changed when the member was not there
INSERT INTO idem_set_members (set_name, member) VALUES (?, ?)
ON CONFLICT (set_name, member) DO NOTHING;

-- name: member.delete
-- 1 set_name, 2 member; one row changed when the member was there
DELETE FROM idem_set_members WHERE set_name = ? AND member = ?;

-- name: member.exists
SELECT 1 FROM idem_set_members WHERE set_name = ? AND member = ?;

-- name: members.select
SELECT member FROM idem_set_members WHERE set_name = ?;

-- name: members.clear
DELETE FROM idem_set_members WHERE set_name = ?;

-- name: set.touch
-- 1 set_name, 2 last_modified
INSERT INTO idem_sets (set_name, last_modified) VALUES (?, ?)
ON CONFLICT (set_name) DO UPDATE SET last_modified = excluded.last_modified;

-- name: set.last_modified
SELECT last_modified FROM idem_sets WHERE set_name = ?;

-- name: set.delete
DELETE FROM idem_sets WHERE set_name = ?;
