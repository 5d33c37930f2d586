-- 0006: outputs: API tokens, webhook subscribers, their delivery queues and
-- the delivery log.

-- A token's secret is never stored: only its SHA-256, which is what a
-- request's bearer token is looked up by.
CREATE TABLE api_tokens (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text        NOT NULL UNIQUE,
    token_sha256 text        NOT NULL UNIQUE,
    scope        text        NOT NULL CHECK (scope IN ('read:all', 'admin')),
    created_at   timestamptz NOT NULL
);

CREATE TABLE webhooks (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text        NOT NULL UNIQUE,
    url           text        NOT NULL,
    secret        text        NOT NULL,
    -- Event names; empty for every event.
    events        text[]      NOT NULL DEFAULT '{}',
    active        boolean     NOT NULL DEFAULT true,
    allow_private boolean     NOT NULL DEFAULT false,
    -- The sequence number of the last delivery queued: the queue's tail.
    -- Taking the next one locks the row, so concurrent fan-outs to one
    -- subscriber commit in sequence order.
    last_seq      bigint      NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL
);

-- The newest story event fanned out per story: an older event whose job
-- runs late is not delivered after a newer one.
CREATE TABLE story_event_marks (
    story_id      bigint PRIMARY KEY,
    last_event_id bigint NOT NULL
);

-- One row per (subscriber, event): the subscriber's queue, sent in seq
-- order, and what became of each.
CREATE TABLE webhook_deliveries (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id      bigint      NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    seq             bigint      NOT NULL,
    event           text        NOT NULL,
    story_id        bigint      NOT NULL,
    event_id        bigint      NOT NULL,
    payload         bytea       NOT NULL,
    state           text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    claimed_until   timestamptz,
    last_status     integer     NOT NULL DEFAULT 0,
    last_error      text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    UNIQUE (webhook_id, seq),
    UNIQUE (webhook_id, event_id)
);

CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, seq) WHERE state = 'pending';

CREATE TABLE webhook_attempts (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id  bigint      NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at timestamptz NOT NULL,
    -- 0 when no response came.
    status       integer     NOT NULL DEFAULT 0,
    error        text        NOT NULL DEFAULT '',
    duration_ns  bigint      NOT NULL DEFAULT 0
);

CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
