-- 0007: the editors' desk: accounts, server-side sessions, sign-in attempts
-- for rate limiting, and the append-only audit log.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL UNIQUE,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    -- argon2id in PHC string format: parameters, salt and hash together.
    password_hash TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
) STRICT;

-- A session is known by the SHA-256 (hex) of the random id in its cookie:
-- the id itself is never stored.
CREATE TABLE sessions (
    id_hash      TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT    NOT NULL,
    ip           TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT '',
    created_at   TEXT    NOT NULL,
    last_seen_at TEXT    NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);

-- Every sign-in attempt; the failures of the last minutes limit the next
-- ones, per account name and per address.
CREATE TABLE login_attempts (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    name    TEXT    NOT NULL,
    ip      TEXT    NOT NULL,
    success INTEGER NOT NULL CHECK (success IN (0, 1)),
    at      TEXT    NOT NULL
) STRICT;

CREATE INDEX login_attempts_name ON login_attempts (name, at) WHERE success = 0;
CREATE INDEX login_attempts_ip ON login_attempts (ip, at) WHERE success = 0;

-- Who did what, when, to which object, with the object's state before and
-- after as JSON text. actor is the account name as it was, not a foreign
-- key: removing an account must not rewrite history.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    object_type TEXT    NOT NULL DEFAULT '',
    object_id   TEXT    NOT NULL DEFAULT '',
    before      TEXT,
    after       TEXT,
    note        TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, id);
CREATE INDEX audit_log_at ON audit_log (at);

-- Append-only: the store has no method to change a row, and the database
-- refuses to, whoever asks.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
