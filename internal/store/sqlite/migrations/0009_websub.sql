-- 0009: WebSub subscriptions, one per source: the hub found for its feed,
-- the callback token and secret, the lease, and when the subscriber acts
-- next (discover again, renew, retry).

CREATE TABLE websub_subscriptions (
    source_id        INTEGER PRIMARY KEY REFERENCES sources (id) ON DELETE CASCADE,
    state            TEXT    NOT NULL CHECK (state IN ('nohub', 'pending', 'active')),
    hub              TEXT    NOT NULL DEFAULT '',
    topic            TEXT    NOT NULL DEFAULT '',
    -- The callback URL's last segment; '' until a hub is found.
    token            TEXT    NOT NULL DEFAULT '',
    secret           TEXT    NOT NULL DEFAULT '',
    lease_seconds    INTEGER NOT NULL DEFAULT 0,
    lease_expires_at TEXT,
    verified_at      TEXT,
    last_content_at  TEXT,
    failures         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT    NOT NULL DEFAULT '',
    next_attempt_at  TEXT    NOT NULL,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL
) STRICT;

CREATE UNIQUE INDEX websub_subscriptions_token ON websub_subscriptions (token) WHERE token <> '';
CREATE INDEX websub_subscriptions_due ON websub_subscriptions (next_attempt_at);
