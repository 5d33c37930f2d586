-- 0007: the editors' desk: accounts, server-side sessions, sign-in attempts
-- for rate limiting, and the append-only audit log.

CREATE TABLE users (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text        NOT NULL UNIQUE,
    role          text        NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    -- argon2id in PHC string format: parameters, salt and hash together.
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

-- A session is known by the SHA-256 (hex) of the random id in its cookie:
-- the id itself is never stored.
CREATE TABLE sessions (
    id_hash      text        PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   text        NOT NULL,
    ip           text        NOT NULL DEFAULT '',
    user_agent   text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);

-- Every sign-in attempt; the failures of the last minutes limit the next
-- ones, per account name and per address.
CREATE TABLE login_attempts (
    id      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name    text        NOT NULL,
    ip      text        NOT NULL,
    success boolean     NOT NULL,
    at      timestamptz NOT NULL
);

CREATE INDEX login_attempts_name ON login_attempts (name, at) WHERE NOT success;
CREATE INDEX login_attempts_ip ON login_attempts (ip, at) WHERE NOT success;

-- Who did what, when, to which object, with the object's state before and
-- after. actor is the account name as it was, not a foreign key: removing an
-- account must not rewrite history.
CREATE TABLE audit_log (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor       text        NOT NULL,
    action      text        NOT NULL,
    object_type text        NOT NULL DEFAULT '',
    object_id   text        NOT NULL DEFAULT '',
    before      json,
    after       json,
    note        text        NOT NULL DEFAULT ''
);

CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, id);
CREATE INDEX audit_log_at ON audit_log (at);

-- Append-only: the store has no method to change a row, and the database
-- refuses to, whoever asks (TRUNCATE included).
CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
