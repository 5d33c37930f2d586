-- 0006: outputs: API tokens, webhook subscribers, their delivery queues and
-- the delivery log.

-- A token's secret is never stored: only its SHA-256, which is what a
-- request's bearer token is looked up by.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL UNIQUE,
    token_sha256 TEXT    NOT NULL UNIQUE,
    scope        TEXT    NOT NULL CHECK (scope IN ('read:all', 'admin')),
    created_at   TEXT    NOT NULL
) STRICT;

CREATE TABLE webhooks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL UNIQUE,
    url           TEXT    NOT NULL,
    secret        TEXT    NOT NULL,
    -- Comma-separated event names; '' for every event.
    events        TEXT    NOT NULL DEFAULT '',
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    allow_private INTEGER NOT NULL DEFAULT 0 CHECK (allow_private IN (0, 1)),
    -- The sequence number of the last delivery queued: the queue's tail.
    last_seq      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL
) STRICT;

-- The newest story event fanned out per story: an older event whose job
-- runs late is not delivered after a newer one.
CREATE TABLE story_event_marks (
    story_id      INTEGER PRIMARY KEY,
    last_event_id INTEGER NOT NULL
) STRICT;

-- One row per (subscriber, event): the subscriber's queue, sent in seq
-- order, and what became of each.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    event           TEXT    NOT NULL,
    story_id        INTEGER NOT NULL,
    event_id        INTEGER NOT NULL,
    payload         BLOB    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    claimed_until   TEXT,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      TEXT    NOT NULL,
    finished_at     TEXT,
    UNIQUE (webhook_id, seq),
    UNIQUE (webhook_id, event_id)
) STRICT;

CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, seq) WHERE state = 'pending';

CREATE TABLE webhook_attempts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id  INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at TEXT    NOT NULL,
    -- 0 when no response came.
    status       INTEGER NOT NULL DEFAULT 0,
    error        TEXT    NOT NULL DEFAULT '',
    duration_ns  INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
